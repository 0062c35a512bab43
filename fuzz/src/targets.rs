//! The bodies of the fuzz targets: one function per target, taking the fuzzer's bytes and driving
//! s3op's public API with them. A panic here is a finding: either s3op panicked on input it must
//! refuse cleanly, or one of the properties checked below (the `assert!`s) does not hold.
//!
//! This file is shared verbatim by the libFuzzer binaries (`fuzz/fuzz_targets/`) and by the
//! regression tests (`tests/fuzz_regressions.rs` includes it with `#[path]`), so a saved input runs
//! through exactly the same code in both. It may use only what the root crate's tests can use:
//! `s3op`, `serde_json`, `quick_xml` and `std`.
//!
//! Several targets start their input with a *selector* byte that picks a shape from the generated
//! tables (`selector % count`), so one target covers every operation's shape and the fuzzer can
//! move between them with a one-byte mutation.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use s3op::config::{self, BasicData, ConfigInputs, Environment};
use s3op::eventstream::{self, Decoder};
use s3op::operation::{Output, Payload};
use s3op::shape::Shape;
use s3op::signer::{
    self, Credentials, PayloadHash, SignableRequest, SigningParams, SigningSettings,
};
use s3op::{Value, OPERATIONS};

/// Every target, by the name of its binary and of its corpus and fixture directories.
pub const TARGETS: &[&str] = &[
    "xml_to_json",
    "json_to_xml",
    "parse_arg",
    "eventstream",
    "config",
    "signer",
];

/// Runs the target called `name` on `data`; `scratch` is a directory the `config` target may write
/// its profile files in. Returns `false` for an unknown name.
pub fn run(name: &str, data: &[u8], scratch: &Path) -> bool {
    match name {
        "xml_to_json" => xml_to_json(data),
        "json_to_xml" => json_to_xml(data),
        "parse_arg" => parse_arg(data),
        "eventstream" => eventstream(data),
        "config" => config(data, scratch),
        "signer" => signer(data),
        _ => return false,
    }
    true
}

// ------------------------------------------------------------------------------------------------
// Shapes from the generated tables
// ------------------------------------------------------------------------------------------------

/// An operation's XML response: the operation, its output shape and whether it is a listing.
#[derive(Clone, Copy)]
pub struct XmlOutput {
    pub operation: &'static str,
    pub shape: &'static Shape,
    pub listing: bool,
}

/// Every operation whose response body is XML, in `OPERATIONS` order.
pub fn output_shapes() -> &'static [XmlOutput] {
    static SHAPES: OnceLock<Vec<XmlOutput>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        OPERATIONS
            .iter()
            .filter_map(|op| match op.output {
                Output::Xml(shape) => Some(XmlOutput {
                    operation: op.name,
                    shape,
                    listing: op.listing,
                }),
                _ => None,
            })
            .collect()
    })
}

/// An XML request body's description: the operation, the root element, its namespace and shape.
#[derive(Clone, Copy)]
pub struct XmlPayload {
    pub operation: &'static str,
    pub root: &'static str,
    pub namespace: &'static str,
    pub shape: &'static Shape,
}

/// Every operation whose request body is XML, in `OPERATIONS` order.
pub fn payload_shapes() -> &'static [XmlPayload] {
    static SHAPES: OnceLock<Vec<XmlPayload>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        OPERATIONS
            .iter()
            .filter_map(|op| match op.payload {
                Payload::Xml {
                    root,
                    namespace,
                    shape,
                    ..
                } => Some(XmlPayload {
                    operation: op.name,
                    root,
                    namespace,
                    shape,
                }),
                _ => None,
            })
            .collect()
    })
}

/// One input member's shape per distinct shape (by address) in the whole spec, blobs left out: a
/// blob argument is a file path, and `parse_arg` would look it up on the file system.
pub fn member_shapes() -> &'static [(&'static str, &'static Shape)] {
    static SHAPES: OnceLock<Vec<(&'static str, &'static Shape)>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut shapes: Vec<(&'static str, &'static Shape)> = Vec::new();
        for op in OPERATIONS {
            for member in op.members {
                let seen = shapes.iter().any(|(_, s)| std::ptr::eq(*s, member.shape));
                if !seen && !matches!(member.shape, Shape::Blob) {
                    shapes.push((member.name, member.shape));
                }
            }
        }
        shapes
    })
}

fn pick<T>(items: &[T], selector: u8) -> Option<&T> {
    items.get(usize::from(selector) % items.len().max(1))
}

// ------------------------------------------------------------------------------------------------
// 1. XML → JSON
// ------------------------------------------------------------------------------------------------

