//! The CLI against s3s-fs, a real server that checks SigV4 signatures: buckets, objects with awkward
//! keys, downloads to files and stdout, multipart end to end, presigned GET and PUT used by a plain
//! HTTP client, and a wrong secret answered with a 403 envelope.

mod clirun;
mod support;

use clirun::Run;

fn s3_as(access: &str, secret: &str, args: &[&str]) -> Run {
    let server = support::s3s_fs();
    let env = [
        ("AWS_ACCESS_KEY_ID", access),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_REGION", server.region.as_str()),
    ];
    let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

fn s3(args: &[&str]) -> Run {
    let server = support::s3s_fs();
    s3_as(&server.access_key, &server.secret_key, args)
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("s3op-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fn new_bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    s3(&["create-bucket", "--bucket", &bucket]).expect_code(0);
    bucket
}

#[test]
fn bucket_create_head_list_delete() {
    let bucket = support::unique_bucket("life");
    let created = s3(&["create-bucket", "--bucket", &bucket]);
    created.expect_code(0);
    assert_eq!(created.status(), 200);
    s3(&["head-bucket", "--bucket", &bucket]).expect_code(0);
    let listed = s3(&["list-buckets"]);
    listed.expect_code(0);
    let buckets = listed.json()["response"]["Buckets"]
        .as_array()
        .cloned()
        .expect("Buckets is an array");
    assert!(
        buckets.iter().any(|b| b["Name"] == bucket.as_str()),
        "{listed}"
    );
    let deleted = s3(&["delete-bucket", "--bucket", &bucket]);
    deleted.expect_code(0);
    assert_eq!(deleted.status(), 204);
    let missing = s3(&["head-bucket", "--bucket", &bucket]);
    missing.expect_code(1);
    assert_eq!(missing.status(), 404);
}

#[test]
fn objects_with_awkward_keys_round_trip() {
    let bucket = new_bucket("keys");
    let keys = [
        "plain.txt",
        "dir/with space.txt",
        "plus+sign",
        "tilde~name",
        "ünïcödé/ключ.bin",
        "mixed a+b~c é",
    ];
    for (i, key) in keys.iter().enumerate() {
        let bytes = format!("object {i}: {key}").into_bytes();
        let file = temp_file(&format!("up-{i}"), &bytes);
        let put = s3(&[
            "put-object",
            "--bucket",
            &bucket,
            "--key",
            key,
            "--body",
            file.to_str().unwrap_or_default(),
        ]);
        put.expect_code(0);
        assert!(put.json()["headers"]["etag"].is_string(), "{put}");

        let out = std::env::temp_dir().join(format!("s3op-live-{}-down-{i}", std::process::id()));
        let got = s3(&[
            "get-object",
            "--bucket",
            &bucket,
            "--key",
            key,
            out.to_str().unwrap_or_default(),
        ]);
        got.expect_code(0);
        assert_eq!(
            std::fs::read(&out).expect("downloaded file"),
            bytes,
            "{key}"
        );
        assert!(got.json()["response"].is_null());

        let head = s3(&["head-object", "--bucket", &bucket, "--key", key]);
        head.expect_code(0);
        assert_eq!(
            head.json()["headers"]["content-length"],
            bytes.len().to_string().as_str()
        );

        let listed = s3(&["list-objects-v2", "--bucket", &bucket, "--prefix", key]);
        listed.expect_code(0);
        let contents = listed.json()["response"]["Contents"]
            .as_array()
            .cloned()
            .expect("Contents is an array even of one");
        assert_eq!(contents.len(), 1, "{listed}");
        assert_eq!(contents[0]["Key"], *key);
        assert_eq!(contents[0]["Size"], bytes.len(), "Size is a JSON number");
    }
    let v1 = s3(&["list-objects", "--bucket", &bucket]);
    v1.expect_code(0);
    assert_eq!(
        v1.json()["response"]["Contents"].as_array().map(Vec::len),
        Some(keys.len())
    );

    // copy, then delete one by one and in a batch
    let copied = s3(&[
        "copy-object",
        "--bucket",
        &bucket,
        "--key",
        "copy of é",
        "--copy-source",
        &format!("{bucket}/{}", keys[4]),
    ]);
    copied.expect_code(0);
    assert!(copied.json()["response"]["ETag"].is_string(), "{copied}");
    let deleted = s3(&["delete-object", "--bucket", &bucket, "--key", "copy of é"]);
    deleted.expect_code(0);
    assert_eq!(deleted.status(), 204);
    let objects: Vec<serde_json::Value> =
        keys.iter().map(|k| serde_json::json!({"Key": k})).collect();
    let delete = serde_json::json!({"Objects": objects}).to_string();
    let batch = s3(&["delete-objects", "--bucket", &bucket, "--delete", &delete]);
    batch.expect_code(0);
    assert_eq!(
        batch.json()["response"]["Deleted"].as_array().map(Vec::len),
        Some(keys.len()),
        "{batch}"
    );
    let empty = s3(&["list-objects-v2", "--bucket", &bucket]);
    assert!(
        empty.json()["response"]["Contents"]
            .as_array()
            .is_none_or(|c| c.is_empty()),
        "{empty}"
    );
}

#[test]
fn get_object_to_stdout_puts_the_envelope_on_stderr() {
    let bucket = new_bucket("stdout");
    let file = temp_file("stdout-src", b"bytes for stdout");
    s3(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--body",
        file.to_str().unwrap_or_default(),
    ])
    .expect_code(0);
    let got = s3(&["get-object", "--bucket", &bucket, "--key", "k", "-"]);
    got.expect_code(0);
    assert_eq!(got.stdout, "bytes for stdout");
    let envelope: serde_json::Value =
        serde_json::from_str(&got.stderr).expect("envelope on stderr");
    assert_eq!(envelope["status"], 200);
}

#[test]
fn missing_object_is_an_error_envelope_and_leaves_no_file() {
    let bucket = new_bucket("missing");
    let out = std::env::temp_dir().join(format!("s3op-live-{}-never", std::process::id()));
    let got = s3(&[
        "get-object",
        "--bucket",
        &bucket,
        "--key",
        "nope",
        out.to_str().unwrap_or_default(),
    ]);
    got.expect_code(1);
    assert_eq!(got.status(), 404);
    assert_eq!(got.json()["response"]["Error"]["Code"], "NoSuchKey");
    assert!(!out.exists(), "a failed download left a file");
}

#[test]
fn multipart_upload_end_to_end() {
    let bucket = new_bucket("multi");
    let key = "big file ü.bin";
    let created = s3(&["create-multipart-upload", "--bucket", &bucket, "--key", key]);
    created.expect_code(0);
    let upload_id = created.json()["response"]["UploadId"]
        .as_str()
        .expect("UploadId")
        .to_string();

    let part1: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let part2 = b"the short last part".to_vec();
    let mut etags = Vec::new();
    for (n, bytes) in [(1, &part1), (2, &part2)] {
        let file = temp_file(&format!("part-{n}"), bytes);
        let up = s3(&[
            "upload-part",
            "--bucket",
            &bucket,
            "--key",
            key,
            "--upload-id",
            &upload_id,
            "--part-number",
            &n.to_string(),
            "--body",
            file.to_str().unwrap_or_default(),
        ]);
        up.expect_code(0);
        etags.push(
            up.json()["headers"]["etag"]
                .as_str()
                .expect("part ETag")
                .to_string(),
        );
    }
    let parts = s3(&[
        "list-parts",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--upload-id",
        &upload_id,
    ]);
    parts.expect_code(0);
    assert_eq!(
        parts.json()["response"]["Parts"].as_array().map(Vec::len),
        Some(2),
        "{parts}"
    );
    // s3s-fs lists parts in directory order, so compare as a set; each PartNumber is a JSON number.
    let mut numbers: Vec<u64> = parts.json()["response"]["Parts"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["PartNumber"].as_u64()).collect())
        .unwrap_or_default();
    numbers.sort();
    assert_eq!(numbers, vec![1, 2], "{parts}");

    let upload = serde_json::json!({"Parts": [
        {"ETag": etags[0], "PartNumber": 1},
        {"ETag": etags[1], "PartNumber": 2},
    ]})
    .to_string();
    let done = s3(&[
        "complete-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--upload-id",
        &upload_id,
        "--multipart-upload",
        &upload,
    ]);
    done.expect_code(0);
    let etag = done.json()["response"]["ETag"]
        .as_str()
        .expect("ETag")
        .to_string();
    assert!(
        etag.trim_matches('"').ends_with("-2"),
        "a two-part upload's ETag ends in -2: {etag}"
    );

    let out = std::env::temp_dir().join(format!("s3op-live-{}-multi", std::process::id()));
    s3(&[
        "get-object",
        "--bucket",
        &bucket,
        "--key",
        key,
        out.to_str().unwrap_or_default(),
    ])
    .expect_code(0);
    let mut expected = part1;
    expected.extend_from_slice(&part2);
    assert!(
        std::fs::read(&out).expect("download") == expected,
        "multipart object differs"
    );
}

