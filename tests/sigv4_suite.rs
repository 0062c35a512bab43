//! Every case of the AWS SigV4 signing test suite (tests/fixtures/sigv4: the AWS CRT suite,
//! Apache-2.0, the same files aws-sigv4 ships), each under its own settings, for header signing and
//! for presigning: canonical request, string to sign, signature, and the signed request itself
//! (headers added, or query parameters added). The request is parsed from request.txt here.
//!
//! The suite is written for all services: cases with `"normalize": true` expect `.`/`..`/`//` to be
//! normalised, and the two cases aws-sigv4 added (`double-url-encode`, `double-encode-path`) expect
//! the path encoded twice. S3 does neither; the signer has a setting for each.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use s3op::secret::Secret;
use s3op::signer::{
    presign, sign, uri_encode, Credentials, PayloadHash, SignableRequest, SigningParams,
    SigningSettings,
};

/// How many case folders the suite has: a folder that is not run makes the test fail.
const SUITE_CASES: usize = 40;

/// Cases that cannot apply to this signer, with the reason. None so far.
const NOT_APPLICABLE: &[(&str, &str)] = &[];

/// The secret of each access key id that the suite's files sign with. `AKIDEXAMPLE` is in every
/// context.json; `ANOTREAL` is aws-credential-types' `Credentials::for_tests()`, which aws-sigv4's
/// test of `double-encode-path` signs with.
const SECRETS: &[(&str, &str)] = &[
    ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    ("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby"),
];

type Check = Result<(), String>;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigv4")
}

#[test]
fn every_case_of_the_sigv4_suite() {
    let mut cases: Vec<String> = fs::read_dir(suite_dir())
        .expect("tests/fixtures/sigv4 is readable")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), SUITE_CASES, "case folders found: {cases:?}");

    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let mut skipped = Vec::new();
    let mut checks = 0;
    for case in &cases {
        if let Some((_, why)) = NOT_APPLICABLE.iter().find(|(name, _)| name == case) {
            skipped.push(format!("{case}: {why}"));
            continue;
        }
        match run_case(case) {
            Ok(n) => {
                checks += n;
                passed.push(case.as_str());
            }
            Err(e) => failed.push(format!("{case}: {e}")),
        }
    }
    assert!(
        failed.is_empty(),
        "{} case(s) failed:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
    assert_eq!(
        passed.len() + skipped.len(),
        SUITE_CASES,
        "every case folder is run or listed in NOT_APPLICABLE"
    );
    println!(
        "{} cases passed ({checks} checks), {} not applicable: {skipped:?}",
        passed.len(),
        skipped.len()
    );
}

/// Everything a case signs with.
#[derive(Clone)]
struct Context {
    access_key_id: String,
    token: Option<String>,
    region: String,
    service: String,
    time: SystemTime,
    expires_in: Duration,
    settings: SigningSettings,
}

impl Context {
    fn credentials(&self) -> Result<Credentials, String> {
        let secret = SECRETS
            .iter()
            .find(|(id, _)| *id == self.access_key_id)
            .map(|(_, secret)| *secret)
            .ok_or_else(|| format!("no secret known for {}", self.access_key_id))?;
        Ok(Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: Secret::new(secret),
            session_token: self.token.as_deref().map(Secret::new),
        })
    }
}

fn run_case(case: &str) -> Result<usize, String> {
    let dir = suite_dir().join(case);
    let request = parse_request(&read(&dir, "request.txt")?)?;
    let mut checks = 0;
    if !request.target_path.contains('%') {
        // A raw path: the wire path is what S3's request builder would send for it.
        same(
            "wire path",
            &uri_encode(&request.target_path, false),
            &request.path,
        )?;
        checks += 1;
    }
    if dir.join("context.json").exists() {
        let context = read_context(&read(&dir, "context.json")?)?;
        checks += check_header_signing(&dir, &request, &context)?;
        checks += check_query_signing(&dir, &request, &context)?;
        Ok(checks)
    } else {
        Ok(checks + run_case_without_context(case, &dir, &request)?)
    }
}