/// `xml_to_json` on any body with no shape (selector 0) or an operation's output shape (selector
/// `1 + i`, then `normalize_response` as the client does): it must never fail, and what it returns
/// must serialise.
pub fn xml_to_json(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let shapes = output_shapes();
    let index = usize::from(selector) % (shapes.len() + 1);
    let output = index.checked_sub(1).and_then(|i| shapes.get(i));
    let mut value = s3op::xml::xml_to_json(body, output.map(|o| o.shape));
    if let Some(output) = output {
        s3op::xml::normalize_response(&mut value, output.shape, output.listing);
    }
    // serde_json refuses nothing a `Value` can hold; this walks the whole tree.
    assert!(serde_json::to_string(&value).is_ok());
}

// ------------------------------------------------------------------------------------------------
// 2. JSON → XML
// ------------------------------------------------------------------------------------------------

/// A selector byte, then JSON (anything else is skipped). `check_json` and `json_to_xml` must agree
/// (one is `Ok` exactly when the other is), and the XML written must be well formed.
pub fn json_to_xml(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let Some(payload) = pick(payload_shapes(), selector) else {
        return;
    };
    let checked = s3op::xml::check_json(&value, payload.shape);
    let written =
        s3op::xml::json_to_xml(&value, payload.root, Some(payload.namespace), payload.shape);
    assert_eq!(
        checked.is_ok(),
        written.is_ok(),
        "check_json and json_to_xml disagree for {}: {checked:?} / {written:?}",
        payload.operation,
    );
    if let Err(error) = &written {
        let _ = error.to_string();
    }
    if let Ok(xml) = written {
        assert_well_formed(&xml, payload.operation);
        // And what s3op writes, s3op reads.
        let back = s3op::xml::xml_to_json(xml.as_bytes(), Some(payload.shape));
        assert!(serde_json::to_string(&back).is_ok());
    }
}