#[test]
fn abort_multipart_upload() {
    let bucket = new_bucket("abort");
    let created = s3(&["create-multipart-upload", "--bucket", &bucket, "--key", "k"]);
    let upload_id = created.json()["response"]["UploadId"]
        .as_str()
        .expect("UploadId")
        .to_string();
    let file = temp_file("abort-part", b"part");
    s3(&[
        "upload-part",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--upload-id",
        &upload_id,
        "--part-number",
        "1",
        "--body",
        file.to_str().unwrap_or_default(),
    ])
    .expect_code(0);
    let aborted = s3(&[
        "abort-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--upload-id",
        &upload_id,
    ]);
    aborted.expect_code(0);
    assert_eq!(aborted.status(), 204);
    let after = s3(&["list-objects-v2", "--bucket", &bucket]);
    assert!(
        after.json()["response"]["Contents"]
            .as_array()
            .is_none_or(|c| c.is_empty()),
        "{after}"
    );
}

#[test]
fn wrong_secret_is_a_403_envelope() {
    let server = support::s3s_fs();
    let run = s3_as(
        &server.access_key,
        "definitely-not-the-secret",
        &["list-buckets"],
    );
    run.expect_code(1);
    assert_eq!(run.status(), 403);
    assert_eq!(
        run.json()["response"]["Error"]["Code"],
        "SignatureDoesNotMatch"
    );
    assert!(
        !run.stdout.contains("definitely-not-the-secret")
            && !run.stderr.contains("definitely-not-the-secret")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn presigned_put_and_get_work_from_a_plain_http_client() {
    let bucket = new_bucket("presign");
    let key = "shared/a b+c.txt";
    let put_url = s3(&[
        "presign",
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        key,
        "--expires-in",
        "600",
    ]);
    put_url.expect_code(0);
    let http = reqwest::Client::new();
    let put = http
        .put(put_url.stdout.trim())
        .body("uploaded through a presigned URL")
        .send()
        .await
        .expect("PUT");
    assert!(
        put.status().is_success(),
        "presigned PUT: {} {}",
        put.status(),
        put.text().await.unwrap_or_default()
    );

    let get_url = s3(&["presign", "get-object", "--bucket", &bucket, "--key", key]);
    get_url.expect_code(0);
    let got = http.get(get_url.stdout.trim()).send().await.expect("GET");
    assert!(got.status().is_success());
    assert_eq!(
        got.text().await.expect("body"),
        "uploaded through a presigned URL"
    );

    // Signed with a wrong secret, the same URL is refused: the server really checks the signature.
    let bad = s3_as(
        &support::s3s_fs().access_key,
        "wrong",
        &["presign", "get-object", "--bucket", &bucket, "--key", key],
    );
    let refused = http.get(bad.stdout.trim()).send().await.expect("GET");
    assert_eq!(refused.status().as_u16(), 403);
}

#[test]
fn presign_refuses_more_than_seven_days() {
    let run = s3(&[
        "presign",
        "get-object",
        "--bucket",
        "b-b-b",
        "--key",
        "k",
        "--expires-in",
        "604801",
    ]);
    run.expect_code(2);
}
