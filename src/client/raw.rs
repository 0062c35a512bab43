//! [`RawRequest`]: a signed request to any URL or endpoint path (`s3op request`, OPI's signed
//! requests), its own type beside the operation [`Request`](super::Request): a method, a target,
//! headers and a body, and nothing an operation has. It goes through the same pipeline: prepared
//! once (a file body hashed once, off the async threads, unless the payload is unsigned), then
//! signed, sent, retried and read like every call, by the plain rules (`Output::Any`).

use std::path::{Path, PathBuf};

use tokio::io::AsyncWrite;

use super::call::read_stdin;
use super::pipeline::{hash_file_body, Call};
use super::prepare::{self, Prepared};
use super::response::Reading;
use super::sink::Sink;
use super::{Client, DryRun, Progress};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::operation::Output;
use crate::value::Body;

/// A signed request to any target, made by [`Client::request`].
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// let tags = client.request("GET", "/photos?tagging").send().await?;
/// client
///     .request("PUT", "/photos/cat.jpg")
///     .header("content-type", "image/jpeg")
///     .body_file("cat.jpg")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RawRequest {
    client: Client,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    service: Option<String>,
    unsigned_payload: bool,
    progress: Option<Progress>,
    max_attempts: Option<u32>,
    anonymous: bool,
}

impl std::fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl RawRequest {
    pub(crate) fn new(client: &Client, method: &str, target: &str) -> Self {
        RawRequest {
            client: client.clone(),
            method: method.to_string(),
            target: target.to_string(),
            headers: client.extra_headers.as_ref().clone(),
            body: None,
            service: None,
            unsigned_payload: false,
            progress: None,
            max_attempts: None,
            anonymous: false,
        }
    }

    /// Send it unsigned and without the client's extra headers: for a URL that is not S3 (an
    /// upload's source, a credentials endpoint), which must see neither a signature nor headers
    /// meant for S3. Headers added after this one may include `Authorization` (of another scheme).
    pub fn anonymous(mut self) -> Self {
        self.anonymous = true;
        self.headers.clear();
        self
    }

    /// Add a header (signed with the request); the signer's own headers are refused.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The body from a file, streamed (and hashed once first, unless the payload is unsigned).
    pub fn body_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.body = Some(Body::File(path.into()));
        self
    }

    /// The body from memory.
    pub fn body_bytes(mut self, bytes: impl Into<bytes::Bytes>) -> Self {
        self.body = Some(Body::Bytes(bytes.into()));
        self
    }

    /// The body from standard input (read whole before sending, so it can be replayed).
    pub fn body_stdin(mut self) -> Self {
        self.body = Some(Body::Stdin);
        self
    }

    /// Sign for another service name than the configured one.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Sign the body as `UNSIGNED-PAYLOAD` instead of hashing it.
    pub fn unsigned_payload(mut self) -> Self {
        self.unsigned_payload = true;
        self
    }

    /// Report the bytes of a file body as they go out, or of an answer written to a file or writer.
    pub fn on_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Send at most `attempts` times instead of the client's setting.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The request, unsigned: checks the method, the target and the headers; reads no body.
    pub fn prepare(&self) -> Result<Prepared, Error> {
        let body = match &self.body {
            // Checked here, read when the call is made.
            Some(Body::Stdin) => Some(Body::Bytes(bytes::Bytes::new())),
            other => other.clone(),
        };
        let mut prepared = prepare::prepare_raw(
            &self.method,
            &self.target,
            body.as_ref(),
            &self.headers,
            &self.client.endpoint()?,
            self.anonymous,
        )?;
        prepared.service = self.service.clone();
        prepared.unsigned_payload = self.unsigned_payload;
        Ok(prepared)
    }

    pub(crate) async fn into_call(mut self, sink: bool) -> Result<Call, Error> {
        if let Some(Body::Stdin) = self.body {
            self.body = Some(Body::Bytes(read_stdin().await?));
        }
        let mut prepared = self.prepare()?;
        hash_file_body(&mut prepared, !self.unsigned_payload && !self.anonymous).await?;
        Ok(Call {
            prepared,
            reading: Reading {
                name: "Request",
                output: Output::Any,
                listing: false,
                url_decode: None,
            },
            upload_progress: if sink { None } else { self.progress.clone() },
            download_progress: if sink { self.progress } else { None },
            max_attempts: self
                .max_attempts
                .unwrap_or_else(|| self.client.max_attempts()),
            optional_checksum: false,
        })
    }

    /// The fully signed request, not sent.
    pub async fn dry_run(self) -> Result<DryRun, Error> {
        let client = self.client.clone();
        let call = self.into_call(false).await?;
        client.dry_run(call).await
    }

    /// Send; the answer's body goes into the envelope (binary bodies: use a file or writer).
    pub async fn send(self) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call(false).await?;
        client.run(&call, &mut Sink::Discard, None).await
    }

    /// Send, writing the answer's body to `path` (through a temporary file, renamed when complete).
    pub async fn send_to_file(self, path: impl AsRef<Path>) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call(true).await?;
        client.run_to_file(&call, path.as_ref()).await
    }

    /// Send, streaming the answer's body into `writer`.
    pub async fn send_to_writer<W: AsyncWrite + Unpin + Send>(
        self,
        writer: &mut W,
    ) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call(true).await?;
        client.run(&call, &mut Sink::Writer(writer), None).await
    }
}
