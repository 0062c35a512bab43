//! The client and its send pipeline. [`Client`] holds the resolved configuration, a pooled HTTP
//! client and the retry state its clones share; every request it makes, an operation of the spec
//! ([`Request`], made by the generated builders) or a raw request to any URL ([`RawRequest`]), becomes
//! a `pipeline::Call`: prepared once (`prepare`), then attempted (signed, transmitted, read) until
//! it succeeds or the retry policy stops it. Answers are read into an [`Envelope`](crate::Envelope) (`response`);
//! object bodies go to a file, a writer or nowhere (`sink`), never into memory.
//!
//! ```no_run
//! # async fn demo() -> Result<(), s3op::Error> {
//! let client = s3op::Client::builder()
//!     .endpoint_url("http://127.0.0.1:9000")
//!     .path_style(true)
//!     .max_attempts(5)
//!     .build()?;
//! let envelope = client.head_object().bucket("photos").key("cat.jpg").send().await?;
//! println!("{}", envelope.headers["content-length"]);
//! # Ok(()) }
//! ```

mod bandwidth;
mod call;
mod express;
pub(crate) mod pipeline;
#[doc(hidden)]
pub mod prepare;
mod raw;
mod region;
mod response;
#[doc(hidden)]
pub mod route;
pub(crate) mod sink;
mod tls;

pub use bandwidth::Bandwidth;
pub use call::Request;
pub use raw::RawRequest;

use std::sync::Arc;
use std::time::Duration;

use crate::config::CredentialPlan;
use crate::config::{resolve, BasicData, ConfigInputs, Environment, ResolvedConfig};
use crate::credentials::{
    from_plan, CredentialsCache, MfaCode, ProvideCredentials, Provided, ServiceSettings, Source,
};
use crate::endpoint::{EndpointError, Resolver};
use crate::error::Error;
use crate::operation::Operation;
use crate::retry::{Retrier, RetryPolicy};
use crate::secret::Secret;
use crate::signer::Credentials;

/// An S3 client: resolved configuration plus a pooled HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ResolvedConfig>,
    extra_headers: Arc<Vec<(String, String)>>,
    /// Policy, quota and learnt clock offset: shared by this client's clones, by no other client.
    retrier: Arc<Retrier>,
    /// Where the keys come from, cached until shortly before they expire; `None`: unsigned.
    credentials: Option<Arc<CredentialsCache>>,
    /// Buckets' regions learnt from redirects, shared by this client's clones.
    bucket_regions: Arc<region::BucketRegions>,
    /// AWS's endpoint rules, parsed at the first request that needs them.
    resolver: Arc<std::sync::OnceLock<Result<Resolver, EndpointError>>>,
    /// S3 Express session keys by directory bucket.
    express_sessions: Arc<express::ExpressSessions>,
    /// The endpoint refused a checksum header once: uploads stop sending them.
    checksums_refused: Arc<std::sync::atomic::AtomicBool>,
    timeouts: Timeouts,
    /// The rate every body and streamed answer of this client and its clones shares, if limited.
    bandwidth: Option<Bandwidth>,
    pub(crate) debug: bool,
}

/// How long to wait for a connection and for each read of an answer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
        }
    }
}

/// Builds a [`Client`]: explicit settings first, then the basic data, then AWS's environment variables
/// and profile files (see `config`).
///
/// ```no_run
/// # fn demo() -> Result<(), s3op::Error> {
/// use std::time::Duration;
/// let client = s3op::Client::builder()
///     .endpoint_url("https://minio.internal:9000")
///     .region("eu-west-1")
///     .credentials("AKIA…", "secret", None)
///     .path_style(true)
///     .max_attempts(5)
///     .read_timeout(Duration::from_secs(30))
///     .header("x-amz-request-payer", "requester")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    inputs: ConfigInputs,
    credentials: Option<Credentials>,
    provider: Option<Arc<dyn ProvideCredentials>>,
    mfa_code: Option<MfaCode>,
    unsigned: bool,
    direct: bool,
    /// Trust and proxies handed down by a parent client (credential services), over what this
    /// builder's own environment says.
    network: Option<crate::config::Network>,
    environment: Option<Environment>,
    headers: Vec<(String, String)>,
    max_attempts: Option<u32>,
    retry: Option<RetryPolicy>,
    timeouts: Timeouts,
    bandwidth: Option<Bandwidth>,
    debug: bool,
}