/// Reads `xml` to its end with quick-xml, checking end tags and unescaping every text and
/// attribute: an error is a request body that S3 would refuse as malformed.
fn assert_well_formed(xml: &str, operation: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let event = reader.read_event();
        let event = match event {
            Ok(event) => event,
            Err(e) => panic!("json_to_xml wrote malformed XML for {operation}: {e}\n{xml}"),
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if depth == 0 {
                    roots += 1;
                }
                for attribute in start.attributes() {
                    let attribute = attribute.unwrap_or_else(|e| {
                        panic!("json_to_xml wrote a bad attribute for {operation}: {e}\n{xml}")
                    });
                    if let Err(e) = attribute.unescape_value() {
                        panic!(
                            "json_to_xml wrote a bad attribute value for {operation}: {e}\n{xml}"
                        );
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(text) => {
                assert!(
                    depth > 0,
                    "json_to_xml wrote text outside the root for {operation}\n{xml}"
                );
                if let Err(e) = text.unescape() {
                    panic!("json_to_xml wrote bad text for {operation}: {e}\n{xml}");
                }
            }
            Event::Eof => break,
            other => panic!("json_to_xml wrote unexpected XML for {operation}: {other:?}\n{xml}"),
        }
    }
    assert_eq!(
        depth, 0,
        "json_to_xml left elements open for {operation}\n{xml}"
    );
    assert_eq!(
        roots, 1,
        "json_to_xml wrote {roots} root elements for {operation}\n{xml}"
    );
}

// ------------------------------------------------------------------------------------------------
// 3. CLI arguments
// ------------------------------------------------------------------------------------------------

/// The scalar shapes a member can have, each parsed on every input.
static SCALARS: &[Shape] = &[
    Shape::String,
    Shape::Integer,
    Shape::Long,
    Shape::Float,
    Shape::Double,
    Shape::Boolean,
    Shape::Timestamp(s3op::shape::TimestampFormat::Iso8601),
    Shape::Timestamp(s3op::shape::TimestampFormat::Rfc822),
    Shape::Timestamp(s3op::shape::TimestampFormat::UnixTimestamp),
];

/// A selector byte, then the argument as UTF-8 (anything else is skipped): `Value::parse_arg` with
/// every scalar shape and with the member shape the selector picks (structures, lists and maps are
/// JSON) must answer `Ok` or `Err`, never panic.
pub fn parse_arg(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    for shape in SCALARS {
        if let Err(message) = Value::parse_arg(shape, text) {
            assert!(!message.is_empty());
        }
    }
    if let Some((_, shape)) = pick(member_shapes(), selector) {
        if let Err(message) = Value::parse_arg(shape, text) {
            assert!(!message.is_empty());
        }
    }
}

// ------------------------------------------------------------------------------------------------
// 4. Event streams
// ------------------------------------------------------------------------------------------------

/// A split byte, then a body: decoded whole, and in two chunks split at `len * split / 255`. Both
/// ways must give the same messages or the same error (the `Decoder` is documented to accept a
/// body split anywhere), and what decodes goes through `select_events_to_json`.
pub fn eventstream(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let whole = eventstream::decode_messages(body);

    let at = body.len() * usize::from(split) / 255;
    let mut decoder = Decoder::new();
    let chunked = (|| -> Result<Vec<eventstream::Message>, eventstream::EventStreamError> {
        let mut messages = decoder.push(&body[..at])?;
        messages.extend(decoder.push(&body[at..])?);
        let buffered = decoder.buffered();
        assert!(buffered <= body.len());
        decoder.finish()?;
        Ok(messages)
    })();
    assert_eq!(
        whole, chunked,
        "whole and chunked decoding differ (split at {at})"
    );

    if let Ok(messages) = &whole {
        for message in messages {
            let _ = message.header_str(":event-type");
        }
        if let Ok(json) = eventstream::select_events_to_json(messages) {
            assert!(serde_json::to_string(&json).is_ok());
        }
    }
    if let Err(error) = &whole {
        let _ = error.to_string();
    }
}

// ------------------------------------------------------------------------------------------------
// 5. Config and credentials files
// ------------------------------------------------------------------------------------------------

/// A flags byte, then text: up to the first NUL byte it is the config file, after it the credentials
/// file (both written to `scratch` on every run, since `config::resolve` reads them by path). The
/// whole text is also parsed as basic data. The flags set the explicit inputs and the environment:
///
/// | bit | meaning |
/// | --- | --- |
/// | 0 | `--profile dev` |
/// | 1 | `AWS_PROFILE=dev` |
/// | 2 | `--path-style` |
/// | 3 | environment credentials |
/// | 4 | `AWS_ENDPOINT_URL` |
/// | 5 | `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` |
/// | 6 | the parsed basic data, when it parses, as `--data` |
/// | 7 | `AWS_REGION=eu-west-1` |
pub fn config(data: &[u8], scratch: &Path) {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let (config_file, credentials_file) = match text.iter().position(|&b| b == 0) {
        Some(nul) => (&text[..nul], &text[nul + 1..]),
        None => (text, &[][..]),
    };
    let config_path = scratch.join("config");
    let credentials_path = scratch.join("credentials");
    if let Err(e) = std::fs::write(&config_path, config_file)
        .and_then(|()| std::fs::write(&credentials_path, credentials_file))
    {
        panic!(
            "cannot write the profile files in {}: {e}",
            scratch.display()
        );
    }

    let lossy = String::from_utf8_lossy(text);
    let basic = BasicData::parse(&lossy);
    match &basic {
        Ok(basic) => {
            let _ = basic.to_json();
            let _ = format!("{basic:?}");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }

    let bit = |n: u8| flags & (1 << n) != 0;
    let mut vars: Vec<(&str, String)> = vec![
        ("AWS_CONFIG_FILE", config_path.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials_path.display().to_string(),
        ),
    ];
    if bit(1) {
        vars.push(("AWS_PROFILE", "dev".into()));
    }
    if bit(3) {
        vars.push(("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE".into()));
        vars.push(("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG".into()));
    }
    if bit(4) {
        vars.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:9000".into()));
    }
    if bit(5) {
        vars.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true".into()));
    }
    if bit(7) {
        vars.push(("AWS_REGION", "eu-west-1".into()));
    }
    let env = Environment::from_vars(vars, None);
    let inputs = ConfigInputs {
        profile: bit(0).then(|| "dev".to_owned()),
        path_style: bit(2),
        basic_data: if bit(6) { basic.ok() } else { None },
        ..ConfigInputs::default()
    };
    match config::resolve(&inputs, &env) {
        Ok(resolved) => {
            let _ = format!("{resolved:?}");
            let _ = resolved.uses_virtual_host("my.bucket-1");
            assert!(!resolved.region.is_empty());
            if let Some(size) = resolved.chunk_size {
                assert!(size > 0);
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    let _ = config::parse_size(&lossy);
}

// ------------------------------------------------------------------------------------------------
// 6. SigV4
// ------------------------------------------------------------------------------------------------

/// A mode byte, then text in the SigV4 test suite's `request.txt` form (invalid UTF-8 is replaced):
/// a request line `METHOD PATH[?QUERY] HTTP/1.1`, `Name:value` header lines (a line without `:`
/// continues the previous value), an empty line, the body. Headers `x-fuzz-time` (seconds from the
/// epoch, may be negative), `x-fuzz-region` and `x-fuzz-service` set the signing parameters.
///
/// Checks `uri_encode` (see `check_uri_encode`) on the method, the path, every query name and
/// value, every header name and value and the body, then signs the request the way the mode byte
/// says (`mode % 3`): 0, header signing with S3's settings; 1, header signing with a normalised,
/// double-encoded path and an unsigned session token (other services' settings); 2, a presigned
/// URL with a session token. One way per run: canonicalising is most of a run's cost.
pub fn signer(data: &[u8]) {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let request = parse_request(&text);
    check_uri_encode(&request.method);
    check_uri_encode(&request.path);
    check_uri_encode(&request.body);
    for (name, value) in request.query.iter().chain(&request.headers) {
        check_uri_encode(name);
        check_uri_encode(value);
    }

    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let time = header("x-fuzz-time")
        .and_then(|secs| secs.parse::<i64>().ok())
        .and_then(|secs| {
            let magnitude = Duration::from_secs(secs.unsigned_abs());
            if secs < 0 {
                UNIX_EPOCH.checked_sub(magnitude)
            } else {
                UNIX_EPOCH.checked_add(magnitude)
            }
        })
        .unwrap_or(UNIX_EPOCH + Duration::from_secs(1_440_938_160));
    let region = header("x-fuzz-region").unwrap_or("us-east-1");
    let service = header("x-fuzz-service").unwrap_or("s3");

    let mut headers = request.headers.clone();
    if header("host").is_none() {
        headers.push(("Host".into(), "example.amazonaws.com".into()));
    }
    let credentials = Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: (mode % 3 != 0).then(|| "token/with+odd=chars".into()),
    };
    let (payload, settings) = match mode % 3 {
        0 => (
            PayloadHash::of(request.body.as_bytes()),
            SigningSettings::s3(),
        ),
        1 => (
            PayloadHash::Unsigned,
            SigningSettings {
                normalize_path: true,
                double_encode_path: true,
                session_token_unsigned: true,
                add_content_sha256_header: false,
                session_token_name_override: None,
            },
        ),
        _ => (
            PayloadHash::Unsigned,
            SigningSettings {
                session_token_name_override: Some("x-amz-s3session-token"),
                ..SigningSettings::s3()
            },
        ),
    };
    let signable = SignableRequest {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &headers,
        payload: &payload,
    };
    let params = SigningParams {
        credentials: &credentials,
        region,
        service,
        time,
        settings,
    };
    if mode % 3 == 2 {
        match signer::presign(&signable, &params, Duration::from_secs(3600)) {
            Ok(presigned) => {
                check_signature(&presigned.signature);
                assert_eq!(
                    presigned.query.last().map(|(name, _)| name.as_str()),
                    Some("X-Amz-Signature")
                );
            }
            Err(e) => panic!("presigning for one hour failed: {e}"),
        }
    } else {
        let signed = signer::sign(&signable, &params);
        check_signature(&signed.signature);
        let authorization = signed
            .headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .map(|(_, value)| value.as_str());
        assert!(authorization.is_some_and(|a| a.starts_with(signer::ALGORITHM)));
        assert!(signed.string_to_sign.starts_with(signer::ALGORITHM));
    }
}

/// A request read from the suite's `request.txt` form.
pub struct FuzzRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Reads the suite's `request.txt` form, forgivingly: any text gives some request.
pub fn parse_request(text: &str) -> FuzzRequest {
    let (head, body) = match text.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (text, ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut words = request_line.split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let target = words.next().unwrap_or_default();
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let query = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode_lossy(name), percent_decode_lossy(value))
        })
        .collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        match line.split_once(':') {
            Some((name, value)) => headers.push((name.to_owned(), value.to_owned())),
            None => {
                if let Some((_, value)) = headers.last_mut() {
                    value.push('\n');
                    value.push_str(line);
                }
            }
        }
    }
    FuzzRequest {
        method,
        path: path.to_owned(),
        query,
        headers,
        body: body.to_owned(),
    }
}

fn check_signature(signature: &str) {
    assert_eq!(signature.len(), 64, "signature {signature:?}");
    assert!(
        signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "signature {signature:?}"
    );
}

/// `uri_encode` against an encoder written here from the SigV4 rules: `A-Z a-z 0-9 - . _ ~` kept,
/// `/` kept unless `encode_slash`, every other byte `%XX` in upper-case hex. The encoding is unique,
/// so equality covers the contract: only those characters in the output, and decoding it gives the
/// input back. Table lookups, not comparisons, keep this cheap under libFuzzer's compare tracing.
fn check_uri_encode(input: &str) {
    for encode_slash in [true, false] {
        let encoded = signer::uri_encode(input, encode_slash);
        let mut expected = String::with_capacity(input.len() * 3);
        for &b in input.as_bytes() {
            if UNRESERVED[usize::from(b)] || (b == b'/' && !encode_slash) {
                expected.push(char::from(b));
            } else {
                expected.push('%');
                expected.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
                expected.push(char::from(HEX_UPPER[usize::from(b & 0xf)]));
            }
        }
        assert_eq!(encoded, expected, "uri_encode({input:?}, {encode_slash})");
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The bytes SigV4 leaves unencoded.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// `%XX` to bytes; anything else kept as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| bytes[i] == b'%' && h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

fn percent_decode_lossy(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text)).into_owned()
}
