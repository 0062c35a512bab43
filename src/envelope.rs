//! The envelope every call returns: `{"status": 200, "response": {...}, "headers": {...}}`. `status` is
//! the HTTP status, `headers` the response headers (lower-case names, repeated headers joined with
//! `, `), `response` the body converted to JSON (see `xml`), or null for an empty body or an object
//! download. This module only holds, prints and hands the envelope to the typed outputs
//! ([`crate::types`]); it knows nothing of HTTP or XML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::types::FromEnvelope;

/// What every call returns: the HTTP status, the headers, and the body as JSON.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// use s3op::types::HeadObjectOutput;
/// let envelope = client.head_object().bucket("photos").key("cat.jpg").send().await?;
/// println!("{} {}", envelope.status, envelope.to_json_pretty());
/// let head: HeadObjectOutput = envelope.parse()?; // the same answer, typed
/// println!("{:?} bytes, ETag {:?}", head.content_length(), head.e_tag());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub status: u16,
    pub response: serde_json::Value,
    pub headers: BTreeMap<String, String>,
}

impl Envelope {
    /// S3's error code (`NoSuchKey`, `SignatureDoesNotMatch`), when the body is an `<Error>`.
    pub fn error_code(&self) -> Option<&str> {
        self.response
            .pointer("/Error/Code")
            .and_then(|c| c.as_str())
    }

    /// True when the status is below 300 and the body is not an `<Error>`.
    pub fn is_success(&self) -> bool {
        self.status < 300 && self.error_code().is_none()
    }

    /// The answer as an operation's typed output (`envelope.parse::<ListObjectsV2Output>()`): body
    /// members from `response`, header members from `headers` (see [`crate::types`]). An S3 error
    /// envelope is [`Error::Service`]; an answer that does not fit the type is
    /// [`Error::InvalidResponse`] naming the operation and the field.
    pub fn parse<T: FromEnvelope>(&self) -> Result<T, Error> {
        if !self.is_success() {
            return Err(Error::Service(Box::new(self.clone())));
        }
        T::from_envelope(self)
    }

    /// The envelope as pretty-printed JSON, for people and `jq`.
    pub fn to_json_pretty(&self) -> String {
        // Serialising plain maps of strings and JSON values cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