/// The two cases that aws-sigv4 added have no context.json and only header-signing files; their
/// context is read off their own files. Both want the path encoded twice and the suite's default
/// normalisation (their paths have nothing to normalise).
fn run_case_without_context(case: &str, dir: &Path, request: &Request) -> Result<usize, String> {
    let settings = SigningSettings {
        normalize_path: true,
        double_encode_path: true,
        ..SigningSettings::default()
    };
    let signed = parse_request(&read(dir, "header-signed-request.txt")?)?;
    let authorization = Authorization::parse(header(&signed, "authorization")?)?;
    let signed_at = parse_amz_date(header(&signed, "x-amz-date")?)?;
    let from_signed_request = Context {
        access_key_id: authorization.access_key_id.clone(),
        token: None,
        region: authorization.region.clone(),
        service: authorization.service.clone(),
        time: signed_at,
        expires_in: Duration::from_secs(3600),
        settings,
    };
    match case {
        // Canonical request, string to sign and signed request all agree on one context.
        "double-url-encode" => check_header_signing(dir, request, &from_signed_request),
        // Its canonical request was made at 2021-05-11T15:40:45Z (the x-amz-date in it) with other
        // credentials than the signed request, which aws-sigv4 signs at the request's own
        // x-amz-date with ANOTREAL: check each against the context it was made with.
        "double-encode-path" => {
            let canonical = read(dir, "header-canonical-request.txt")?;
            let made_at = canonical
                .lines()
                .find_map(|line| line.strip_prefix("x-amz-date:"))
                .ok_or("no x-amz-date in the canonical request")?;
            let for_canonical = Context {
                time: parse_amz_date(made_at)?,
                ..from_signed_request.clone()
            };
            let out = header_sign(request, &for_canonical)?;
            same(
                "header canonical request",
                &canonical,
                &out.canonical_request,
            )?;
            Ok(1 + check_signed_headers(dir, request, &from_signed_request)?)
        }
        _ => Err("no context.json and no known way to read its context".to_owned()),
    }
}

fn read_context(json: &str) -> Result<Context, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let text = |key: &str| -> Result<String, String> {
        v.pointer(key)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("context.json has no {key}"))
    };
    let flag = |key: &str| v.pointer(key).and_then(|x| x.as_bool()).unwrap_or(false);
    let timestamp = text("/timestamp")?;
    let time =
        time::OffsetDateTime::parse(&timestamp, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("timestamp {timestamp}: {e}"))?;
    let expires = v
        .pointer("/expiration_in_seconds")
        .and_then(|x| x.as_u64())
        .ok_or("context.json has no expiration_in_seconds")?;
    Ok(Context {
        access_key_id: text("/credentials/access_key_id")?,
        token: text("/credentials/token").ok(),
        region: text("/region")?,
        service: text("/service")?,
        time: time.into(),
        expires_in: Duration::from_secs(expires),
        settings: SigningSettings {
            normalize_path: flag("/normalize"),
            double_encode_path: false,
            session_token_unsigned: flag("/omit_session_token"),
            add_content_sha256_header: flag("/sign_body"),
            session_token_name_override: None,
        },
    })
}

fn params<'a>(context: &'a Context, credentials: &'a Credentials) -> SigningParams<'a> {
    SigningParams {
        credentials,
        region: &context.region,
        service: &context.service,
        time: context.time,
        settings: context.settings,
    }
}

fn header_sign(request: &Request, context: &Context) -> Result<s3op::signer::Signed, String> {
    let credentials = context.credentials()?;
    let payload = PayloadHash::of(&request.body);
    Ok(sign(
        &request.signable(&payload),
        &params(context, &credentials),
    ))
}

fn check_header_signing(dir: &Path, request: &Request, context: &Context) -> Result<usize, String> {
    let out = header_sign(request, context)?;
    let mut checks = 0;
    same(
        "header canonical request",
        &read(dir, "header-canonical-request.txt")?,
        &out.canonical_request,
    )?;
    checks += 1;
    if let Some(expected) = read_optional(dir, "header-string-to-sign.txt")? {
        same("header string to sign", &expected, &out.string_to_sign)?;
        checks += 1;
    }
    if let Some(expected) = read_optional(dir, "header-signature.txt")? {
        same("header signature", &expected, &out.signature)?;
        checks += 1;
    }
    Ok(checks + check_signed_headers(dir, request, context)?)
}

