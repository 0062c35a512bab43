//! Where requests go: the endpoint URL (from `--endpoint-url`, basic data, the environment, a
//! `[services]` section or the profile, else AWS's regional endpoint), checked and normalised; the
//! addressing style (path or virtual-hosted) with the rule for which bucket names fit a host
//! name; and the endpoint rule set's switches with AWS's setting names ([`EndpointSettings`]). It
//! does not choose the region or build request URLs (the client does, from the rule set and
//! [`super::ResolvedConfig`]).

use url::Url;

use super::ini::{Profile, ProfileFiles};
use super::{non_empty, Addressing, BasicData, ConfigError, ConfigInputs, Environment, Sourced};

/// Whether `bucket` can go in front of the endpoint's host name, as virtual-hosted addressing
/// needs: 3 to 63 characters of `a-z`, `0-9`, `-` (and `.` between labels), each label starting
/// and ending with a letter or digit, and not shaped like an IPv4 address. Over https (`https`
/// true) a name with dots is refused, since the endpoint's wildcard certificate covers one label
/// only (botocore's `check_dns_name` refuses dots always). Upper-case letters and underscores,
/// which some stores allow in legacy names, are refused too. The request builder falls back to
/// path style for such buckets.
pub fn bucket_fits_virtual_host(bucket: &str, https: bool) -> bool {
    if !(3..=63).contains(&bucket.len()) {
        return false;
    }
    if !bucket.contains('.') {
        return is_dns_label(bucket);
    }
    let labels: Vec<&str> = bucket.split('.').collect();
    let looks_like_ip =
        labels.len() == 4 && labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    !https && !looks_like_ip && labels.iter().all(|l| is_dns_label(l))
}

fn is_dns_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// Whether the endpoint is AWS's own (`*.amazonaws.com` or `*.amazonaws.com.cn`), where
/// virtual-hosted addressing is the default.
pub fn is_aws_endpoint(endpoint: &Url) -> bool {
    endpoint.host_str().is_some_and(|host| {
        let host = host.to_ascii_lowercase();
        host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")
    })
}

pub(super) fn resolve_endpoint(
    inputs: &ConfigInputs,
    basic: Option<&BasicData>,
    env: &Environment,
    profile: &Profile,
    files: &ProfileFiles,
    region: &Sourced,
) -> Result<(Url, String), ConfigError> {
    if let Some(url) = non_empty(inputs.endpoint_url.as_deref()) {
        return parse_endpoint(url, "--endpoint-url", false)
            .map(|u| (u, "--endpoint-url".to_owned()));
    }
    if let Some(url) = basic.and_then(|b| non_empty(b.url.as_deref())) {
        return parse_endpoint(url, "basic data URL", true)
            .map(|u| (u, "basic data URL".to_owned()));
    }
    if !ignores_configured_endpoints(env, profile) {
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            if let Some(url) = env.var(name) {
                return parse_endpoint(url, name, false).map(|u| (u, name.to_owned()));
            }
        }
        if let Some((services, path)) = profile.text("services") {
            let section =
                files
                    .services(services)
                    .ok_or_else(|| ConfigError::ServicesNotFound {
                        profile: profile.name.clone(),
                        services: services.to_owned(),
                        path: files
                            .config
                            .as_ref()
                            .map_or_else(|| path.to_owned(), |c| c.path.clone()),
                    })?;
            if let Some((url, path)) = section.nested("s3", "endpoint_url") {
                let origin = format!("services section `{services}` in {}", path.display());
                return parse_endpoint(url, &origin, false).map(|u| (u, origin));
            }
        }
        // The profile's own `s3 =` block, as the awscli-plugin-endpoint plugin reads it (many
        // MinIO and Wasabi guides set the endpoint this way).
        if let Some((url, path)) = profile.nested("s3", "endpoint_url") {
            let origin = profile.origin(path);
            return parse_endpoint(url, &origin, false).map(|u| (u, origin));
        }
        if let Some((url, path)) = profile.text("endpoint_url") {
            let origin = profile.origin(path);
            return parse_endpoint(url, &origin, false).map(|u| (u, origin));
        }
    }
    aws_endpoint(region).map(|u| (u, format!("{DEFAULT_ENDPOINT_ORIGIN} ({})", region.origin)))
}

