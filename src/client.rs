//! The client and the one send path every operation goes through: a [`Request`] holds an operation
//! from the generated tables and its member values; `send` prepares it (`request`), signs it, sends it
//! with reqwest, and reads the answer into an [`Envelope`] (`xml` for bodies). Object bodies go to a
//! file (written beside the target and renamed into place when complete) or a writer, never to memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::config::{resolve, BasicData, ConfigInputs, Environment, ResolvedConfig};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::operation::{Operation, Output};
use crate::request::{self, Prepared, PreparedBody};
use crate::retry::{self, Failure, RetryPolicy, RetryQuota};
use crate::secret::Secret;
use crate::signer::Credentials;
use crate::value::{Body, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// An S3 client: resolved configuration plus a pooled HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ResolvedConfig>,
    extra_headers: Arc<Vec<(String, String)>>,
    retry: Arc<RetryPolicy>,
    quota: Arc<RetryQuota>,
    /// The server's clock minus ours, in seconds, learnt from a `RequestTimeTooSkewed` answer.
    clock_offset: Arc<AtomicI64>,
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
#[derive(Debug, Default)]
pub struct ClientBuilder {
    inputs: ConfigInputs,
    credentials: Option<Credentials>,
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
        let mut client = Client::with_config(config, self.headers)?;
        client.retry = Arc::new(retry);
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
        Ok(Client {
            http: http_client(timeouts)?,
            config: Arc::new(config),
            extra_headers: Arc::new(headers),
            retry: Arc::new(RetryPolicy::default()),
            quota: Arc::new(RetryQuota::default()),
            clock_offset: Arc::new(AtomicI64::new(0)),
            timeouts,
            debug: false,
        })
    }

    /// The signing time: now, corrected by what a `RequestTimeTooSkewed` answer taught us.
    fn signing_time(&self) -> SystemTime {
        let offset = self.clock_offset.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        }
    }

    /// Decide whether to try `error`'s request again after attempt `attempt`; returns the wait.
    fn should_retry(&self, error: &Error, attempt: u32, spent: &mut u32) -> Option<Duration> {
        let failure = retry::classify(error);
        if failure == Failure::Final || attempt >= self.retry.max_attempts {
            return None;
        }
        if failure == Failure::ClockSkew {
            // Only a clock that is really off is worth correcting; a wrong secret stays an error.
            let offset = retry::clock_offset(error)?;
            if offset.abs() < 60
                && error.envelope().and_then(|e| e.error_code()) != Some("RequestTimeTooSkewed")
            {
                return None;
            }
            self.clock_offset.store(offset, Ordering::Relaxed);
        }
        let cost = self.quota.acquire(failure)?;
        *spent += cost;
        let wait = retry::backoff(&self.retry, failure, attempt, error);
        if self.debug {
            eprintln!(
                "s3op: attempt {attempt} failed ({error}); retrying in {} ms",
                wait.as_millis()
            );
        }
        Some(wait)
    }

    pub fn config(&self) -> &ResolvedConfig {
        &self.config
    }

    /// A signed request to any target: an absolute http(s) URL, or a path and query relative to the
    /// endpoint (`/bucket/key?tagging`). It goes through the same signer, retry policy and envelope as
    /// every operation; the answer is read by the plain rules (XML without a shape, JSON as JSON,
    /// other text as a string). Add `.header()`, `.body_file()`, `.body_bytes()`, `.service()`.
    pub fn request(&self, method: &str, target: &str) -> Request {
        let mut request = Request::new(self, &crate::operation::RAW_REQUEST);
        request.raw = Some(RawTarget {
            method: method.to_string(),
            target: target.to_string(),
            body: None,
            service: None,
            payload_sha256: None,
        });
        request
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

/// One operation's request: the operation, its member values and extra headers. Made by the generated
/// builders (`client.put_object()…request()`) or [`Client::operation`].
#[derive(Clone)]
pub struct Request {
    client: Client,
    op: &'static Operation,
    values: Vec<(&'static str, Value)>,
    headers: Vec<(String, String)>,
    unsigned_payload: bool,
    progress: Option<Progress>,
    raw: Option<RawTarget>,
}

/// The target of a request made with [`Client::request`] rather than a spec operation.
#[derive(Debug, Clone)]
struct RawTarget {
    method: String,
    target: String,
    body: Option<Body>,
    service: Option<String>,
    /// The SHA-256 of a file body, computed once before the first attempt.
    payload_sha256: Option<String>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SSE-C keys are secrets: show that they are set, never what they are.
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, value)| {
                let secret = self.op.member(name).is_some_and(|m| {
                    matches!(
                        m.encoding,
                        crate::operation::Encoding::SseCustomerKey { .. }
                    )
                });
                (
                    *name,
                    if secret {
                        "***".to_string()
                    } else {
                        format!("{value:?}")
                    },
                )
            })
            .collect();
        f.debug_struct("Request")
            .field("operation", &self.op.name)
            .field("values", &values)
            .field("headers", &self.headers)
            .field("unsigned_payload", &self.unsigned_payload)
            .finish_non_exhaustive()
    }
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