impl ClientBuilder {
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.inputs.endpoint_url = Some(url.into());
        self
    }

    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.inputs.region = Some(region.into());
        self
    }

    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.inputs.profile = Some(profile.into());
        self
    }

    /// Address buckets in the path (`http://host/bucket/key`) rather than the host name.
    pub fn path_style(mut self, yes: bool) -> Self {
        self.inputs.path_style = yes;
        self
    }

    /// AWS's FIPS endpoints (over `AWS_USE_FIPS_ENDPOINT` and profile `use_fips_endpoint`).
    pub fn use_fips(mut self, on: bool) -> Self {
        self.inputs.use_fips_endpoint = Some(on);
        self
    }

    /// AWS's dual-stack (IPv4 and IPv6) endpoints (over `AWS_USE_DUALSTACK_ENDPOINT` and profile
    /// `use_dualstack_endpoint`).
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.inputs.use_dualstack_endpoint = Some(on);
        self
    }

    /// S3 Transfer Acceleration endpoints (over profile `s3 = use_accelerate_endpoint`).
    pub fn accelerate(mut self, on: bool) -> Self {
        self.inputs.use_accelerate_endpoint = Some(on);
        self
    }

    /// Whether an access point ARN's own region is used when it is not the client's (default
    /// on; over `AWS_S3_USE_ARN_REGION` and profile `s3_use_arn_region`).
    pub fn use_arn_region(mut self, on: bool) -> Self {
        self.inputs.use_arn_region = Some(on);
        self
    }

    /// Refuse Multi-Region Access Point ARNs (over `AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS`
    /// and profile `s3_disable_multiregion_access_points`).
    pub fn disable_multi_region_access_points(mut self, on: bool) -> Self {
        self.inputs.disable_multiregion_access_points = Some(on);
        self
    }

    /// Credentials given directly; they win over every other source.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: session_token.map(Secret::new),
        });
        self
    }

    /// A source of keys of the caller's own (a vault, a broker): asked at the first request and
    /// again whenever its last keys are within five minutes of expiry, once for all requests in
    /// flight. Keys given with [`ClientBuilder::credentials`] win over it; it wins over every
    /// configured source.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// Send every request unsigned (`--no-sign-request`): no source of keys is asked, even when
    /// one is configured (public buckets, anonymous access).
    pub fn unsigned(mut self, yes: bool) -> Self {
        self.unsigned = yes;
        self
    }

    /// Connect directly, ignoring `HTTPS_PROXY`/`HTTP_PROXY` (instance metadata and container
    /// endpoints are always reached this way, as the AWS SDKs do: a proxy must not see their
    /// tokens).
    pub fn direct(mut self, yes: bool) -> Self {
        self.direct = yes;
        self
    }

    /// Trust the CA certificates of this PEM file (one or more) besides the system's store and the
    /// bundled web roots (`--ca-bundle`; it wins over `AWS_CA_BUNDLE` and profile `ca_bundle`). A
    /// file that cannot be read or holds no certificate makes [`ClientBuilder::build`] fail.
    pub fn ca_bundle(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.inputs.ca_bundle = Some(path.into());
        self
    }

    /// Accept any server certificate (`--no-verify-ssl`): for a test server with a certificate
    /// nobody signed. Anyone on the network path can then read and change the traffic; the
    /// library does not warn, the CLI does.
    pub fn no_verify_ssl(mut self, yes: bool) -> Self {
        self.inputs.no_verify_ssl = yes;
        self
    }

    /// Trust and proxies as a parent client resolved them (credential services reached on its
    /// behalf use its CA bundle and proxies, whatever their own isolated environment says).
    pub(crate) fn network(mut self, network: crate::config::Network) -> Self {
        self.network = Some(network);
        self
    }

    /// The code of the MFA device a role's profile names (`mfa_serial`), for `--mfa-code`.
    pub fn mfa_code(self, code: impl Into<String>) -> Self {
        let code = code.into();
        self.mfa_code_provider(move |_serial: &str| Some(code.clone()))
    }

    /// Asked for the code of an MFA device (its serial or ARN) when a role needs one: the CLI
    /// asks on the terminal.
    pub fn mfa_code_provider(
        mut self,
        ask: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.mfa_code = Some(MfaCode(Arc::new(ask)));
        self
    }

    /// The seed library's basic data (URL, keys, region, service).
    pub fn basic_data(mut self, data: BasicData) -> Self {
        self.inputs.basic_data = Some(data);
        self
    }

    /// Read settings from this environment instead of the process's (tests, embedding).
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }

    /// A header added to (and signed into) every request this client makes.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Attempts per request, the first included (default 3; also `AWS_MAX_ATTEMPTS`, profile
    /// `max_attempts`).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The whole retry policy (backoff bases and cap, attempts), for callers that tune it.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// How long to wait for each read of an answer (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.read = timeout;
        self
    }

    /// Limit the bytes sent and received (request bodies and streamed answers) to this many per
    /// second, across every request of the client and its clones at once; 0 is no limit.
    pub fn bandwidth_limit(mut self, bytes_per_second: u64) -> Self {
        self.bandwidth = std::num::NonZeroU64::new(bytes_per_second).map(Bandwidth::new);
        self
    }

    /// Share a [`Bandwidth`] limit with other clients holding a clone of it.
    pub fn bandwidth(mut self, limit: Bandwidth) -> Self {
        self.bandwidth = Some(limit);
        self
    }

    /// Print each attempt on stderr (method, URL, status, canonical request, string to sign; never a
    /// secret or token).
    pub fn debug(mut self, yes: bool) -> Self {
        self.debug = yes;
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let env = self.environment.unwrap_or_else(Environment::from_process);
        let mut config = resolve(&self.inputs, &env)?;
        let explicit = self.credentials.is_some();
        if let Some(credentials) = self.credentials {
            config.credentials = Some(credentials.clone());
            config.credential_plan = Some(CredentialPlan::Static {
                credentials,
                source: Source::Explicit,
            });
        }
        let mut retry = self.retry.unwrap_or_default();
        if let Some(n) = self.max_attempts.or(config.max_attempts) {
            retry.max_attempts = n;
        }
        if config.retry_mode.as_deref() == Some("legacy")
            && self.max_attempts.or(config.max_attempts).is_none()
        {
            retry.max_attempts = 5;
        }
        if let Some(network) = self.network {
            config.network = network;
        }
        let settings = ServiceSettings {
            timeouts: self.timeouts,
            retry: retry.clone(),
            mfa_code: self.mfa_code,
            network: config.network.clone(),
        };
        if self.unsigned {
            config.credentials = None;
            config.credential_plan = None;
        }
        let provider = match self.provider {
            _ if self.unsigned => None,
            Some(provider) if !explicit => Some(provider),
            _ => config
                .credential_plan
                .as_ref()
                .map(|plan| from_plan(plan, &settings)),
        };
        let mut client =
            Client::assemble(config, self.headers, provider, self.timeouts, self.direct)?;
        client.retrier = Arc::new(Retrier::new(retry));
        client.bandwidth = self.bandwidth;
        client.debug = self.debug;
        Ok(client)
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from AWS's environment variables and profile files alone.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::default().build()
    }

    /// A client for an already resolved configuration (its credential plan is followed with the
    /// default timeouts and retry policy).
    pub fn with_config(
        config: ResolvedConfig,
        headers: Vec<(String, String)>,
    ) -> Result<Client, Error> {
        let provider = config
            .credential_plan
            .as_ref()
            .map(|plan| from_plan(plan, &ServiceSettings::default()));
        Client::assemble(config, headers, provider, Timeouts::default(), false)
    }

    fn assemble(
        config: ResolvedConfig,
        headers: Vec<(String, String)>,
        provider: Option<Arc<dyn ProvideCredentials>>,
        timeouts: Timeouts,
        direct: bool,
    ) -> Result<Client, Error> {
        Ok(Client {
            credentials: provider.map(|p| Arc::new(CredentialsCache::new(p))),
            bucket_regions: Arc::default(),
            resolver: Arc::default(),
            express_sessions: Arc::default(),
            checksums_refused: Arc::default(),
            http: http_client(timeouts, direct, &config.network)?,
            config: Arc::new(config),
            extra_headers: Arc::new(headers),
            retrier: Arc::new(Retrier::new(RetryPolicy::default())),
            timeouts,
            bandwidth: None,
            debug: false,
        })
    }

    pub fn config(&self) -> &ResolvedConfig {
        &self.config
    }

    /// Whether this client's endpoint refused a checksum header (then nothing sends one again).
    pub fn checksums_refused(&self) -> bool {
        self.checksums_refused
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// AWS's S3 endpoint rules (bundled), parsed once per client and its clones.
    pub(crate) fn resolver(&self) -> Result<&Resolver, Error> {
        self.resolver
            .get_or_init(Resolver::new)
            .as_ref()
            .map_err(|e| Error::Endpoint {
                bucket: None,
                source: e.clone(),
            })
    }

    /// The endpoint requests without a bucket go to: the configured one, else AWS's for the
    /// region as the endpoint rules make it (FIPS, dual-stack and the legacy global host
    /// included). Raw requests with a path (`s3op request /bucket/key`) are sent under it.
    pub fn endpoint(&self) -> Result<url::Url, Error> {
        if self.config.endpoint_settings.custom_endpoint {
            return Ok(self.config.endpoint.clone());
        }
        let route = route::Route::new(&self.config, String::new(), String::new(), None);
        Ok(route.resolve(&self.config.region, self.resolver()?)?.url)
    }

    /// The keys to sign `prepared` with: the client's, or for a directory bucket's S3 Express
    /// endpoint the bucket's session keys; `None` when the client sends unsigned requests.
    pub(crate) async fn signing_credentials(
        &self,
        prepared: &prepare::Prepared,
    ) -> Result<Option<Credentials>, Error> {
        if prepared.anonymous {
            return Ok(None);
        }
        let Some(provided) = self.current_credentials().await? else {
            return Ok(None);
        };
        match (&prepared.auth, prepared.bucket.as_deref()) {
            (route::Auth::S3Express, Some(bucket)) => {
                self.express_credentials(bucket).await.map(Some)
            }
            _ => Ok(Some(provided.credentials)),
        }
    }

    /// Whether this client signs its requests (it has a source of keys).
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The keys to sign with now (cached; fetched anew near their expiry), or `None` when the
    /// client has no source of keys and sends unsigned requests.
    pub async fn current_credentials(&self) -> Result<Option<Provided>, Error> {
        match &self.credentials {
            Some(cache) => Ok(Some(cache.get().await?)),
            None => Ok(None),
        }
    }

    /// How many times this client's source of keys has been asked (the cache's misses).
    pub fn credential_fetches(&self) -> u64 {
        self.credentials.as_ref().map_or(0, |cache| cache.fetches())
    }

    /// A signed request to any target: an absolute http(s) URL, or a path and query relative to the
    /// endpoint (`/bucket/key?tagging`). It goes through the same pipeline, signer, retry policy and
    /// envelope as every operation; the answer is read by the plain rules (XML without a shape, JSON
    /// as JSON, other text as a string). See [`RawRequest`].
    pub fn request(&self, method: &str, target: &str) -> RawRequest {
        RawRequest::new(self, method, target)
    }

    /// How many times a request is sent at most, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.retrier.policy.max_attempts
    }

    /// A request for any operation of the spec, by its table entry (the generated builders wrap this).
    pub fn operation(&self, op: &'static Operation) -> Request {
        Request::new(self, op)
    }
}

