//! AWS Signature Version 4, written here: it owns the canonical request, the string to sign, the
//! signing key and the signature, for header signing ([`sign`]) and presigned URLs ([`presign`]),
//! and the AWS flavour of percent-encoding ([`uri_encode`], [`canonical_query_string`]) so that the
//! request builder puts on the wire exactly what was signed. It knows nothing of S3 operations,
//! endpoints or HTTP clients: it is handed a request already laid out (method, wire path, query pairs,
//! headers, payload hash) and answers with what to add to it. S3's rules are the default (the path
//! is encoded once and never normalised); [`SigningSettings`] has the two switches other services need.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The payload hash of a request whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// SHA-256 of the empty string, in lowercase hex: the payload hash of a request without a body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The longest a presigned URL may stay valid: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(604_800);

const TERMINATOR: &str = "aws4_request";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Headers never signed, whatever the caller passes: proxies and HTTP stacks add or rewrite them
/// (the same list as the AWS SDKs).
const NEVER_SIGNED: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// Headers left out of a presigned URL's signature, as the AWS SDKs do: a browser or a download
/// tool that follows the URL does not send them.
const NOT_PRESIGNED: &[&str] = &["x-amz-user-agent", "x-amz-checksum-mode"];

/// An access key: the id, the secret, and the session token that comes with temporary credentials.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The access key id (`AKIA...`), which is public: it goes into every signature's scope.
    pub access_key_id: String,
    /// The secret access key; it never leaves this module except through the signature.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials, sent as `x-amz-security-token`.
    pub session_token: Option<Secret>,
}

/// How this service wants requests signed. `Default` is all `false`; [`SigningSettings::s3`] is what
/// S3 expects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigningSettings {
    /// Remove `.` and `..` segments and empty segments (`//`) from the path before signing.
    /// S3 never does: `a//b` and `../` are part of a key.
    pub normalize_path: bool,
    /// Percent-encode the (already encoded) wire path once more for the canonical request, as
    /// most AWS services other than S3 expect.
    pub double_encode_path: bool,
    /// Add `x-amz-security-token` to the request without signing it. Only for the services (and the
    /// suite case `post-sts-header-after`) that want the token added after signing; S3 signs it.
    pub session_token_unsigned: bool,
    /// Send and sign `x-amz-content-sha256` with the payload hash (header signing only). S3 requires it.
    pub add_content_sha256_header: bool,
    /// The name the session token goes under instead of `x-amz-security-token` (header) or
    /// `X-Amz-Security-Token` (query): S3 Express sessions use `x-amz-s3session-token` and
    /// `X-Amz-S3session-Token`.
    pub session_token_name_override: Option<&'static str>,
}

impl SigningSettings {
    /// S3's settings: no normalisation, single encoding, token signed, `x-amz-content-sha256` sent.
    pub const fn s3() -> Self {
        SigningSettings {
            normalize_path: false,
            double_encode_path: false,
            session_token_unsigned: false,
            add_content_sha256_header: true,
            session_token_name_override: None,
        }
    }
}

/// The last line of the canonical request: what the signature says about the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadHash {
    /// The body is not signed: `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// SHA-256 of the body in lowercase hex.
    Sha256Hex(String),
}

impl PayloadHash {
    /// The hash of an empty body.
    pub fn empty() -> Self {
        PayloadHash::Sha256Hex(EMPTY_PAYLOAD_SHA256.to_owned())
    }

    /// The hash of `body`.
    pub fn of(body: &[u8]) -> Self {
        let mut hex = String::with_capacity(64);
        push_hex_lower(&mut hex, &Sha256::digest(body));
        PayloadHash::Sha256Hex(hex)
    }

    /// The value as it appears in the canonical request and in `x-amz-content-sha256`.
    pub fn as_str(&self) -> &str {
        match self {
            PayloadHash::Unsigned => UNSIGNED_PAYLOAD,
            PayloadHash::Sha256Hex(hex) => hex,
        }
    }
}