impl Request {
    pub fn new(client: &Client, op: &'static Operation) -> Self {
        Request {
            client: client.clone(),
            op,
            values: Vec::new(),
            headers: client.extra_headers.as_ref().clone(),
            unsigned_payload: false,
            progress: None,
            raw: None,
        }
    }

    pub fn operation(&self) -> &'static Operation {
        self.op
    }

    /// Set a member by its S3 API name (`VersionId`); an unknown name is refused when the request is
    /// prepared. The generated setters call this with the right `Value` kind.
    pub fn set(&mut self, member: &'static str, value: Value) {
        self.values.retain(|(n, _)| *n != member);
        self.values.push((member, value));
    }

    /// Set a member by name, for callers holding names that are not `'static` (the CLI, JSON input).
    pub fn set_named(&mut self, member: &str, value: Value) -> Result<(), Error> {
        let Some(m) = self.op.member(member) else {
            return Err(Error::InvalidInput(format!(
                "{} has no member {member}",
                self.op.name
            )));
        };
        self.set(m.name, value);
        Ok(())
    }

    /// Add a header to this request (signed with it). Headers the signer owns are refused, as is a
    /// header a member also sets.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sign the body as `UNSIGNED-PAYLOAD` instead of hashing it (a file body always is). Transfers use
    /// this to spend no CPU on SHA-256 for bytes already in memory.
    pub fn unsigned_payload(mut self) -> Self {
        self.unsigned_payload = true;
        self
    }

    /// The body of a [`Client::request`]: a file, streamed (and hashed first unless the payload is
    /// unsigned). Ignored for spec operations, whose bodies are members.
    pub fn body_file(mut self, path: impl Into<PathBuf>) -> Self {
        if let Some(raw) = &mut self.raw {
            raw.body = Some(Body::File(path.into()));
        }
        self
    }

    /// The body of a [`Client::request`], from memory.
    pub fn body_bytes(mut self, bytes: impl Into<bytes::Bytes>) -> Self {
        if let Some(raw) = &mut self.raw {
            raw.body = Some(Body::Bytes(bytes.into()));
        }
        self
    }

    /// The body of a [`Client::request`] from standard input (read whole before sending).
    pub fn body_stdin(mut self) -> Self {
        if let Some(raw) = &mut self.raw {
            raw.body = Some(Body::Stdin);
        }
        self
    }

    /// Sign a [`Client::request`] for another service name than the configured one.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        if let Some(raw) = &mut self.raw {
            raw.service = Some(service.into());
        }
        self
    }

    /// Report the bytes of the body as they go out (file bodies) or come in (object downloads).
    pub fn on_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Read a standard-input body into memory so it can be signed and sent.
    async fn materialise_stdin(&mut self) -> Result<(), Error> {
        if let Some(RawTarget {
            body: body @ Some(Body::Stdin),
            ..
        }) = &mut self.raw
        {
            let mut buf = Vec::new();
            tokio::io::stdin()
                .read_to_end(&mut buf)
                .await
                .map_err(|source| Error::File {
                    path: PathBuf::from("-"),
                    source,
                })?;
            *body = Some(Body::Bytes(buf.into()));
        }
        for (_, value) in self.values.iter_mut() {
            if let Value::Body(Body::Stdin) = value {
                let mut buf = Vec::new();
                tokio::io::stdin()
                    .read_to_end(&mut buf)
                    .await
                    .map_err(|source| Error::File {
                        path: PathBuf::from("-"),
                        source,
                    })?;
                *value = Value::Body(Body::Bytes(buf.into()));
            }
        }
        Ok(())
    }

    /// The request, unsigned.
    pub fn prepare(&self) -> Result<Prepared, Error> {
        if let Some(raw) = &self.raw {
            let mut prepared = request::prepare_raw(
                &raw.method,
                &raw.target,
                raw.body.as_ref(),
                &self.headers,
                &self.client.config,
            )?;
            prepared.service = raw.service.clone();
            prepared.payload_sha256 = raw.payload_sha256.clone();
            return Ok(prepared);
        }
        request::prepare(self.op, &self.values, &self.headers, &self.client.config)
    }

    /// The fully signed request, not sent.
    pub async fn dry_run(mut self) -> Result<DryRun, Error> {
        self.materialise_stdin().await?;
        self.hash_raw_file_body().await?;
        let mut prepared = self.prepare()?;
        request::sign(
            &mut prepared,
            &self.client.config,
            self.client.signing_time(),
        );
        let body = match &prepared.body {
            PreparedBody::Empty => serde_json::Value::Null,
            PreparedBody::Bytes(b) => body_json(b),
            PreparedBody::File { path, .. } => {
                let bytes = tokio::fs::read(path).await.map_err(|source| Error::File {
                    path: path.clone(),
                    source,
                })?;
                body_json(&bytes)
            }
        };
        Ok(DryRun {
            method: prepared.method.to_string(),
            url: prepared.url.to_string(),
            headers: prepared.headers.into_iter().collect(),
            body,
        })
    }

    /// A presigned URL for this request, valid for `expires_in` (at most 7 days). Every header the
    /// request carries is signed in: whoever uses the URL must send it with that value.
    pub fn presign(&self, expires_in: Duration) -> Result<String, Error> {
        let prepared = self.prepare()?;
        if !matches!(prepared.body, PreparedBody::Empty) {
            return Err(Error::InvalidInput(
                "a presigned URL carries no body: drop the body member".into(),
            ));
        }
        request::presign(
            &prepared,
            &self.client.config,
            SystemTime::now(),
            expires_in,
        )
        .map(|u| u.to_string())
    }

    /// Send the request. An object body in the answer is read into `response` only if the operation's
    /// output is not a blob; use [`Request::send_to_file`] or [`Request::send_to_writer`] for objects.
    pub async fn send(self) -> Result<Envelope, Error> {
        self.send_with(Sink::Discard).await
    }

    /// Send, writing an object body to `path`. The bytes go to a temporary file beside it, renamed into
    /// place only when the whole body has arrived; on any failure nothing is left under `path`.
    pub async fn send_to_file(self, path: impl AsRef<Path>) -> Result<Envelope, Error> {
        self.send_with(Sink::File(path.as_ref().to_path_buf()))
            .await
    }

    /// Send, streaming an object body into `writer`.
    pub async fn send_to_writer<W: AsyncWrite + Unpin + Send>(
        self,
        writer: &mut W,
    ) -> Result<Envelope, Error> {
        self.send_with(Sink::Writer(writer, 0)).await
    }

    /// Every page of a listing, in order: the first request as given, then one per continuation
    /// (`ContinuationToken`, `Marker`, `KeyMarker` + `VersionIdMarker`, …) until the listing ends. An
    /// operation that does not page yields its one envelope. The stream ends after the first error.
    pub fn pages(
        self,
    ) -> impl futures_util::Stream<Item = Result<Envelope, Error>> + Send + 'static {
        futures_util::stream::unfold(Some(PageState::Next(self)), |state| async move {
            let request = match state? {
                PageState::Next(request) => request,
                PageState::Failed(message) => {
                    return Some((Err(Error::InvalidResponse(message)), None))
                }
            };
            let next = request.clone();
            match request.send().await {
                Err(e) => Some((Err(e), None)),
                Ok(envelope) => {
                    let Some(tokens) = next
                        .op
                        .pagination
                        .and_then(|p| crate::listing::next_page(p, &envelope.response))
                    else {
                        return Some((Ok(envelope), None));
                    };
                    let repeated = tokens.iter().all(|(member, token)| {
                        next.values.iter().any(|(n, v)| {
                            n == member && matches!(v, Value::String(s) if s == token)
                        })
                    });
                    if repeated {
                        // A server that hands back the token it was given would page forever.
                        let message = format!(
                            "{} returned the same continuation again; stopping",
                            next.op.name
                        );
                        return Some((Ok(envelope), Some(PageState::Failed(message))));
                    }
                    let mut next = next;
                    for (member, token) in tokens {
                        next.set(member, Value::String(token));
                    }
                    Some((Ok(envelope), Some(PageState::Next(next))))
                }
            }
        })
    }

    /// True when the caller asked S3 to percent-encode keys in the answer.
    fn asked_for_url_encoding(&self) -> bool {
        self.values
            .iter()
            .any(|(name, v)| *name == "EncodingType" && matches!(v, Value::String(s) if s == "url"))
    }

    /// Prepare, sign and send once; transport failures become [`Error::Transport`].
    async fn dispatch(&self, attempt: u32) -> Result<reqwest::Response, Error> {
        let mut prepared = self.prepare()?;
        prepared.unsigned_payload = self.unsigned_payload;
        let signed = request::sign(
            &mut prepared,
            &self.client.config,
            self.client.signing_time(),
        );
        if self.client.debug {
            eprintln!(
                "s3op: attempt {attempt}: {} {}",
                prepared.method,
                strip_query(&prepared.url)
            );
            if let Some(signed) = &signed {
                let token = self
                    .client
                    .config
                    .credentials
                    .as_ref()
                    .and_then(|c| c.session_token.as_ref());
                let redact = |text: &str| match token {
                    Some(t) if !t.expose().is_empty() => text.replace(t.expose(), "***"),
                    _ => text.to_string(),
                };
                eprintln!(
                    "s3op: canonical request:\n{}",
                    redact(&signed.canonical_request)
                );
                eprintln!("s3op: string to sign:\n{}", signed.string_to_sign);
            }
        }
        let progress = if matches!(self.op.output, Output::Blob) {
            None
        } else {
            self.progress.clone()
        };
        let result = execute(&self.client.http, prepared, progress, self.client.timeouts).await;
        if self.client.debug {
            match &result {
                Ok(r) => eprintln!("s3op: attempt {attempt}: status {}", r.status().as_u16()),
                Err(e) => eprintln!("s3op: attempt {attempt}: {e}"),
            }
        }
        result
    }

    /// A raw request's file body is signed by its SHA-256, computed by streaming the file once.
    async fn hash_raw_file_body(&mut self) -> Result<(), Error> {
        let unsigned = self.unsigned_payload;
        if let Some(raw) = &mut self.raw {
            if let (Some(Body::File(path)), false, None) =
                (&raw.body, unsigned, &raw.payload_sha256)
            {
                use sha2::Digest;
                let mut file = tokio::fs::File::open(path)
                    .await
                    .map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })?;
                let mut hasher = sha2::Sha256::new();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = file.read(&mut buf).await.map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                }
                raw.payload_sha256 = Some(hex::encode(hasher.finalize()));
            }
        }
        Ok(())
    }

    async fn send_with(mut self, mut sink: Sink<'_>) -> Result<Envelope, Error> {
        self.materialise_stdin().await?;
        self.hash_raw_file_body().await?;
        let mut attempt = 1;
        let mut spent = 0;
        loop {
            let result = match self.dispatch(attempt).await {
                Ok(response) => {
                    let progress = if matches!(self.op.output, Output::Blob) {
                        self.progress.clone()
                    } else {
                        None
                    };
                    read_response(self.op, response, &mut sink, progress).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(mut envelope) => {
                    self.client.quota.release(spent);
                    // Decode only what the user asked to be encoded and the server says it encoded
                    // (some servers ignore encoding-type, and decoding raw keys would corrupt them).
                    if self.asked_for_url_encoding() && envelope.response["EncodingType"] == "url" {
                        crate::listing::decode_url_encoded(
                            &mut envelope.response,
                            self.op.url_encoded,
                        );
                    }
                    return Ok(envelope);
                }
                Err(e) => {
                    // Bytes already handed to a caller's writer cannot be taken back.
                    let replayable = !matches!(&sink, Sink::Writer(_, written) if *written > 0);
                    match self
                        .client
                        .should_retry(&e, attempt, &mut spent)
                        .filter(|_| replayable)
                    {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => return Err(e),
                    }
                }
            }
            attempt += 1;
        }
    }

    /// Send, and on success hand back the envelope (status and headers; `response` null) with the
    /// unread body, for callers that stream it themselves (ranged downloads). Errors before the body
    /// are retried by the policy; an error status is read into [`Error::Service`].
    pub async fn send_streaming(mut self) -> Result<(Envelope, reqwest::Response), Error> {
        self.materialise_stdin().await?;
        let mut attempt = 1;
        let mut spent = 0;
        let response = loop {
            let result = match self.dispatch(attempt).await {
                Ok(response) if response.status().as_u16() >= 300 => {
                    match read_response(self.op, response, &mut Sink::Discard, None).await {
                        Ok(envelope) => Err(Error::InvalidResponse(format!(
                            "{} answered {}",
                            self.op.name, envelope.status
                        ))),
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
            match result {
                Ok(response) => {
                    self.client.quota.release(spent);
                    break response;
                }
                Err(e) => match self.client.should_retry(&e, attempt, &mut spent) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => return Err(e),
                },
            }
            attempt += 1;
        };
        let status = response.status().as_u16();
        let envelope = Envelope {
            status,
            response: serde_json::Value::Null,
            headers: headers_map(response.headers()),
        };
        Ok((envelope, response))
    }
}

/// Where a listing stands between pages.
enum PageState {
    Next(Request),
    Failed(String),
}

fn body_json(bytes: &[u8]) -> serde_json::Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::Value::String(text.to_string()),
        Err(_) => {
            use base64::Engine;
            serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
    }
}

/// Send a signed request; transport failures become [`Error::Transport`].
async fn execute(
    http: &reqwest::Client,
    prepared: Prepared,
    progress: Option<Progress>,
    timeouts: Timeouts,
) -> Result<reqwest::Response, Error> {
    let method = reqwest::Method::from_bytes(prepared.method.as_bytes())
        .map_err(|_| Error::InvalidInput(format!("bad HTTP method {}", prepared.method)))?;
    let url_for_errors = strip_query(&prepared.url);
    let mut builder = http.request(method, prepared.url.clone());
    for (name, value) in &prepared.headers {
        let header_value =
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                Error::InvalidInput(format!("the value of header {name} cannot be sent in HTTP"))
            })?;
        builder = builder.header(name.as_str(), header_value);
    }
    builder = match prepared.body {
        // S3 answers 411 to a PUT or POST without Content-Length: send an explicit empty body.
        PreparedBody::Empty if matches!(prepared.method, "PUT" | "POST" | "PATCH") => builder
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .body(Vec::new()),
        PreparedBody::Empty => builder,
        PreparedBody::Bytes(b) => builder.body(b),
        PreparedBody::File { path, offset, len } => {
            let mut file = tokio::fs::File::open(&path)
                .await
                .map_err(|source| Error::File {
                    path: path.clone(),
                    source,
                })?;
            if offset > 0 {
                use tokio::io::AsyncSeekExt;
                file.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })?;
            }
            let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 256 * 1024);
            match progress {
                Some(progress) => {
                    let stream = stream.inspect(move |chunk| {
                        if let Ok(chunk) = chunk {
                            progress(chunk.len() as u64);
                        }
                    });
                    builder.body(reqwest::Body::wrap_stream(stream))
                }
                None => builder.body(reqwest::Body::wrap_stream(stream)),
            }
        }
    };
    builder
        .send()
        .await
        .map_err(|e| transport_error(prepared.method, url_for_errors, &e, timeouts))
}

