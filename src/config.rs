//! Configuration resolution. This module turns what the user gave explicitly (global flags, or the
//! library builder's [`ConfigInputs`]), an OpenIntegrations-style basic data file ([`BasicData`]), the
//! environment variables and the AWS shared profile files (`~/.aws/credentials`, `~/.aws/config`)
//! into one [`ResolvedConfig`]: endpoint, region, credentials, addressing style, signing service
//! name and part size. It owns reading those files; it does not sign, send or retry anything, and
//! it reads the process environment only in [`Environment::from_process`]. Each setting comes from
//! the first source that has it, highest first: flags, then basic data, then environment variables,
//! then the profile, then the default.
//!
//! - **Region**: `--region`, basic data `Region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, profile
//!   `region`, else `us-east-1`.
//! - **Endpoint**: `--endpoint-url`, basic data `URL` (the scheme may be left out, meaning https,
//!   and a path prefix is kept), `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the `s3 = endpoint_url`
//!   of the `[services NAME]` section that the profile names with `services = NAME`, the profile's
//!   own `s3 = endpoint_url` block, profile `endpoint_url`, else AWS's regional endpoint
//!   `https://s3.{region}.amazonaws.com` (us-east-1 included; `.amazonaws.com.cn` for `cn-`
//!   regions). `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or `ignore_configured_endpoint_urls =
//!   true` in the profile) skips the environment and profile endpoints, never the flag or the basic
//!   data.
//! - **Profile**: `--profile`, `AWS_PROFILE`, else `default`, read from `AWS_SHARED_CREDENTIALS_FILE`
//!   (default `~/.aws/credentials`, sections `[name]`) and `AWS_CONFIG_FILE` (default
//!   `~/.aws/config`, sections `[profile name]` and `[default]`); the credentials file wins where both
//!   set a key. A profile named by `--profile` or `AWS_PROFILE` must exist in one of them; a missing
//!   `default` profile or missing files are not an error.
//! - **Credentials**: basic data `AccessKey` + `SecretKey`, then `AWS_ACCESS_KEY_ID` +
//!   `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), then the profile's `aws_access_key_id` +
//!   `aws_secret_access_key` (+ `aws_session_token`). As in the AWS CLI, `--profile` switches the
//!   environment credentials off while `AWS_PROFILE` does not. Half a key pair is an error; no
//!   credentials at all leaves [`ResolvedConfig::credentials`] empty (unsigned requests).
//! - **Addressing**: path style when asked (`--path-style`, or `addressing_style = path` in the
//!   profile's `s3 =` block), virtual-hosted when `addressing_style = virtual`; otherwise
//!   virtual-hosted for AWS endpoints (`*.amazonaws.com`, `*.amazonaws.com.cn`) and path style for
//!   every other endpoint, since MinIO, Garage, Ceph, s3s and most self-hosted stores have no
//!   wildcard DNS for bucket names. Under virtual-hosted addressing a bucket whose name cannot be a
//!   host name (upper case, underscores, dots over https) still goes path style
//!   ([`bucket_fits_virtual_host`], [`ResolvedConfig::uses_virtual_host`]).
//! - **Service and part size**: basic data `Service`, else `s3`; basic data `ChunkSize`, else the
//!   profile's `s3 = multipart_chunksize`, else the transfer code's default.
//!
//! No secret key or session token ever appears in an error message or in `Debug` output; the one
//! place a secret is printed is [`BasicData::to_json`], which writes the user's own credentials file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use url::Url;

use crate::secret::Secret;
use crate::signer::Credentials;

const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_SERVICE: &str = "s3";

// ------------------------------------------------------------------------------------------------
// Public types
// ------------------------------------------------------------------------------------------------

/// What the user gave explicitly: the CLI's global flags, or the library builder's settings.
#[derive(Clone, Debug, Default)]
pub struct ConfigInputs {
    /// `--endpoint-url`: `http(s)://host[:port][/base-path]`.
    pub endpoint_url: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`. Naming a profile here also switches the environment credentials off.
    pub profile: Option<String>,
    /// `--path-style`: force path-style addressing. `false` means "decide", not "virtual".
    pub path_style: bool,
    /// `--data`: an OpenIntegrations basic data structure (see [`BasicData::load`]).
    pub basic_data: Option<BasicData>,
}

/// A snapshot of the environment variables and the home directory, so that resolution (and its
/// tests) never reads or changes the process environment.
#[derive(Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
    home: Option<PathBuf>,
}

/// How a bucket is put into a request URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `https://endpoint/bucket/key`.
    Path,
    /// `https://bucket.endpoint/key`.
    VirtualHosted,
}

/// Everything a client needs to reach and sign for one S3 service.
pub struct ResolvedConfig {
    /// `scheme://host[:port][/base-path]`: no trailing slash after a base path (the path is `/`
    /// when there is none), no query, no user info.
    pub endpoint: Url,
    /// The region in the signing scope.
    pub region: String,
    /// `None` when no source had credentials: the caller sends unsigned requests or refuses.
    pub credentials: Option<Credentials>,
    /// The addressing style for buckets that fit it (see [`ResolvedConfig::uses_virtual_host`]).
    pub addressing: Addressing,
    /// The service name in the signing scope: `s3` unless the basic data says otherwise.
    pub service: String,
    /// Part size in bytes asked for by configuration; `None` leaves it to the transfer code.
    pub chunk_size: Option<u64>,
    /// Attempts per request (`--max-attempts`, `AWS_MAX_ATTEMPTS`, profile `max_attempts`); `None`
    /// leaves the retry policy's default (3, AWS's standard mode).
    pub max_attempts: Option<u32>,
    /// `standard`, `adaptive` (treated as standard) or `legacy` (`AWS_RETRY_MODE`, profile `retry_mode`).
    pub retry_mode: Option<String>,
}

/// OpenIntegrations' "basic data" for its S3 module (`OPI_S3.GetBasicDataStructure`, in Russian
/// `ПолучитьСтруктуруДанных`; `oint s3 GetBasicDataStructure --url --access --secret --region
/// [--service]`): a JSON object with the keys `URL`, `AccessKey`, `SecretKey`, `Region`, `Service`
/// (default `s3`) and, optionally, `ChunkSize` (bytes, as a number or a numeric string). OPI_S3
/// requires all of the first five; here each one that is missing falls back to the next source.
/// `URL` is a host with or without scheme (none means https), optionally with a port and a path
/// prefix. Keys are matched exactly first, then ignoring case; other keys are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasicData {
    /// `URL`.
    pub url: Option<String>,
    /// `AccessKey`.
    pub access_key: Option<String>,
    /// `SecretKey`.
    pub secret_key: Option<Secret>,
    /// `Region`.
    pub region: Option<String>,
    /// `Service`; `None` means `s3`.
    pub service: Option<String>,
    /// `ChunkSize`: in OPI_S3 both the size above which an object is sent or fetched in parts and
    /// the part size (its default there is 20971520, 20 MiB).
    pub chunk_size: Option<u64>,
}

/// Why configuration could not be resolved. Messages name the source and never carry a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A profile named by `--profile` or `AWS_PROFILE` is in none of the profile files.
    #[error("profile `{profile}` was not found in {}", join_paths(.searched))]
    ProfileNotFound {
        profile: String,
        /// The files that were looked in (whether they exist or not).
        searched: Vec<PathBuf>,
    },
    /// An endpoint URL that does not parse, is not http(s), or has no host.
    #[error("invalid endpoint URL `{value}` from {origin}: {reason}")]
    InvalidEndpoint {
        /// `--endpoint-url`, `basic data URL`, an environment variable name, or a profile file.
        origin: String,
        /// The value as given, with any user info replaced by `***`.
        value: String,
        reason: String,
    },
    /// One half of an access key pair without the other.
    #[error("incomplete credentials from {origin}: {present} is set but {missing} is missing")]
    IncompleteCredentials {
        origin: String,
        present: String,
        missing: String,
    },
    /// A profile names a `[services NAME]` section that the config file does not have.
    #[error(
        "profile `{profile}` in {} uses services section `{services}`, which does not exist there",
        .path.display()
    )]
    ServicesNotFound {
        profile: String,
        services: String,
        path: PathBuf,
    },
    /// A setting with a value outside what it accepts.
    #[error("invalid {key} `{value}` from {origin}: expected {expected}")]
    InvalidSetting {
        key: String,
        value: String,
        origin: String,
        expected: String,
    },
    /// Basic data that is not a JSON object of the expected shape.
    #[error("invalid basic data ({origin}): {reason}")]
    InvalidBasicData { origin: String, reason: String },
    /// A file that exists but cannot be read, or a basic data file that does not exist.
    #[error("cannot read {}: {reason}", .path.display())]
    ReadFile { path: PathBuf, reason: String },
}

fn join_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "any profile file (there is no home directory, and neither \
                AWS_SHARED_CREDENTIALS_FILE nor AWS_CONFIG_FILE is set)"
            .to_owned();
    }
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(" or ")
}

// ------------------------------------------------------------------------------------------------
// Environment
// ------------------------------------------------------------------------------------------------

impl Environment {
    /// The current process's variables (those that are valid Unicode) and home directory
    /// (`HOME`, else `USERPROFILE`, else `HOMEDRIVE` + `HOMEPATH`).
    pub fn from_process() -> Self {
        let vars: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let home = home_from_vars(&vars);
        Environment { vars, home }
    }

    /// An environment made of the given variables and home directory.
    pub fn from_vars<I, K, V>(vars: I, home: Option<PathBuf>) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            home,
        }
    }

    /// A variable's value, trimmed; `None` when it is unset or blank (the AWS tools treat an empty
    /// variable as unset).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The home directory, where `~/.aws/` is looked for.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }
}

fn home_from_vars(vars: &HashMap<String, String>) -> Option<PathBuf> {
    let get = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty());
    if let Some(home) = get("HOME").or_else(|| get("USERPROFILE")) {
        return Some(PathBuf::from(home));
    }
    match (get("HOMEDRIVE"), get("HOMEPATH")) {
        (Some(drive), Some(path)) => Some(PathBuf::from(format!("{drive}{path}"))),
        _ => None,
    }
}

/// Shows variable names only: values may be secrets.
impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Environment")
            .field("vars", &names)
            .field("home", &self.home)
            .finish()
    }
}

// ------------------------------------------------------------------------------------------------
// ResolvedConfig
// ------------------------------------------------------------------------------------------------

impl ResolvedConfig {
    /// Whether requests for `bucket` go virtual-hosted: the addressing style says so and the name
    /// fits a host name under this endpoint ([`bucket_fits_virtual_host`] with the endpoint's
    /// scheme).
    pub fn uses_virtual_host(&self, bucket: &str) -> bool {
        self.addressing == Addressing::VirtualHosted
            && bucket_fits_virtual_host(bucket, self.endpoint.scheme() == "https")
    }
}