/// Who signs, where, when and how.
#[derive(Clone, Debug)]
pub struct SigningParams<'a> {
    pub credentials: &'a Credentials,
    /// The region of the credential scope (`us-east-1`; whatever an S3-compatible store expects).
    pub region: &'a str,
    /// The service of the credential scope: `s3` for S3.
    pub service: &'a str,
    /// The signing time; sub-second parts are dropped.
    pub time: SystemTime,
    /// How to sign; [`SigningSettings::s3`] for S3.
    pub settings: SigningSettings,
}

/// A request as it will go on the wire, minus what signing adds.
#[derive(Clone, Copy, Debug)]
pub struct SignableRequest<'a> {
    /// The HTTP method, as sent (`GET`, `PUT`...).
    pub method: &'a str,
    /// The path exactly as sent on the wire: already percent-encoded once (`uri_encode(key, false)`
    /// for S3). An empty path is signed as `/`.
    pub path: &'a str,
    /// The query as decoded name/value pairs, in wire order; a parameter without a value has `""`.
    pub query: &'a [(String, String)],
    /// The headers to send, names in any case; must include `host`. A header that signing sets
    /// (`x-amz-date`, and `x-amz-security-token` / `x-amz-content-sha256` when signing sets them) is
    /// replaced by the signer's value. `authorization`, `user-agent`, `x-amzn-trace-id` and
    /// `transfer-encoding` are never signed, nor `x-amz-user-agent` and `x-amz-checksum-mode` in
    /// a presigned URL, as in the AWS SDKs.
    pub headers: &'a [(String, String)],
    /// What the signature says about the body.
    pub payload: &'a PayloadHash,
}

/// The result of header signing.
pub struct Signed {
    /// Headers to set on the request, replacing any of the same name: `x-amz-date`,
    /// `x-amz-content-sha256` (when the settings ask for it), `x-amz-security-token` (with a
    /// session token) and `authorization`.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was signed. It holds the session token when one is signed: do not log it.
    pub canonical_request: String,
    /// The string to sign: algorithm, time, credential scope and the canonical request's hash.
    pub string_to_sign: String,
    /// The signature, 64 lowercase hex digits.
    pub signature: String,
}

/// The result of presigning.
pub struct Presigned {
    /// The `X-Amz-*` parameters (decoded) to add to the request's query, `X-Amz-Signature` last.
    pub query: Vec<(String, String)>,
    /// The canonical request that was signed. It holds the session token when one is signed: do not log it.
    pub canonical_request: String,
    /// The string to sign: algorithm, time, credential scope and the canonical request's hash.
    pub string_to_sign: String,
    /// The signature, 64 lowercase hex digits.
    pub signature: String,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Signed")
            .field("headers", &names)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Presigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.query.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Presigned")
            .field("query", &names)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// `expires_in` was under one second.
    #[error("a presigned URL must be valid for at least one second")]
    ExpiryTooShort,
    /// `expires_in` was over 7 days, which AWS refuses.
    #[error("a presigned URL can be valid for at most 7 days (604800 s), not {secs} s")]
    ExpiryTooLong { secs: u64 },
    /// No SigV4a key could be derived from the secret (practically impossible: the derivation
    /// would have to fail 255 times in a row).
    #[error("no SigV4a signing key could be derived from this secret key")]
    V4aKey,
}

