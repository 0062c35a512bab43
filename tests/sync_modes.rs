//! `sync`'s comparisons and `--no-overwrite` on s3s-fs, and `s3op::sync` as a library call: the
//! events it streams are the lines `s3op sync --json` prints for the same trees.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use s3op::sync::{Location, SyncOptions};
use s3op::transfer::DownloadOptions;

use cli::{bucket, s3op, text};
use scratch::{data, names_in, scratch};

fn set_modified(path: &std::path::Path, when: SystemTime) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(when).expect("set mtime");
}

fn copied(run: &clirun::Run) -> Vec<String> {
    let mut lines: Vec<String> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("upload:") || l.starts_with("download:"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn size_only_ignores_a_newer_file_of_the_same_size() {
    let server = support::s3s_fs();
    let dir = scratch("sync-modes", "size-only");
    let bucket = bucket(server, "sync-size-only");
    let url = format!("s3://{bucket}/");
    std::fs::write(dir.join("same.bin"), data(1000, 1)).expect("write");
    std::fs::write(dir.join("grows.bin"), data(1000, 2)).expect("write");
    s3op(server, &["sync", text(&dir), &url]).expect_code(0);

    // Same size, new bytes, an hour newer than the object; and one that changes size.
    std::fs::write(dir.join("same.bin"), data(1000, 3)).expect("write");
    set_modified(
        &dir.join("same.bin"),
        SystemTime::now() + Duration::from_secs(3600),
    );
    std::fs::write(dir.join("grows.bin"), data(2000, 4)).expect("write");

    let run = s3op(server, &["sync", "--size-only", text(&dir), &url]);
    run.expect_code(0);
    assert_eq!(copied(&run).len(), 1, "{run}");
    assert!(run.stdout.contains("grows.bin"), "{run}");
    // By size and time, the newer file goes too.
    let run = s3op(server, &["sync", text(&dir), &url]);
    run.expect_code(0);
    assert_eq!(copied(&run).len(), 1, "{run}");
    assert!(run.stdout.contains("same.bin"), "{run}");
}

#[test]
fn exact_timestamps_downloads_a_same_size_file_whose_time_differs() {
    let server = support::s3s_fs();
    let dir = scratch("sync-modes", "exact");
    let bucket = bucket(server, "sync-exact");
    let url = format!("s3://{bucket}/");
    let up = dir.join("up");
    std::fs::create_dir_all(&up).expect("dir");
    std::fs::write(up.join("x.bin"), data(500, 5)).expect("write");
    s3op(server, &["sync", text(&up), &url]).expect_code(0);
    let down = dir.join("down");
    s3op(server, &["sync", &url, text(&down)]).expect_code(0);
    // Nothing changed: nothing to do either way.
    let run = s3op(server, &["sync", "--exact-timestamps", &url, text(&down)]);
    assert!(copied(&run).is_empty(), "{run}");

    // The local copy is newer than the object: by default that is no reason to download.
    set_modified(
        &down.join("x.bin"),
        SystemTime::now() + Duration::from_secs(3600),
    );
    let run = s3op(server, &["sync", &url, text(&down)]);
    assert!(copied(&run).is_empty(), "{run}");
    let run = s3op(server, &["sync", "--exact-timestamps", &url, text(&down)]);
    run.expect_code(0);
    assert_eq!(copied(&run).len(), 1, "{run}");
}

#[test]
fn no_overwrite_copies_only_what_the_destination_lacks() {
    let server = support::s3s_fs();
    let dir = scratch("sync-modes", "no-overwrite");
    let bucket = bucket(server, "sync-no-overwrite");
    let url = format!("s3://{bucket}/");
    let up = dir.join("up");
    std::fs::create_dir_all(&up).expect("dir");
    std::fs::write(up.join("kept.bin"), data(700, 6)).expect("write");
    s3op(server, &["sync", text(&up), &url]).expect_code(0);

    // Changed locally (size and time) and a new file: only the new one goes up.
    std::fs::write(up.join("kept.bin"), data(900, 7)).expect("write");
    std::fs::write(up.join("new.bin"), data(300, 8)).expect("write");
    let run = s3op(server, &["sync", "-n", text(&up), &url]);
    run.expect_code(0);
    assert_eq!(copied(&run).len(), 1, "{run}");
    assert!(run.stdout.contains("new.bin"), "{run}");
    let head = s3op(
        server,
        &["head-object", "--bucket", &bucket, "--key", "kept.bin"],
    );
    assert_eq!(
        head.json()["headers"]["content-length"],
        "700",
        "not replaced: {head}"
    );

    // Down: a local file that differs is left alone; the missing one arrives.
    let down = dir.join("down");
    std::fs::create_dir_all(&down).expect("dir");
    std::fs::write(down.join("kept.bin"), b"local").expect("write");
    let run = s3op(server, &["sync", "--no-overwrite", &url, text(&down)]);
    run.expect_code(0);
    assert_eq!(
        std::fs::read(down.join("kept.bin")).expect("read"),
        b"local"
    );
    assert_eq!(
        std::fs::read(down.join("new.bin")).expect("read"),
        data(300, 8)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_must_not_overwrite_leaves_a_file_that_appeared_meanwhile() {
    // The race `--no-overwrite` guards against: the plan saw no file, another writer made one
    // before the download finished. The download is linked into place only if the name is free.
    let server = support::s3s_fs();
    let client = server.client();
    let bucket = bucket(server, "sync-race");
    client
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(data(20_000, 9))
        .send()
        .await
        .expect("put");
    let dir = scratch("sync-modes", "race");
    let target = dir.join("k");
    std::fs::write(&target, b"the other writer's").expect("write");
    let options = DownloadOptions {
        no_overwrite: true,
        ..DownloadOptions::default()
    };
    let result = client
        .download_file_with(&bucket, "k", &target, &options, &Default::default())
        .await;
    assert!(
        matches!(result, Err(s3op::Error::DestinationExists(_))),
        "{result:?}"
    );
    assert_eq!(std::fs::read(&target).expect("read"), b"the other writer's");
    assert_eq!(names_in(&dir), ["k"], "no temporary file left");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_library_streams_the_events_sync_json_prints() {
    let server = support::s3s_fs();
    let client = server.client();
    let dir = scratch("sync-modes", "library");
    for (name, seed) in [("a.txt", 1), ("sub/b.bin", 2), ("skip.log", 3)] {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, data(1000 * seed, seed)).expect("write");
    }
    let (one, two) = (bucket(server, "sync-lib"), bucket(server, "sync-cli"));

    let options = SyncOptions {
        filters: s3op::filter::Filters::new().exclude("*.log"),
        ..SyncOptions::default()
    };
    let events = client
        .sync(
            Location::local(dir.to_path_buf()),
            Location::s3(&one, ""),
            options,
        )
        .expect("locations are fine");
    let mut from_library: Vec<String> = events
        .filter_map(|event| async move { event.to_json() })
        .map(|json| json.to_string().replace(&one, "BUCKET"))
        .collect()
        .await;
    let run = s3op(
        server,
        &[
            "sync",
            "--json",
            text(&dir),
            &format!("s3://{two}/"),
            "--exclude",
            "*.log",
        ],
    );
    run.expect_code(0);
    let mut from_cli: Vec<String> = run
        .stdout
        .lines()
        .map(|line| line.replace(&two, "BUCKET"))
        .collect();
    from_library.sort();
    from_cli.sort();
    assert_eq!(from_library.len(), 2, "{from_library:?}");
    assert_eq!(from_library, from_cli);

    // A local source that is not a directory is refused before anything is sent.
    let refused = client.sync(
        Location::local(dir.join("a.txt")),
        Location::s3(&one, "x/"),
        SyncOptions::default(),
    );
    assert!(matches!(refused, Err(s3op::Error::InvalidInput(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_must_not_overwrite_is_refused_when_another_writer_got_there_first() {
    // `sync --no-overwrite` skips what the listing showed; a key another writer creates after the
    // listing is guarded by the write itself: `If-None-Match: *` on the PutObject and the
    // CompleteMultipartUpload, which moto 5.2.5 honours (412 PreconditionFailed). (moto ignores it
    // on CopyObject: the copy's condition is checked on the wire below.)
    use s3op::transfer::{TransferConfig, UploadOptions};
    let server = support::moto();
    let client = server.client();
    let bucket = bucket(server, "no-overwrite-race");
    let theirs = data(1000, 10);
    for key in ["small", "large"] {
        client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(theirs.clone())
            .send()
            .await
            .expect("the other writer's put");
    }
    let dir = scratch("sync-modes", "race-s3");
    let (small, large) = (dir.join("small"), dir.join("large"));
    std::fs::write(&small, data(500, 11)).expect("write");
    std::fs::write(&large, data(11 * 1024 * 1024, 12)).expect("write");
    let options = UploadOptions {
        no_overwrite: true,
        ..UploadOptions::default()
    };
    let config = TransferConfig {
        part_size: 5 * 1024 * 1024,
        multipart_threshold: 5 * 1024 * 1024,
        ..TransferConfig::default()
    };
    for (path, key) in [(&small, "small"), (&large, "large")] {
        let refused = client
            .upload_file(path, &bucket, key, &options, &config)
            .await
            .expect_err("the key exists");
        assert_eq!(
            refused.code(),
            Some("PreconditionFailed"),
            "{key}: {refused}"
        );
    }
    for key in ["small", "large"] {
        let mut body = Vec::new();
        client
            .get_object()
            .bucket(&bucket)
            .key(key)
            .request()
            .send_to_writer(&mut body)
            .await
            .expect("get");
        assert_eq!(body, theirs, "{key} is still the other writer's");
    }
    // The refused multipart upload was aborted, not left behind.
    let uploads = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("list uploads");
    assert!(uploads.uploads().is_empty(), "{uploads:?}");
    // Without the condition the same upload replaces the object.
    client
        .upload_file(&small, &bucket, "small", &UploadOptions::default(), &config)
        .await
        .expect("an unconditional write replaces");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_that_must_not_overwrite_sends_if_none_match() {
    use s3op::transfer::{CopyOptions, TransferConfig};
    use wiremock::matchers::{header, header_exists, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-length", "10"))
        .mount(&server)
        .await;
    // S3's answer to a conditional write whose key exists.
    Mock::given(method("PUT"))
        .and(header_exists("x-amz-copy-source"))
        .and(header("if-none-match", "*"))
        .respond_with(ResponseTemplate::new(412).set_body_string(
            "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
        ))
        .mount(&server)
        .await;
    let client = s3op::Client::builder()
        .endpoint_url(server.uri())
        .path_style(true)
        .region("us-east-1")
        .credentials("AKIDEXAMPLE", "secret", None)
        .max_attempts(1)
        .build()
        .expect("client");
    let copy = CopyOptions {
        no_overwrite: true,
        ..CopyOptions::default()
    };
    let refused = client
        .copy_object_managed("b", "src", "b", "dst", &copy, &TransferConfig::default())
        .await
        .expect_err("the key exists");
    assert_eq!(refused.code(), Some("PreconditionFailed"), "{refused}");
}