/// The request with the signer's headers set must be header-signed-request.txt, header for header.
fn check_signed_headers(dir: &Path, request: &Request, context: &Context) -> Result<usize, String> {
    let out = header_sign(request, context)?;
    let expected = parse_request(&read(dir, "header-signed-request.txt")?)?;
    let mut actual: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| {
            !out.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .cloned()
        .collect();
    actual.extend(out.headers.iter().cloned());
    same(
        "header-signed request's headers",
        &header_set(&expected.headers),
        &header_set(&actual),
    )?;
    same(
        "header-signed request's body",
        &expected.body,
        &request.body,
    )?;
    Ok(1)
}

fn check_query_signing(dir: &Path, request: &Request, context: &Context) -> Result<usize, String> {
    let credentials = context.credentials()?;
    let payload = PayloadHash::of(&request.body);
    let out = presign(
        &request.signable(&payload),
        &params(context, &credentials),
        context.expires_in,
    )
    .map_err(|e| e.to_string())?;
    same(
        "query canonical request",
        &read(dir, "query-canonical-request.txt")?,
        &out.canonical_request,
    )?;
    same(
        "query string to sign",
        &read(dir, "query-string-to-sign.txt")?,
        &out.string_to_sign,
    )?;
    same(
        "query signature",
        &read(dir, "query-signature.txt")?,
        &out.signature,
    )?;
    if out.query.last().map(|(n, _)| n.as_str()) != Some("X-Amz-Signature") {
        return Err("X-Amz-Signature is not the last parameter".to_owned());
    }

    let expected = parse_request(&read(dir, "query-signed-request.txt")?)?;
    let mut query = request.query.clone();
    query.extend(out.query.iter().cloned());
    query.sort();
    let mut expected_query = expected.query.clone();
    expected_query.sort();
    same(
        "query-signed request's query",
        &format!("{expected_query:#?}"),
        &format!("{query:#?}"),
    )?;
    same(
        "query-signed request's headers",
        &header_set(&expected.headers),
        &header_set(&request.headers),
    )?;
    Ok(5)
}

/// A request as request.txt writes it.
struct Request {
    method: String,
    /// The path as request.txt writes it.
    target_path: String,
    /// The path as sent on the wire.
    path: String,
    /// Decoded query pairs, in order.
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn signable<'a>(&'a self, payload: &'a PayloadHash) -> SignableRequest<'a> {
        SignableRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            payload,
        }
    }
}

/// Parses an HTTP/1.1 request as the suite writes it: the request line (its target may hold raw
/// spaces; the version may be missing), headers as `Name:value` with obsolete line folding (a line that starts with whitespace
/// continues the previous value, joined with a space, as RFC 7230 §3.2.4 says), a blank line, then
/// the body.
fn parse_request(text: &str) -> Result<Request, String> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (text.as_str(), ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().ok_or("empty request")?;
    let (method, rest) = request_line
        .split_once(' ')
        .ok_or("no space in the request line")?;
    // double-url-encode's signed request has no HTTP version.
    let target = match rest.rsplit_once(' ') {
        Some((target, version)) if version.starts_with("HTTP/") => target,
        _ => rest,
    };
    let (raw_path, raw_query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };

    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers
                .last_mut()
                .ok_or("a continuation line before any header")?;
            value.push(' ');
            value.push_str(line);
        } else {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("header line without a colon: {line:?}"))?;
            headers.push((name.to_owned(), value.to_owned()));
        }
    }

    let mut query = Vec::new();
    for pair in raw_query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        query.push((decode(name)?, decode(value)?));
    }

    Ok(Request {
        method: method.to_owned(),
        target_path: raw_path.to_owned(),
        path: wire_path(raw_path),
        query,
        headers,
        body: body.as_bytes().to_vec(),
    })
}