/// Signs `req` for the `Authorization` header.
pub fn sign(req: &SignableRequest<'_>, params: &SigningParams<'_>) -> Signed {
    let settings = &params.settings;
    let creds = params.credentials;
    let amz_date = format_amz_date(params.time);
    let scope = credential_scope(&amz_date, params.region, params.service);
    let token = creds.session_token.as_ref().map(Secret::expose);
    let payload = req.payload.as_str();

    let token_name = token_header(settings);
    let mut added: Vec<(&'static str, &str)> = Vec::with_capacity(3);
    added.push(("x-amz-date", &amz_date));
    if let Some(token) = token {
        added.push((token_name, token));
    }
    if settings.add_content_sha256_header {
        added.push(("x-amz-content-sha256", payload));
    }
    let headers = signed_header_list(req.headers, &added, settings, false);
    let signed_headers = signed_header_names(&headers);

    let canonical_request = canonical_request(req, settings, &[], &headers, &signed_headers);
    let string_to_sign = string_to_sign(&amz_date, &scope, &canonical_request);
    let signature = signature(creds, &amz_date, params, &string_to_sign);

    let mut authorization = String::with_capacity(
        ALGORITHM.len()
            + creds.access_key_id.len()
            + scope.len()
            + signed_headers.len()
            + signature.len()
            + 40,
    );
    authorization.push_str(ALGORITHM);
    authorization.push_str(" Credential=");
    authorization.push_str(&creds.access_key_id);
    authorization.push('/');
    authorization.push_str(&scope);
    authorization.push_str(", SignedHeaders=");
    authorization.push_str(&signed_headers);
    authorization.push_str(", Signature=");
    authorization.push_str(&signature);

    let mut out = Vec::with_capacity(4);
    out.push(("x-amz-date".to_owned(), amz_date.clone()));
    if settings.add_content_sha256_header {
        out.push(("x-amz-content-sha256".to_owned(), payload.to_owned()));
    }
    if let Some(token) = token {
        out.push((token_name.to_owned(), token.to_owned()));
    }
    out.push(("authorization".to_owned(), authorization));

    Signed {
        headers: out,
        canonical_request,
        string_to_sign,
        signature,
    }
}

/// SigV4a's algorithm name: ECDSA over P-256 with SHA-256.
pub const ALGORITHM_V4A: &str = "AWS4-ECDSA-P256-SHA256";

/// Signs `req` with SigV4a for the `Authorization` header, as Multi-Region Access Points require:
/// `params.region` is the region set (`*` for all regions), sent and signed as
/// `x-amz-region-set`; the credential scope has no region (`date/service/aws4_request`); the
/// signature is an ECDSA P-256 signature (DER, hex) over the string to sign's SHA-256, with the
/// deterministic nonce of RFC 6979, by a key derived from the secret key (NIST SP 800-108 counter
/// mode with HMAC-SHA256, as AWS specifies), so the same input always signs the same.
pub fn sign_v4a(
    req: &SignableRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<Signed, SignError> {
    let settings = &params.settings;
    let creds = params.credentials;
    let amz_date = format_amz_date(params.time);
    let date = amz_date.get(..8).unwrap_or(&amz_date);
    let scope = format!("{date}/{}/{TERMINATOR}", params.service);
    let token = creds.session_token.as_ref().map(Secret::expose);
    let payload = req.payload.as_str();

    let token_name = token_header(settings);
    let mut added: Vec<(&'static str, &str)> = Vec::with_capacity(4);
    added.push(("x-amz-date", &amz_date));
    added.push(("x-amz-region-set", params.region));
    if let Some(token) = token {
        added.push((token_name, token));
    }
    if settings.add_content_sha256_header {
        added.push(("x-amz-content-sha256", payload));
    }
    let headers = signed_header_list(req.headers, &added, settings, false);
    let signed_headers = signed_header_names(&headers);
    let canonical_request = canonical_request(req, settings, &[], &headers, &signed_headers);
    let mut string_to_sign = String::with_capacity(ALGORITHM_V4A.len() + scope.len() + 90);
    string_to_sign.push_str(ALGORITHM_V4A);
    string_to_sign.push('\n');
    string_to_sign.push_str(&amz_date);
    string_to_sign.push('\n');
    string_to_sign.push_str(&scope);
    string_to_sign.push('\n');
    push_hex_lower(
        &mut string_to_sign,
        &Sha256::digest(canonical_request.as_bytes()),
    );
    let key = v4a_signing_key(&creds.access_key_id, creds.secret_access_key.expose())?;
    let digest = Sha256::digest(string_to_sign.as_bytes());
    let signed: p256::ecdsa::DerSignature =
        p256::ecdsa::signature::hazmat::PrehashSigner::sign_prehash(&key, &digest)
            .map_err(|_| SignError::V4aKey)?;
    let mut signature = String::with_capacity(144);
    push_hex_lower(&mut signature, signed.as_bytes());

    let authorization = format!(
        "{ALGORITHM_V4A} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    );
    let mut out = Vec::with_capacity(5);
    out.push(("x-amz-date".to_owned(), amz_date.clone()));
    out.push(("x-amz-region-set".to_owned(), params.region.to_owned()));
    if settings.add_content_sha256_header {
        out.push(("x-amz-content-sha256".to_owned(), payload.to_owned()));
    }
    if let Some(token) = token {
        out.push((token_name.to_owned(), token.to_owned()));
    }
    out.push(("authorization".to_owned(), authorization));
    Ok(Signed {
        headers: out,
        canonical_request,
        string_to_sign,
        signature,
    })
}

/// The P-256 private key SigV4a derives from an access key: HMAC-SHA256 keyed with
/// `"AWS4A" + secret` over `1_u32 ‖ algorithm ‖ 0x00 ‖ access key id ‖ counter ‖ 256_u32`
/// (big-endian), taken as a big-endian number `k0`; the first counter (from 1) for which
/// `k0 ≤ n − 2` (n the curve's order) gives the key `k0 + 1`.
fn v4a_signing_key(
    access_key_id: &str,
    secret: &str,
) -> Result<p256::ecdsa::SigningKey, SignError> {
    // n − 2 for P-256, big-endian.
    const ORDER_MINUS_TWO: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x4f,
    ];
    let input_key = format!("AWS4A{secret}");
    for counter in 1..=u8::MAX {
        let mut mac = keyed_mac(&[input_key.as_bytes()]);
        mac.update(&1u32.to_be_bytes());
        mac.update(ALGORITHM_V4A.as_bytes());
        mac.update(&[0]);
        mac.update(access_key_id.as_bytes());
        mac.update(&[counter]);
        mac.update(&256u32.to_be_bytes());
        let k0: [u8; 32] = mac.finalize().into_bytes().into();
        if k0 <= ORDER_MINUS_TWO {
            let key = add_one(k0);
            return p256::ecdsa::SigningKey::from_slice(&key).map_err(|_| SignError::V4aKey);
        }
    }
    Err(SignError::V4aKey)
}

/// `n + 1` for a big-endian 256-bit number below the maximum.
fn add_one(mut n: [u8; 32]) -> [u8; 32] {
    for byte in n.iter_mut().rev() {
        let (sum, carry) = byte.overflowing_add(1);
        *byte = sum;
        if !carry {
            break;
        }
    }
    n
}

/// Signs `req` into query parameters: a presigned URL valid for `expires_in` (whole seconds, at
/// least 1, at most 7 days). `x-amz-content-sha256` is never added to a presigned request.
pub fn presign(
    req: &SignableRequest<'_>,
    params: &SigningParams<'_>,
    expires_in: Duration,
) -> Result<Presigned, SignError> {
    let secs = expires_in.as_secs();
    if secs == 0 {
        return Err(SignError::ExpiryTooShort);
    }
    if secs > MAX_PRESIGN_EXPIRY.as_secs() {
        return Err(SignError::ExpiryTooLong { secs });
    }
    let settings = &params.settings;
    let creds = params.credentials;
    let amz_date = format_amz_date(params.time);
    let scope = credential_scope(&amz_date, params.region, params.service);
    let token = creds.session_token.as_ref().map(Secret::expose);

    let headers = signed_header_list(req.headers, &[], settings, true);
    let signed_headers = signed_header_names(&headers);

    let mut credential = String::with_capacity(creds.access_key_id.len() + 1 + scope.len());
    credential.push_str(&creds.access_key_id);
    credential.push('/');
    credential.push_str(&scope);
    let expires = secs.to_string();

    let mut extra: Vec<(&str, &str)> = Vec::with_capacity(6);
    extra.push(("X-Amz-Algorithm", ALGORITHM));
    extra.push(("X-Amz-Credential", &credential));
    extra.push(("X-Amz-Date", &amz_date));
    extra.push(("X-Amz-Expires", &expires));
    extra.push(("X-Amz-SignedHeaders", &signed_headers));
    let token_name = settings
        .session_token_name_override
        .unwrap_or("X-Amz-Security-Token");
    if let (Some(token), false) = (token, settings.session_token_unsigned) {
        extra.push((token_name, token));
    }

    let canonical_request = canonical_request(req, settings, &extra, &headers, &signed_headers);
    let string_to_sign = string_to_sign(&amz_date, &scope, &canonical_request);
    let signature = signature(creds, &amz_date, params, &string_to_sign);

    let mut query = Vec::with_capacity(7);
    query.push(("X-Amz-Algorithm".to_owned(), ALGORITHM.to_owned()));
    query.push(("X-Amz-Credential".to_owned(), credential));
    query.push(("X-Amz-Date".to_owned(), amz_date));
    query.push(("X-Amz-Expires".to_owned(), expires));
    query.push(("X-Amz-SignedHeaders".to_owned(), signed_headers));
    if let Some(token) = token {
        query.push((token_name.to_owned(), token.to_owned()));
    }
    query.push(("X-Amz-Signature".to_owned(), signature.clone()));

    Ok(Presigned {
        query,
        canonical_request,
        string_to_sign,
        signature,
    })
}

/// Percent-encodes `s` by the SigV4 rules: `A-Z a-z 0-9 - . _ ~` are kept, every other byte of the
/// UTF-8 becomes `%XX` (uppercase hex). `/` is kept unless `encode_slash`, so a key encodes to a path
/// with `uri_encode(key, false)` and a query name or value with `uri_encode(s, true)`.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    push_uri_encoded(&mut out, s, encode_slash);
    out
}

/// The canonical query string: names and values encoded with [`uri_encode`] (`/` too), sorted by
/// encoded name then encoded value, joined as `name=value` with `&`. A parameter without a value
/// reads `name=`. This is also the query the request builder sends, so the two never disagree.
pub fn canonical_query_string(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut out = String::with_capacity(query_capacity(&pairs));
    push_canonical_query(&mut out, &mut pairs);
    out
}

fn credential_scope(amz_date: &str, region: &str, service: &str) -> String {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let mut scope = String::with_capacity(date.len() + region.len() + service.len() + 15);
    scope.push_str(date);
    scope.push('/');
    scope.push_str(region);
    scope.push('/');
    scope.push_str(service);
    scope.push('/');
    scope.push_str(TERMINATOR);
    scope
}

/// The header the session token goes under.
fn token_header(settings: &SigningSettings) -> &'static str {
    settings
        .session_token_name_override
        .unwrap_or("x-amz-security-token")
}

/// The headers that go into the canonical request, sorted by lowercase name (stable, so the values
/// of a repeated header keep their order), with the signer's own headers in place of the caller's.
fn signed_header_list<'a>(
    headers: &'a [(String, String)],
    added: &[(&'static str, &'a str)],
    settings: &SigningSettings,
    presigning: bool,
) -> Vec<(&'a str, &'a str)> {
    let mut list: Vec<(&'a str, &'a str)> = Vec::with_capacity(headers.len() + added.len());
    for (name, value) in headers {
        let replaced = added.iter().any(|(a, _)| name.eq_ignore_ascii_case(a));
        let excluded = NEVER_SIGNED.iter().any(|n| name.eq_ignore_ascii_case(n))
            || (presigning && NOT_PRESIGNED.iter().any(|n| name.eq_ignore_ascii_case(n)))
            || (settings.session_token_unsigned
                && name.eq_ignore_ascii_case(token_header(settings)));
        if !replaced && !excluded {
            list.push((name, value));
        }
    }
    for &(name, value) in added {
        if !(settings.session_token_unsigned && name == token_header(settings)) {
            list.push((name, value));
        }
    }
    list.sort_by(|a, b| cmp_ignore_ascii_case(a.0, b.0));
    list
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// `host;x-amz-date;...`: the distinct lowercase names of a sorted header list.
fn signed_header_names(headers: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(headers.iter().map(|(n, _)| n.len() + 1).sum());
    let mut previous: Option<&str> = None;
    for &(name, _) in headers {
        if previous.is_some_and(|p| p.eq_ignore_ascii_case(name)) {
            continue;
        }
        if previous.is_some() {
            out.push(';');
        }
        push_lowercase(&mut out, name);
        previous = Some(name);
    }
    out
}

fn push_lowercase(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
}

fn canonical_request(
    req: &SignableRequest<'_>,
    settings: &SigningSettings,
    extra_query: &[(&str, &str)],
    headers: &[(&str, &str)],
    signed_headers: &str,
) -> String {
    let mut query: Vec<(&str, &str)> = Vec::with_capacity(req.query.len() + extra_query.len());
    query.extend(req.query.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    query.extend_from_slice(extra_query);

    let path = if settings.normalize_path {
        normalize_path(req.path)
    } else {
        Cow::Borrowed(req.path)
    };
    let path_len = if settings.double_encode_path {
        path.len() * 3
    } else {
        path.len()
    };
    let headers_len: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let capacity = req.method.len()
        + path_len
        + query_capacity(&query)
        + headers_len
        + signed_headers.len()
        + req.payload.as_str().len()
        + 8;
    let mut out = String::with_capacity(capacity);

    out.push_str(req.method);
    out.push('\n');
    if path.is_empty() {
        out.push('/');
    } else if settings.double_encode_path {
        push_uri_encoded(&mut out, &path, false);
    } else {
        out.push_str(&path);
    }
    out.push('\n');
    push_canonical_query(&mut out, &mut query);
    out.push('\n');
    push_canonical_headers(&mut out, headers);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(req.payload.as_str());
    out
}

/// `name:value\n` for each distinct header; the values of a repeated header joined with `,`.
fn push_canonical_headers(out: &mut String, headers: &[(&str, &str)]) {
    let mut previous: Option<&str> = None;
    for &(name, value) in headers {
        if previous.is_some_and(|p| p.eq_ignore_ascii_case(name)) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('\n');
            }
            push_lowercase(out, name);
            out.push(':');
        }
        push_trimmed_value(out, value);
        previous = Some(name);
    }
    if previous.is_some() {
        out.push('\n');
    }
}

