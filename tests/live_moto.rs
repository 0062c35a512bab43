//! The CLI against moto, the server with the widest S3 coverage: the seed operations s3s-fs does not
//! implement (tagging, encryption, versioning, version listings, multipart listings), and the round
//! trip of a configuration from `get-…` output into `put-…` input.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

use clirun::Run;

fn s3(args: &[&str]) -> Run {
    cli::s3op(support::moto(), args)
}

fn new_bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    s3(&["create-bucket", "--bucket", &bucket]).expect_code(0);
    bucket
}

fn put_small(bucket: &str, key: &str, body: &[u8]) -> Run {
    let path = std::env::temp_dir().join(format!(
        "s3op-moto-{}-{}",
        std::process::id(),
        key.replace('/', "_")
    ));
    std::fs::write(&path, body).expect("temp file");
    let run = s3(&[
        "put-object",
        "--bucket",
        bucket,
        "--key",
        key,
        "--body",
        path.to_str().unwrap_or_default(),
    ]);
    run.expect_code(0);
    run
}

#[test]
fn bucket_tagging_round_trips_and_one_tag_is_still_a_list() {
    let bucket = new_bucket("btag");
    let put = s3(&[
        "put-bucket-tagging",
        "--bucket",
        &bucket,
        "--tagging",
        r#"{"TagSet":[{"Key":"team","Value":"storage"}]}"#,
    ]);
    put.expect_code(0);
    let got = s3(&["get-bucket-tagging", "--bucket", &bucket]);
    got.expect_code(0);
    let response = got.json()["response"].clone();
    assert_eq!(
        response,
        serde_json::json!({"TagSet": [{"Key": "team", "Value": "storage"}]}),
        "{got}"
    );

    // What get printed is accepted unchanged by put, on another bucket.
    let other = new_bucket("btag2");
    s3(&[
        "put-bucket-tagging",
        "--bucket",
        &other,
        "--tagging",
        &response.to_string(),
    ])
    .expect_code(0);
    assert_eq!(
        s3(&["get-bucket-tagging", "--bucket", &other]).json()["response"],
        response
    );

    s3(&["delete-bucket-tagging", "--bucket", &bucket]).expect_code(0);
    let gone = s3(&["get-bucket-tagging", "--bucket", &bucket]);
    gone.expect_code(1);
    assert_eq!(gone.json()["response"]["Error"]["Code"], "NoSuchTagSet");
}

#[test]
fn bucket_encryption_put_get_delete() {
    let bucket = new_bucket("enc");
    let config = r#"{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}"#;
    s3(&[
        "put-bucket-encryption",
        "--bucket",
        &bucket,
        "--server-side-encryption-configuration",
        config,
    ])
    .expect_code(0);
    let got = s3(&["get-bucket-encryption", "--bucket", &bucket]);
    got.expect_code(0);
    let rules = got.json()["response"]["Rules"].clone();
    assert_eq!(
        rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256",
        "{got}"
    );
    assert!(rules.is_array());
    // round trip
    let response = got.json()["response"].to_string();
    s3(&[
        "put-bucket-encryption",
        "--bucket",
        &bucket,
        "--server-side-encryption-configuration",
        &response,
    ])
    .expect_code(0);
    s3(&["delete-bucket-encryption", "--bucket", &bucket]).expect_code(0);
}

#[test]
fn versioning_and_version_listing() {
    let bucket = new_bucket("vers");
    s3(&[
        "put-bucket-versioning",
        "--bucket",
        &bucket,
        "--versioning-configuration",
        r#"{"Status":"Enabled"}"#,
    ])
    .expect_code(0);
    let got = s3(&["get-bucket-versioning", "--bucket", &bucket]);
    got.expect_code(0);
    assert_eq!(got.json()["response"]["Status"], "Enabled", "{got}");
    put_small(&bucket, "doc.txt", b"one");
    put_small(&bucket, "doc.txt", b"two");
    let versions = s3(&["list-object-versions", "--bucket", &bucket]);
    versions.expect_code(0);
    let list = versions.json()["response"]["Versions"]
        .as_array()
        .cloned()
        .expect("Versions is an array");
    assert_eq!(list.len(), 2, "{versions}");
    assert!(
        list.iter().all(|v| v["IsLatest"].is_boolean()),
        "IsLatest is a JSON boolean"
    );
    let first = list[1]["VersionId"]
        .as_str()
        .expect("VersionId")
        .to_string();
    let out = std::env::temp_dir().join(format!("s3op-moto-{}-v1", std::process::id()));
    s3(&[
        "get-object",
        "--bucket",
        &bucket,
        "--key",
        "doc.txt",
        "--version-id",
        &first,
        out.to_str().unwrap_or_default(),
    ])
    .expect_code(0);
    assert_eq!(std::fs::read(&out).expect("version"), b"one");
}