/// How the origin of AWS's own endpoint (none configured) begins.
pub(super) const DEFAULT_ENDPOINT_ORIGIN: &str = "AWS's endpoint for the region";

/// The endpoint of another AWS service the client calls for its keys (STS, SSO, SSO OIDC), in
/// the AWS CLI's order: the service's own variable (`AWS_ENDPOINT_URL_STS`), `AWS_ENDPOINT_URL`,
/// the profile's `[services]` section (`sts = endpoint_url = ...`), the profile's `endpoint_url`,
/// else `default` (AWS's regional endpoint). `env_suffix` is the variable's suffix, `key` the
/// services key.
pub(super) fn service_endpoint(
    env_suffix: &str,
    key: &str,
    env: &Environment,
    profile: &Profile,
    files: &ProfileFiles,
    default: &str,
) -> Result<Url, ConfigError> {
    if !ignores_configured_endpoints(env, profile) {
        let own = format!("AWS_ENDPOINT_URL_{env_suffix}");
        for name in [own.as_str(), "AWS_ENDPOINT_URL"] {
            if let Some(url) = env.var(name) {
                return parse_endpoint(url, name, false);
            }
        }
        if let Some((services, _)) = profile.text("services") {
            if let Some(section) = files.services(services) {
                if let Some((url, path)) = section.nested(key, "endpoint_url") {
                    let origin = format!("services section `{services}` in {}", path.display());
                    return parse_endpoint(url, &origin, false);
                }
            }
        }
        if let Some((url, path)) = profile.text("endpoint_url") {
            return parse_endpoint(url, &profile.origin(path), false);
        }
    }
    parse_endpoint(default, "AWS's regional endpoint", false)
}

/// The DNS suffix of AWS's endpoints in `region`'s partition.
pub(super) fn aws_domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, else the profile's `ignore_configured_endpoint_urls`.
fn ignores_configured_endpoints(env: &Environment, profile: &Profile) -> bool {
    match env.var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(value) => value.eq_ignore_ascii_case("true"),
        None => profile
            .text("ignore_configured_endpoint_urls")
            .is_some_and(|(value, _)| value.eq_ignore_ascii_case("true")),
    }
}

/// AWS's regional endpoint. The regional form is used for us-east-1 too: AWS serves
/// `s3.us-east-1.amazonaws.com`, and one rule for every region keeps the signing region and the
/// host in agreement (the legacy global `s3.amazonaws.com` is still reachable with
/// `--endpoint-url`).
fn aws_endpoint(region: &Sourced) -> Result<Url, ConfigError> {
    let name = region.value.as_str();
    let invalid = || ConfigError::InvalidSetting {
        key: "region".to_owned(),
        value: name.to_owned(),
        origin: region.origin.clone(),
        expected: "an AWS region name such as eu-west-1 (or give an endpoint URL for other stores)"
            .to_owned(),
    };
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid());
    }
    let domain = aws_domain(name);
    Url::parse(&format!("https://s3.{name}.{domain}")).map_err(|_| invalid())
}

