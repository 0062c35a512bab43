//! The SigV4 signer's building blocks through its public API (`s3op::signer`): S3's URI encoding,
//! the canonical query string, the limits of presigning, what header signing adds and replaces,
//! and the payload hash values. The AWS test suite and the differential test against `aws-sigv4`
//! are in `sigv4_suite.rs` and `sigv4_differential.rs`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use s3op::secret::Secret;
use s3op::signer::{
    canonical_query_string, presign, sign, uri_encode, Credentials, PayloadHash, SignError,
    SignableRequest, SigningParams, SigningSettings, EMPTY_PAYLOAD_SHA256, MAX_PRESIGN_EXPIRY,
};

fn creds(token: Option<&str>) -> Credentials {
    Credentials {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        session_token: token.map(Secret::new),
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn get_root(headers: &[(String, String)]) -> SignableRequest<'_> {
    SignableRequest {
        method: "GET",
        path: "/",
        query: &[],
        headers,
        payload: &PayloadHash::Unsigned,
    }
}

#[test]
fn uri_encode_keeps_unreserved_only() {
    let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    assert_eq!(uri_encode(unreserved, true), unreserved);
    assert_eq!(uri_encode("", true), "");
    assert_eq!(uri_encode(" ", true), "%20");
    assert_eq!(uri_encode("+", true), "%2B");
    assert_eq!(uri_encode("%", true), "%25");
    assert_eq!(uri_encode("%2F", true), "%252F");
    assert_eq!(uri_encode("*", true), "%2A");
    assert_eq!(uri_encode("=&?#", true), "%3D%26%3F%23");
    assert_eq!(uri_encode("\0\t\n\x7f", true), "%00%09%0A%7F");
    assert_eq!(
        uri_encode("!$'()*,;:@[]", true),
        "%21%24%27%28%29%2A%2C%3B%3A%40%5B%5D"
    );
}

#[test]
fn uri_encode_slash_only_when_asked() {
    assert_eq!(uri_encode("a/b//c/", false), "a/b//c/");
    assert_eq!(uri_encode("a/b//c/", true), "a%2Fb%2F%2Fc%2F");
    assert_eq!(uri_encode("/../a b/./", false), "/../a%20b/./");
}

#[test]
fn uri_encode_utf8_bytes_in_uppercase_hex() {
    assert_eq!(uri_encode("ሴ", true), "%E1%88%B4");
    assert_eq!(uri_encode("é/ü", false), "%C3%A9/%C3%BC");
    assert_eq!(uri_encode("😀", true), "%F0%9F%98%80");
    assert_eq!(uri_encode("a\u{a0}b", true), "a%C2%A0b");
}

#[test]
fn canonical_query_sorts_by_encoded_name_then_value() {
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(canonical_query_string(&[]), "");
    assert_eq!(
        canonical_query_string(&q(&[("b", "2"), ("a", "3"), ("a", "1"), ("a", "")])),
        "a=&a=1&a=3&b=2"
    );
    // Sorted on the encoded form: "~" stays 0x7E but "ሴ" starts with "%" (0x25).
    assert_eq!(
        canonical_query_string(&q(&[("~", "x"), ("ሴ", "y"), ("Z", "z")])),
        "%E1%88%B4=y&Z=z&~=x"
    );
    // By name, then value: "a" sorts before "a-b" even though "a=" > "a-".
    assert_eq!(
        canonical_query_string(&q(&[("a-b", "1"), ("a", "2")])),
        "a=2&a-b=1"
    );
    assert_eq!(
        canonical_query_string(&q(&[("prefix", "a b+c/d"), ("list-type", "2")])),
        "list-type=2&prefix=a%20b%2Bc%2Fd"
    );
}

#[test]
fn presign_refuses_zero_and_more_than_seven_days() {
    let headers = vec![("host".to_owned(), "example.com".to_owned())];
    let c = creds(None);
    let params = SigningParams {
        credentials: &c,
        region: "us-east-1",
        service: "s3",
        time: at(1_440_938_160),
        settings: SigningSettings::s3(),
    };
    let req = get_root(&headers);
    let ask = |d: Duration| presign(&req, &params, d).map(|p| p.query);
    assert_eq!(ask(Duration::ZERO).err(), Some(SignError::ExpiryTooShort));
    assert_eq!(
        ask(Duration::from_millis(999)).err(),
        Some(SignError::ExpiryTooShort)
    );
    assert_eq!(
        ask(Duration::from_secs(604_801)).err(),
        Some(SignError::ExpiryTooLong { secs: 604_801 })
    );
    assert!(ask(Duration::from_millis(604_800_999)).is_ok());
    assert!(ask(Duration::from_secs(1)).is_ok());
    let week = ask(MAX_PRESIGN_EXPIRY).expect("7 days is allowed");
    assert!(week.contains(&("X-Amz-Expires".to_owned(), "604800".to_owned())));
    assert_eq!(
        week.last().map(|(n, _)| n.as_str()),
        Some("X-Amz-Signature")
    );
    let message = SignError::ExpiryTooLong { secs: 604_801 }.to_string();
    assert!(message.contains("604801"), "{message}");
}

#[test]
fn header_signing_replaces_the_callers_signing_headers() {
    let headers = vec![
        ("Host".to_owned(), "example.com".to_owned()),
        ("X-Amz-Date".to_owned(), "19990101T000000Z".to_owned()),
        ("User-Agent".to_owned(), "curl".to_owned()),
        ("X-Amz-Meta-A".to_owned(), "  two   spaces  ".to_owned()),
        ("x-amz-meta-a".to_owned(), "second".to_owned()),
    ];
    let c = creds(Some("SECRETTOKEN"));
    let params = SigningParams {
        credentials: &c,
        region: "us-east-1",
        service: "s3",
        time: at(1_440_938_160),
        settings: SigningSettings::s3(),
    };
    let signed = sign(&get_root(&headers), &params);
    assert_eq!(
        signed.canonical_request,
        "GET\n/\n\nhost:example.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n\
         x-amz-date:20150830T123600Z\nx-amz-meta-a:two spaces,second\n\
         x-amz-security-token:SECRETTOKEN\n\n\
         host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token\n\
         UNSIGNED-PAYLOAD"
    );
    let names: Vec<&str> = signed.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-security-token",
            "authorization"
        ]
    );
    let debug = format!("{signed:?}");
    assert!(!debug.contains("SECRETTOKEN"), "{debug}");
}

#[test]
fn payload_hash_values() {
    assert_eq!(PayloadHash::empty().as_str(), EMPTY_PAYLOAD_SHA256);
    assert_eq!(PayloadHash::of(b""), PayloadHash::empty());
    assert_eq!(PayloadHash::Unsigned.as_str(), "UNSIGNED-PAYLOAD");
}
