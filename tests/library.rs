//! The library as a Rust developer uses it, against s3s-fs (which checks signatures): typed builders,
//! bodies from bytes and files, downloads to a file and a writer, errors as `Error::Service` with the
//! envelope, and bad input refused before sending.

mod support;

use s3op::{Body, Client, Error};

fn client() -> Client {
    support::s3s_fs().client()
}

#[tokio::test]
async fn typed_builders_round_trip_an_object() {
    let client = client();
    let bucket = support::unique_bucket("lib");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket");

    let put = client
        .put_object()
        .bucket(&bucket)
        .key("notes/hello world.txt")
        .content_type("text/plain")
        .metadata([("purpose", "test")])
        .body("hello from the library")
        .send()
        .await
        .expect("put-object");
    assert_eq!(put.status, 200);

    let path = std::env::temp_dir().join(format!("s3op-lib-{}.bin", std::process::id()));
    std::fs::write(&path, vec![7u8; 100_000]).expect("temp file");
    client
        .put_object()
        .bucket(&bucket)
        .key("blob")
        .body(Body::File(path.clone()))
        .send()
        .await
        .expect("file body");

    let out = std::env::temp_dir().join(format!("s3op-lib-{}.out", std::process::id()));
    let got = client
        .get_object()
        .bucket(&bucket)
        .key("blob")
        .send_to_file(&out)
        .await
        .expect("get-object");
    assert_eq!(
        got.headers.get("content-length").map(String::as_str),
        Some("100000")
    );
    assert_eq!(std::fs::read(&out).expect("downloaded"), vec![7u8; 100_000]);

    let mut buf = Vec::new();
    let head = client
        .get_object()
        .bucket(&bucket)
        .key("notes/hello world.txt")
        .send_to_writer(&mut buf)
        .await
        .expect("get");
    assert_eq!(buf, b"hello from the library");
    assert_eq!(
        head.headers.get("x-amz-meta-purpose").map(String::as_str),
        Some("test")
    );

    let listing = client
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("notes/")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listing.response["Contents"][0]["Key"],
        "notes/hello world.txt"
    );
    assert_eq!(listing.response["KeyCount"], 1);
}

#[tokio::test]
async fn a_missing_key_is_a_service_error_with_its_envelope() {
    let client = client();
    let bucket = support::unique_bucket("liberr");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket");
    let err = client
        .head_object()
        .bucket(&bucket)
        .key("absent")
        .send()
        .await
        .expect_err("404");
    match err {
        Error::Service(envelope) => assert_eq!(envelope.status, 404),
        other => panic!("expected a service error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:9") // nothing listens: reaching it would be a transport error
        .credentials("AK", "SK", None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client");
    let missing = client
        .put_object()
        .key("k")
        .send()
        .await
        .expect_err("no bucket");
    assert!(
        missing.is_input_error() && missing.to_string().contains("--bucket"),
        "{missing}"
    );
    let bad_json = client
        .put_bucket_tagging()
        .bucket("bbb")
        .tagging_json(serde_json::json!({"TagSet": [{"Key": "a", "Value": 5}]}))
        .send()
        .await
        .expect_err("bad tag value");
    assert!(bad_json.is_input_error(), "{bad_json}");
    let signer_header = client
        .list_buckets()
        .request()
        .header("Authorization", "x")
        .send()
        .await
        .expect_err("refused");
    assert!(signer_header.is_input_error(), "{signer_header}");
}

/// Host-prefix labels take what botocore takes (`^[A-Za-z0-9.-]+$`), refuse the rest unsent.
#[tokio::test]
async fn host_prefix_labels_accept_letters_digits_dots_and_dashes() {
    let client = Client::builder()
        .endpoint_url("http://s3.example.com")
        .credentials("AKIDEXAMPLE", "secret", None)
        .build()
        .expect("client");
    for route in ["route", "io-a1b2c3", "my.route-1", "A.B.C"] {
        let dry = client
            .write_get_object_response()
            .request_route(route)
            .request_token("token")
            .request()
            .dry_run()
            .await
            .unwrap_or_else(|e| panic!("{route}: {e}"));
        assert!(
            // Host names are case-insensitive; the URL holds them lower-cased.
            dry.url
                .starts_with(&format!("http://{}.s3.example.com/", route.to_lowercase())),
            "{route}: {}",
            dry.url
        );
    }
    for route in ["", "a_b", "a/b", "a b", "ünï"] {
        let refused = client
            .write_get_object_response()
            .request_route(route)
            .request_token("token")
            .request()
            .dry_run()
            .await;
        assert!(
            matches!(&refused, Err(e) if e.is_input_error()),
            "{route:?} must be refused before sending: {refused:?}"
        );
    }
}