/// The pooled HTTP client: trusted roots, certificate checking and proxies from `network` (none
/// when `direct`), the timeouts, and no redirects followed (S3's redirects carry a region to learn).
fn http_client(
    timeouts: Timeouts,
    direct: bool,
    network: &crate::config::Network,
) -> Result<reqwest::Client, Error> {
    tls::configure(reqwest::Client::builder(), network, direct)?
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::InvalidInput(format!("cannot start the HTTP client: {e}")))
}

/// A callback told how many more bytes of a body have gone out or come in.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// What `--dry-run` shows: the fully signed request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DryRun {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
    /// The body as text, `{"base64": …}` when it is not UTF-8, or null when empty.
    pub body: serde_json::Value,
}

/// One setting as `configure list` shows it: its value (an access key only by its last four
/// characters) and where it came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Setting {
    pub name: &'static str,
    /// `None` when not set (or, for the access key, when it could not be had).
    pub value: Option<String>,
    /// The kind of source (`env`, `assume-role`, `config-file`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where exactly: a variable, a flag, a file and profile, an endpoint.
    pub location: String,
}

impl Client {
    /// The profile, access key (last four characters), region and endpoint this client uses, and
    /// the endpoint switches that are set (`use_fips_endpoint`…), each with its source, as `s3op
    /// configure list` prints them; never a secret. The access key is
    /// fetched (and cached) when its source hands keys out; if that fails, the value is `None` and
    /// the location says why.
    pub async fn config_sources(&self) -> Vec<Setting> {
        let origins = &self.config.origins;
        let kind_of = |origin: &str| {
            if origin.starts_with("--") {
                "flag"
            } else if origin.starts_with("AWS_") {
                "env"
            } else if origin.starts_with("profile ") || origin.starts_with("services ") {
                "config-file"
            } else if origin.starts_with("basic data") {
                "basic-data"
            } else {
                "default"
            }
        };
        let profile = Setting {
            name: "profile",
            value: origins
                .profile
                .as_ref()
                .map(|_| origins.profile_name.clone()),
            kind: origins
                .profile
                .as_deref()
                .map_or("default", kind_of)
                .to_string(),
            location: origins.profile.clone().unwrap_or_default(),
        };
        let plan = self.config.credential_plan.as_ref();
        let access_key = match self.current_credentials().await {
            Ok(Some(keys)) => {
                let location = match (&keys.source, plan) {
                    (Source::Custom(name), _) => name.clone(),
                    (_, Some(plan)) => plan.describe(),
                    (source, None) => source.to_string(),
                };
                Setting {
                    name: "access_key",
                    value: Some(last_four(&keys.credentials.access_key_id)),
                    kind: keys.source.kind().to_string(),
                    location,
                }
            }
            Ok(None) => Setting {
                name: "access_key",
                value: None,
                kind: "none".to_string(),
                location: String::new(),
            },
            Err(e) => Setting {
                name: "access_key",
                value: None,
                kind: plan.map_or("custom", CredentialPlan::kind).to_string(),
                location: e.to_string(),
            },
        };
        let mut settings = vec![
            profile,
            access_key,
            Setting {
                name: "region",
                value: Some(self.config.region.clone()),
                kind: kind_of(&origins.region).to_string(),
                location: origins.region.clone(),
            },
            Setting {
                name: "endpoint",
                value: Some(
                    self.endpoint()
                        .map_or_else(|e| e.to_string(), |url| url.to_string()),
                ),
                kind: kind_of(&origins.endpoint).to_string(),
                location: origins.endpoint.clone(),
            },
        ];
        // The endpoint switches that were set (FIPS, dual-stack, acceleration, …).
        for (name, value, origin) in &self.config.endpoint_settings.given {
            settings.push(Setting {
                name,
                value: Some(value.clone()),
                kind: kind_of(origin).to_string(),
                location: origin.clone(),
            });
        }
        settings
    }
}

/// `****************ABCD`: an access key id shown by its last four characters.
fn last_four(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let shown: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("{}{shown}", "*".repeat(16))
}
