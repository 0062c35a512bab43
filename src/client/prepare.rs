//! The first phase of every call: turns an operation and its member values (or a raw target) into an
//! unsigned HTTP request, once, before any attempt; and the signing each attempt then does on a copy.
//! This is the one place where the spec's locations (path label, query, header, header map, body)
//! become bytes on the wire. It applies botocore's conveniences that users rely on (an SSE-C key sent
//! base64 with its MD5, a percent-encoded copy source, Content-MD5 where S3 requires an integrity
//! header) and refuses bad input before anything is sent. It never sends and never reads a file body
//! (hashes of file bodies are computed off the async threads by `call`).

use std::time::{Duration, SystemTime};

use base64::Engine;
use bytes::Bytes;
use md5::{Digest as _, Md5};
use url::Url;

use super::route::{Auth, Route};
use crate::config::ResolvedConfig;
use crate::endpoint::Resolver;
use crate::error::Error;
use crate::operation::{Encoding, Location, Member, Operation, Payload};
use crate::shape::{Shape, TimestampFormat};
use crate::signer::{
    self, Credentials, PayloadHash, SignableRequest, SigningParams, SigningSettings,
};
use crate::timestamp::format_timestamp;
use crate::value::{Body, Value};

/// Headers the signer sets; a caller may not set them.
pub const SIGNER_HEADERS: &[&str] = &[
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "host",
    "x-amz-security-token",
];

/// A request ready to sign or send.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: &'static str,
    pub url: Url,
    /// Lower-case names, in the order they were added.
    pub headers: Vec<(String, String)>,
    pub body: PreparedBody,
    /// Sign the body as `UNSIGNED-PAYLOAD` even when it is in memory.
    pub unsigned_payload: bool,
    /// The body's SHA-256, hex, when computed ahead (a streamed file that must be signed).
    pub payload_sha256: Option<String>,
    /// Sign for this service instead of the configured one: the endpoint's signing name
    /// (`s3express`, `s3-outposts`…), or `s3op request --service`.
    pub service: Option<String>,
    /// A flexible checksum still to compute over a file body: (header, algorithm). Reading the file
    /// is left to the async preparation step, which does it once on a blocking thread.
    pub pending_checksum: Option<(String, String)>,
    /// Send without signing (a source that is not S3, such as an upload's http(s) URL).
    pub anonymous: bool,
    /// The bucket the request addresses, if any (its region is learnt from redirects).
    pub bucket: Option<String>,
    /// Sign for this region instead of the configured one (the endpoint's, or the bucket's own
    /// once known).
    pub region: Option<String>,
    /// How to sign: SigV4, SigV4a or with an S3 Express session, as the endpoint asks.
    pub auth: Auth,
    /// Where the request goes, kept to resolve again for another region; `None` for a request
    /// to a URL given whole (`s3op request`).
    pub route: Option<Route>,
}

#[derive(Debug, Clone)]
pub enum PreparedBody {
    Empty,
    Bytes(Bytes),
    /// `len` bytes of a file from `offset`, streamed from disk; the length is known so no chunked
    /// encoding is needed.
    File {
        path: std::path::PathBuf,
        offset: u64,
        len: u64,
    },
}

impl PreparedBody {
    /// True for a request without a body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            PreparedBody::Empty => 0,
            PreparedBody::Bytes(b) => b.len() as u64,
            PreparedBody::File { len, .. } => *len,
        }
    }
}

fn invalid(m: &'static Member, message: impl Into<String>) -> Error {
    Error::InvalidMember {
        member: m.name,
        flag: m.flag,
        message: message.into(),
    }
}