impl fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Creds<'a>(&'a Credentials);
        impl fmt::Debug for Creds<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Credentials")
                    .field("access_key_id", &self.0.access_key_id)
                    .field("secret_access_key", &"***")
                    .field(
                        "session_token",
                        &self.0.session_token.as_ref().map(|_| "***"),
                    )
                    .finish()
            }
        }
        f.debug_struct("ResolvedConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .field("credentials", &self.credentials.as_ref().map(Creds))
            .field("addressing", &self.addressing)
            .field("service", &self.service)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

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

// ------------------------------------------------------------------------------------------------
// Resolution
// ------------------------------------------------------------------------------------------------

/// Resolves the configuration from the explicit inputs and a snapshot of the environment, reading
/// the profile files it points at. See the module documentation for the precedence.
pub fn resolve(inputs: &ConfigInputs, env: &Environment) -> Result<ResolvedConfig, ConfigError> {
    let flag_profile = non_empty(inputs.profile.as_deref());
    let (profile_name, profile_named) = match flag_profile.or_else(|| env.var("AWS_PROFILE")) {
        Some(name) => (name, true),
        None => ("default", false),
    };
    let files = ProfileFiles::load(env)?;
    let profile = files.profile(profile_name);
    if profile_named && profile.sources.is_empty() {
        return Err(ConfigError::ProfileNotFound {
            profile: profile_name.to_owned(),
            searched: files.searched.clone(),
        });
    }
    let basic = inputs.basic_data.as_ref();

    let region = resolve_region(inputs, basic, env, &profile);
    let endpoint = resolve_endpoint(inputs, basic, env, &profile, &files, &region)?;
    let credentials = resolve_credentials(basic, env, &profile, flag_profile.is_some())?;
    let addressing = resolve_addressing(inputs, &profile, &endpoint)?;
    let service = basic
        .and_then(|b| non_empty(b.service.as_deref()))
        .unwrap_or(DEFAULT_SERVICE)
        .to_owned();
    let chunk_size = match basic.and_then(|b| b.chunk_size) {
        Some(bytes) => Some(bytes),
        None => match profile.nested("s3", "multipart_chunksize") {
            Some((value, path)) => Some(parse_size(value).ok_or_else(|| {
                ConfigError::InvalidSetting {
                    key: "multipart_chunksize".to_owned(),
                    value: value.to_owned(),
                    origin: profile.origin(path),
                    expected: "a size in bytes, optionally with KB, MB, GB or TB (powers of 1024)"
                        .to_owned(),
                }
            })?),
            None => None,
        },
    };

    let max_attempts = match env
        .var("AWS_MAX_ATTEMPTS")
        .map(|v| (v, "AWS_MAX_ATTEMPTS".to_owned()))
        .or_else(|| {
            profile
                .text("max_attempts")
                .map(|(v, path)| (v, profile.origin(path)))
        }) {
        Some((value, origin)) => Some(value.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(
            || ConfigError::InvalidSetting {
                key: "max_attempts".to_owned(),
                value: value.to_owned(),
                origin,
                expected: "a whole number of attempts, 1 or more".to_owned(),
            },
        )?),
        None => None,
    };
    let retry_mode = env
        .var("AWS_RETRY_MODE")
        .or_else(|| profile.text("retry_mode").map(|(v, _)| v))
        .map(str::to_owned);

    Ok(ResolvedConfig {
        endpoint,
        region: region.value,
        credentials,
        addressing,
        service,
        chunk_size,
        max_attempts,
        retry_mode,
    })
}

/// A value and where it came from, for error messages.
struct Sourced {
    value: String,
    origin: String,
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn resolve_region(
    inputs: &ConfigInputs,
    basic: Option<&BasicData>,
    env: &Environment,
    profile: &Profile,
) -> Sourced {
    let sourced = |value: &str, origin: &str| Sourced {
        value: value.to_owned(),
        origin: origin.to_owned(),
    };
    if let Some(region) = non_empty(inputs.region.as_deref()) {
        return sourced(region, "--region");
    }
    if let Some(region) = basic.and_then(|b| non_empty(b.region.as_deref())) {
        return sourced(region, "basic data Region");
    }
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = env.var(name) {
            return sourced(region, name);
        }
    }
    if let Some((region, path)) = profile.text("region") {
        return sourced(region, &profile.origin(path));
    }
    sourced(DEFAULT_REGION, "the default region")
}

fn resolve_endpoint(
    inputs: &ConfigInputs,
    basic: Option<&BasicData>,
    env: &Environment,
    profile: &Profile,
    files: &ProfileFiles,
    region: &Sourced,
) -> Result<Url, ConfigError> {
    if let Some(url) = non_empty(inputs.endpoint_url.as_deref()) {
        return parse_endpoint(url, "--endpoint-url", false);
    }
    if let Some(url) = basic.and_then(|b| non_empty(b.url.as_deref())) {
        return parse_endpoint(url, "basic data URL", true);
    }
    let ignore_configured = match env.var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(value) => value.eq_ignore_ascii_case("true"),
        None => profile
            .text("ignore_configured_endpoint_urls")
            .is_some_and(|(value, _)| value.eq_ignore_ascii_case("true")),
    };
    if !ignore_configured {
        for name in ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] {
            if let Some(url) = env.var(name) {
                return parse_endpoint(url, name, false);
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
                return parse_endpoint(url, &origin, false);
            }
        }
        // The profile's own `s3 =` block, as the awscli-plugin-endpoint plugin reads it (many
        // MinIO and Wasabi guides set the endpoint this way).
        if let Some((url, path)) = profile.nested("s3", "endpoint_url") {
            return parse_endpoint(url, &profile.origin(path), false);
        }
        if let Some((url, path)) = profile.text("endpoint_url") {
            return parse_endpoint(url, &profile.origin(path), false);
        }
    }
    aws_endpoint(region)
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
    let domain = if name.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
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
fn redact_userinfo(value: &str) -> String {
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

fn resolve_credentials(
    basic: Option<&BasicData>,
    env: &Environment,
    profile: &Profile,
    explicit_profile: bool,
) -> Result<Option<Credentials>, ConfigError> {
    if let Some(basic) = basic {
        let secret = basic
            .secret_key
            .as_ref()
            .map(Secret::expose)
            .filter(|s| !s.trim().is_empty());
        let pair = key_pair(
            non_empty(basic.access_key.as_deref()),
            secret,
            None,
            ("AccessKey", "SecretKey"),
            "basic data",
        )?;
        if pair.is_some() {
            return Ok(pair);
        }
    }
    // An explicitly named profile switches the environment's keys off; AWS_PROFILE does not
    // (botocore's create_credential_resolver removes its EnvProvider only for `--profile`).
    if !explicit_profile {
        let token = env
            .var("AWS_SESSION_TOKEN")
            .or_else(|| env.var("AWS_SECURITY_TOKEN"));
        let pair = key_pair(
            env.var("AWS_ACCESS_KEY_ID"),
            env.var("AWS_SECRET_ACCESS_KEY"),
            token,
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
            "the environment",
        )?;
        if pair.is_some() {
            return Ok(pair);
        }
    }
    // Each file on its own, the credentials file first, as botocore's SharedCredentialProvider
    // comes before its ConfigProvider.
    for source in &profile.sources {
        let text = |key: &str| match source.section.get(key) {
            Some(IniValue::Text(v)) if !v.is_empty() => Some(v.as_str()),
            _ => None,
        };
        let pair = key_pair(
            text("aws_access_key_id"),
            text("aws_secret_access_key"),
            text("aws_session_token").or_else(|| text("aws_security_token")),
            ("aws_access_key_id", "aws_secret_access_key"),
            &profile.origin(&source.path),
        )?;
        if pair.is_some() {
            return Ok(pair);
        }
    }
    Ok(None)
}

fn key_pair(
    access: Option<&str>,
    secret: Option<&str>,
    token: Option<&str>,
    (access_name, secret_name): (&str, &str),
    origin: &str,
) -> Result<Option<Credentials>, ConfigError> {
    let incomplete = |present: &str, missing: &str| ConfigError::IncompleteCredentials {
        origin: origin.to_owned(),
        present: present.to_owned(),
        missing: missing.to_owned(),
    };
    match (access, secret) {
        (Some(access), Some(secret)) => Ok(Some(Credentials {
            access_key_id: access.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        })),
        (Some(_), None) => Err(incomplete(access_name, secret_name)),
        (None, Some(_)) => Err(incomplete(secret_name, access_name)),
        (None, None) => Ok(None),
    }
}

fn resolve_addressing(
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

/// A size as the AWS CLI's `multipart_chunksize` takes it: bytes, or a number with `KB`, `MB`,
/// `GB`, `TB` (or `KiB`... `TiB`), all powers of 1024.
/// A size in bytes, with an optional unit: `1048576`, `8MiB`, `16M`, `5MB`, `1g`. Every unit is a
/// power of 1024, as the AWS CLI reads `multipart_chunksize` (`8MB` is 8 MiB).
pub fn parse_size(value: &str) -> Option<u64> {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let units: [(&str, u64); 13] = [
        ("kib", 1 << 10),
        ("mib", 1 << 20),
        ("gib", 1 << 30),
        ("tib", 1 << 40),
        ("kb", 1 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("tb", 1 << 40),
        ("k", 1 << 10),
        ("m", 1 << 20),
        ("g", 1 << 30),
        ("t", 1 << 40),
        ("b", 1),
    ];
    let (number, factor) = units
        .iter()
        .find_map(|(suffix, factor)| lower.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((lower.as_str(), 1));
    let number = number.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(factor)
        .filter(|n| *n > 0)
}

// ------------------------------------------------------------------------------------------------
// Profile files
// ------------------------------------------------------------------------------------------------

/// One `key = value` of a section: plain text, or the indented block under `key =`.
#[derive(Clone)]
enum IniValue {
    Text(String),
    Nested(BTreeMap<String, String>),
}

type Section = BTreeMap<String, IniValue>;

struct IniFile {
    path: PathBuf,
    /// Sections in file order; a repeated header is a second entry (later keys win on lookup).
    sections: Vec<(String, Section)>,
}

struct ProfileFiles {
    credentials: Option<IniFile>,
    config: Option<IniFile>,
    searched: Vec<PathBuf>,
}

/// One file's view of a profile.
struct ProfileSource {
    path: PathBuf,
    section: Section,
}

/// A profile as found in the files: its credentials-file section first, then its config-file
/// section; `sources` is empty when neither file has it.
struct Profile {
    name: String,
    sources: Vec<ProfileSource>,
}

impl ProfileFiles {
    fn load(env: &Environment) -> Result<Self, ConfigError> {
        let locate = |var: &str, default: &str| -> Option<PathBuf> {
            match env.var(var) {
                Some(path) => Some(expand_home(path, env.home())),
                None => env.home().map(|home| home.join(".aws").join(default)),
            }
        };
        let credentials_path = locate("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let config_path = locate("AWS_CONFIG_FILE", "config");
        let searched: Vec<PathBuf> = credentials_path
            .iter()
            .chain(config_path.iter())
            .cloned()
            .collect();
        Ok(ProfileFiles {
            credentials: credentials_path.map(read_ini).transpose()?.flatten(),
            config: config_path.map(read_ini).transpose()?.flatten(),
            searched,
        })
    }

    fn profile(&self, name: &str) -> Profile {
        let mut sources = Vec::new();
        if let Some(file) = &self.credentials {
            if let Some(section) = merged(file, |header| header == name) {
                sources.push(ProfileSource {
                    path: file.path.clone(),
                    section,
                });
            }
        }
        if let Some(file) = &self.config {
            let matches = |header: &str| config_profile_name(header).as_deref() == Some(name);
            if let Some(section) = merged(file, matches) {
                sources.push(ProfileSource {
                    path: file.path.clone(),
                    section,
                });
            }
        }
        Profile {
            name: name.to_owned(),
            sources,
        }
    }

    /// The `[services NAME]` section of the config file, as a one-source profile.
    fn services(&self, name: &str) -> Option<Profile> {
        let file = self.config.as_ref()?;
        let section = merged(file, |header| {
            let mut words = header.split_whitespace();
            words.next() == Some("services") && words.next().map(unquote) == Some(name)
        })?;
        Some(Profile {
            name: name.to_owned(),
            sources: vec![ProfileSource {
                path: file.path.clone(),
                section,
            }],
        })
    }
}

/// The sections whose header matches, merged in file order (later keys win).
fn merged(file: &IniFile, matches: impl Fn(&str) -> bool) -> Option<Section> {
    let mut found: Option<Section> = None;
    for (header, section) in &file.sections {
        if matches(header) {
            found
                .get_or_insert_with(Section::new)
                .extend(section.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    found
}

/// `[default]` and `[profile NAME]` (the name may be quoted) are profiles in the config file; any
/// other section there (`[services x]`, `[sso-session x]`, a bare `[x]`) is not.
fn config_profile_name(header: &str) -> Option<String> {
    if header == "default" {
        return Some("default".to_owned());
    }
    let rest = header.strip_prefix("profile")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let name = unquote(rest.trim());
    (!name.is_empty()).then(|| name.to_owned())
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

impl Profile {
    /// A plain value: from the credentials file when it has the key, else from the config file.
    fn text(&self, key: &str) -> Option<(&str, &Path)> {
        self.sources
            .iter()
            .find_map(|source| match source.section.get(key) {
                Some(IniValue::Text(value)) if !value.is_empty() => {
                    Some((value.as_str(), source.path.as_path()))
                }
                _ => None,
            })
    }

    /// A value inside a `key =` block, such as `s3 = addressing_style`.
    fn nested(&self, key: &str, sub_key: &str) -> Option<(&str, &Path)> {
        self.sources
            .iter()
            .find_map(|source| match source.section.get(key) {
                Some(IniValue::Nested(block)) => block
                    .get(sub_key)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v.as_str(), source.path.as_path())),
                _ => None,
            })
    }

    fn origin(&self, path: &Path) -> String {
        format!("profile `{}` in {}", self.name, path.display())
    }
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with(['/', '\\']) => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}

/// Reads and parses a profile file; a missing file is `None`, an unreadable one an error.
fn read_ini(path: PathBuf) -> Result<Option<IniFile>, ConfigError> {
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(IniFile {
            sections: parse_ini(&String::from_utf8_lossy(&bytes)),
            path,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::ReadFile {
            reason: e.to_string(),
            path,
        }),
    }
}

/// A forgiving parser for the AWS shared config format: `[section]` headers, `key = value` (or
/// `key: value`) lines with keys lower-cased, full-line comments starting with `#` or `;`, inline
/// comments where `#` or `;` follows whitespace, and nested blocks: a `key =` with no value
/// followed by indented `sub_key = value` lines. Lines it cannot make sense of are skipped; it
/// never fails.
fn parse_ini(text: &str) -> Vec<(String, Section)> {
    let mut sections: Vec<(String, Section)> = Vec::new();
    // Whether the last header was well formed: keys after a broken header belong to no section.
    let mut in_section = false;
    let mut open_block: Option<String> = None;
    for raw in text.trim_start_matches('\u{feff}').lines() {
        let line = raw.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content.starts_with(';') {
            continue;
        }
        let indented = content.len() != line.len();
        if indented {
            if let (true, Some(block_key), Some((_, section))) =
                (in_section, open_block.as_ref(), sections.last_mut())
            {
                if let (Some((key, value)), Some(IniValue::Nested(block))) =
                    (split_key_value(content), section.get_mut(block_key))
                {
                    block.insert(key, value);
                }
            }
            // Other indented lines continue a value in configparser; no key read here needs that.
            continue;
        }
        open_block = None;
        if let Some(header) = content.strip_prefix('[') {
            in_section = false;
            if let Some(end) = header.find(']') {
                let name = header[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !name.is_empty() {
                    sections.push((name, Section::new()));
                    in_section = true;
                }
            }
            continue;
        }
        let (true, Some((_, section))) = (in_section, sections.last_mut()) else {
            continue;
        };
        let Some((key, value)) = split_key_value(content) else {
            continue;
        };
        if value.is_empty() {
            section.insert(key.clone(), IniValue::Nested(BTreeMap::new()));
            open_block = Some(key);
        } else {
            section.insert(key, IniValue::Text(value));
        }
    }
    sections
}

fn split_key_value(line: &str) -> Option<(String, String)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim().to_ascii_lowercase();
    if key.is_empty() {
        return None;
    }
    let value = strip_inline_comment(&line[at + 1..]).trim();
    Some((key, value.to_owned()))
}

/// Cuts the value at a `#` or `;` that follows whitespace (the whitespace after the delimiter
/// counts, so `key = ; note` is empty).
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &value[..i];
        }
    }
    value
}

// ------------------------------------------------------------------------------------------------
// Basic data
// ------------------------------------------------------------------------------------------------

impl BasicData {
    /// The structure `GetBasicDataStructure(URL, AccessKey, SecretKey, Region, Service)` builds.
    pub fn new(
        url: impl Into<String>,
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        let some = |s: String| (!s.is_empty()).then_some(s);
        let secret_key: Secret = secret_key.into();
        BasicData {
            url: some(url.into()),
            access_key: some(access_key.into()),
            secret_key: (!secret_key.expose().is_empty()).then_some(secret_key),
            region: some(region.into()),
            service: some(service.into()),
            chunk_size: None,
        }
    }

    /// The same with `ChunkSize` set.
    pub fn with_chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Reads basic data the way `oint`'s `--basic` takes it: text starting with `{` (or `[`) is the
    /// JSON itself, anything else is the path of a JSON file. Both may use the single-quoted form that
    /// OpenIntegrations' documentation prints (`{'URL':'...','AccessKey':'...'}`).
    pub fn load(arg: &str) -> Result<BasicData, ConfigError> {
        let text = arg.trim_start_matches('\u{feff}').trim();
        if text.starts_with(['{', '[']) {
            return parse_basic_data(text, "inline JSON");
        }
        let path = Path::new(text);
        match std::fs::read(path) {
            Ok(bytes) => parse_basic_data(
                &String::from_utf8_lossy(&bytes),
                &format!("file {}", path.display()),
            ),
            Err(e) => Err(ConfigError::ReadFile {
                path: path.to_path_buf(),
                reason: if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file (basic data is the path of a JSON file, or the JSON itself)"
                        .to_owned()
                } else {
                    e.to_string()
                },
            }),
        }
    }

    /// Parses basic data from JSON text (or its single-quoted form).
    pub fn parse(text: &str) -> Result<BasicData, ConfigError> {
        parse_basic_data(text, "inline JSON")
    }

    /// The JSON `oint s3 GetBasicDataStructure` prints, keys in its order; `Service` is always
    /// written. The secret key is written in clear: this is the user's own credentials file, like
    /// `~/.aws/credentials`, and the only place this module prints a secret.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
            url: Option<&'a str>,
            #[serde(rename = "AccessKey", skip_serializing_if = "Option::is_none")]
            access_key: Option<&'a str>,
            #[serde(rename = "SecretKey", skip_serializing_if = "Option::is_none")]
            secret_key: Option<&'a str>,
            #[serde(rename = "Region", skip_serializing_if = "Option::is_none")]
            region: Option<&'a str>,
            #[serde(rename = "Service")]
            service: &'a str,
            #[serde(rename = "ChunkSize", skip_serializing_if = "Option::is_none")]
            chunk_size: Option<u64>,
        }
        let json = Json {
            url: self.url.as_deref(),
            access_key: self.access_key.as_deref(),
            secret_key: self.secret_key.as_ref().map(Secret::expose),
            region: self.region.as_deref(),
            service: self.service.as_deref().unwrap_or(DEFAULT_SERVICE),
            chunk_size: self.chunk_size,
        };
        // Serialising a struct of strings and integers into a String cannot fail.
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }
}

fn parse_basic_data(text: &str, origin: &str) -> Result<BasicData, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBasicData {
        origin: origin.to_owned(),
        reason,
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => match swap_single_quotes(text).and_then(|t| serde_json::from_str(&t).ok()) {
            Some(value) => value,
            None => return Err(invalid(describe_json_error(&error))),
        },
    };
    let serde_json::Value::Object(object) = value else {
        return Err(invalid(
            "expected a JSON object with the keys URL, AccessKey, SecretKey, Region and Service"
                .to_owned(),
        ));
    };
    let field = |name: &str| {
        object.get(name).or_else(|| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    // Never echo a value: the one that is wrong may be the secret.
    let string = |name: &str| -> Result<Option<String>, ConfigError> {
        match field(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(non_empty(Some(s)).map(str::to_owned)),
            Some(_) => Err(invalid(format!("`{name}` must be a string"))),
        }
    };
    let chunk_size = match field("ChunkSize") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let bytes = match value {
                serde_json::Value::Number(n) => n.as_u64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < u64::MAX as f64)
                        .map(|f| f as u64)
                }),
                serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            match bytes {
                Some(bytes) if bytes > 0 => Some(bytes),
                _ => {
                    return Err(invalid(
                        "`ChunkSize` must be a positive whole number of bytes".to_owned(),
                    ))
                }
            }
        }
    };
    Ok(BasicData {
        url: string("URL")?,
        access_key: string("AccessKey")?,
        secret_key: string("SecretKey")?.map(Secret::new),
        region: string("Region")?,
        service: string("Service")?,
        chunk_size,
    })
}

