//! Signing one typical S3 request: s3op's signer against `aws-sigv4`, the signer of the AWS SDK for
//! Rust, on the same input and in the same criterion group. The request is a path-style PUT of an
//! object with a content type, a length, user metadata and a storage class, temporary credentials
//! (a session token) and `UNSIGNED-PAYLOAD`, as an upload part or a streamed PutObject is signed.
//! aws-sigv4 is configured as aws-sdk-s3 configures it (and as `tests/sigv4_differential.rs` does):
//! path encoded once, not normalised, `x-amz-content-sha256` sent, session token signed. Before
//! timing, both are checked to produce the same signature, so the comparison is of equal work.
//!
//! Each iteration includes what a caller must build per request for that API: our
//! `SignableRequest` is a few borrowed fields; aws-sigv4's `SignableRequest::new` takes a URI and
//! parses it.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign as aws_sign, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest as AwsRequest, SignatureLocation, SigningSettings as AwsSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use criterion::{criterion_group, criterion_main, Criterion};

use s3op::secret::Secret;
use s3op::signer::{
    sign, uri_encode, Credentials, PayloadHash, SignableRequest, SigningParams, SigningSettings,
};

const ACCESS_KEY_ID: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDkzR0b2tlbi1mb3ItYmVuY2htYXJraW5nLW9ubHk\
                     gEXAMPLEsessionTOKENthatISlongASrealONESareAROUNDfourHUNDREDcharactersLONGbutTHISoneISshorter==";
const REGION: &str = "us-east-1";
const HOST: &str = "s3.us-east-1.amazonaws.com";
const BUCKET: &str = "examplebucket";
const KEY: &str = "photos/2024/summer holiday/IMG_0042 (edited).jpg";

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// The headers the client sends, `host` first, as an HTTP client would.
fn headers() -> Vec<(String, String)> {
    [
        ("host", HOST),
        ("content-type", "image/jpeg"),
        ("content-length", "5242880"),
        ("x-amz-meta-owner", "alice"),
        ("x-amz-storage-class", "STANDARD_IA"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

fn ours(
    path: &str,
    headers: &[(String, String)],
    credentials: &Credentials,
    payload: &PayloadHash,
) -> String {
    let request = SignableRequest {
        method: "PUT",
        path,
        query: &[],
        headers,
        payload,
    };
    let params = SigningParams {
        credentials,
        region: REGION,
        service: "s3",
        time: time(),
        settings: SigningSettings::s3(),
    };
    sign(&request, &params).signature
}

fn aws_settings() -> AwsSettings {
    let mut settings = AwsSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.session_token_mode = SessionTokenMode::Include;
    settings.signature_location = SignatureLocation::Headers;
    settings
}

fn theirs(
    uri: &str,
    headers: &[(String, String)],
    params: &aws_sigv4::http_request::SigningParams<'_>,
) -> String {
    let request = AwsRequest::new(
        "PUT",
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::UnsignedPayload,
    )
    .expect("a valid request");
    let (_instructions, signature) = aws_sign(request, params)
        .expect("aws-sigv4 signs")
        .into_parts();
    signature
}

fn signing(c: &mut Criterion) {
    let path = format!("/{BUCKET}/{}", uri_encode(KEY, false));
    let uri = format!("https://{HOST}{path}");
    let headers = headers();
    let credentials = Credentials {
        access_key_id: ACCESS_KEY_ID.to_owned(),
        secret_access_key: Secret::new(SECRET),
        session_token: Some(Secret::new(TOKEN)),
    };
    let payload = PayloadHash::Unsigned;

    let identity =
        AwsCredentials::new(ACCESS_KEY_ID, SECRET, Some(TOKEN.to_owned()), None, "bench").into();
    let aws_params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time())
        .settings(aws_settings())
        .build()
        .expect("valid aws-sigv4 params")
        .into();

    assert_eq!(
        ours(&path, &headers, &credentials, &payload),
        theirs(&uri, &headers, &aws_params),
        "s3op and aws-sigv4 must sign the benchmark request identically"
    );

    let mut group = c.benchmark_group("signing");
    group.bench_function("s3op", |b| {
        b.iter(|| {
            ours(
                black_box(&path),
                black_box(&headers),
                &credentials,
                &payload,
            )
        })
    });
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| theirs(black_box(&uri), black_box(&headers), &aws_params))
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