/// The value of a scalar member as text on the wire (`fmt` for timestamps).
fn scalar_text(m: &'static Member, value: &Value, fmt: TimestampFormat) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        Value::Timestamp(t) => Ok(format_timestamp(*t, fmt)),
        Value::Json(serde_json::Value::Array(items)) => {
            // A list of strings in a header or query: comma-separated, as botocore sends it.
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    serde_json::Value::String(s) => parts.push(s.clone()),
                    other => parts.push(other.to_string()),
                }
            }
            Ok(parts.join(","))
        }
        Value::Json(_) => Err(invalid(m, "expected a single value, got JSON")),
        Value::Body(_) => Err(invalid(m, "expected a value, got a body")),
    }
}

/// The timestamp format a member uses on the wire: the generator gives each timestamp member its
/// explicit format, or S3's default for where it is sent (rfc822 in headers, iso8601 elsewhere).
fn wire_format(m: &Member, default: TimestampFormat) -> TimestampFormat {
    match m.shape {
        Shape::Timestamp(fmt) => *fmt,
        _ => default,
    }
}

/// Check that a value has the kind its shape wants (the typed setters make this hold for library
/// callers; a `Request::set` with the wrong `Value` is caught here).
fn check_kind(m: &'static Member, value: &Value) -> Result<(), Error> {
    let ok = match (m.shape, value) {
        (Shape::String, Value::String(_)) => true,
        (Shape::Integer | Shape::Long, Value::Integer(_)) => true,
        (Shape::Float | Shape::Double, Value::Float(_) | Value::Integer(_)) => true,
        (Shape::Boolean, Value::Boolean(_)) => true,
        (Shape::Timestamp(_), Value::Timestamp(_)) => true,
        (Shape::Blob, Value::Body(_)) => true,
        (Shape::Blob, Value::String(_)) => true,
        // An SSE-C key of raw bytes that are not UTF-8 (a key read from a file).
        (Shape::String, Value::Body(crate::value::Body::Bytes(_)))
            if matches!(m.encoding, Encoding::SseCustomerKey { .. }) =>
        {
            true
        }
        (Shape::Structure(_) | Shape::List(_) | Shape::Map(_), Value::Json(j)) => {
            crate::xml::check_json(j, m.shape).map_err(|e| invalid(m, e.to_string()))?;
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(m, format!("expected a {}", m.shape.kind_name())))
    }
}

/// `bucket/key[?versionId=v]` → the key percent-encoded, the version id kept (botocore's behaviour).
fn encode_copy_source(source: &str) -> String {
    let (path, version) = match source.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v)),
        None => (source, None),
    };
    let mut out = signer::uri_encode(path, false);
    if let Some(v) = version {
        out.push_str("?versionId=");
        out.push_str(&signer::uri_encode(v, true));
    }
    out
}

/// Encode a key for a greedy path label. `.` and `..` segments would be collapsed by URL parsing, so
/// a key holding one is sent with its `/` percent-encoded (S3 decodes them back).
fn encode_key(m: &'static Member, key: &str) -> Result<String, Error> {
    if key == "." || key == ".." {
        return Err(invalid(
            m,
            format!("the key {key:?} cannot be addressed in a URL"),
        ));
    }
    let has_dot_segment = key.split('/').any(|seg| seg == "." || seg == "..");
    Ok(signer::uri_encode(key, has_dot_segment))
}