/// A reqwest failure as [`Error::Transport`]; a timeout names the setting that ran out.
fn transport_error(method: &str, url: String, e: &reqwest::Error, timeouts: Timeouts) -> Error {
    let timeout = e.is_timeout() || error_chain(e).contains("timed out");
    let mut message = error_chain(e);
    if timeout {
        if e.is_connect() {
            message = format!(
                "no connection within the connect timeout of {} s (--connect-timeout): {message}",
                timeouts.connect.as_secs_f64()
            );
        } else {
            message = format!(
                "no answer within the read timeout of {} s (--read-timeout): {message}",
                timeouts.read.as_secs_f64()
            );
        }
    }
    Error::Transport {
        method: method.to_string(),
        url,
        message,
        timeout,
    }
}

/// The URL without its query, for messages (a query may hold a signature).
fn strip_query(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// An error and its causes on one line ("connection refused" is usually two levels down).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Where an object body goes.
enum Sink<'w> {
    Discard,
    File(PathBuf),
    /// A caller's writer and how many bytes it has been given (after the first, no retry).
    Writer(&'w mut (dyn AsyncWrite + Unpin + Send), u64),
}

fn headers_map(headers: &reqwest::header::HeaderMap) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_string())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&text);
            })
            .or_insert(text);
    }
    map
}