/// Describes a JSON syntax error by position only: serde_json's own messages are position-only
/// for syntax errors too, but this keeps any future message that quotes input out of our errors.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Eof => "the text ends too early",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Io => "read error",
    };
    format!(
        "not valid JSON: {what} at line {}, column {}",
        error.line(),
        error.column()
    )
}

/// Turns the single-quoted form (`{'URL':'host','AccessKey':'AK'}`) into JSON: single quotes
/// outside double-quoted strings become double quotes, a `"` inside a single-quoted string is
/// escaped, `\'` becomes `'`, and a backslash that starts no JSON escape is doubled. Text inside
/// double-quoted strings is left alone. `None` when there is nothing to swap or the quotes do not
/// balance.
fn swap_single_quotes(text: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum State {
        Outside,
        Double,
        Single,
    }
    if !text.contains('\'') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut state = State::Outside;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Outside => {
                match c {
                    '\'' => {
                        out.push('"');
                        state = State::Single;
                        continue;
                    }
                    '"' => state = State::Double,
                    _ => {}
                }
                out.push(c);
            }
            State::Double => {
                out.push(c);
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => state = State::Outside,
                    _ => {}
                }
            }
            State::Single => match c {
                '\'' => {
                    out.push('"');
                    state = State::Outside;
                }
                '"' => out.push_str("\\\""),
                '\\' => match chars.next() {
                    Some('\'') => out.push('\''),
                    Some(n)
                        if matches!(n, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u') =>
                    {
                        out.push('\\');
                        out.push(n);
                    }
                    Some(n) => {
                        out.push_str("\\\\");
                        out.push(n);
                    }
                    None => out.push_str("\\\\"),
                },
                _ => out.push(c),
            },
        }
    }
    (state == State::Outside).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET";
    const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDzzTOKEN";

    /// A scratch directory under the system temp dir, removed on drop. It doubles as `$HOME`.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "s3op-config-test-{}-{n}-{name}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }

        fn path(&self) -> &Path {
            &self.0
        }

        fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("create parent");
            }
            fs::write(&path, contents).expect("write file");
            path
        }

        fn credentials(&self, contents: &str) -> PathBuf {
            self.write(".aws/credentials", contents)
        }

        fn config(&self, contents: &str) -> PathBuf {
            self.write(".aws/config", contents)
        }

        fn env(&self, vars: &[(&str, &str)]) -> Environment {
            Environment::from_vars(
                vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
                Some(self.0.clone()),
            )
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn ok(inputs: &ConfigInputs, env: &Environment) -> ResolvedConfig {
        match resolve(inputs, env) {
            Ok(config) => config,
            Err(e) => panic!("resolve failed: {e}"),
        }
    }

    fn err(inputs: &ConfigInputs, env: &Environment) -> ConfigError {
        match resolve(inputs, env) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(e) => e,
        }
    }

    fn no_inputs() -> ConfigInputs {
        ConfigInputs::default()
    }

    fn keys(config: &ResolvedConfig) -> Option<(String, String, Option<String>)> {
        config.credentials.as_ref().map(|c| {
            (
                c.access_key_id.clone(),
                c.secret_access_key.expose().to_owned(),
                c.session_token.as_ref().map(|t| t.expose().to_owned()),
            )
        })
    }

    fn access_key(config: &ResolvedConfig) -> Option<String> {
        config.credentials.as_ref().map(|c| c.access_key_id.clone())
    }

    fn basic(url: &str) -> BasicData {
        BasicData::new(url, "BASICAK", SECRET, "BTC", "s3")
    }

    // ---- defaults --------------------------------------------------------------------------

    #[test]
    fn empty_environment_gives_aws_defaults() {
        let home = TempDir::new("defaults");
        let config = ok(&no_inputs(), &home.env(&[]));
        assert_eq!(config.region, "us-east-1");
        assert_eq!(
            config.endpoint.as_str(),
            "https://s3.us-east-1.amazonaws.com/"
        );
        assert!(config.credentials.is_none());
        assert_eq!(config.addressing, Addressing::VirtualHosted);
        assert_eq!(config.service, "s3");
        assert_eq!(config.chunk_size, None);
    }

    #[test]
    fn no_home_and_no_files_is_fine() {
        let env = Environment::from_vars(Vec::<(String, String)>::new(), None);
        let config = ok(&no_inputs(), &env);
        assert_eq!(config.region, "us-east-1");
        assert!(config.credentials.is_none());
    }

    #[test]
    fn regional_endpoint_follows_region_including_china() {
        let home = TempDir::new("regional");
        let config = ok(&no_inputs(), &home.env(&[("AWS_REGION", "eu-west-3")]));
        assert_eq!(
            config.endpoint.as_str(),
            "https://s3.eu-west-3.amazonaws.com/"
        );
        let config = ok(&no_inputs(), &home.env(&[("AWS_REGION", "cn-north-1")]));
        assert_eq!(
            config.endpoint.as_str(),
            "https://s3.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(config.addressing, Addressing::VirtualHosted);
    }

    #[test]
    fn region_unfit_for_a_host_name_is_an_error_only_without_endpoint() {
        let home = TempDir::new("badregion");
        let env = home.env(&[("AWS_REGION", "us east/1")]);
        let e = err(&no_inputs(), &env);
        assert!(matches!(e, ConfigError::InvalidSetting { ref key, .. } if key == "region"));
        assert!(e.to_string().contains("AWS_REGION"), "{e}");
        let inputs = ConfigInputs {
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            ..no_inputs()
        };
        assert_eq!(ok(&inputs, &env).region, "us east/1");
    }

    // ---- region precedence -----------------------------------------------------------------

    #[test]
    fn region_precedence_walks_every_source() {
        let home = TempDir::new("region");
        home.config("[default]\nregion = profile-region\n");
        let all = [
            ("AWS_REGION", "aws-region"),
            ("AWS_DEFAULT_REGION", "aws-default-region"),
        ];
        let mut inputs = ConfigInputs {
            region: Some("flag-region".into()),
            basic_data: Some(basic("http://127.0.0.1:9000")),
            ..no_inputs()
        };
        assert_eq!(ok(&inputs, &home.env(&all)).region, "flag-region");
        inputs.region = None;
        assert_eq!(ok(&inputs, &home.env(&all)).region, "BTC");
        inputs.basic_data = Some(BasicData {
            region: None,
            ..basic("http://127.0.0.1:9000")
        });
        assert_eq!(ok(&inputs, &home.env(&all)).region, "aws-region");
        assert_eq!(
            ok(&inputs, &home.env(&all[1..])).region,
            "aws-default-region"
        );
        assert_eq!(ok(&inputs, &home.env(&[])).region, "profile-region");
        fs::remove_file(home.path().join(".aws/config")).unwrap();
        assert_eq!(ok(&inputs, &home.env(&[])).region, "us-east-1");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let home = TempDir::new("blank");
        let env = home.env(&[
            ("AWS_REGION", "  "),
            ("AWS_DEFAULT_REGION", "eu-central-1"),
            ("AWS_PROFILE", ""),
            ("AWS_ACCESS_KEY_ID", ""),
        ]);
        let inputs = ConfigInputs {
            region: Some("".into()),
            profile: Some(" ".into()),
            endpoint_url: Some("".into()),
            ..no_inputs()
        };
        let config = ok(&inputs, &env);
        assert_eq!(config.region, "eu-central-1");
        assert!(config.credentials.is_none());
        assert_eq!(
            config.endpoint.as_str(),
            "https://s3.eu-central-1.amazonaws.com/"
        );
    }

    // ---- endpoint precedence ---------------------------------------------------------------

    #[test]
    fn endpoint_precedence_walks_every_source() {
        let home = TempDir::new("endpoint");
        home.config(
            "[default]\nendpoint_url = http://profile:1\nservices = local\n\n\
             [services local]\ns3 =\n  endpoint_url = http://services:2\n",
        );
        let all = [
            ("AWS_ENDPOINT_URL_S3", "http://env-s3:3"),
            ("AWS_ENDPOINT_URL", "http://env-global:4"),
        ];
        let mut inputs = ConfigInputs {
            endpoint_url: Some("http://flag:5".into()),
            basic_data: Some(basic("http://basic:6")),
            ..no_inputs()
        };
        let host = |inputs: &ConfigInputs, vars: &[(&str, &str)]| {
            ok(inputs, &home.env(vars)).endpoint.as_str().to_owned()
        };
        assert_eq!(host(&inputs, &all), "http://flag:5/");
        inputs.endpoint_url = None;
        assert_eq!(host(&inputs, &all), "http://basic:6/");
        inputs.basic_data = None;
        assert_eq!(host(&inputs, &all), "http://env-s3:3/");
        assert_eq!(host(&inputs, &all[1..]), "http://env-global:4/");
        assert_eq!(host(&inputs, &[]), "http://services:2/");
        home.config(
            "[default]\nendpoint_url = http://profile:1\ns3 =\n  endpoint_url = http://profile-s3:7\n",
        );
        assert_eq!(host(&inputs, &[]), "http://profile-s3:7/");
        home.config("[default]\nendpoint_url = http://profile:1\n");
        assert_eq!(host(&inputs, &[]), "http://profile:1/");
        home.config("[default]\n");
        assert_eq!(host(&inputs, &[]), "https://s3.us-east-1.amazonaws.com/");
    }

    #[test]
    fn ignore_configured_endpoint_urls_skips_env_and_profile_only() {
        let home = TempDir::new("ignore");
        home.config("[default]\nendpoint_url = http://profile:1\n");
        let env = home.env(&[
            ("AWS_ENDPOINT_URL_S3", "http://env:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        assert_eq!(
            ok(&no_inputs(), &env).endpoint.as_str(),
            "https://s3.eu-west-1.amazonaws.com/"
        );
        let flagged = ConfigInputs {
            endpoint_url: Some("http://flag:3".into()),
            ..no_inputs()
        };
        assert_eq!(ok(&flagged, &env).endpoint.as_str(), "http://flag:3/");
        let with_basic = ConfigInputs {
            basic_data: Some(basic("basic.example:4")),
            ..no_inputs()
        };
        assert_eq!(
            ok(&with_basic, &env).endpoint.as_str(),
            "https://basic.example:4/"
        );
    }

    #[test]
    fn ignore_configured_endpoint_urls_from_profile_and_env_override() {
        let home = TempDir::new("ignore-profile");
        home.config(
            "[default]\nendpoint_url = http://profile:1\nignore_configured_endpoint_urls = true\n",
        );
        let config = ok(&no_inputs(), &home.env(&[]));
        assert_eq!(
            config.endpoint.as_str(),
            "https://s3.us-east-1.amazonaws.com/"
        );
        let env = home.env(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")]);
        assert_eq!(
            ok(&no_inputs(), &env).endpoint.as_str(),
            "http://profile:1/"
        );
    }

    #[test]
    fn services_section_named_by_a_profile() {
        let home = TempDir::new("services");
        let config_path = home.config(
            "[profile dev]\nservices = my-local\nregion = garage\n\
             [services my-local]\nsts =\n  endpoint_url = http://sts:1\ns3 =\n  endpoint_url = http://localhost:3900\n",
        );
        let inputs = ConfigInputs {
            profile: Some("dev".into()),
            ..no_inputs()
        };
        let config = ok(&inputs, &home.env(&[]));
        assert_eq!(config.endpoint.as_str(), "http://localhost:3900/");
        assert_eq!(config.region, "garage");
        assert_eq!(config.addressing, Addressing::Path);

        home.config("[profile dev]\nservices = missing\n");
        let e = err(&inputs, &home.env(&[]));
        assert!(matches!(e, ConfigError::ServicesNotFound { .. }), "{e:?}");
        let message = e.to_string();
        assert!(
            message.contains("missing") && message.contains(&config_path.display().to_string())
        );

        // A services section without an s3 block falls through to the profile's endpoint_url.
        home.config(
            "[profile dev]\nservices = other\nendpoint_url = http://profile:9\n[services other]\nsqs =\n  endpoint_url = http://sqs:1\n",
        );
        assert_eq!(
            ok(&inputs, &home.env(&[])).endpoint.as_str(),
            "http://profile:9/"
        );
    }

    // ---- endpoint validation ---------------------------------------------------------------

    fn endpoint_error(inputs: &ConfigInputs, env: &Environment) -> (String, String, String) {
        match err(inputs, env) {
            ConfigError::InvalidEndpoint {
                origin,
                value,
                reason,
            } => (origin, value, reason),
            other => panic!("expected InvalidEndpoint, got {other:?}"),
        }
    }

    #[test]
    fn endpoint_validation_names_the_source_and_value() {
        let home = TempDir::new("validate");
        let env = home.env(&[]);
        let flag = |value: &str| ConfigInputs {
            endpoint_url: Some(value.into()),
            ..no_inputs()
        };
        for bad in [
            "localhost:9000",
            "ftp://host",
            "http://",
            "https://exa mple.com",
            "http://host:99999",
            "s3://bucket",
            "http://host/?x=1",
            "http://host/#frag",
        ] {
            let (origin, value, reason) = endpoint_error(&flag(bad), &env);
            assert_eq!(origin, "--endpoint-url", "{bad}");
            assert_eq!(value, bad);
            assert!(!reason.is_empty());
            let message = err(&flag(bad), &env).to_string();
            assert!(
                message.contains(bad) && message.contains("--endpoint-url"),
                "{message}"
            );
        }
        let (_, _, reason) = endpoint_error(&flag("localhost:9000"), &env);
        assert!(reason.contains("scheme"), "{reason}");

        let env = home.env(&[("AWS_ENDPOINT_URL", "not a url")]);
        let (origin, value, _) = endpoint_error(&no_inputs(), &env);
        assert_eq!(
            (origin.as_str(), value.as_str()),
            ("AWS_ENDPOINT_URL", "not a url")
        );

        let env = home.env(&[("AWS_ENDPOINT_URL_S3", "gopher://x")]);
        assert_eq!(endpoint_error(&no_inputs(), &env).0, "AWS_ENDPOINT_URL_S3");

        let config_path = home.config("[default]\nendpoint_url = minio:9000\n");
        let (origin, value, _) = endpoint_error(&no_inputs(), &home.env(&[]));
        assert!(origin.contains("profile `default`"), "{origin}");
        assert!(
            origin.contains(&config_path.display().to_string()),
            "{origin}"
        );
        assert_eq!(value, "minio:9000");

        let basic_bad = ConfigInputs {
            basic_data: Some(basic("http://")),
            ..no_inputs()
        };
        assert_eq!(
            endpoint_error(&basic_bad, &home.env(&[])).0,
            "basic data URL"
        );
    }

    #[test]
    fn endpoint_with_user_info_is_refused_and_redacted() {
        let home = TempDir::new("userinfo");
        let value = format!("http://admin:{SECRET}@127.0.0.1:9000/");
        let inputs = ConfigInputs {
            endpoint_url: Some(value),
            ..no_inputs()
        };
        let e = err(&inputs, &home.env(&[]));
        assert!(
            matches!(&e, ConfigError::InvalidEndpoint { reason, .. } if reason.contains("user name")),
            "{e:?}"
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("http://***@127.0.0.1:9000/"), "{shown}");
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

    #[test]
    fn endpoint_normalisation_keeps_port_and_base_path() {
        let home = TempDir::new("normalise");
        let env = home.env(&[]);
        let flag = |value: &str| ConfigInputs {
            endpoint_url: Some(value.into()),
            ..no_inputs()
        };
        let cases = [
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/", "/"),
            ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/", "/"),
            (
                "HTTPS://MinIO.Example.COM",
                "https://minio.example.com/",
                "/",
            ),
            (
                "https://host/s3/prefix/",
                "https://host/s3/prefix",
                "/s3/prefix",
            ),
            ("http://[::1]:8014", "http://[::1]:8014/", "/"),
            ("  http://host:80  ", "http://host/", "/"),
        ];
        for (given, expected, path) in cases {
            let config = ok(&flag(given), &env);
            assert_eq!(config.endpoint.as_str(), expected, "{given}");
            assert_eq!(config.endpoint.path(), path, "{given}");
        }
    }

    // ---- profiles --------------------------------------------------------------------------

    #[test]
    fn profile_selection_flag_then_aws_profile_then_default() {
        let home = TempDir::new("select");
        home.credentials(
            "[default]\naws_access_key_id = DEFAULTAK\naws_secret_access_key = s1\n\
             [env-profile]\naws_access_key_id = ENVPROFAK\naws_secret_access_key = s2\n\
             [flag-profile]\naws_access_key_id = FLAGAK\naws_secret_access_key = s3\n",
        );
        let flag = ConfigInputs {
            profile: Some("flag-profile".into()),
            ..no_inputs()
        };
        let env = home.env(&[("AWS_PROFILE", "env-profile")]);
        assert_eq!(access_key(&ok(&flag, &env)).as_deref(), Some("FLAGAK"));
        assert_eq!(
            access_key(&ok(&no_inputs(), &env)).as_deref(),
            Some("ENVPROFAK")
        );
        assert_eq!(
            access_key(&ok(&no_inputs(), &home.env(&[]))).as_deref(),
            Some("DEFAULTAK")
        );
    }

    #[test]
    fn config_file_sections_profile_and_default() {
        let home = TempDir::new("sections");
        home.config(
            "[default]\nregion = default-region\n\
             [profile work]\nregion = work-region\naws_access_key_id = WORKAK\naws_secret_access_key = w\n\
             [bare]\nregion = bare-region\n\
             [profile \"quoted name\"]\nregion = quoted-region\n\
             [profile    spaced]\nregion = spaced-region\n",
        );
        let with = |name: &str| ConfigInputs {
            profile: Some(name.into()),
            ..no_inputs()
        };
        let env = home.env(&[]);
        assert_eq!(ok(&no_inputs(), &env).region, "default-region");
        let work = ok(&with("work"), &env);
        assert_eq!(work.region, "work-region");
        assert_eq!(access_key(&work).as_deref(), Some("WORKAK"));
        assert_eq!(ok(&with("quoted name"), &env).region, "quoted-region");
        assert_eq!(ok(&with("spaced"), &env).region, "spaced-region");
        // A bare [name] in the config file is not a profile (only [default] is).
        assert!(matches!(
            err(&with("bare"), &env),
            ConfigError::ProfileNotFound { .. }
        ));
    }

    #[test]
    fn profile_default_header_is_accepted_in_config() {
        let home = TempDir::new("profile-default");
        home.config("[profile default]\nregion = ap-south-1\n");
        assert_eq!(ok(&no_inputs(), &home.env(&[])).region, "ap-south-1");
    }

    #[test]
    fn credentials_file_wins_over_config_file() {
        let home = TempDir::new("cred-wins");
        home.credentials(
            "[work]\naws_access_key_id = CREDAK\naws_secret_access_key = credsecret\nregion = cred-region\n",
        );
        home.config(
            "[profile work]\naws_access_key_id = CONFAK\naws_secret_access_key = confsecret\n\
             region = conf-region\nendpoint_url = http://conf:1\n",
        );
        let inputs = ConfigInputs {
            profile: Some("work".into()),
            ..no_inputs()
        };
        let config = ok(&inputs, &home.env(&[]));
        assert_eq!(
            keys(&config),
            Some(("CREDAK".into(), "credsecret".into(), None))
        );
        assert_eq!(config.region, "cred-region");
        // Keys only in the config file still apply.
        assert_eq!(config.endpoint.as_str(), "http://conf:1/");
    }

    #[test]
    fn config_file_credentials_used_when_credentials_file_has_none() {
        let home = TempDir::new("conf-creds");
        home.credentials("[work]\nregion = r\n");
        home.config(
            "[profile work]\naws_access_key_id = CONFAK\naws_secret_access_key = confsecret\naws_session_token = conftoken\n",
        );
        let inputs = ConfigInputs {
            profile: Some("work".into()),
            ..no_inputs()
        };
        assert_eq!(
            keys(&ok(&inputs, &home.env(&[]))),
            Some((
                "CONFAK".into(),
                "confsecret".into(),
                Some("conftoken".into())
            ))
        );
    }

    #[test]
    fn named_profile_missing_everywhere_is_an_error_naming_the_files() {
        let home = TempDir::new("missing-profile");
        let creds =
            home.credentials("[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
        let config = home.path().join(".aws/config"); // does not exist
        let inputs = ConfigInputs {
            profile: Some("nope".into()),
            ..no_inputs()
        };
        let e = err(&inputs, &home.env(&[]));
        match &e {
            ConfigError::ProfileNotFound { profile, searched } => {
                assert_eq!(profile, "nope");
                assert_eq!(searched, &vec![creds.clone(), config.clone()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let message = e.to_string();
        assert!(message.contains("`nope`"));
        assert!(message.contains(&creds.display().to_string()));
        assert!(message.contains(&config.display().to_string()));

        // AWS_PROFILE names a profile just as explicitly (botocore raises ProfileNotFound too).
        let e = err(&no_inputs(), &home.env(&[("AWS_PROFILE", "nope")]));
        assert!(matches!(e, ConfigError::ProfileNotFound { .. }));
        // So does an explicit --profile default when no file has it.
        let empty = TempDir::new("missing-default");
        let inputs = ConfigInputs {
            profile: Some("default".into()),
            ..no_inputs()
        };
        assert!(matches!(
            err(&inputs, &empty.env(&[])),
            ConfigError::ProfileNotFound { .. }
        ));
    }

    #[test]
    fn profile_not_found_without_home_says_so() {
        let env = Environment::from_vars([("AWS_PROFILE", "x")], None);
        let message = err(&no_inputs(), &env).to_string();
        assert!(message.contains("no home directory"), "{message}");
    }

    #[test]
    fn missing_default_profile_or_files_is_not_an_error() {
        let home = TempDir::new("no-default");
        home.credentials("[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
        let config = ok(&no_inputs(), &home.env(&[]));
        assert!(config.credentials.is_none());
        let nothing = TempDir::new("no-files");
        assert!(ok(&no_inputs(), &nothing.env(&[])).credentials.is_none());
    }

    #[test]
    fn file_locations_from_environment_with_tilde() {
        let home = TempDir::new("locations");
        home.write(
            "elsewhere/creds.ini",
            "[default]\naws_access_key_id = MOVEDAK\naws_secret_access_key = m\n",
        );
        home.write("elsewhere/conf.ini", "[default]\nregion = moved-region\n");
        // The default locations hold other values that must not be read.
        home.credentials("[default]\naws_access_key_id = HOMEAK\naws_secret_access_key = h\n");
        home.config("[default]\nregion = home-region\n");
        let env = home.env(&[
            ("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds.ini"),
            (
                "AWS_CONFIG_FILE",
                home.path().join("elsewhere/conf.ini").to_str().unwrap(),
            ),
        ]);
        let config = ok(&no_inputs(), &env);
        assert_eq!(access_key(&config).as_deref(), Some("MOVEDAK"));
        assert_eq!(config.region, "moved-region");
    }

    #[test]
    fn unreadable_profile_file_is_an_error_naming_it() {
        let home = TempDir::new("unreadable");
        // A directory where the credentials file should be cannot be read as a file.
        fs::create_dir_all(home.path().join(".aws/credentials")).unwrap();
        let e = err(&no_inputs(), &home.env(&[]));
        match &e {
            ConfigError::ReadFile { path, .. } => {
                assert_eq!(path, &home.path().join(".aws/credentials"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    // ---- credentials -----------------------------------------------------------------------

    #[test]
    fn env_credentials_beat_default_profile_and_aws_profile() {
        let home = TempDir::new("env-creds");
        home.credentials(
            "[default]\naws_access_key_id = PROFAK\naws_secret_access_key = p\n\
             [other]\naws_access_key_id = OTHERAK\naws_secret_access_key = o\n",
        );
        let vars = [
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
        ];
        let config = ok(&no_inputs(), &home.env(&vars));
        assert_eq!(
            keys(&config),
            Some(("ENVAK".into(), SECRET.into(), Some(TOKEN.into())))
        );
        let mut with_profile = vars.to_vec();
        with_profile.push(("AWS_PROFILE", "other"));
        assert_eq!(
            access_key(&ok(&no_inputs(), &home.env(&with_profile))).as_deref(),
            Some("ENVAK")
        );
    }

    #[test]
    fn explicit_profile_switches_env_credentials_off() {
        let home = TempDir::new("explicit");
        home.credentials(
            "[other]\naws_access_key_id = OTHERAK\naws_secret_access_key = o\n[nocreds]\nregion = x\n",
        );
        let env = home.env(&[
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]);
        let other = ConfigInputs {
            profile: Some("other".into()),
            ..no_inputs()
        };
        assert_eq!(access_key(&ok(&other, &env)).as_deref(), Some("OTHERAK"));
        // A named profile without keys gives no credentials, not the environment's.
        let nocreds = ConfigInputs {
            profile: Some("nocreds".into()),
            ..no_inputs()
        };
        assert!(ok(&nocreds, &env).credentials.is_none());
        // And half a pair in the environment is then not an error either.
        let half = home.env(&[("AWS_ACCESS_KEY_ID", "ENVAK")]);
        assert_eq!(access_key(&ok(&other, &half)).as_deref(), Some("OTHERAK"));
    }

    #[test]
    fn basic_data_credentials_beat_environment_and_profile() {
        let home = TempDir::new("basic-creds");
        home.credentials("[default]\naws_access_key_id = PROFAK\naws_secret_access_key = p\n");
        let env = home.env(&[
            ("AWS_ACCESS_KEY_ID", "ENVAK"),
            ("AWS_SECRET_ACCESS_KEY", "e"),
        ]);
        let inputs = ConfigInputs {
            basic_data: Some(basic("http://127.0.0.1:9000")),
            ..no_inputs()
        };
        assert_eq!(
            keys(&ok(&inputs, &env)),
            Some(("BASICAK".into(), SECRET.into(), None))
        );
        // Basic data without keys leaves the other sources in charge.
        let keyless = ConfigInputs {
            basic_data: Some(BasicData {
                url: Some("http://127.0.0.1:9000".into()),
                ..BasicData::default()
            }),
            ..no_inputs()
        };
        assert_eq!(access_key(&ok(&keyless, &env)).as_deref(), Some("ENVAK"));
    }

    #[test]
    fn session_token_sources() {
        let home = TempDir::new("tokens");
        let env = home.env(&[
            ("AWS_ACCESS_KEY_ID", "AK"),
            ("AWS_SECRET_ACCESS_KEY", "SK"),
            ("AWS_SECURITY_TOKEN", "legacy"),
        ]);
        assert_eq!(
            keys(&ok(&no_inputs(), &env)).and_then(|k| k.2).as_deref(),
            Some("legacy")
        );
        home.credentials(
            "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = fromfile\n",
        );
        assert_eq!(
            keys(&ok(&no_inputs(), &home.env(&[])))
                .and_then(|k| k.2)
                .as_deref(),
            Some("fromfile")
        );
    }

    #[test]
    fn half_a_key_pair_is_an_error_naming_the_missing_half() {
        let home = TempDir::new("half");
        let e = err(&no_inputs(), &home.env(&[("AWS_ACCESS_KEY_ID", "AK")]));
        match &e {
            ConfigError::IncompleteCredentials {
                present, missing, ..
            } => {
                assert_eq!(present, "AWS_ACCESS_KEY_ID");
                assert_eq!(missing, "AWS_SECRET_ACCESS_KEY");
            }
            other => panic!("unexpected {other:?}"),
        }
        let e = err(
            &no_inputs(),
            &home.env(&[("AWS_SECRET_ACCESS_KEY", SECRET)]),
        );
        assert!(
            e.to_string().contains("AWS_ACCESS_KEY_ID is missing"),
            "{e}"
        );

        let path = home.credentials("[default]\naws_access_key_id = AK\n");
        let e = err(&no_inputs(), &home.env(&[]));
        let message = e.to_string();
        assert!(
            message.contains("aws_secret_access_key is missing"),
            "{message}"
        );
        assert!(message.contains(&path.display().to_string()), "{message}");

        let inputs = ConfigInputs {
            basic_data: Some(BasicData {
                secret_key: Some(Secret::new(SECRET)),
                ..BasicData::default()
            }),
            ..no_inputs()
        };
        let e = err(&inputs, &home.env(&[]));
        assert!(e.to_string().contains("AccessKey is missing"), "{e}");
    }

    // ---- addressing ------------------------------------------------------------------------

    #[test]
    fn addressing_decisions() {
        let home = TempDir::new("addressing");
        let env = home.env(&[]);
        let with = |endpoint: Option<&str>, path_style: bool| ConfigInputs {
            endpoint_url: endpoint.map(str::to_owned),
            path_style,
            ..no_inputs()
        };
        assert_eq!(
            ok(&with(None, false), &env).addressing,
            Addressing::VirtualHosted
        );
        assert_eq!(ok(&with(None, true), &env).addressing, Addressing::Path);
        let aws = Some("https://s3.eu-west-1.amazonaws.com");
        assert_eq!(
            ok(&with(aws, false), &env).addressing,
            Addressing::VirtualHosted
        );
        let dualstack = Some("https://s3.dualstack.us-east-1.amazonaws.com");
        assert_eq!(
            ok(&with(dualstack, false), &env).addressing,
            Addressing::VirtualHosted
        );
        for custom in [
            "http://127.0.0.1:9000",
            "http://localhost:3900",
            "https://minio.example.com",
            "https://accountid.r2.cloudflarestorage.com",
            "https://amazonaws.com.evil.example",
        ] {
            assert_eq!(
                ok(&with(Some(custom), false), &env).addressing,
                Addressing::Path,
                "{custom}"
            );
        }
        let basic_inputs = ConfigInputs {
            basic_data: Some(basic("storage-155.s3hoster.by")),
            ..no_inputs()
        };
        assert_eq!(ok(&basic_inputs, &env).addressing, Addressing::Path);
    }

    #[test]
    fn addressing_style_from_profile() {
        let home = TempDir::new("style");
        let custom = ConfigInputs {
            endpoint_url: Some("http://127.0.0.1:9000".into()),
            ..no_inputs()
        };
        home.config("[default]\ns3 =\n  addressing_style = path\n");
        assert_eq!(
            ok(&no_inputs(), &home.env(&[])).addressing,
            Addressing::Path
        );
        home.config("[default]\ns3 =\n  addressing_style = virtual\n");
        assert_eq!(
            ok(&custom, &home.env(&[])).addressing,
            Addressing::VirtualHosted
        );
        // --path-style beats the profile.
        let forced = ConfigInputs {
            path_style: true,
            ..no_inputs()
        };
        assert_eq!(ok(&forced, &home.env(&[])).addressing, Addressing::Path);
        home.config("[default]\ns3 =\n  addressing_style = auto\n");
        assert_eq!(ok(&custom, &home.env(&[])).addressing, Addressing::Path);
        assert_eq!(
            ok(&no_inputs(), &home.env(&[])).addressing,
            Addressing::VirtualHosted
        );
        let path = home.config("[default]\ns3 =\n  addressing_style = sideways\n");
        let e = err(&no_inputs(), &home.env(&[]));
        let message = e.to_string();
        assert!(message.contains("sideways") && message.contains("addressing_style"));
        assert!(message.contains(&path.display().to_string()), "{message}");
    }

    #[test]
    fn bucket_names_for_virtual_hosting() {
        let long = "a".repeat(63);
        for good in ["abc", "my-bucket", "a1b2c3", "0bucket9", long.as_str()] {
            assert!(bucket_fits_virtual_host(good, true), "{good}");
            assert!(bucket_fits_virtual_host(good, false), "{good}");
        }
        let too_long = "a".repeat(64);
        for bad in [
            "ab",
            too_long.as_str(),
            "My-Bucket",
            "my_bucket",
            "-bucket",
            "bucket-",
            "",
            "bücket",
        ] {
            assert!(!bucket_fits_virtual_host(bad, true), "{bad}");
            assert!(!bucket_fits_virtual_host(bad, false), "{bad}");
        }
        // Dots: never over https, over http when every label is valid and it is no IP address.
        assert!(!bucket_fits_virtual_host("my.bucket", true));
        assert!(bucket_fits_virtual_host("my.bucket", false));
        assert!(bucket_fits_virtual_host("a.b.c", false));
        for bad in [
            "my..bucket",
            ".bucket",
            "bucket.",
            "my.-bucket",
            "192.168.1.1",
            "a.B.c",
        ] {
            assert!(!bucket_fits_virtual_host(bad, false), "{bad}");
        }
        assert!(bucket_fits_virtual_host("192.168.1.x1", false));
    }

    #[test]
    fn uses_virtual_host_combines_style_scheme_and_name() {
        let home = TempDir::new("uses");
        let env = home.env(&[]);
        let aws = ok(&no_inputs(), &env);
        assert!(aws.uses_virtual_host("my-bucket"));
        assert!(!aws.uses_virtual_host("my.bucket"), "dots break TLS");
        assert!(!aws.uses_virtual_host("My_Bucket"));
        home.config("[default]\ns3 =\n  addressing_style = virtual\n");
        let http = ok(
            &ConfigInputs {
                endpoint_url: Some("http://localhost:9000".into()),
                ..no_inputs()
            },
            &home.env(&[]),
        );
        assert!(http.uses_virtual_host("my.bucket"), "fine over http");
        assert!(!http.uses_virtual_host("my..bucket"));
        assert!(!http.uses_virtual_host("192.168.1.1"));
        let path = ok(
            &ConfigInputs {
                path_style: true,
                ..no_inputs()
            },
            &env,
        );
        assert!(!path.uses_virtual_host("my-bucket"));
    }

    // ---- service and chunk size ------------------------------------------------------------

    #[test]
    fn service_and_chunk_size() {
        let home = TempDir::new("service");
        home.config("[default]\ns3 =\n  multipart_chunksize = 16MB\n");
        let env = home.env(&[]);
        let config = ok(&no_inputs(), &env);
        assert_eq!(config.service, "s3");
        assert_eq!(config.chunk_size, Some(16 * 1024 * 1024));
        let inputs = ConfigInputs {
            basic_data: Some(
                BasicData::new("host", "AK", "SK", "r", "storage").with_chunk_size(5_242_880),
            ),
            ..no_inputs()
        };
        let config = ok(&inputs, &env);
        assert_eq!(config.service, "storage");
        assert_eq!(config.chunk_size, Some(5_242_880));

        home.config("[default]\ns3 =\n  multipart_chunksize = lots\n");
        let e = err(&no_inputs(), &home.env(&[]));
        assert!(e.to_string().contains("multipart_chunksize"), "{e}");
    }

    #[test]
    fn size_parsing_like_the_aws_cli() {
        assert_eq!(parse_size("8388608"), Some(8 * 1024 * 1024));
        assert_eq!(parse_size("8MB"), Some(8 * 1024 * 1024));
        assert_eq!(parse_size("8 mib"), Some(8 * 1024 * 1024));
        assert_eq!(parse_size("1KB"), Some(1024));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("1TB"), Some(1 << 40));
        assert_eq!(parse_size("100b"), Some(100));
        for bad in [
            "",
            "MB",
            "-5MB",
            "1.5MB",
            "0",
            "lots",
            "99999999999999999999TB",
        ] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    // ---- INI parsing -----------------------------------------------------------------------

    fn section<'a>(sections: &'a [(String, Section)], name: &str) -> &'a Section {
        &sections
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no section {name}"))
            .1
    }

    fn text<'a>(section: &'a Section, key: &str) -> Option<&'a str> {
        match section.get(key) {
            Some(IniValue::Text(v)) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn ini_comments_delimiters_case_and_whitespace() {
        let parsed = parse_ini(
            "\u{feff}# leading comment\r\n; another\r\n[default]\r\n  \r\n\
             Region = eu-west-1 # trailing comment\r\n\
             output: json\r\n\
             endpoint_url=http://host:9000/#frag\r\n\
             empty_after_comment = ; nothing\r\n\
             aws_secret_access_key = abc#def\r\n",
        );
        let default = section(&parsed, "default");
        assert_eq!(text(default, "region"), Some("eu-west-1"));
        assert_eq!(text(default, "output"), Some("json"));
        assert_eq!(
            text(default, "endpoint_url"),
            Some("http://host:9000/#frag")
        );
        assert_eq!(text(default, "aws_secret_access_key"), Some("abc#def"));
        assert!(matches!(
            default.get("empty_after_comment"),
            Some(IniValue::Nested(_))
        ));
    }

    #[test]
    fn ini_nested_blocks() {
        let parsed = parse_ini(
            "[profile dev]\n\
             s3 =\n  addressing_style = path\n\tmultipart_chunksize = 8MB\n\n  max_concurrent_requests = 4\n\
             region = us-west-2\n\
             indented_after_text = x\n   ignored = yes\n",
        );
        let dev = section(&parsed, "profile dev");
        match dev.get("s3") {
            Some(IniValue::Nested(block)) => {
                assert_eq!(
                    block.get("addressing_style").map(String::as_str),
                    Some("path")
                );
                assert_eq!(
                    block.get("multipart_chunksize").map(String::as_str),
                    Some("8MB")
                );
                assert_eq!(
                    block.get("max_concurrent_requests").map(String::as_str),
                    Some("4")
                );
            }
            _ => panic!("s3 is not a block"),
        }
        assert_eq!(text(dev, "region"), Some("us-west-2"));
        assert!(dev.get("ignored").is_none());
    }

    #[test]
    fn ini_malformed_input_never_panics() {
        let inputs: [&[u8]; 10] = [
            b"",
            b"[",
            b"]]]\n=\n==\n:\n",
            b"key = before any section\n[ok]\nkey = value\n",
            b"   indented first line = 1\n[ok]\nkey = value\n",
            b"[unterminated\nkey = lost\n[ok]\nkey = value\n",
            b"[]\nkey = lost\n[ok]\nkey = value\n",
            b"\xff\xfe\x00garbage\x80\n[ok]\nkey = value\n",
            b"[ok]\nkey = value\n s3 =\n\t= no key\n",
            b"[ok]\n\r\n\r\nkey = value\r",
        ];
        for input in inputs {
            let parsed = parse_ini(&String::from_utf8_lossy(input));
            if let Some((_, ok_section)) = parsed.iter().find(|(n, _)| n == "ok") {
                assert_eq!(text(ok_section, "key"), Some("value"));
            }
            for (name, section) in &parsed {
                assert!(!name.is_empty());
                assert!(section.get("key").is_none() || name == "ok");
            }
        }
    }

    #[test]
    fn malformed_profile_files_resolve_without_panic() {
        let home = TempDir::new("malformed");
        home.write(
            ".aws/credentials",
            b"\x00\x01\x02 binary junk\n[default\naws_access_key_id = LOST\n[default]\n\
              aws_access_key_id = GOODAK\naws_secret_access_key = good\n=\n[[[\n"
                as &[u8],
        );
        home.config("region\n[default]\nregion = eu-north-1\nservices\n");
        let config = ok(&no_inputs(), &home.env(&[]));
        assert_eq!(access_key(&config).as_deref(), Some("GOODAK"));
        assert_eq!(config.region, "eu-north-1");
    }

    #[test]
    fn repeated_sections_merge_later_wins() {
        let home = TempDir::new("repeat");
        home.config(
            "[default]\nregion = first\nendpoint_url = http://a:1\n[default]\nregion = second\n",
        );
        let config = ok(&no_inputs(), &home.env(&[]));
        assert_eq!(config.region, "second");
        assert_eq!(config.endpoint.as_str(), "http://a:1/");
    }

    // ---- basic data ------------------------------------------------------------------------

    #[test]
    fn basic_data_inline_json() {
        let data = BasicData::load(&format!(
            r#" {{"URL": "storage-155.s3hoster.by", "AccessKey": "BRN5RKJE67", "SecretKey": "{SECRET}", "Region": "BTC", "Service": "s3", "Extra": 1}} "#
        ))
        .unwrap();
        assert_eq!(data.url.as_deref(), Some("storage-155.s3hoster.by"));
        assert_eq!(data.access_key.as_deref(), Some("BRN5RKJE67"));
        assert_eq!(data.secret_key.as_ref().map(Secret::expose), Some(SECRET));
        assert_eq!(data.region.as_deref(), Some("BTC"));
        assert_eq!(data.service.as_deref(), Some("s3"));
        assert_eq!(data.chunk_size, None);
    }

    #[test]
    fn basic_data_single_quoted_as_oint_docs_print_it() {
        let text = "{'URL':'storage-155.s3hoster.by','AccessKey':'AK','SecretKey':'a/b+c','Region':'BTC','Service':'s3'}";
        let data = BasicData::load(text).unwrap();
        assert_eq!(
            data,
            BasicData::new("storage-155.s3hoster.by", "AK", "a/b+c", "BTC", "s3")
        );
        // Double quotes and escaped single quotes inside single-quoted strings survive.
        let data = BasicData::parse(
            r#"{'URL':'host','Region':'say "hi"','AccessKey':'it\'s','SecretKey':'C:\dir'}"#,
        )
        .unwrap();
        assert_eq!(data.region.as_deref(), Some("say \"hi\""));
        assert_eq!(data.access_key.as_deref(), Some("it's"));
        assert_eq!(
            data.secret_key.as_ref().map(Secret::expose),
            Some("C:\\dir")
        );
        // Valid JSON is never touched, even with apostrophes inside.
        let data = BasicData::parse(r#"{"URL":"host","Region":"o'clock"}"#).unwrap();
        assert_eq!(data.region.as_deref(), Some("o'clock"));
        // Mixed: double-quoted strings keep their single quotes when the swap is needed.
        let data = BasicData::parse(r#"{'URL':'host', "Region":"o'clock"}"#).unwrap();
        assert_eq!(data.region.as_deref(), Some("o'clock"));
        // Unbalanced quotes are an error, not a guess.
        assert!(BasicData::parse("{'URL':'host}").is_err());
    }

    #[test]
    fn basic_data_file_and_round_trip() {
        let dir = TempDir::new("basic-file");
        let original = BasicData::new(
            "http://127.0.0.1:9000/base",
            "AK",
            SECRET,
            "us-east-1",
            "s3",
        )
        .with_chunk_size(20_971_520);
        let json = original.to_json();
        assert!(json.contains(SECRET), "to_json writes the secret");
        let order: Vec<usize> = [
            "\"URL\"",
            "\"AccessKey\"",
            "\"SecretKey\"",
            "\"Region\"",
            "\"Service\"",
            "\"ChunkSize\"",
        ]
        .iter()
        .map(|k| json.find(k).expect(k))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{json}");
        let path = dir.write("basic.json", &json);
        let loaded = BasicData::load(path.to_str().unwrap()).unwrap();
        assert_eq!(loaded, original);
        // A file in the single-quoted form, with a BOM.
        let path = dir.write(
            "quoted.json",
            "\u{feff}{'URL':'h','AccessKey':'a','SecretKey':'s','Region':'r'}",
        );
        assert_eq!(
            BasicData::load(path.to_str().unwrap())
                .unwrap()
                .url
                .as_deref(),
            Some("h")
        );
    }

    #[test]
    fn basic_data_service_defaults_to_s3_and_is_always_written() {
        let data = BasicData::parse(r#"{"URL":"h","AccessKey":"a","SecretKey":"s","Region":"r"}"#)
            .unwrap();
        assert_eq!(data.service, None);
        assert!(data.to_json().contains(r#""Service": "s3""#));
        let home = TempDir::new("service-default");
        let inputs = ConfigInputs {
            basic_data: Some(data),
            ..no_inputs()
        };
        assert_eq!(ok(&inputs, &home.env(&[])).service, "s3");
    }

    #[test]
    fn basic_data_chunk_size_forms() {
        let parse =
            |value: &str| BasicData::parse(&format!(r#"{{"URL":"h","ChunkSize":{value}}}"#));
        assert_eq!(parse("20971520").unwrap().chunk_size, Some(20_971_520));
        assert_eq!(parse("\"5242880\"").unwrap().chunk_size, Some(5_242_880));
        assert_eq!(parse("1.0e7").unwrap().chunk_size, Some(10_000_000));
        assert_eq!(parse("null").unwrap().chunk_size, None);
        for bad in ["0", "-1", "1.5", "\"big\"", "true", "[1]"] {
            let e = parse(bad).unwrap_err();
            assert!(e.to_string().contains("ChunkSize"), "{bad}: {e}");
        }
    }

    #[test]
    fn basic_data_keys_match_ignoring_case() {
        let data = BasicData::parse(
            r#"{"url":"h","accesskey":"a","SECRETKEY":"s","region":"r","chunksize":6000000}"#,
        )
        .unwrap();
        assert_eq!(data.url.as_deref(), Some("h"));
        assert_eq!(data.access_key.as_deref(), Some("a"));
        assert_eq!(data.secret_key.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(data.chunk_size, Some(6_000_000));
        // The exact spelling wins over another casing.
        let data = BasicData::parse(r#"{"url":"lower","URL":"exact"}"#).unwrap();
        assert_eq!(data.url.as_deref(), Some("exact"));
    }

    #[test]
    fn basic_data_errors() {
        let e = BasicData::load("/definitely/not/here.json").unwrap_err();
        assert!(matches!(e, ConfigError::ReadFile { .. }), "{e:?}");
        assert!(e.to_string().contains("/definitely/not/here.json"));
        for bad in ["{", "{}}", "[1,2]", "{'a':}", "{\"URL\": 5}"] {
            let e = BasicData::parse(bad).unwrap_err();
            assert!(
                matches!(e, ConfigError::InvalidBasicData { .. }),
                "{bad}: {e:?}"
            );
        }
        assert!(BasicData::parse("\"just a string\"").is_err());
        // An array is read as inline JSON (and refused), not as a file name.
        let e = BasicData::load("[{\"URL\":\"h\"}]").unwrap_err();
        assert!(e.to_string().contains("JSON object"), "{e}");
        // Empty strings count as absent, as OPI's AddField skips empty values.
        let data = BasicData::parse(r#"{"URL":"","AccessKey":"","SecretKey":""}"#).unwrap();
        assert_eq!(data, BasicData::default());
    }

    #[test]
    fn basic_data_url_forms() {
        let home = TempDir::new("basic-url");
        let env = home.env(&[]);
        let cases = [
            (
                "storage-155.s3hoster.by",
                "https://storage-155.s3hoster.by/",
            ),
            (
                "storage-155.s3hoster.by/",
                "https://storage-155.s3hoster.by/",
            ),
            ("127.0.0.1:9000", "https://127.0.0.1:9000/"),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/"),
            ("https://host:8443/minio/", "https://host:8443/minio"),
            ("host/a/b", "https://host/a/b"),
        ];
        for (given, expected) in cases {
            let inputs = ConfigInputs {
                basic_data: Some(basic(given)),
                ..no_inputs()
            };
            let config = ok(&inputs, &env);
            assert_eq!(config.endpoint.as_str(), expected, "{given}");
            assert_eq!(config.region, "BTC");
            assert_eq!(config.addressing, Addressing::Path);
        }
    }

    #[test]
    fn flags_beat_basic_data() {
        let home = TempDir::new("flags-basic");
        let inputs = ConfigInputs {
            endpoint_url: Some("http://flag:1".into()),
            region: Some("flag-region".into()),
            basic_data: Some(basic("basic.example")),
            ..no_inputs()
        };
        let config = ok(&inputs, &home.env(&[]));
        assert_eq!(config.endpoint.as_str(), "http://flag:1/");
        assert_eq!(config.region, "flag-region");
        assert_eq!(access_key(&config).as_deref(), Some("BASICAK"));
    }

    // ---- secrets stay hidden ---------------------------------------------------------------

    #[test]
    fn secrets_never_reach_debug_output() {
        let home = TempDir::new("debug");
        let env = home.env(&[
            ("AWS_ACCESS_KEY_ID", "AKVISIBLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
        ]);
        let config = ok(&no_inputs(), &env);
        let shown = format!("{config:?} {env:?}");
        assert!(shown.contains("AKVISIBLE"), "{shown}");
        assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
        let inputs = ConfigInputs {
            basic_data: Some(basic("h")),
            ..no_inputs()
        };
        let shown = format!("{inputs:?} {:?}", basic("h"));
        assert!(!shown.contains(SECRET), "{shown}");
    }

    #[test]
    fn secrets_never_reach_error_messages() {
        let home = TempDir::new("errors");
        let mut errors: Vec<ConfigError> = Vec::new();
        // Half pairs, with the secret or token present.
        errors.push(err(
            &no_inputs(),
            &home.env(&[
                ("AWS_SECRET_ACCESS_KEY", SECRET),
                ("AWS_SESSION_TOKEN", TOKEN),
            ]),
        ));
        let inputs = ConfigInputs {
            basic_data: Some(BasicData {
                secret_key: Some(Secret::new(SECRET)),
                ..BasicData::default()
            }),
            ..no_inputs()
        };
        errors.push(err(&inputs, &home.env(&[])));
        // The secret inside an endpoint's user info.
        let inputs = ConfigInputs {
            endpoint_url: Some(format!("https://AK:{SECRET}@host")),
            ..no_inputs()
        };
        errors.push(err(&inputs, &home.env(&[])));
        let inputs = ConfigInputs {
            basic_data: Some(basic(&format!("u:{SECRET}@bad host"))),
            ..no_inputs()
        };
        errors.push(err(&inputs, &home.env(&[])));
        // Profile errors with the secret in the file.
        home.credentials(&format!(
            "[default]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        ));
        errors.push(err(&no_inputs(), &home.env(&[])));
        home.credentials(&format!(
            "[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n"
        ));
        home.config("[default]\ns3 =\n  addressing_style = nope\n");
        errors.push(err(&no_inputs(), &home.env(&[])));
        // Malformed basic data around the secret, inline and in a file.
        for text in [
            format!("{{'SecretKey':'{SECRET}'"),
            format!("{{\"SecretKey\": {SECRET}}}"),
            format!("{{\"SecretKey\": [\"{SECRET}\"]}}"),
            format!("{{\"SecretKey\": \"{SECRET}\", \"ChunkSize\": \"{SECRET}\"}}"),
            format!("{{\"SecretKey\": \"{SECRET}\" \"URL\": 1}}"),
        ] {
            errors.push(BasicData::load(&text).unwrap_err());
            let path = home.write("basic.json", &text);
            errors.push(BasicData::load(path.to_str().unwrap()).unwrap_err());
        }
        assert!(errors.len() >= 15);
        for e in &errors {
            let shown = format!("{e} | {e:?}");
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(
                !shown.contains("zzSECRET") && !shown.contains("zzTOKEN"),
                "{shown}"
            );
        }
    }

    // ---- environment -----------------------------------------------------------------------

    #[test]
    fn environment_from_process_and_home_fallbacks() {
        let env = Environment::from_process();
        let _ = env.var("PATH");
        let vars = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            home_from_vars(&vars(&[("HOME", "/h")])),
            Some(PathBuf::from("/h"))
        );
        assert_eq!(
            home_from_vars(&vars(&[("USERPROFILE", "C:\\Users\\u")])),
            Some(PathBuf::from("C:\\Users\\u"))
        );
        assert_eq!(
            home_from_vars(&vars(&[("HOMEDRIVE", "C:"), ("HOMEPATH", "\\Users\\u")])),
            Some(PathBuf::from("C:\\Users\\u"))
        );
        assert_eq!(home_from_vars(&vars(&[("HOME", "")])), None);
    }

    #[test]
    fn tilde_expansion() {
        let home = Path::new("/home/u");
        assert_eq!(
            expand_home("~/x/y", Some(home)),
            PathBuf::from("/home/u/x/y")
        );
        assert_eq!(expand_home("~", Some(home)), PathBuf::from("/home/u"));
        assert_eq!(
            expand_home("~other/x", Some(home)),
            PathBuf::from("~other/x")
        );
        assert_eq!(expand_home("~/x", None), PathBuf::from("~/x"));
        assert_eq!(expand_home("/abs", Some(home)), PathBuf::from("/abs"));
    }
}
