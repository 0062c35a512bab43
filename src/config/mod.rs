//! Configuration resolution. This module turns what the user gave explicitly (global flags, or the
//! library builder's [`ConfigInputs`]), an OpenIntegrations-style basic data file ([`BasicData`]), the
//! environment variables and the AWS shared profile files (`~/.aws/credentials`, `~/.aws/config`)
//! into one [`ResolvedConfig`]: endpoint, region, credentials, addressing style, signing service
//! name and part size. It owns the order in which sources are asked and the public types; each
//! source's reading lives in a submodule (`ini`: profile files; `basic_data`: OpenIntegrations'
//! basic data; `endpoint`: endpoint URLs and addressing; `credentials`: the key pair; `size`: sizes
//! such as `8MiB`). It does not sign, send or retry anything, and it reads the process environment
//! only in [`Environment::from_process`]. Each setting comes from the first source that has it,
//! highest first: flags, then basic data, then environment variables, then the profile, then the
//! default.
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
//! - **TLS and proxies** (`network`): the system's trusted roots and the bundled web roots, plus a
//!   PEM bundle from `--ca-bundle`, else `AWS_CA_BUNDLE`, else profile `ca_bundle` (a bundle that
//!   cannot be read or holds no certificate is an error naming it); `--no-verify-ssl`; proxies
//!   from `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy` (either case) of the
//!   [`Environment`].
//! - **Checksums** (`checksums`): `AWS_REQUEST_CHECKSUM_CALCULATION` / profile
//!   `request_checksum_calculation` and `AWS_RESPONSE_CHECKSUM_VALIDATION` / profile
//!   `response_checksum_validation`: `when_supported` (default) or `when_required`.
//! - **Service and part size**: basic data `Service`, else `s3`; basic data `ChunkSize`, else the
//!   profile's `s3 = multipart_chunksize`, else the transfer code's default.
//!
//! No secret key or session token ever appears in an error message or in `Debug` output; the one
//! place a secret is printed is [`BasicData::to_json`], which writes the user's own credentials file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::signer::Credentials;

mod basic_data;
mod chain;
mod checksums;
mod credentials;
mod endpoint;
mod ini;
mod network;
mod size;

pub use basic_data::BasicData;
pub use checksums::{ChecksumSettings, ChecksumWhen};
pub use endpoint::{bucket_fits_virtual_host, is_aws_endpoint, EndpointSettings};
pub use network::{read_ca_bundle, CaBundle, Network, Proxies, ProxyUrl};
pub use size::{parse_size, SizeError};

pub use chain::{
    AssumeRolePlan, ContainerPlan, CredentialPlan, InstanceMetadataPlan, ProcessPlan, SsoPlan,
    WebIdentityPlan,
};

use chain::PlanInputs;
use credentials::basic_data_keys;
use endpoint::{resolve_addressing, resolve_endpoint, resolve_endpoint_settings};
use ini::{Profile, ProfileFiles};

const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_SERVICE: &str = "s3";

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
    /// `--ca-bundle`: a PEM file of CA certificates to trust besides the system's.
    pub ca_bundle: Option<PathBuf>,
    /// `--no-verify-ssl`: accept any certificate.
    pub no_verify_ssl: bool,
    /// `--use-fips-endpoint`: over `AWS_USE_FIPS_ENDPOINT` and profile `use_fips_endpoint`.
    pub use_fips_endpoint: Option<bool>,
    /// `--use-dualstack-endpoint`: over `AWS_USE_DUALSTACK_ENDPOINT` and profile
    /// `use_dualstack_endpoint`.
    pub use_dualstack_endpoint: Option<bool>,
    /// `--use-accelerate-endpoint`: over profile `s3 = use_accelerate_endpoint`.
    pub use_accelerate_endpoint: Option<bool>,
    /// Over `AWS_S3_USE_ARN_REGION` and profile `s3_use_arn_region` / `s3 = use_arn_region`.
    pub use_arn_region: Option<bool>,
    /// `--disable-multiregion-access-points`: over `AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS`
    /// and profile `s3_disable_multiregion_access_points`.
    pub disable_multiregion_access_points: Option<bool>,
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
    /// Where the profile, region and endpoint came from (`configure list`).
    pub origins: Origins,
    /// Static keys, when the plan is static: the caller sends unsigned requests or refuses when
    /// there is no plan either.
    pub credentials: Option<Credentials>,
    /// Where the keys come from (`credentials` holds them when they are static); `None` when no
    /// source is set (and instance metadata is switched off): requests go unsigned or are refused.
    pub credential_plan: Option<CredentialPlan>,
    /// The addressing style for buckets that fit it (see [`ResolvedConfig::uses_virtual_host`]).
    pub addressing: Addressing,
    /// What the endpoint rule set is asked for besides the region and bucket: FIPS, dual-stack,
    /// acceleration, ARN regions, Multi-Region Access Points, and whether `endpoint` was
    /// configured (then it is the rule set's `Endpoint`).
    pub endpoint_settings: EndpointSettings,
    /// The service name in the signing scope: `s3` unless the basic data says otherwise.
    pub service: String,
    /// Part size in bytes asked for by configuration; `None` leaves it to the transfer code.
    pub chunk_size: Option<u64>,
    /// Attempts per request (`--max-attempts`, `AWS_MAX_ATTEMPTS`, profile `max_attempts`); `None`
    /// leaves the retry policy's default (3, AWS's standard mode).
    pub max_attempts: Option<u32>,
    /// `standard`, `adaptive` (treated as standard) or `legacy` (`AWS_RETRY_MODE`, profile `retry_mode`).
    pub retry_mode: Option<String>,
    /// Trusted roots, certificate checking and proxies.
    pub network: Network,
    /// When uploads send checksums and downloads are checked (`request_checksum_calculation`,
    /// `response_checksum_validation`).
    pub checksums: ChecksumSettings,
}