/// Parses and normalises an endpoint. `default_https` lets a bare `host[:port][/path]` through as
/// https (basic data); elsewhere the scheme is required, as the AWS CLI requires it.
fn parse_endpoint(raw: &str, origin: &str, default_https: bool) -> Result<Url, ConfigError> {
    let value = raw.trim();
    let shown = redact_userinfo(value);
    let invalid = |reason: &str| ConfigError::InvalidEndpoint {
        origin: origin.to_owned(),
        value: shown.clone(),
        reason: reason.to_owned(),
    };
    if shown != value {
        return Err(invalid("it must not carry a user name or password"));
    }
    let text = if value.contains("://") {
        value.to_owned()
    } else if default_https {
        format!("https://{value}")
    } else {
        return Err(invalid(
            "the scheme is missing: write http://HOST[:PORT] or https://HOST[:PORT]",
        ));
    };
    let mut url = Url::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// Replaces the user info of a URL-like string with `***`, so that a password put into an
/// endpoint never reaches an error message. A secret access key may contain `/`, which ends the
/// authority for a URL parser, so unless the text parses as a URL without user info, everything
/// before the last `@` ahead of any `?` or `#` is hidden: too much rather than too little.
pub(super) fn redact_userinfo(value: &str) -> String {
    let plain = |url: Url| url.has_host() && url.username().is_empty() && url.password().is_none();
    if Url::parse(value).is_ok_and(plain) {
        return value.to_owned();
    }
    let start = value.find("://").map_or(0, |i| i + 3);
    let rest = &value[start..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***@{}", &value[..start], &rest[at + 1..]),
        None => value.to_owned(),
    }
}

pub(super) fn resolve_addressing(
    inputs: &ConfigInputs,
    profile: &Profile,
    endpoint: &Url,
) -> Result<Addressing, ConfigError> {
    let auto = if is_aws_endpoint(endpoint) {
        Addressing::VirtualHosted
    } else {
        Addressing::Path
    };
    if inputs.path_style {
        return Ok(Addressing::Path);
    }
    let Some((style, path)) = profile.nested("s3", "addressing_style") else {
        return Ok(auto);
    };
    match style.to_ascii_lowercase().as_str() {
        "path" => Ok(Addressing::Path),
        "virtual" => Ok(Addressing::VirtualHosted),
        "auto" => Ok(auto),
        _ => Err(ConfigError::InvalidSetting {
            key: "addressing_style".to_owned(),
            value: style.to_owned(),
            origin: profile.origin(path),
            expected: "path, virtual or auto".to_owned(),
        }),
    }
}

/// The endpoint rule set's switches, from AWS's settings (each from its flag, else its
/// environment variable, else the profile; `true` and `false` in any case):
///
/// | field | flag | variable | profile |
/// |---|---|---|---|
/// | `use_fips` | `--use-fips-endpoint` | `AWS_USE_FIPS_ENDPOINT` | `use_fips_endpoint` |
/// | `use_dual_stack` | `--use-dualstack-endpoint` | `AWS_USE_DUALSTACK_ENDPOINT` | `use_dualstack_endpoint`, `s3 = use_dualstack_endpoint` |
/// | `accelerate` | `--use-accelerate-endpoint` | | `s3 = use_accelerate_endpoint` |
/// | `use_arn_region` (default on) | | `AWS_S3_USE_ARN_REGION` | `s3_use_arn_region`, `s3 = use_arn_region` |
/// | `disable_multi_region_access_points` | `--disable-multiregion-access-points` | `AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS` | `s3_disable_multiregion_access_points`, `s3 = s3_disable_multiregion_access_points` |
/// | `use_global_endpoint` | | `AWS_S3_US_EAST_1_REGIONAL_ENDPOINT=legacy` | `s3_us_east_1_regional_endpoint = legacy`, `s3 = us_east_1_regional_endpoint` |
/// | `disable_s3_express_session_auth` | | `AWS_S3_DISABLE_EXPRESS_SESSION_AUTH` | `s3_disable_express_session_auth` |
///
/// As in botocore, FIPS and dual-stack from a variable or the profile are not used when an
/// endpoint URL is configured (they name AWS's hosts); from a flag they are, and the rule set
/// then refuses the combination with its own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSettings {
    /// An endpoint URL was configured (a flag, basic data, a variable, a profile): the rule set
    /// gets it as `Endpoint`. `false` for AWS's own endpoints, which the rule set makes.
    pub custom_endpoint: bool,
    pub use_fips: bool,
    pub use_dual_stack: bool,
    pub accelerate: bool,
    /// Sign for and send to the region an access point ARN names, even when it is not the
    /// client's (on by default, as in botocore).
    pub use_arn_region: bool,
    pub disable_multi_region_access_points: bool,
    /// `s3.amazonaws.com` instead of `s3.us-east-1.amazonaws.com` for us-east-1 (`legacy`).
    pub use_global_endpoint: bool,
    /// Sign directory-bucket requests with SigV4 instead of an S3 Express session.
    pub disable_s3_express_session_auth: bool,
    /// Each setting that was given, with its value and where it came from.
    pub given: Vec<(&'static str, String, String)>,
}

impl Default for EndpointSettings {
    fn default() -> Self {
        EndpointSettings {
            custom_endpoint: false,
            use_fips: false,
            use_dual_stack: false,
            accelerate: false,
            use_arn_region: true,
            disable_multi_region_access_points: false,
            use_global_endpoint: false,
            disable_s3_express_session_auth: false,
            given: Vec::new(),
        }
    }
}

/// Where one boolean setting may come from.
struct BoolSetting<'a> {
    name: &'static str,
    flag: Option<bool>,
    flag_name: &'static str,
    variable: Option<&'static str>,
    profile_keys: &'a [&'static str],
    nested_keys: &'a [&'static str],
}