/// Build the unsigned request for `op` with `values` against `config`, sent where `resolver`'s
/// endpoint rules say for the configured region.
pub fn prepare(
    op: &'static Operation,
    values: &[(&'static str, Value)],
    extra_headers: &[(String, String)],
    config: &ResolvedConfig,
    resolver: &Resolver,
) -> Result<Prepared, Error> {
    let get = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    for (name, value) in values {
        let Some(m) = op.member(name) else {
            return Err(Error::InvalidInput(format!(
                "{} has no member {name}",
                op.name
            )));
        };
        check_kind(m, value)?;
    }
    for m in op.members.iter().filter(|m| m.required) {
        if get(m.name).is_none() {
            return Err(invalid(m, "required, but not given"));
        }
    }

    // Path labels, query parameters and headers, in spec order. The bucket is no part of the
    // path: the endpoint rule set puts it in the host or the path (see `route`).
    let mut path = op
        .path
        .strip_prefix("/{Bucket}")
        .unwrap_or(op.path)
        .to_string();
    let mut context: Vec<(&'static str, String)> = Vec::new();
    let mut query: Vec<(String, String)> = op
        .query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut host_labels: Vec<(&str, String)> = Vec::new();
    for m in op.members {
        let Some(value) = get(m.name) else { continue };
        if let Some(param) = m.context_param {
            context.push((param, scalar_text(m, value, TimestampFormat::Iso8601)?));
        }
        match m.location {
            Location::Uri { label, greedy } => {
                let text = scalar_text(m, value, TimestampFormat::Iso8601)?;
                if text.is_empty() {
                    return Err(invalid(m, "must not be empty"));
                }
                if label == "Bucket" {
                    if m.context_param.is_none() {
                        context.push(("Bucket", text));
                    }
                    continue;
                }
                let encoded = if greedy {
                    encode_key(m, &text)?
                } else {
                    signer::uri_encode(&text, true)
                };
                let pattern = if greedy {
                    format!("{{{label}+}}")
                } else {
                    format!("{{{label}}}")
                };
                path = path.replace(&pattern, &encoded);
            }
            Location::Query(name) => {
                let fmt = wire_format(m, TimestampFormat::Iso8601);
                match value {
                    Value::Json(serde_json::Value::Array(items)) => {
                        for item in items {
                            let text = item
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| item.to_string());
                            query.push((name.to_string(), text));
                        }
                    }
                    _ => query.push((name.to_string(), scalar_text(m, value, fmt)?)),
                }
            }
            Location::Header(name) => {
                let fmt = wire_format(m, TimestampFormat::Rfc822);
                let text = match value {
                    Value::Body(crate::value::Body::Bytes(_)) => String::new(),
                    other => scalar_text(m, other, fmt)?,
                };
                match m.encoding {
                    Encoding::SseCustomerKey { md5_header } => {
                        // The raw key: given as text, or as bytes when it is not UTF-8.
                        let key: &[u8] = match value {
                            Value::Body(crate::value::Body::Bytes(bytes)) => bytes,
                            _ => text.as_bytes(),
                        };
                        let b64 = base64::engine::general_purpose::STANDARD;
                        let md5 = b64.encode(Md5::digest(key));
                        headers.push((name.to_ascii_lowercase(), b64.encode(key)));
                        let md5_name = md5_header.to_ascii_lowercase();
                        let md5_given = op.members.iter().any(|other| {
                            matches!(other.location, Location::Header(h) if h.eq_ignore_ascii_case(md5_header))
                                && get(other.name).is_some()
                        });
                        if !md5_given {
                            headers.push((md5_name, md5));
                        }
                    }
                    Encoding::CopySource => {
                        headers.push((name.to_ascii_lowercase(), encode_copy_source(&text)))
                    }
                    Encoding::None => headers.push((name.to_ascii_lowercase(), text)),
                }
            }
            Location::HeaderMap(prefix) => {
                let Value::Json(serde_json::Value::Object(map)) = value else {
                    return Err(invalid(m, "expected a JSON object of strings"));
                };
                for (k, v) in map {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    headers.push((
                        format!("{}{}", prefix.to_ascii_lowercase(), k.to_ascii_lowercase()),
                        text,
                    ));
                }
            }
            Location::Payload | Location::Body => {}
        }
        if m.host_label {
            host_labels.push((m.name, scalar_text(m, value, TimestampFormat::Iso8601)?));
        }
    }

    // The body.
    let body = match op.payload {
        Payload::None => PreparedBody::Empty,
        Payload::Xml {
            member,
            root,
            namespace,
            shape,
        } => {
            let json = match member {
                Some(name) => get(name).and_then(|v| match v {
                    Value::Json(j) => Some(j.clone()),
                    _ => None,
                }),
                None => {
                    let mut object = serde_json::Map::new();
                    for m in op.members.iter().filter(|m| m.location == Location::Body) {
                        if let Some(v) = get(m.name) {
                            object.insert(m.name.to_string(), value_to_json(v));
                        }
                    }
                    (!object.is_empty()).then_some(serde_json::Value::Object(object))
                }
            };
            match json {
                None => PreparedBody::Empty,
                Some(json) => {
                    let ns = (!namespace.is_empty()).then_some(namespace);
                    let xml =
                        crate::xml::json_to_xml(&json, root, ns, shape).map_err(
                            |e| match member {
                                Some(name) => match op.member(name) {
                                    Some(m) => invalid(m, e.to_string()),
                                    None => Error::InvalidInput(e.to_string()),
                                },
                                None => Error::InvalidInput(e.to_string()),
                            },
                        )?;
                    PreparedBody::Bytes(Bytes::from(xml))
                }
            }
        }
        Payload::Blob { member } | Payload::Text { member } => match get(member) {
            None => PreparedBody::Empty,
            Some(Value::String(s)) => PreparedBody::Bytes(Bytes::from(s.clone())),
            Some(Value::Body(body)) => body_of(body)?,
            Some(_) => return Err(Error::InvalidInput(format!("{member}: expected a body"))),
        },
    };

    // With a body, Content-Length is the body's length (the HTTP client sets it); a given value that
    // disagrees would truncate or stall the request, so it is not sent. Without a body (a presigned
    // PUT), a given Content-Length is kept and signed in.
    if !matches!(body, PreparedBody::Empty) {
        headers.retain(|(k, _)| k != "content-length");
    }

    // A checksum algorithm asked for (`--checksum-algorithm CRC32`) without its value: compute it, as
    // botocore does; S3 refuses the algorithm header alone.
    let mut pending_checksum = None;
    let algorithm = headers
        .iter()
        .find(|(k, _)| k == "x-amz-sdk-checksum-algorithm")
        .map(|(_, v)| v.to_ascii_uppercase());
    if let Some(algorithm) = algorithm {
        let header = format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase());
        if !headers.iter().any(|(k, _)| *k == header) {
            let Some(member) = op.members.iter().find(|m| matches!(m.location, Location::Header(h) if h.eq_ignore_ascii_case("x-amz-sdk-checksum-algorithm"))) else {
                return Err(Error::InvalidInput("x-amz-sdk-checksum-algorithm set without a member".into()));
            };
            match &body {
                PreparedBody::File { .. } => {
                    // Validate the name now; the file is read once, later, off the async threads.
                    crate::checksum::of_body(&algorithm, &PreparedBody::Empty)
                        .map_err(|message| invalid(member, message))?;
                    pending_checksum = Some((header, algorithm));
                }
                _ => {
                    let value = crate::checksum::of_body(&algorithm, &body)
                        .map_err(|message| invalid(member, message))?;
                    headers.push((header, value));
                }
            }
        }
    }

    // S3 refuses these requests without an integrity header: add Content-MD5 unless one is given.
    if op.checksum_required {
        let has_integrity = headers
            .iter()
            .any(|(k, _)| k == "content-md5" || k.starts_with("x-amz-checksum-"));
        if !has_integrity {
            let bytes: &[u8] = match &body {
                PreparedBody::Bytes(b) => b,
                _ => &[],
            };
            let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes));
            headers.push(("content-md5".into(), md5));
        }
    }

    for (name, value) in extra_headers {
        let lower = name.to_ascii_lowercase();
        if SIGNER_HEADERS.contains(&lower.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the header {name} is set by the signer and cannot be given"
            )));
        }
        if let Some((_, _)) = headers.iter().find(|(k, _)| *k == lower) {
            let owner = op
                .members
                .iter()
                .find(|m| {
                    matches!(m.location, Location::Header(h) if h.eq_ignore_ascii_case(&lower))
                        && get(m.name).is_some()
                })
                .map(|m| format!("--{}", m.flag))
                .unwrap_or_else(|| "s3op".to_string());
            return Err(Error::InvalidInput(format!(
                "the header {name} is also set by {owner}; give it once"
            )));
        }
        headers.push((lower, value.clone()));
    }

    let host_prefix = match op.host_prefix {
        None => None,
        Some(prefix) => {
            let mut p = prefix.to_string();
            for (label, value) in &host_labels {
                if !is_host_label(value) {
                    return Err(Error::InvalidInput(format!(
                        "{label} must be letters, digits, '.' and '-' (it goes into the host name)"
                    )));
                }
                p = p.replace(&format!("{{{label}}}"), value);
            }
            Some(p)
        }
    };
    let mut route = Route::new(config, path, query_string(&query), host_prefix);
    for (param, value) in &context {
        route.set_string(param, value);
    }
    for (param, on) in op.endpoint_params {
        route.set_bool(param, *on);
    }
    let resolved = route.resolve(&config.region, resolver)?;
    headers.extend(resolved.headers);
    Ok(Prepared {
        method: op.method,
        url: resolved.url,
        headers,
        body,
        unsigned_payload: false,
        payload_sha256: None,
        service: Some(resolved.signing_name),
        pending_checksum,
        anonymous: false,
        bucket: route.bucket().map(str::to_string),
        region: Some(resolved.signing_region),
        auth: resolved.auth,
        route: Some(route),
    })
}