/// Read the answer into an envelope; a status of 300 or more, or a 200 with an `<Error>` body, is
/// [`Error::Service`].
async fn read_response(
    op: &'static Operation,
    response: reqwest::Response,
    sink: &mut Sink<'_>,
    progress: Option<Progress>,
) -> Result<Envelope, Error> {
    let status = response.status().as_u16();
    let headers = headers_map(response.headers());
    let url = strip_query(response.url());
    let transport = |e: reqwest::Error| Error::Transport {
        method: op.method.to_string(),
        url: url.clone(),
        timeout: e.is_timeout(),
        message: error_chain(&e),
    };

    if status < 300 {
        let streams = match op.output {
            Output::Blob => true,
            Output::Any => !matches!(sink, Sink::Discard),
            _ => false,
        };
        if streams {
            match sink {
                Sink::Discard => {
                    // Drain so the connection can be reused; the caller asked for no body.
                    let mut stream = response.bytes_stream();
                    while let Some(chunk) = stream.next().await {
                        chunk.map_err(transport)?;
                    }
                }
                Sink::Writer(w, written) => {
                    let mut stream = response.bytes_stream();
                    while let Some(chunk) = stream.next().await {
                        let chunk = chunk.map_err(transport)?;
                        *written += chunk.len() as u64;
                        if let Some(p) = &progress {
                            p(chunk.len() as u64);
                        }
                        w.write_all(&chunk).await.map_err(|source| Error::File {
                            path: PathBuf::from("-"),
                            source,
                        })?;
                    }
                    w.flush().await.map_err(|source| Error::File {
                        path: PathBuf::from("-"),
                        source,
                    })?;
                }
                Sink::File(path) => {
                    write_file_atomically(path, response, &url, op, progress).await?
                }
            }
            return Ok(Envelope {
                status,
                response: serde_json::Value::Null,
                headers,
            });
        }
    }

    let bytes = response.bytes().await.map_err(transport)?;
    let body = if status >= 300 {
        crate::xml::xml_to_json(&bytes, None)
    } else {
        match op.output {
            Output::Xml(shape) => {
                let mut json = crate::xml::xml_to_json(&bytes, Some(shape));
                crate::xml::normalize_response(&mut json, shape, op.listing);
                json
            }
            Output::Text => text_body(&bytes),
            Output::EventStream(_) => {
                let messages = crate::eventstream::decode_messages(&bytes).map_err(|e| {
                    Error::InvalidResponse(format!("{} event stream: {e}", op.name))
                })?;
                crate::eventstream::select_events_to_json(&messages)
                    .map_err(|e| Error::InvalidResponse(format!("{} event stream: {e}", op.name)))?
            }
            Output::Blob => {
                if bytes.is_empty() {
                    serde_json::Value::Null
                } else {
                    body_json(&bytes)
                }
            }
            Output::None => crate::xml::xml_to_json(&bytes, None),
            Output::Any => any_body(&bytes),
        }
    };
    let envelope = Envelope {
        status,
        response: body,
        headers,
    };
    if envelope.is_success() {
        Ok(envelope)
    } else {
        Err(Error::Service(Box::new(envelope)))
    }
}