/// Where settings came from: a flag, a variable, a profile file, a default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    /// `--profile` or `AWS_PROFILE`; `None` for the default profile.
    pub profile: Option<String>,
    /// The profile in use (`default` unless named).
    pub profile_name: String,
    pub region: String,
    pub endpoint: String,
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
    /// A credential setting that cannot work as written (a role without a source, a loop of
    /// source profiles, an SSO profile without its account).
    #[error("credentials from {origin}: {message}")]
    InvalidCredentialSource { origin: String, message: String },
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
    /// A size setting (such as `multipart_chunksize`) that does not read as a size.
    #[error("invalid {key} from {origin}: {source}")]
    InvalidSize {
        key: String,
        origin: String,
        source: SizeError,
    },
    /// Basic data that is not a JSON object of the expected shape.
    #[error("invalid basic data ({origin}): {reason}")]
    InvalidBasicData { origin: String, reason: String },
    /// A CA bundle that cannot be read, holds no certificate, or holds one that cannot be trusted.
    #[error("CA bundle {} from {origin}: {reason}", .path.display())]
    CaBundle {
        path: PathBuf,
        /// `--ca-bundle`, `AWS_CA_BUNDLE`, or the profile and its file.
        origin: String,
        reason: String,
    },
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
            .field(
                "credential_plan",
                &self.credential_plan.as_ref().map(CredentialPlan::describe),
            )
            .field("addressing", &self.addressing)
            .field("endpoint_settings", &self.endpoint_settings)
            .field("service", &self.service)
            .field("chunk_size", &self.chunk_size)
            .field("network", &self.network)
            .finish()
    }
}

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
    let (endpoint, endpoint_origin) =
        resolve_endpoint(inputs, basic, env, &profile, &files, &region)?;
    let credential_plan = match basic.map(basic_data_keys).transpose()?.flatten() {
        Some(keys) => Some(keys),
        None => chain::plan(&PlanInputs {
            env,
            files: &files,
            profile: &profile,
            explicit_profile: flag_profile.is_some(),
            region: &region.value,
        })?,
    };
    let credentials = match &credential_plan {
        Some(CredentialPlan::Static { credentials, .. }) => Some(credentials.clone()),
        _ => None,
    };
    let addressing = resolve_addressing(inputs, &profile, &endpoint)?;
    let endpoint_settings = resolve_endpoint_settings(
        inputs,
        env,
        &profile,
        !endpoint_origin.starts_with(endpoint::DEFAULT_ENDPOINT_ORIGIN),
    )?;
    let service = basic
        .and_then(|b| non_empty(b.service.as_deref()))
        .unwrap_or(DEFAULT_SERVICE)
        .to_owned();
    let chunk_size = match basic.and_then(|b| b.chunk_size) {
        Some(bytes) => Some(bytes),
        None => match profile.nested("s3", "multipart_chunksize") {
            Some((value, path)) => {
                let origin = || profile.origin(path);
                match parse_size(value) {
                    Ok(0) => {
                        return Err(ConfigError::InvalidSetting {
                            key: "multipart_chunksize".to_owned(),
                            value: value.to_owned(),
                            origin: origin(),
                            expected: "a size above zero".to_owned(),
                        })
                    }
                    Ok(bytes) => Some(bytes),
                    Err(source) => {
                        return Err(ConfigError::InvalidSize {
                            key: "multipart_chunksize".to_owned(),
                            origin: origin(),
                            source,
                        })
                    }
                }
            }
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
    let network = network::resolve_network(inputs, env, &profile)?;
    let checksums = checksums::resolve_checksums(env, &profile)?;
    let retry_mode = env
        .var("AWS_RETRY_MODE")
        .or_else(|| profile.text("retry_mode").map(|(v, _)| v))
        .map(str::to_owned);

    let origins = Origins {
        profile: match (flag_profile, profile_named) {
            (Some(_), _) => Some("--profile".to_owned()),
            (None, true) => Some("AWS_PROFILE".to_owned()),
            (None, false) => None,
        },
        profile_name: profile.name.clone(),
        region: region.origin.clone(),
        endpoint: endpoint_origin,
    };
    Ok(ResolvedConfig {
        endpoint,
        origins,
        region: region.value,
        credentials,
        credential_plan,
        addressing,
        endpoint_settings,
        service,
        chunk_size,
        max_attempts,
        retry_mode,
        network,
        checksums,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
