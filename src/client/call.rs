//! [`Request`]: one call of an operation from the spec, as the generated builders make it: the
//! operation's table entry, its member values, extra headers and per-call settings. It is turned
//! into a prepared call once (`into_call`) and handed to the pipeline: to send it (for an envelope, a
//! file or a writer), to page through a listing, or only to sign it (`dry_run`, `presign`).

use std::path::Path;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWrite};

use super::pipeline::{hash_file_body, Call};
use super::prepare::{self, Prepared, PreparedBody};
use super::response::{body_json, Reading};
use super::sink::{FileSink, Sink};
use super::{Client, DryRun, Progress};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::operation::{Encoding, Operation, Output};
use crate::value::{Body, Value};

/// One operation's request: the operation, its member values and extra headers. Made by the generated
/// builders (`client.put_object()…request()`) or [`Client::operation`]. It owns a clone of the
/// client, so it can move into a spawned task.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// let request = client.get_object().bucket("photos").key("cat.jpg").request();
/// let signed = request.clone().dry_run().await?; // the signed request, not sent
/// println!("{} {}", signed.method, signed.url);
/// request.max_attempts(5).send_to_file("cat.jpg").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Request {
    client: Client,
    op: &'static Operation,
    values: Vec<(&'static str, Value)>,
    headers: Vec<(String, String)>,
    unsigned_payload: bool,
    progress: Option<Progress>,
    max_attempts: Option<u32>,
    optional_checksum: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SSE-C keys are secrets: show that they are set, never what they are.
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, value)| {
                let secret = self
                    .op
                    .member(name)
                    .is_some_and(|m| matches!(m.encoding, Encoding::SseCustomerKey { .. }));
                let shown = if secret {
                    "***".to_string()
                } else {
                    format!("{value:?}")
                };
                (*name, shown)
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

impl Request {
    pub fn new(client: &Client, op: &'static Operation) -> Self {
        Request {
            client: client.clone(),
            op,
            values: Vec::new(),
            headers: client.extra_headers.as_ref().clone(),
            unsigned_payload: false,
            progress: None,
            max_attempts: None,
            optional_checksum: false,
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

    /// The value a member is set to.
    pub fn get(&self, member: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == member)
            .map(|(_, v)| v)
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

    /// The checksum this request carries was added by the caller's choice, not the user's: a
    /// server that refuses checksum headers (an error naming the checksum, or 501) gets the
    /// request once more without them, and the client sends none to its endpoint again
    /// ([`Client::checksums_refused`](crate::Client::checksums_refused)). Transfers mark their
    /// requests so.
    pub fn checksum_optional(mut self) -> Self {
        self.optional_checksum = true;
        self
    }

    /// Report the bytes of the body as they go out (file bodies) or come in (object downloads).
    pub fn on_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Send this request at most `attempts` times (the first included) instead of the client's
    /// setting; a resumed body counts as an attempt.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The request, unsigned (checks the input; a file body is not read).
    pub fn prepare(&self) -> Result<Prepared, Error> {
        let mut prepared = prepare::prepare(
            self.op,
            &self.values,
            &self.headers,
            &self.client.config,
            self.client.resolver()?,
        )?;
        prepared.unsigned_payload = self.unsigned_payload;
        Ok(prepared)
    }

    /// Prepare once for the pipeline: standard input read, file bodies hashed off the async threads.
    pub(crate) async fn into_call(mut self) -> Result<Call, Error> {
        for (_, value) in self.values.iter_mut() {
            if let Value::Body(Body::Stdin) = value {
                *value = Value::Body(Body::Bytes(read_stdin().await?));
            }
        }
        let mut prepared = self.prepare()?;
        hash_file_body(&mut prepared, false).await?;
        let asked_url_encoding =
            matches!(self.get("EncodingType"), Some(Value::String(s)) if s == "url");
        let blob = matches!(self.op.output, Output::Blob);
        Ok(Call {
            prepared,
            reading: Reading {
                name: self.op.name,
                output: self.op.output,
                listing: self.op.listing,
                url_decode: asked_url_encoding.then_some(self.op.url_encoded),
            },
            upload_progress: if blob { None } else { self.progress.clone() },
            download_progress: if blob { self.progress } else { None },
            max_attempts: self
                .max_attempts
                .unwrap_or_else(|| self.client.max_attempts()),
            optional_checksum: self.optional_checksum,
        })
    }

    /// The fully signed request, not sent.
    pub async fn dry_run(self) -> Result<DryRun, Error> {
        let client = self.client.clone();
        let call = self.into_call().await?;
        client.dry_run(call).await
    }

    /// A presigned URL for this request, valid for `expires_in` (at most 7 days). Every header the
    /// request carries is signed in: whoever uses the URL must send it with that value.
    pub async fn presign(&self, expires_in: Duration) -> Result<String, Error> {
        let prepared = self.prepare()?;
        let prepared = self.client.in_bucket_region(&prepared)?;
        if !matches!(prepared.body, PreparedBody::Empty) {
            return Err(Error::InvalidInput(
                "a presigned URL carries no body: drop the body member".into(),
            ));
        }
        let credentials = self.client.signing_credentials(&prepared).await?;
        prepare::presign(
            &prepared,
            credentials.as_ref(),
            &self.client.config,
            SystemTime::now(),
            expires_in,
        )
        .map(|u| u.to_string())
    }

    /// Send the request. An object body in the answer is read and dropped, never kept in memory; use
    /// [`Request::send_to_file`] or [`Request::send_to_writer`] for objects.
    pub async fn send(self) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call().await?;
        client.run(&call, &mut Sink::Discard, None).await
    }

    /// Send, writing an object body to `path`. The bytes go to a temporary file beside it, renamed into
    /// place only when the whole body has arrived; on any failure nothing is left under `path`. A body
    /// that breaks off is resumed from the byte reached.
    pub async fn send_to_file(self, path: impl AsRef<Path>) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call().await?;
        client.run_to_file(&call, path.as_ref()).await
    }

    /// Send, streaming an object body into `writer`. A body that breaks off is resumed from the byte
    /// reached, so the writer sees each byte once.
    pub async fn send_to_writer<W: AsyncWrite + Unpin + Send>(
        self,
        writer: &mut W,
    ) -> Result<Envelope, Error> {
        let client = self.client.clone();
        let call = self.into_call().await?;
        client.run(&call, &mut Sink::Writer(writer), None).await
    }

    /// Every page of a listing, in order: the first request as given, then one per continuation
    /// (`ContinuationToken`, `Marker`, `KeyMarker` + `VersionIdMarker`, …) until the listing ends. An
    /// operation that does not page yields its one envelope. The stream ends after the first error.
    pub fn pages(
        self,
    ) -> impl futures_util::Stream<Item = Result<Envelope, Error>> + Send + 'static {
        futures_util::stream::unfold(Some(Ok(self)), |state| async move {
            let request = match state? {
                Ok(request) => request,
                Err(message) => return Some((Err(Error::InvalidResponse(message)), None)),
            };
            let next = request.clone();
            let envelope = match request.send().await {
                Ok(envelope) => envelope,
                Err(e) => return Some((Err(e), None)),
            };
            let Some(tokens) = next
                .op
                .pagination
                .and_then(|p| crate::listing::next_page(p, &envelope.response))
            else {
                return Some((Ok(envelope), None));
            };
            let repeated = tokens.iter().all(
                |(member, token)| matches!(next.get(member), Some(Value::String(s)) if s == token),
            );
            if repeated {
                // A server that hands back the token it was given would page forever.
                let message = format!(
                    "{} returned the same continuation again; stopping",
                    next.op.name
                );
                return Some((Ok(envelope), Some(Err(message))));
            }
            let mut next = next;
            for (member, token) in tokens {
                next.set(member, Value::String(token));
            }
            Some((Ok(envelope), Some(Ok(next))))
        })
    }
}

