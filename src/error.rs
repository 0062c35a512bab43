//! The library's one error type. It separates what the caller can fix before sending (bad input,
//! configuration), what went wrong on the way (transport, files), and what S3 answered (a service
//! error carrying its envelope). The CLI renders these once, at its edge, and maps them to exit codes.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::envelope::Envelope;

/// The library's one error type.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// match client.get_object().bucket("photos").key("missing.jpg").send_to_file("x.jpg").await {
///     Ok(_) => {}
///     Err(e) if e.code() == Some("NoSuchKey") => {
///         eprintln!("no such key (request id {:?})", e.request_id());
///     }
///     Err(e) if e.is_input_error() => eprintln!("bad input, nothing sent: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A member's value is missing or malformed; nothing was sent.
    #[error("--{flag} ({member}): {message}")]
    InvalidMember {
        member: &'static str,
        flag: &'static str,
        message: String,
    },
    /// Other input refused before sending (a header the signer owns, an unknown member, …).
    #[error("{0}")]
    InvalidInput(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// AWS's endpoint rule set refused the request's parameters (an ARN it does not accept, FIPS
    /// with a custom endpoint, a region that is no host name); nothing was sent. The message is the
    /// rule set's own.
    #[error("{}{source}", bucket.as_deref().map(|b| format!("bucket {b}: ")).unwrap_or_default())]
    Endpoint {
        /// The bucket (name or ARN) the request was for.
        bucket: Option<String>,
        source: crate::endpoint::EndpointError,
    },
    /// No keys could be had from the configured source (nothing was sent to S3).
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsError),
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The request did not get an answer (connection refused, reset, timed out, TLS).
    #[error("{method} {url}: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
        /// No answer came within a timeout (connect or read).
        timeout: bool,
    },
    /// The server's TLS certificate was refused (not trusted, another host's, expired): another
    /// attempt would meet the same certificate, so it is not retried.
    #[error("{method} {url}: {message}")]
    Tls {
        method: String,
        url: String,
        message: String,
    },
    /// The server's answer made no sense for the operation (a listing that does not advance).
    #[error("{0}")]
    InvalidResponse(String),
    /// The bytes downloaded do not have the checksum the object has stored: changed on the way
    /// (a faulty network, proxy or disk). Nothing was left under the target name.
    #[error("s3://{bucket}/{key}: the downloaded bytes have {algorithm} {computed}, the object has {expected}")]
    ChecksumMismatch {
        bucket: String,
        key: String,
        algorithm: String,
        /// The object's stored value.
        expected: String,
        /// The value of the bytes received.
        computed: String,
    },
    /// A write that must not replace anything found its target taken (`sync --no-overwrite`):
    /// the target was left as it was.
    #[error("{0} exists: not replaced (--no-overwrite)")]
    DestinationExists(String),
    /// One part of a multipart transfer failed (after its retries); the transfer was aborted.
    #[error("part {number}: {source}")]
    Part { number: u64, source: Box<Error> },
    /// S3 answered with an error: status 300 or above, or a 200 whose body is an `<Error>`.
    #[error("{}", service_message(.0))]
    Service(Box<Envelope>),
}

impl Error {
    /// True when the caller's input was refused before anything was sent (the CLI exits 2).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidMember { .. }
                | Error::InvalidInput(_)
                | Error::Config(_)
                | Error::Endpoint { .. }
                | Error::Credentials(
                    crate::credentials::CredentialsError::Invalid { .. }
                        | crate::credentials::CredentialsError::NotFound { .. }
                )
        )
    }

    /// The envelope of an S3 error (also inside a failed part).
    pub fn envelope(&self) -> Option<&Envelope> {
        match self {
            Error::Service(e) => Some(e),
            Error::Part { source, .. } => source.envelope(),
            _ => None,
        }
    }

    /// S3's error code (`NoSuchKey`, `AccessDenied`) of a service error; none for other errors or
    /// an error without a body (a HEAD's 404).
    pub fn code(&self) -> Option<&str> {
        self.envelope()?.error_code()
    }

    /// S3's error message of a service error.
    pub fn message(&self) -> Option<&str> {
        self.envelope()?
            .response
            .pointer("/Error/Message")
            .and_then(|m| m.as_str())
    }

    /// The request id of a service error: `x-amz-request-id` (S3), `x-amzn-requestid` (some
    /// S3-compatible servers), else the `RequestId` of the error body.
    pub fn request_id(&self) -> Option<&str> {
        let envelope = self.envelope()?;
        request_id_of(envelope)
    }
}

fn request_id_of(envelope: &Envelope) -> Option<&str> {
    crate::compat::request_id(&envelope.headers).or_else(|| {
        envelope
            .response
            .pointer("/Error/RequestId")
            .and_then(|r| r.as_str())
    })
}

fn service_message(envelope: &Envelope) -> String {
    let code = envelope.error_code().unwrap_or("");
    let message = envelope
        .response
        .pointer("/Error/Message")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let mut text = format!("S3 answered {}", envelope.status);
    if !code.is_empty() {
        text.push_str(&format!(" {code}"));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if let Some(id) = request_id_of(envelope) {
        text.push_str(&format!(" (request id {id})"));
    }
    text
}
