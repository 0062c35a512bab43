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

mod call;
pub(crate) mod pipeline;
#[doc(hidden)]
pub mod prepare;
mod raw;
mod response;
pub(crate) mod sink;

pub use call::Request;
pub use raw::RawRequest;

use std::sync::Arc;
use std::time::Duration;

use crate::config::{resolve, BasicData, ConfigInputs, Environment, ResolvedConfig};
use crate::credentials::{
    CredentialsCache, ProvideCredentials, Provided, Source, StaticCredentials,
};
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
    timeouts: Timeouts,
    debug: bool,
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
    environment: Option<Environment>,
    headers: Vec<(String, String)>,
    max_attempts: Option<u32>,
    retry: Option<RetryPolicy>,
    timeouts: Timeouts,
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

    /// Print each attempt on stderr (method, URL, status, canonical request, string to sign; never a
    /// secret or token).
    pub fn debug(mut self, yes: bool) -> Self {
        self.debug = yes;
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let env = self.environment.unwrap_or_else(Environment::from_process);
        let mut config = resolve(&self.inputs, &env)?;
        if let Some(c) = self.credentials {
            config.credentials = Some(c);
            config.credentials_source = Some(Source::Explicit);
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
        let explicit = config.credentials_source == Some(Source::Explicit);
        let mut client = Client::with_config(config, self.headers)?;
        if let (Some(provider), false) = (self.provider, explicit) {
            client.credentials = Some(Arc::new(CredentialsCache::new(provider)));
        }
        client.retrier = Arc::new(Retrier::new(retry));
        client.debug = self.debug;
        if self.timeouts.connect != client.timeouts.connect
            || self.timeouts.read != client.timeouts.read
        {
            client.http = http_client(self.timeouts)?;
            client.timeouts = self.timeouts;
        }
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

    /// A client for an already resolved configuration.
    pub fn with_config(
        config: ResolvedConfig,
        headers: Vec<(String, String)>,
    ) -> Result<Client, Error> {
        let timeouts = Timeouts::default();
        let credentials = config.credentials.clone().map(|credentials| {
            let provider = StaticCredentials(Provided {
                credentials,
                expires_at: None,
                source: config
                    .credentials_source
                    .clone()
                    .unwrap_or(Source::Explicit),
            });
            Arc::new(CredentialsCache::new(Arc::new(provider)))
        });
        Ok(Client {
            credentials,
            http: http_client(timeouts)?,
            config: Arc::new(config),
            extra_headers: Arc::new(headers),
            retrier: Arc::new(Retrier::new(RetryPolicy::default())),
            timeouts,
            debug: false,
        })
    }

    pub fn config(&self) -> &ResolvedConfig {
        &self.config
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

fn http_client(timeouts: Timeouts) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
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