/// A member value as JSON, for bodies built from several members.
fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Value::from(*f),
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Timestamp(t) => {
            serde_json::Value::String(format_timestamp(*t, TimestampFormat::Iso8601))
        }
        Value::Json(j) => j.clone(),
        Value::Body(_) => serde_json::Value::Null,
    }
}

/// The query string as sent: `name` alone for an empty constant (`?tagging`), `name=value` otherwise,
/// both percent-encoded by the signer's rules.
fn query_string(query: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in query {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&signer::uri_encode(k, true));
        if !v.is_empty() {
            out.push('=');
            out.push_str(&signer::uri_encode(v, true));
        }
    }
    out
}

/// What botocore accepts for a host-prefix label (its `HOST_PREFIX_RE`, `^[A-Za-z0-9.-]+$`).
pub fn is_host_label(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// A body as the request will carry it: bytes, or a file (range) streamed from disk.
fn body_of(body: &Body) -> Result<PreparedBody, Error> {
    Ok(match body {
        Body::Bytes(b) => PreparedBody::Bytes(b.clone()),
        Body::FileRange { path, offset, len } => PreparedBody::File {
            path: path.clone(),
            offset: *offset,
            len: *len,
        },
        Body::File(path) => match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => PreparedBody::File {
                path: path.clone(),
                offset: 0,
                len: meta.len(),
            },
            Ok(_) => {
                return Err(Error::InvalidInput(format!(
                    "{} is not a regular file",
                    path.display()
                )))
            }
            Err(source) => {
                return Err(Error::File {
                    path: path.clone(),
                    source,
                })
            }
        },
        Body::Stdin => {
            return Err(Error::InvalidInput(
                "standard input must be read before the request is prepared".into(),
            ))
        }
    })
}

