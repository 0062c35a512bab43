//! The last phase of an attempt: an HTTP answer read into an [`Envelope`]. Status and headers as they
//! came; a body of XML converted by the operation's output shape (`xml`), an event stream decoded, a
//! policy's text kept as text, anything else by the plain rules. An error status, or a 200 whose body
//! is an `<Error>`, becomes [`Error::Service`]. Streamed object bodies are not read here (`pipeline`
//! hands them to a sink); this module only reads answers that go into the envelope.

use std::collections::BTreeMap;

use crate::envelope::Envelope;
use crate::error::Error;
use crate::operation::Output;

/// How a call's answer is read: what its body is, and how it is named in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// The S3 API name (`GetObject`), or `Request` for a raw request.
    pub name: &'static str,
    pub output: Output,
    /// The answer is a listing: absent top-level lists come back as `[]`.
    pub listing: bool,
    /// Members to percent-decode when the caller asked for `encoding-type=url` and the server did it.
    pub url_decode: Option<&'static [&'static str]>,
}

impl Reading {
    /// True when a successful answer's body goes to a sink rather than into the envelope.
    pub fn streams(&self, has_sink: bool) -> bool {
        match self.output {
            Output::Blob => true,
            Output::Any => has_sink,
            _ => false,
        }
    }
}

/// Response headers as the envelope holds them: lower-case names, repeated headers joined by `, `.
pub(crate) fn headers_map(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
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

/// Read a whole (non-streamed) answer into an envelope.
pub(crate) async fn read_envelope(
    reading: &Reading,
    method: &str,
    response: reqwest::Response,
) -> Result<Envelope, Error> {
    let status = response.status().as_u16();
    let headers = headers_map(response.headers());
    let url = strip_query(response.url());
    let bytes = response.bytes().await.map_err(|e| Error::Transport {
        method: method.to_string(),
        url: url.clone(),
        timeout: e.is_timeout(),
        message: error_chain(&e),
    })?;
    let body = if status >= 300 {
        crate::xml::xml_to_json(&bytes, None)
    } else {
        body_of(reading, &bytes)?
    };
    let mut envelope = Envelope {
        status,
        response: body,
        headers,
    };
    if envelope.is_success() {
        if let Some(members) = reading.url_decode {
            // Decode only what the user asked to be encoded and the server says it encoded.
            if crate::compat::listing_was_url_encoded(&envelope.response) {
                crate::listing::decode_url_encoded(&mut envelope.response, members);
            }
        }
        Ok(envelope)
    } else {
        Err(Error::Service(Box::new(envelope)))
    }
}

/// A successful answer's body as JSON, by the operation's output kind.
fn body_of(reading: &Reading, bytes: &[u8]) -> Result<serde_json::Value, Error> {
    Ok(match reading.output {
        Output::Xml(shape) => {
            let mut json = crate::xml::xml_to_json(bytes, Some(shape));
            crate::xml::normalize_response(&mut json, shape, reading.listing);
            json
        }
        Output::Text => text_body(bytes),
        Output::EventStream(_) => {
            let messages = crate::eventstream::decode_messages(bytes).map_err(|e| {
                Error::InvalidResponse(format!("{} event stream: {e}", reading.name))
            })?;
            crate::eventstream::select_events_to_json(&messages).map_err(|e| {
                Error::InvalidResponse(format!("{} event stream: {e}", reading.name))
            })?
        }
        Output::Blob => {
            if bytes.is_empty() {
                serde_json::Value::Null
            } else {
                body_json(bytes)
            }
        }
        Output::None => crate::xml::xml_to_json(bytes, None),
        Output::Any => any_body(bytes),
    })
}

/// Bytes as JSON for people: the text, or `{"base64": …}` when it is not UTF-8.
pub(crate) fn body_json(bytes: &[u8]) -> serde_json::Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::Value::String(text.to_string()),
        Err(_) => {
            use base64::Engine;
            serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) })
        }
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
/// an error; other text is kept as text (`compat::text_answer`).
fn text_body(bytes: &[u8]) -> serde_json::Value {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return json;
    }
    let text = String::from_utf8_lossy(bytes);
    if text.trim_start().starts_with('<') {
        return crate::xml::xml_to_json(bytes, None);
    }
    crate::compat::text_answer(&text)
}

/// The URL without its query, for messages (a query may hold a signature).
pub(crate) fn strip_query(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// An error and its causes on one line ("connection refused" is usually two levels down).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    // A refused certificate, told in words, rather than "error sending request".
    if let Some(problem) = super::tls::tls_problem(e) {
        return problem;
    }
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