/// A body of unknown kind: JSON as JSON, XML by the plain rules, other text as a string; binary
/// bytes are not put into JSON (null: write them to a file instead).
fn any_body(bytes: &[u8]) -> serde_json::Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return json;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.trim_start().starts_with('<') => crate::xml::xml_to_json(bytes, None),
        Ok(text) => serde_json::Value::String(text.to_string()),
        Err(_) => serde_json::Value::Null,
    }
}

/// A text body (a bucket policy): parsed JSON when it is JSON, otherwise the text; an XML error stays
/// an error.
fn text_body(bytes: &[u8]) -> serde_json::Value {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return json;
    }
    let trimmed = String::from_utf8_lossy(bytes);
    if trimmed.trim_start().starts_with('<') {
        return crate::xml::xml_to_json(bytes, None);
    }
    serde_json::Value::String(trimmed.into_owned())
}

/// Stream a response body into `path` through a temporary file beside it, renamed on success.
async fn write_file_atomically(
    path: &Path,
    response: reqwest::Response,
    url: &str,
    op: &'static Operation,
    progress: Option<Progress>,
) -> Result<(), Error> {
    let temp = crate::transfer::temp_path_for(path);
    crate::transfer::register_temp_file(&temp);
    let result = async {
        let mut file = tokio::fs::File::create(&temp)
            .await
            .map_err(|source| Error::File {
                path: temp.clone(),
                source,
            })?;
        let expected = response.content_length();
        let mut written: u64 = 0;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::Transport {
                method: op.method.to_string(),
                url: url.to_string(),
                timeout: e.is_timeout(),
                message: error_chain(&e),
            })?;
            written += chunk.len() as u64;
            if let Some(p) = &progress {
                p(chunk.len() as u64);
            }
            file.write_all(&chunk).await.map_err(|source| Error::File {
                path: temp.clone(),
                source,
            })?;
        }
        file.flush().await.map_err(|source| Error::File {
            path: temp.clone(),
            source,
        })?;
        file.sync_all().await.map_err(|source| Error::File {
            path: temp.clone(),
            source,
        })?;
        if let Some(expected) = expected {
            if expected != written {
                return Err(Error::Transport {
                    method: op.method.to_string(),
                    url: url.to_string(),
                    timeout: false,
                    message: format!("the body ended after {written} of {expected} bytes"),
                });
            }
        }
        tokio::fs::rename(&temp, path)
            .await
            .map_err(|source| Error::File {
                path: path.to_path_buf(),
                source,
            })
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    crate::transfer::unregister_temp_file(&temp);
    result
}
