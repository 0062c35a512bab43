//! Differential test of the signer against the `aws-sigv4` crate, the signer of the AWS SDK for
//! Rust: for thousands of random S3 requests both must produce the same signature, byte for byte,
//! for header signing (the `Authorization` header and every other header added) and for presigned
//! URLs (every `X-Amz-*` parameter). aws-sigv4 is configured as aws-sdk-s3 configures it: path
//! encoded once and not normalised, `x-amz-content-sha256` sent, session token signed. A second,
//! smaller run draws the settings too, against aws-sigv4's equivalent modes.
//!
//! The request is built as s3op's request builder builds it: wire path `uri_encode(key, false)`,
//! wire query `canonical_query_string(query)`; aws-sigv4 receives that URL and parses it itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign as aws_sign, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest as AwsRequest, SignatureLocation, SigningSettings as AwsSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use s3op::secret::Secret;
use s3op::signer::{
    canonical_query_string, presign, sign, uri_encode, Credentials, PayloadHash, SignableRequest,
    SigningParams, SigningSettings,
};

#[derive(Debug, Clone)]
struct Case {
    method: String,
    host: String,
    bucket: Option<String>,
    key: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region: String,
    time: SystemTime,
    payload: PayloadHash,
    expires_in: Duration,
}

impl Case {
    fn wire_path(&self) -> String {
        match &self.bucket {
            Some(bucket) => format!("/{bucket}/{}", uri_encode(&self.key, false)),
            None => format!("/{}", uri_encode(&self.key, false)),
        }
    }

    /// All headers, `host` first as an HTTP client would send it.
    fn all_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("host".to_owned(), self.host.clone())];
        headers.extend(self.headers.iter().cloned());
        headers
    }
}

/// Pieces keys are made of: the awkward ones S3 keeps as they are, and any UTF-8 at all.
fn key_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9]{1,6}",
        1 => Just("/".to_owned()),
        1 => Just("//".to_owned()),
        1 => Just("./".to_owned()),
        1 => Just("../".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just("%".to_owned()),
        1 => Just("%2F".to_owned()),
        1 => Just("+".to_owned()),
        1 => Just(" ".to_owned()),
        1 => Just("~".to_owned()),
        1 => Just("\\".to_owned()),
        1 => "[ -~]{1,4}",
        2 => any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(key_piece(), 0..8).prop_map(|pieces| pieces.concat())
}

fn query_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "list-type", "prefix", "delimiter", "continuation-token", "max-keys", "uploadId",
            "partNumber", "versionId", "tagging", "acl", "uploads", "delete", "x-id",
            "response-content-disposition", "a", "A", "a-b", "a_b", "~", "ሴ", "",
        ])
        .prop_map(str::to_owned),
        1 => "[ -~]{1,6}",
        1 => any::<String>(),
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        3 => "[a-zA-Z0-9._~-]{0,8}",
        2 => "[ -~]{0,10}",
        1 => any::<String>(),
    ]
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((query_name(), query_value()), 0..6)
}

/// Random casing of an ASCII name.
fn mixed_case(name: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    name.prop_flat_map(|name| {
        let len = name.len();
        (Just(name), prop::collection::vec(any::<bool>(), len))
    })
    .prop_map(|(name, upper)| {
        name.chars()
            .zip(upper)
            .map(|(c, up)| {
                if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

fn header_name() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "content-type",
        "content-length",
        "content-md5",
        "range",
        "x-amz-meta-a",
        "x-amz-meta-b",
        "x-amz-acl",
        "x-amz-copy-source",
        "x-amz-checksum-crc32",
        "x-amz-server-side-encryption-customer-key",
        // Headers the signer sets, or never signs: the caller's copy must be handled as aws-sigv4 does.
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "authorization",
        "user-agent",
        "x-amz-user-agent",
        "x-amz-checksum-mode",
        "transfer-encoding",
        "x-amzn-trace-id",
    ])
    .prop_map(str::to_owned);
    mixed_case(prop_oneof![
        3 => known,
        1 => "[a-z0-9!#$%&'*+.^_`|~-]{1,10}".prop_filter("host is set apart", |n| n != "host"),
    ])
}

/// Header values as an HTTP client can send them: no control character but tab.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,16}",
        2 => "( {0,3}[a-z\"]{0,3}){0,5}",
        1 => "[ \ta-z]{0,12}",
        1 => "[^\\x00-\\x08\\x0A-\\x1F\\x7F]{0,10}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((header_name(), header_value()), 0..8)
}

fn payload() -> impl Strategy<Value = PayloadHash> {
    prop_oneof![
        Just(PayloadHash::Unsigned),
        Just(PayloadHash::empty()),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|body| PayloadHash::of(&body)),
    ]
}

fn time() -> impl Strategy<Value = SystemTime> {
    // 1970 to 2100, with sub-seconds that both must drop.
    (0u64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| UNIX_EPOCH + Duration::new(secs, nanos))
}

fn case() -> impl Strategy<Value = Case> {
    let who = (
        "[A-Z0-9]{16,20}",
        "[A-Za-z0-9/+]{40}",
        prop::option::of("[A-Za-z0-9/+=]{16,64}"),
        prop::sample::select(vec![
            "us-east-1",
            "eu-west-3",
            "auto",
            "garage",
            "us-gov-west-1",
        ])
        .prop_map(str::to_owned),
        time(),
    );
    let what = (
        prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD"]).prop_map(str::to_owned),
        prop::sample::select(vec![
            "127.0.0.1:9000",
            "s3.amazonaws.com",
            "bucket.s3.eu-west-3.amazonaws.com",
            "localhost:3900",
        ])
        .prop_map(str::to_owned),
        prop::option::of("[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]"),
        key(),
        query(),
        headers(),
        payload(),
        1u64..=604_800,
    );
    (who, what).prop_map(
        |(
            (access_key_id, secret, token, region, time),
            (method, host, bucket, key, query, headers, payload, expires),
        )| Case {
            method,
            host,
            bucket,
            key,
            query,
            headers,
            access_key_id,
            secret,
            token,
            region,
            time,
            payload,
            expires_in: Duration::from_secs(expires),
        },
    )
}