#[test]
fn object_tagging_put_get_delete() {
    let bucket = new_bucket("otag");
    put_small(&bucket, "tagged", b"x");
    s3(&[
        "put-object-tagging",
        "--bucket",
        &bucket,
        "--key",
        "tagged",
        "--tagging",
        r#"{"TagSet":[{"Key":"a","Value":"b"},{"Key":"c","Value":"d"}]}"#,
    ])
    .expect_code(0);
    let got = s3(&["get-object-tagging", "--bucket", &bucket, "--key", "tagged"]);
    got.expect_code(0);
    assert_eq!(
        got.json()["response"]["TagSet"].as_array().map(Vec::len),
        Some(2),
        "{got}"
    );
    s3(&[
        "delete-object-tagging",
        "--bucket",
        &bucket,
        "--key",
        "tagged",
    ])
    .expect_code(0);
    let after = s3(&["get-object-tagging", "--bucket", &bucket, "--key", "tagged"]);
    assert_eq!(
        after.json()["response"]["TagSet"],
        serde_json::json!([]),
        "an empty TagSet is an empty array: {after}"
    );
}

#[test]
fn multipart_listings() {
    let bucket = new_bucket("mpl");
    let created = s3(&[
        "create-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "pending",
    ]);
    created.expect_code(0);
    let upload_id = created.json()["response"]["UploadId"]
        .as_str()
        .expect("UploadId")
        .to_string();
    let uploads = s3(&["list-multipart-uploads", "--bucket", &bucket]);
    uploads.expect_code(0);
    let list = uploads.json()["response"]["Uploads"]
        .as_array()
        .cloned()
        .expect("Uploads is an array");
    assert_eq!(list.len(), 1, "{uploads}");
    assert_eq!(list[0]["UploadId"], upload_id.as_str());
    s3(&[
        "abort-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "pending",
        "--upload-id",
        &upload_id,
    ])
    .expect_code(0);
    let after = s3(&["list-multipart-uploads", "--bucket", &bucket]);
    assert!(
        after.json()["response"]["Uploads"]
            .as_array()
            .is_none_or(|u| u.is_empty()),
        "{after}"
    );
}

#[test]
fn seed_object_operations_on_moto() {
    let bucket = new_bucket("objs");
    put_small(&bucket, "a/one", b"1");
    put_small(&bucket, "a/two", b"22");
    let v2 = s3(&[
        "list-objects-v2",
        "--bucket",
        &bucket,
        "--prefix",
        "a/",
        "--max-keys",
        "1",
    ]);
    v2.expect_code(0);
    assert_eq!(v2.json()["response"]["IsTruncated"], true, "{v2}");
    assert_eq!(v2.json()["response"]["MaxKeys"], 1);
    let token = v2.json()["response"]["NextContinuationToken"]
        .as_str()
        .expect("token")
        .to_string();
    let next = s3(&[
        "list-objects-v2",
        "--bucket",
        &bucket,
        "--continuation-token",
        &token,
    ]);
    assert_eq!(
        next.json()["response"]["Contents"][0]["Key"],
        "a/two",
        "{next}"
    );
    let v1 = s3(&["list-objects", "--bucket", &bucket, "--delimiter", "/"]);
    v1.expect_code(0);
    assert_eq!(
        v1.json()["response"]["CommonPrefixes"][0]["Prefix"],
        "a/",
        "{v1}"
    );
    let head = s3(&["head-object", "--bucket", &bucket, "--key", "a/two"]);
    assert_eq!(head.json()["headers"]["content-length"], "2");
    let missing = s3(&["head-object", "--bucket", &bucket, "--key", "nope"]);
    missing.expect_code(1);
    assert_eq!(missing.status(), 404);
    assert!(
        missing.json()["headers"].is_object(),
        "a HEAD error still reports headers"
    );
    s3(&[
        "copy-object",
        "--bucket",
        &bucket,
        "--key",
        "b/copy",
        "--copy-source",
        &format!("{bucket}/a/one"),
    ])
    .expect_code(0);
    s3(&["delete-object", "--bucket", &bucket, "--key", "b/copy"]).expect_code(0);
    s3(&[
        "delete-objects",
        "--bucket",
        &bucket,
        "--delete",
        r#"{"Objects":[{"Key":"a/one"},{"Key":"a/two"}],"Quiet":false}"#,
    ])
    .expect_code(0);
    s3(&["delete-bucket", "--bucket", &bucket]).expect_code(0);
}