/// Trims spaces at both ends and collapses inner runs of spaces to one. Only the space character
/// counts, as in the AWS SDKs and S3: tabs are kept as they are.
fn push_trimmed_value(out: &mut String, value: &str) {
    let mut first = true;
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

fn query_capacity(pairs: &[(&str, &str)]) -> usize {
    // Room for some encoding without reallocating in the common case.
    pairs
        .iter()
        .map(|(n, v)| (n.len() + v.len()) * 3 / 2 + 2)
        .sum()
}

fn push_canonical_query(out: &mut String, pairs: &mut [(&str, &str)]) {
    pairs.sort_by(|a, b| cmp_encoded(a.0, b.0).then_with(|| cmp_encoded(a.1, b.1)));
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_uri_encoded(out, name, true);
        out.push('=');
        push_uri_encoded(out, value, true);
    }
}

/// Compares the encoded forms of two strings without building them.
fn cmp_encoded(a: &str, b: &str) -> Ordering {
    fn encoded(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().flat_map(|b| {
            let (bytes, len) = encode_byte(b, true);
            bytes.into_iter().take(len)
        })
    }
    encoded(a).cmp(encoded(b))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode_byte(b: u8, encode_slash: bool) -> ([u8; 3], usize) {
    if is_unreserved(b) || (b == b'/' && !encode_slash) {
        ([b, 0, 0], 1)
    } else {
        (
            [
                b'%',
                HEX_UPPER[usize::from(b >> 4)],
                HEX_UPPER[usize::from(b & 0xf)],
            ],
            3,
        )
    }
}

fn push_uri_encoded(out: &mut String, s: &str, encode_slash: bool) {
    if s.bytes()
        .all(|b| is_unreserved(b) || (b == b'/' && !encode_slash))
    {
        out.push_str(s);
        return;
    }
    for b in s.bytes() {
        let (bytes, len) = encode_byte(b, encode_slash);
        for &c in &bytes[..len] {
            out.push(char::from(c));
        }
    }
}

/// Removes empty, `.` and `..` segments, keeping a trailing slash; the rules of the AWS SDKs for
/// services that normalise. S3 does not.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') && !path.contains("//") && !path.contains('.') {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::with_capacity(path.len() / 2 + 1);
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    push_hex_lower(&mut out, &Sha256::digest(canonical_request.as_bytes()));
    out
}

