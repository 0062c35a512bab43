//! Differential test of SigV4a (issue 13, item 2) against `aws-sigv4`'s `sigv4a` feature, the
//! signer of the AWS SDK for Rust: for random S3 requests, keys and times, both must add the same
//! headers (`x-amz-date`, `x-amz-region-set`, `x-amz-content-sha256`, `x-amz-security-token`,
//! `authorization`) and the same signature, byte for byte. Both use RFC 6979's deterministic
//! nonce, so equal inputs give equal ECDSA signatures.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign as aws_sign, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest as AwsRequest, SignatureLocation, SigningSettings as AwsSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4a;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use s3op::secret::Secret;
use s3op::signer::{
    canonical_query_string, sign_v4a, uri_encode, Credentials, PayloadHash, SignableRequest,
    SigningParams, SigningSettings,
};

#[derive(Debug, Clone)]
struct Case {
    method: String,
    host: String,
    key: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    region_set: String,
    time: SystemTime,
    payload: PayloadHash,
}

impl Case {
    fn wire_path(&self) -> String {
        format!("/{}", uri_encode(&self.key, false))
    }

    fn all_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("host".to_owned(), self.host.clone())];
        headers.extend(self.headers.iter().cloned());
        headers
    }
}

fn ours(case: &Case) -> Result<(Vec<(String, String)>, String), TestCaseError> {
    let credentials = Credentials {
        access_key_id: case.access_key_id.clone(),
        secret_access_key: Secret::new(case.secret.clone()),
        session_token: case.token.clone().map(Secret::new),
    };
    let params = SigningParams {
        credentials: &credentials,
        region: &case.region_set,
        service: "s3",
        time: case.time,
        settings: SigningSettings::s3(),
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
    let signed = sign_v4a(&request, &params).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut added = signed.headers.clone();
    added.sort();
    Ok((added, signed.signature))
}

fn theirs(case: &Case) -> Result<(Vec<(String, String)>, String), TestCaseError> {
    let identity = AwsCredentials::new(
        case.access_key_id.clone(),
        case.secret.clone(),
        case.token.clone(),
        None,
        "differential",
    )
    .into();
    let mut settings = AwsSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.session_token_mode = SessionTokenMode::Include;
    settings.signature_location = SignatureLocation::Headers;
    let params = v4a::SigningParams::builder()
        .identity(&identity)
        .region_set(&case.region_set)
        .name("s3")
        .time(case.time)
        .settings(settings)
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
    let (added_headers, _) = instructions.into_parts();
    let mut added: Vec<(String, String)> = added_headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect();
    added.sort();
    Ok((added, signature))
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let (our_headers, our_signature) = ours(case)?;
    let (their_headers, their_signature) = theirs(case)?;
    prop_assert_eq!(&our_signature, &their_signature, "signature for {:?}", case);
    prop_assert_eq!(&our_headers, &their_headers, "headers for {:?}", case);
    Ok(())
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "PUT", "HEAD", "DELETE", "POST"]),
        "[a-z0-9-]{3,20}",
        "[a-zA-Z0-9 /._~+=-]{1,40}",
        prop::collection::vec(("[a-z-]{1,10}", "[a-zA-Z0-9 =&/]{0,12}"), 0..3),
        prop::collection::vec(("x-amz-meta-[a-z]{1,8}", "[ -~]{0,20}"), 0..3),
        "AKIA[A-Z0-9]{16}",
        "[A-Za-z0-9/+]{40}",
        prop::option::of("[A-Za-z0-9/+=]{20,60}"),
        prop::sample::select(vec!["*", "us-east-1", "us-east-1,eu-west-1"]),
        1_500_000_000u64..2_000_000_000u64,
        prop::bool::ANY,
    )
        .prop_map(
            |(method, bucket, key, query, headers, akid, secret, token, set, secs, unsigned)| {
                Case {
                    method: method.to_owned(),
                    host: format!("{bucket}.accesspoint.s3-global.amazonaws.com"),
                    key,
                    query,
                    headers,
                    access_key_id: akid,
                    secret,
                    token,
                    region_set: set.to_owned(),
                    time: UNIX_EPOCH + Duration::from_secs(secs),
                    payload: if unsigned {
                        PayloadHash::Unsigned
                    } else {
                        PayloadHash::of(b"some body")
                    },
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn sigv4a_matches_aws_sigv4(case in case_strategy()) {
        check(&case)?;
    }
}

#[test]
fn a_multi_region_access_point_request_signs_for_every_region() {
    let case = Case {
        method: "GET".into(),
        host: "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com".into(),
        key: "photos/cat.jpg".into(),
        query: vec![],
        headers: vec![],
        access_key_id: "AKIDEXAMPLE".into(),
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        token: None,
        region_set: "*".into(),
        time: UNIX_EPOCH + Duration::from_secs(1_440_938_160),
        payload: PayloadHash::empty(),
    };
    let (headers, signature) = ours(&case).expect("signed");
    let authorization = &headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .expect("authorization")
        .1;
    assert!(
        authorization.starts_with(
            "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-region-set, Signature="
        ),
        "{authorization}"
    );
    assert!(headers.contains(&("x-amz-region-set".into(), "*".into())));
    // A DER-encoded P-256 signature: 70 to 72 bytes.
    assert!((140..=144).contains(&signature.len()), "{signature}");
    check(&case).expect("the same as aws-sigv4");
}