/// The path an HTTP client sends for a request-target as request.txt writes it. The suite writes
/// raw what cannot go on the wire (`/example space/`, `/ሴ`) and leaves escapes that are already
/// there as they are (`/example%20space/` in get-space-normalized, `%3D` and `@` in
/// double-encode-path): so encode, with the signer's own `uri_encode`, exactly the characters a URI
/// path cannot hold, and keep the rest. For every raw path in the suite this is
/// `uri_encode(path, false)`, what S3's request builder does with a key.
fn wire_path(target_path: &str) -> String {
    const ALLOWED: &str = "-._~!$&'()*+,;=:@/%";
    let mut out = String::with_capacity(target_path.len());
    for c in target_path.chars() {
        if c.is_ascii_alphanumeric() || ALLOWED.contains(c) {
            out.push(c);
        } else {
            out.push_str(&uri_encode(c.encode_utf8(&mut [0; 4]), true));
        }
    }
    out
}

fn decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|e| format!("{s:?}: {e}"))
}

/// Headers as `name:value` lines, names lowercased, values trimmed, sorted: how two requests'
/// headers are compared.
fn header_set(headers: &[(String, String)]) -> String {
    let mut lines: Vec<String> = headers
        .iter()
        .map(|(n, v)| format!("{}:{}", n.to_ascii_lowercase(), v.trim()))
        .collect();
    lines.sort();
    lines.join("\n")
}

fn header<'a>(request: &'a Request, name: &str) -> Result<&'a str, String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .ok_or_else(|| format!("no {name} header"))
}

/// The parts of an `Authorization` header that make a signing context.
struct Authorization {
    access_key_id: String,
    region: String,
    service: String,
}

impl Authorization {
    fn parse(value: &str) -> Result<Self, String> {
        let credential = value
            .split([' ', ','])
            .find_map(|part| part.strip_prefix("Credential="))
            .ok_or_else(|| format!("no Credential= in {value:?}"))?;
        let parts: Vec<&str> = credential.split('/').collect();
        match parts.as_slice() {
            [id, _date, region, service, "aws4_request"] => Ok(Authorization {
                access_key_id: (*id).to_owned(),
                region: (*region).to_owned(),
                service: (*service).to_owned(),
            }),
            _ => Err(format!("unexpected credential {credential:?}")),
        }
    }
}

fn parse_amz_date(value: &str) -> Result<SystemTime, String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(value, &format)
        .map(|t| t.assume_utc().into())
        .map_err(|e| format!("x-amz-date {value:?}: {e}"))
}

fn read(dir: &Path, file: &str) -> Result<String, String> {
    read_optional(dir, file)?.ok_or_else(|| format!("{file} is missing"))
}

fn read_optional(dir: &Path, file: &str) -> Result<Option<String>, String> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(None);
    }
    fs::read_to_string(&path)
        .map(|s| Some(s.replace("\r\n", "\n").trim_end_matches('\n').to_owned()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn same<T: PartialEq + std::fmt::Debug + ?Sized>(what: &str, expected: &T, actual: &T) -> Check {
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{what} differs\n--- expected\n{expected:?}\n--- actual\n{actual:?}"
        ))
    }
}

#[test]
fn the_parser_reads_folded_headers_raw_paths_and_encoded_queries() {
    let r = parse_request(
        "GET /a b/ሴ%20?%E1%88%B4=x&k HTTP/1.1\nHost:h\nMy-Header1:value1\n  value2\n\nbody",
    )
    .expect("parses");
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/a%20b/%E1%88%B4%20");
    assert_eq!(
        r.query,
        [
            ("ሴ".to_owned(), "x".to_owned()),
            ("k".to_owned(), String::new())
        ]
    );
    assert_eq!(
        r.headers,
        [
            ("Host".to_owned(), "h".to_owned()),
            ("My-Header1".to_owned(), "value1   value2".to_owned())
        ]
    );
    assert_eq!(r.body, b"body");
}