/// An HTTP method as the `'static` name the request carries; only the methods HTTP defines.
pub fn static_method(method: &str) -> Result<&'static str, Error> {
    const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"];
    let upper = method.to_ascii_uppercase();
    METHODS
        .iter()
        .copied()
        .find(|m| *m == upper)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{method:?} is not an HTTP method (GET, PUT, POST, DELETE, HEAD, PATCH, OPTIONS)"
            ))
        })
}

/// A request to any target (`s3op request`): an absolute http(s) URL, or a path and query relative
/// to `endpoint` (`/bucket/key?tagging`). Extra headers go on as given (signer headers refused).
/// An `anonymous` request is never signed, so it may carry the headers the signer would set (an
/// `Authorization` of another scheme: a container credentials endpoint's token).
pub fn prepare_raw(
    method: &str,
    target: &str,
    body: Option<&Body>,
    extra_headers: &[(String, String)],
    endpoint: &Url,
    anonymous: bool,
) -> Result<Prepared, Error> {
    let method = static_method(method)?;
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        Url::parse(target)
            .map_err(|e| Error::InvalidInput(format!("{target:?} is not a URL: {e}")))?
    } else if target.starts_with('/') {
        let base = endpoint.path().trim_end_matches('/');
        let mut text = format!(
            "{}://{}",
            endpoint.scheme(),
            endpoint.host_str().unwrap_or_default()
        );
        if let Some(port) = endpoint.port() {
            text.push_str(&format!(":{port}"));
        }
        text.push_str(base);
        text.push_str(target);
        Url::parse(&text)
            .map_err(|e| Error::InvalidInput(format!("cannot make a URL of {target:?}: {e}")))?
    } else {
        return Err(Error::InvalidInput(format!(
            "{target:?}: give an absolute http(s) URL or a path from the endpoint starting with /"
        )));
    };
    let mut headers = Vec::with_capacity(extra_headers.len());
    for (name, value) in extra_headers {
        let lower = name.to_ascii_lowercase();
        if !anonymous && SIGNER_HEADERS.contains(&lower.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the header {name} is set by the signer and cannot be given"
            )));
        }
        headers.push((lower, value.clone()));
    }
    let body = match body {
        None => PreparedBody::Empty,
        Some(body) => body_of(body)?,
    };
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        unsigned_payload: false,
        payload_sha256: None,
        service: None,
        pending_checksum: None,
        anonymous,
        bucket: None,
        region: None,
        auth: Auth::V4,
        route: None,
    })
}