fn settings() -> impl Strategy<Value = SigningSettings> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                normalize_path,
                double_encode_path,
                session_token_unsigned,
                add_content_sha256_header,
                s3_express,
            )| {
                SigningSettings {
                    normalize_path,
                    double_encode_path,
                    session_token_unsigned,
                    add_content_sha256_header,
                    // S3 Express sessions' token name (aws-sdk-s3 sets the same override).
                    session_token_name_override: s3_express.then_some("x-amz-s3session-token"),
                }
            },
        )
}

/// aws-sigv4's settings for ours; with `SigningSettings::s3()` this is what aws-sdk-s3 uses.
fn aws_settings(
    ours: &SigningSettings,
    location: SignatureLocation,
    expires_in: Duration,
) -> AwsSettings {
    let mut s = AwsSettings::default();
    s.percent_encoding_mode = if ours.double_encode_path {
        PercentEncodingMode::Double
    } else {
        PercentEncodingMode::Single
    };
    s.uri_path_normalization_mode = if ours.normalize_path {
        UriPathNormalizationMode::Enabled
    } else {
        UriPathNormalizationMode::Disabled
    };
    s.payload_checksum_kind = if ours.add_content_sha256_header {
        PayloadChecksumKind::XAmzSha256
    } else {
        PayloadChecksumKind::NoHeader
    };
    s.session_token_mode = if ours.session_token_unsigned {
        SessionTokenMode::Exclude
    } else {
        SessionTokenMode::Include
    };
    s.session_token_name_override = ours.session_token_name_override;
    s.signature_location = location;
    s.expires_in = Some(expires_in);
    s
}

/// What aws-sigv4 adds: headers (header signing) or query parameters (presigning), and the signature.
fn aws_sigv4(
    case: &Case,
    settings: &SigningSettings,
    location: SignatureLocation,
) -> Result<(Vec<(String, String)>, String), TestCaseError> {
    let identity = AwsCredentials::new(
        case.access_key_id.clone(),
        case.secret.clone(),
        case.token.clone(),
        None,
        "differential",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&case.region)
        .name("s3")
        .time(case.time)
        .settings(aws_settings(settings, location, case.expires_in))
        .build()
        .map_err(|e| TestCaseError::fail(format!("aws-sigv4 params: {e}")))?
        .into();
    let query = canonical_query_string(&case.query);
    let uri = if query.is_empty() {
        format!("https://{}{}", case.host, case.wire_path())
    } else {
        format!("https://{}{}?{query}", case.host, case.wire_path())
    };
    let body = match &case.payload {
        PayloadHash::Unsigned => SignableBody::UnsignedPayload,
        PayloadHash::Sha256Hex(hex) => SignableBody::Precomputed(hex.clone()),
    };
    let headers = case.all_headers();
    let request = AwsRequest::new(
        &case.method,
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .map_err(|e| TestCaseError::fail(format!("aws-sigv4 request {uri}: {e}")))?;
    let (instructions, signature) = aws_sign(request, &params)
        .map_err(|e| TestCaseError::fail(format!("aws-sigv4 sign: {e}")))?
        .into_parts();
    let (added_headers, added_params) = instructions.into_parts();
    let mut added: Vec<(String, String)> = added_headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .chain(
            added_params
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.to_string())),
        )
        .collect();
    added.sort();
    Ok((added, signature))
}

fn check(case: &Case, settings: SigningSettings) -> Result<(), TestCaseError> {
    let credentials = Credentials {
        access_key_id: case.access_key_id.clone(),
        secret_access_key: Secret::new(case.secret.clone()),
        session_token: case.token.clone().map(Secret::new),
    };
    let params = SigningParams {
        credentials: &credentials,
        region: &case.region,
        service: "s3",
        time: case.time,
        settings,
    };
    let path = case.wire_path();
    let headers = case.all_headers();
    let request = SignableRequest {
        method: &case.method,
        path: &path,
        query: &case.query,
        headers: &headers,
        payload: &case.payload,
    };

    let signed = sign(&request, &params);
    let (aws_headers, aws_signature) = aws_sigv4(case, &settings, SignatureLocation::Headers)?;
    let mut ours = signed.headers.clone();
    ours.sort();
    prop_assert_eq!(
        &signed.signature,
        &aws_signature,
        "header signing\ncanonical request:\n{}",
        signed.canonical_request
    );
    prop_assert_eq!(ours, aws_headers);

    let presigned = presign(&request, &params, case.expires_in)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (aws_query, aws_signature) = aws_sigv4(case, &settings, SignatureLocation::QueryParams)?;
    let mut ours = presigned.query.clone();
    ours.sort();
    prop_assert_eq!(
        &presigned.signature,
        &aws_signature,
        "presigning\ncanonical request:\n{}",
        presigned.canonical_request
    );
    prop_assert_eq!(ours, aws_query);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn agrees_with_aws_sigv4_configured_as_s3(case in case()) {
        check(&case, SigningSettings::s3())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn agrees_with_aws_sigv4_under_every_setting(case in case(), settings in settings()) {
        check(&case, settings)?;
    }
}