/// The first source of `setting` that has it: its value and origin.
fn bool_setting(
    setting: &BoolSetting<'_>,
    env: &Environment,
    profile: &Profile,
) -> Result<Option<(bool, String)>, ConfigError> {
    if let Some(on) = setting.flag {
        return Ok(Some((on, setting.flag_name.to_owned())));
    }
    let mut found: Option<(&str, String)> = None;
    if let Some(name) = setting.variable {
        found = env.var(name).map(|v| (v, name.to_owned()));
    }
    for key in setting.profile_keys {
        if found.is_none() {
            found = profile.text(key).map(|(v, path)| (v, profile.origin(path)));
        }
    }
    for key in setting.nested_keys {
        if found.is_none() {
            found = profile
                .nested("s3", key)
                .map(|(v, path)| (v, profile.origin(path)));
        }
    }
    let Some((value, origin)) = found else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(Some((true, origin))),
        "false" => Ok(Some((false, origin))),
        _ => Err(ConfigError::InvalidSetting {
            key: setting.name.to_owned(),
            value: value.to_owned(),
            origin,
            expected: "true or false".to_owned(),
        }),
    }
}

pub(super) fn resolve_endpoint_settings(
    inputs: &ConfigInputs,
    env: &Environment,
    profile: &Profile,
    custom_endpoint: bool,
) -> Result<EndpointSettings, ConfigError> {
    let mut settings = EndpointSettings {
        custom_endpoint,
        ..EndpointSettings::default()
    };
    let mut read = |setting: BoolSetting<'_>| -> Result<Option<bool>, ConfigError> {
        let found = bool_setting(&setting, env, profile)?;
        Ok(found.map(|(on, origin)| {
            settings.given.push((setting.name, on.to_string(), origin));
            on
        }))
    };
    let fips = read(BoolSetting {
        name: "use_fips_endpoint",
        flag: inputs.use_fips_endpoint,
        flag_name: "--use-fips-endpoint",
        variable: Some("AWS_USE_FIPS_ENDPOINT"),
        profile_keys: &["use_fips_endpoint"],
        nested_keys: &[],
    })?;
    let dual_stack = read(BoolSetting {
        name: "use_dualstack_endpoint",
        flag: inputs.use_dualstack_endpoint,
        flag_name: "--use-dualstack-endpoint",
        variable: Some("AWS_USE_DUALSTACK_ENDPOINT"),
        profile_keys: &["use_dualstack_endpoint"],
        nested_keys: &["use_dualstack_endpoint"],
    })?;
    let accelerate = read(BoolSetting {
        name: "use_accelerate_endpoint",
        flag: inputs.use_accelerate_endpoint,
        flag_name: "--use-accelerate-endpoint",
        variable: None,
        profile_keys: &[],
        nested_keys: &["use_accelerate_endpoint"],
    })?;
    let arn_region = read(BoolSetting {
        name: "use_arn_region",
        flag: inputs.use_arn_region,
        flag_name: "the builder's use_arn_region",
        variable: Some("AWS_S3_USE_ARN_REGION"),
        profile_keys: &["s3_use_arn_region"],
        nested_keys: &["use_arn_region"],
    })?;
    let no_mrap = read(BoolSetting {
        name: "s3_disable_multiregion_access_points",
        flag: inputs.disable_multiregion_access_points,
        flag_name: "--disable-multiregion-access-points",
        variable: Some("AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS"),
        profile_keys: &["s3_disable_multiregion_access_points"],
        nested_keys: &["s3_disable_multiregion_access_points"],
    })?;
    let no_express_sessions = read(BoolSetting {
        name: "s3_disable_express_session_auth",
        flag: None,
        flag_name: "",
        variable: Some("AWS_S3_DISABLE_EXPRESS_SESSION_AUTH"),
        profile_keys: &["s3_disable_express_session_auth"],
        nested_keys: &[],
    })?;
    // FIPS and dual-stack name AWS's hosts: from the environment or a profile they give way to a
    // configured endpoint (botocore's rule); from a flag they reach the rule set, which refuses.
    let from_flag = |flag: Option<bool>| flag.is_some();
    settings.use_fips =
        fips.unwrap_or(false) && (!custom_endpoint || from_flag(inputs.use_fips_endpoint));
    settings.use_dual_stack = dual_stack.unwrap_or(false)
        && (!custom_endpoint || from_flag(inputs.use_dualstack_endpoint));
    settings.accelerate = accelerate.unwrap_or(false);
    settings.use_arn_region = arn_region.unwrap_or(true);
    settings.disable_multi_region_access_points = no_mrap.unwrap_or(false);
    settings.disable_s3_express_session_auth = no_express_sessions.unwrap_or(false);

    let regional = env
        .var("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT")
        .map(|v| (v, "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT".to_owned()))
        .or_else(|| {
            profile
                .text("s3_us_east_1_regional_endpoint")
                .or_else(|| profile.nested("s3", "us_east_1_regional_endpoint"))
                .map(|(v, path)| (v, profile.origin(path)))
        });
    if let Some((value, origin)) = regional {
        settings.use_global_endpoint = match value.to_ascii_lowercase().as_str() {
            "legacy" => true,
            "regional" => false,
            _ => {
                return Err(ConfigError::InvalidSetting {
                    key: "s3_us_east_1_regional_endpoint".to_owned(),
                    value: value.to_owned(),
                    origin,
                    expected: "legacy or regional".to_owned(),
                })
            }
        };
        settings.given.push((
            "s3_us_east_1_regional_endpoint",
            value.to_ascii_lowercase(),
            origin,
        ));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::redact_userinfo;

    #[test]
    fn redaction_hides_user_info_even_in_text_that_does_not_parse() {
        // Redaction also works on text that does not parse, and on secrets with slashes.
        assert_eq!(redact_userinfo("u:p@host:x:y/z"), "***@host:x:y/z");
        assert_eq!(
            redact_userinfo("http://u:a/b+c@host:1/p"),
            "http://***@host:1/p"
        );
        assert_eq!(
            redact_userinfo("http://u:a/b@host/?q=x@y"),
            "http://***@host/?q=x@y"
        );
        // A URL without user info is shown as given, even with an @ in its path.
        assert_eq!(redact_userinfo("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_userinfo("minio:9000"), "minio:9000");
    }
}