/// The path to sign. A key with a `.` or `..` segment goes on the wire with its `/` as `%2F` (URL
/// parsing would collapse the segment otherwise, see `encode_key`); the server decodes the key and
/// signs it with plain `/`, so that is what is signed here too. A `%2F` can come from nowhere else:
/// a literal `%` in a key is sent as `%25`.
fn canonical_path(url: &Url) -> String {
    url.path().replace("%2F", "/")
}

/// The `Host` header value the HTTP client will send for `url`.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn query_pairs(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The payload hash to sign: SHA-256 of bytes in memory; `UNSIGNED-PAYLOAD` for a streamed file (the
/// hash would mean reading the file twice; TLS protects it in transit).
fn payload_hash(body: &PreparedBody, unsigned: bool, precomputed: Option<&str>) -> PayloadHash {
    if unsigned {
        return PayloadHash::Unsigned;
    }
    if let Some(hex) = precomputed {
        return PayloadHash::Sha256Hex(hex.to_string());
    }
    match body {
        PreparedBody::Empty => PayloadHash::empty(),
        PreparedBody::Bytes(b) => PayloadHash::of(b),
        PreparedBody::File { .. } => PayloadHash::Unsigned,
    }
}

/// Sign `prepared` in place with header signing (Authorization), by the scheme its endpoint asks
/// for: SigV4, SigV4a (`x-amz-region-set`), or SigV4 with an S3 Express session, whose keys the
/// caller passes as `credentials` and whose token goes as `x-amz-s3session-token`. Without
/// credentials the request stays anonymous.
pub fn sign(
    prepared: &mut Prepared,
    credentials: Option<&Credentials>,
    config: &ResolvedConfig,
    time: SystemTime,
) -> Result<Option<signer::Signed>, Error> {
    if prepared.anonymous {
        return Ok(None);
    }
    let Some(credentials) = credentials else {
        return Ok(None);
    };
    let mut headers = Vec::with_capacity(prepared.headers.len() + 2);
    headers.push(("host".to_string(), host_header(&prepared.url)));
    headers.extend(prepared.headers.iter().cloned());
    if !prepared.body.is_empty() || matches!(prepared.body, PreparedBody::File { .. }) {
        headers.push((
            "content-length".to_string(),
            prepared.body.len().to_string(),
        ));
    }
    let payload = payload_hash(
        &prepared.body,
        prepared.unsigned_payload,
        prepared.payload_sha256.as_deref(),
    );
    let query = query_pairs(&prepared.url);
    let request = SignableRequest {
        method: prepared.method,
        path: &canonical_path(&prepared.url),
        query: &query,
        headers: &headers,
        payload: &payload,
    };
    let mut settings = SigningSettings::s3();
    let region = prepared.region.as_deref().unwrap_or(&config.region);
    let service = prepared.service.as_deref().unwrap_or(&config.service);
    let signed = match &prepared.auth {
        Auth::V4 | Auth::S3Express => {
            if prepared.auth == Auth::S3Express {
                settings.session_token_name_override = Some(S3_SESSION_TOKEN_HEADER);
            }
            let params = SigningParams {
                credentials,
                region,
                service,
                time,
                settings,
            };
            signer::sign(&request, &params)
        }
        Auth::V4a { region_set } => {
            let params = SigningParams {
                credentials,
                region: region_set,
                service,
                time,
                settings,
            };
            signer::sign_v4a(&request, &params).map_err(|e| Error::InvalidInput(e.to_string()))?
        }
    };
    prepared.headers = headers.into_iter().filter(|(k, _)| k != "host").collect();
    prepared.headers.extend(signed.headers.iter().cloned());
    Ok(Some(signed))
}