/// Standard input, read whole so the body can be signed and replayed.
pub(crate) async fn read_stdin() -> Result<bytes::Bytes, Error> {
    let mut buf = Vec::new();
    tokio::io::stdin()
        .read_to_end(&mut buf)
        .await
        .map_err(|source| Error::File {
            path: "-".into(),
            source,
        })?;
    Ok(buf.into())
}

impl Client {
    /// Prepare and sign `call`, without sending it.
    pub(crate) async fn dry_run(&self, mut call: Call) -> Result<DryRun, Error> {
        call.prepared = self.in_bucket_region(&call.prepared)?.into_owned();
        let credentials = self.signing_credentials(&call.prepared).await?;
        prepare::sign(
            &mut call.prepared,
            credentials.as_ref(),
            &self.config,
            self.retrier.signing_time(),
        )?;
        let prepared = call.prepared;
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

    /// Run `call` with its body written to `path` through a temporary file beside it.
    pub(crate) async fn run_to_file(&self, call: &Call, path: &Path) -> Result<Envelope, Error> {
        let temp = crate::transfer::TempFile::create_beside(path).await?;
        let mut sink = Sink::File(FileSink::whole(temp.path()));
        let envelope = self.run(call, &mut sink, None).await?;
        drop(sink);
        temp.persist(path, false).await?;
        Ok(envelope)
    }
}