fn signature(
    creds: &Credentials,
    amz_date: &str,
    params: &SigningParams<'_>,
    string_to_sign: &str,
) -> String {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let mut mac = signing_mac(
        &creds.secret_access_key,
        date,
        params.region,
        params.service,
    );
    mac.update(string_to_sign.as_bytes());
    let mut out = String::with_capacity(64);
    push_hex_lower(&mut out, &mac.finalize().into_bytes());
    out
}

fn push_hex_lower(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0xf)]));
    }
}

/// An HMAC-SHA256 keyed with `key`. HMAC pads a short key with zeros to the block size and hashes
/// a long one first; doing that here makes keying infallible.
fn keyed_mac(key_parts: &[&[u8]]) -> Hmac<Sha256> {
    let len: usize = key_parts.iter().map(|p| p.len()).sum();
    let mut block = [0u8; 64];
    if len <= block.len() {
        let mut at = 0;
        for part in key_parts {
            block[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
    } else {
        let mut hasher = Sha256::new();
        for part in key_parts {
            hasher.update(part);
        }
        block[..32].copy_from_slice(&hasher.finalize());
    }
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

fn hmac(key_parts: &[&[u8]], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed_mac(key_parts);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing key for one secret, day, region and service, already keyed into an HMAC (so a
/// signature costs one HMAC over the string to sign, not five).
fn derive_signing_mac(secret: &str, date: &str, region: &str, service: &str) -> Hmac<Sha256> {
    let k_date = hmac(&[b"AWS4", secret.as_bytes()], date.as_bytes());
    let k_region = hmac(&[&k_date], region.as_bytes());
    let k_service = hmac(&[&k_region], service.as_bytes());
    let k_signing = hmac(&[&k_service], TERMINATOR.as_bytes());
    keyed_mac(&[&k_signing])
}

/// The signing key changes once a day per secret, region and service, and a client signs many
/// requests with the same one; each thread keeps the last.
struct CachedKey {
    secret: Secret,
    date: String,
    region: String,
    service: String,
    mac: Hmac<Sha256>,
}

thread_local! {
    static SIGNING_KEY: RefCell<Option<CachedKey>> = const { RefCell::new(None) };
}

fn signing_mac(secret: &Secret, date: &str, region: &str, service: &str) -> Hmac<Sha256> {
    let cached = SIGNING_KEY.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if let Some(c) = slot.as_ref() {
            if c.date == date
                && c.region == region
                && c.service == service
                && c.secret.expose() == secret.expose()
            {
                return Some(c.mac.clone());
            }
        }
        let mac = derive_signing_mac(secret.expose(), date, region, service);
        *slot = Some(CachedKey {
            secret: secret.clone(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            mac: mac.clone(),
        });
        Some(mac)
    });
    match cached {
        Ok(Some(mac)) => mac,
        // Thread-local storage being torn down, or a re-entrant call: derive without the cache.
        _ => derive_signing_mac(secret.expose(), date, region, service),
    }
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC, sub-seconds dropped (rounded down, before 1970 too). Years are
/// clamped to 0000–9999, the range the format can carry.
fn format_amz_date(time: SystemTime) -> String {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let fraction = i64::from(before.subsec_nanos() > 0);
            whole.saturating_neg().saturating_sub(fraction)
        }
    }
    .clamp(MIN, MAX);

    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);

    let mut out = String::with_capacity(16);
    push_digits(&mut out, year, 4);
    push_digits(&mut out, month, 2);
    push_digits(&mut out, day, 2);
    out.push('T');
    push_digits(&mut out, of_day / 3600, 2);
    push_digits(&mut out, of_day % 3600 / 60, 2);
    push_digits(&mut out, of_day % 60, 2);
    out.push('Z');
    out
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn push_digits(out: &mut String, value: i64, width: u32) {
    let mut divisor = 10_i64.pow(width - 1);
    while divisor > 0 {
        let digit = (value / divisor).rem_euclid(10);
        out.push(char::from(b'0' + digit as u8));
        divisor /= 10;
    }
}

#[cfg(test)]
mod tests {
    //! What needs the module's privates (path normalisation, the date formatter, key derivation
    //! and its cache); the rest of the signer's unit tests are in `tests/signer.rs`.
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn normalize_path_like_the_sdks() {
        for (input, expected) in [
            ("/", "/"),
            ("", "/"),
            ("/foo", "/foo"),
            ("foo", "/foo"),
            ("//", "/"),
            ("//example//", "/example/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/../c/", "/a/c/"),
            ("/a/.", "/a/"),
            ("/../a", "/a"),
            ("/a.b/c", "/a.b/c"),
        ] {
            assert_eq!(normalize_path(input), expected, "{input}");
        }
    }

    #[test]
    fn amz_date_matches_the_time_crate() {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let mut secs: i64 = -62_167_219_200;
        while secs < 253_402_300_799 {
            let t = time::OffsetDateTime::from_unix_timestamp(secs).expect("in range");
            let system: SystemTime = t.into();
            let expected = t.format(&format).expect("formats");
            assert_eq!(format_amz_date(system), expected, "{secs}");
            secs += 86_399 * 37 + 3_599; // walks every month, leap days and hours
        }
    }

    #[test]
    fn amz_date_drops_subseconds_and_rounds_down_before_1970() {
        assert_eq!(format_amz_date(at(1_440_938_160)), "20150830T123600Z");
        assert_eq!(
            format_amz_date(at(1_440_938_160) + Duration::from_millis(999)),
            "20150830T123600Z"
        );
        assert_eq!(format_amz_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(
            format_amz_date(UNIX_EPOCH - Duration::from_millis(1)),
            "19691231T235959Z"
        );
        assert_eq!(format_amz_date(at(951_782_400)), "20000229T000000Z");
        assert_eq!(
            format_amz_date(UNIX_EPOCH + Duration::from_secs(u64::MAX / 4)),
            "99991231T235959Z"
        );
    }

    #[test]
    fn signing_key_matches_the_aws_documentation() {
        // docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4".
        let mac = derive_signing_mac(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        let k_date = hmac(
            &[b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"],
            b"20120215",
        );
        let k_region = hmac(&[&k_date], b"us-east-1");
        let k_service = hmac(&[&k_region], b"iam");
        let k_signing = hmac(&[&k_service], b"aws4_request");
        let mut hex = String::new();
        push_hex_lower(&mut hex, &k_signing);
        assert_eq!(
            hex,
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        let mut by_hmac_crate = <Hmac<Sha256> as Mac>::new_from_slice(&k_signing).expect("any");
        by_hmac_crate.update(b"x");
        let mut ours = mac;
        ours.update(b"x");
        assert_eq!(
            ours.finalize().into_bytes(),
            by_hmac_crate.finalize().into_bytes()
        );
    }

    #[test]
    fn keys_longer_than_a_block_are_hashed_first() {
        for len in [0, 1, 59, 60, 61, 64, 65, 200] {
            let key = "k".repeat(len);
            let mut reference =
                <Hmac<Sha256> as Mac>::new_from_slice(format!("AWS4{key}").as_bytes())
                    .expect("HMAC takes any key length");
            reference.update(b"data");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac(&[b"AWS4", key.as_bytes()], b"data"), expected, "{len}");
        }
    }

    #[test]
    fn cached_key_follows_secret_date_region_and_service() {
        let fresh = |secret: &str, date: &str, region: &str, service: &str| {
            let mut m = derive_signing_mac(secret, date, region, service);
            m.update(b"sts");
            m.finalize().into_bytes()
        };
        let cached = |secret: &str, date: &str, region: &str, service: &str| {
            let mut m = signing_mac(&Secret::new(secret), date, region, service);
            m.update(b"sts");
            m.finalize().into_bytes()
        };
        for args in [
            ("s1", "20150830", "us-east-1", "s3"),
            ("s2", "20150830", "us-east-1", "s3"),
            ("s2", "20150831", "us-east-1", "s3"),
            ("s2", "20150831", "eu-west-1", "s3"),
            ("s2", "20150831", "eu-west-1", "iam"),
            ("s1", "20150830", "us-east-1", "s3"),
            ("s1", "20150830", "us-east-1", "s3"),
        ] {
            assert_eq!(
                cached(args.0, args.1, args.2, args.3),
                fresh(args.0, args.1, args.2, args.3)
            );
        }
    }
}