/// The header an S3 Express session token is sent in.
pub const S3_SESSION_TOKEN_HEADER: &str = "x-amz-s3session-token";

/// A presigned URL for `prepared`: every header it carries is signed in and must be sent by whoever
/// uses the URL. An S3 Express request is presigned with the session's keys (the caller's
/// `credentials`), its token as `X-Amz-S3session-Token`.
pub fn presign(
    prepared: &Prepared,
    credentials: Option<&Credentials>,
    config: &ResolvedConfig,
    time: SystemTime,
    expires_in: Duration,
) -> Result<Url, Error> {
    let Some(credentials) = credentials else {
        return Err(Error::InvalidInput(
            "presigning needs credentials, and none are configured".into(),
        ));
    };
    let mut headers = vec![("host".to_string(), host_header(&prepared.url))];
    headers.extend(prepared.headers.iter().cloned());
    let query = query_pairs(&prepared.url);
    let payload = PayloadHash::Unsigned;
    let request = SignableRequest {
        method: prepared.method,
        path: &canonical_path(&prepared.url),
        query: &query,
        headers: &headers,
        payload: &payload,
    };
    let mut settings = SigningSettings::default();
    match &prepared.auth {
        Auth::V4 => {}
        Auth::S3Express => settings.session_token_name_override = Some("X-Amz-S3session-Token"),
        Auth::V4a { .. } => {
            return Err(Error::InvalidInput(
                "this endpoint (a Multi-Region Access Point) is signed with SigV4a, and s3op \
                 presigns with SigV4 only"
                    .into(),
            ))
        }
    }
    let params = SigningParams {
        credentials,
        region: prepared.region.as_deref().unwrap_or(&config.region),
        service: prepared.service.as_deref().unwrap_or(&config.service),
        time,
        settings,
    };
    let presigned = signer::presign(&request, &params, expires_in)
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
    let mut url = prepared.url.clone();
    let mut q = url.query().map(str::to_string).unwrap_or_default();
    for (k, v) in &presigned.query {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&signer::uri_encode(k, true));
        q.push('=');
        q.push_str(&signer::uri_encode(v, true));
    }
    url.set_query(Some(&q));
    Ok(url)
}
