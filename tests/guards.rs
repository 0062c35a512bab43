//! What a cancelled transfer leaves, and who owns the clean-up (issue 10, item 2): nothing is
//! process-wide. Two `Client`s in one process run multipart uploads on moto, each with its own
//! `UploadTracker`, through fault proxies that hold a part's answer; one transfer is cancelled by
//! dropping its future. Its tracker holds exactly that upload and the other tracker none of it;
//! `abort_all()` aborts it (moto's `ListMultipartUploads` shows it gone, the other one still there)
//! and the other upload completes. A download cancelled mid-way on s3s-fs leaves no temporary file
//! and nothing under the target name; a `TempFile` persisted is kept, one dropped is removed.

mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/scratch.rs"]
mod scratch;

use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy, Logged, Rule};
use s3op::transfer::{TempFile, TransferConfig, UploadOptions, UploadTracker};
use s3op::{Client, Error};
use scratch::{data, names_in, Scratch};

const MIB: u64 = 1024 * 1024;
/// How long the other upload's part 2 is held: the checks made while both uploads are open must
/// fit in it.
const OTHER_STALL: Duration = Duration::from_secs(6);
/// Longer than any test: a request held this long is only ever ended by a cancel.
const FOREVER: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// Helpers

/// A library client for `endpoint` (a proxy in front of `server`) with `server`'s keys, isolated
/// from this machine's AWS settings.
fn client_via(server: &support::TestServer, endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region(&server.region)
        .credentials(&server.access_key, &server.secret_key, None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("a client")
}

fn scratch(name: &str) -> Scratch {
    scratch::scratch("guards", name)
}

async fn new_bucket(client: &Client, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    bucket
}

/// Wait (polling, up to 30 s) until `ready` holds.
async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The PUTs of part `n` of `key` in a proxy's log.
fn part_puts(log: &[Logged], key: &str, n: u32) -> Vec<Logged> {
    let number = n.to_string();
    log.iter()
        .filter(|entry| {
            entry.method == "PUT"
                && entry.path.ends_with(&format!("/{key}"))
                && entry.query_param("partNumber") == Some(number.as_str())
        })
        .cloned()
        .collect()
}

/// The upload id a proxy saw part 2 of `key` sent with.
fn upload_id_seen(proxy: &FaultProxy, key: &str) -> String {
    part_puts(&proxy.log(), key, 2)
        .first()
        .and_then(|put| put.query_param("uploadId"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no part 2 of {key}:\n{}", proxy.log_text()))
}

/// The (key, upload id) pairs moto lists as in flight in `bucket`.
async fn uploads_in_flight(client: &Client, bucket: &str) -> Vec<(String, String)> {
    let listed = client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .expect("list multipart uploads");
    let mut uploads: Vec<(String, String)> = listed.response["Uploads"]
        .as_array()
        .unwrap_or_else(|| panic!("no Uploads list: {}", listed.to_json_pretty()))
        .iter()
        .map(|upload| {
            (
                upload["Key"].as_str().unwrap_or_default().to_string(),
                upload["UploadId"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    uploads.sort();
    uploads
}

fn multipart(tracker: &UploadTracker) -> TransferConfig {
    TransferConfig {
        part_size: 5 * MIB,
        multipart_threshold: 5 * MIB,
        concurrency: 4,
        tracker: Some(tracker.clone()),
        ..TransferConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Upload trackers: one per caller, never shared by the process

#[tokio::test(flavor = "multi_thread")]
async fn two_clients_trackers_hold_only_their_own_uploads() {
    let moto = support::moto();
    let direct = moto.client();
    let bucket = new_bucket(&direct, "guards-trackers").await;
    let dir = scratch("trackers");
    let (file_a, file_b) = (dir.join("a.bin"), dir.join("b.bin"));
    std::fs::write(&file_a, data(15 * MIB, 1)).expect("write a");
    let body_b = data(15 * MIB, 2);
    std::fs::write(&file_b, &body_b).expect("write b");

    // A's part 2 is answered never; B's after OTHER_STALL. Each client has its own proxy and its
    // own tracker.
    let proxy_a = FaultProxy::start(
        moto.addr(),
        vec![Rule::new(Fault::StallBeforeHeaders(FOREVER))
            .method("PUT")
            .query_contains("partNumber=2")],
    );
    let proxy_b = FaultProxy::start(
        moto.addr(),
        vec![Rule::new(Fault::StallBeforeHeaders(OTHER_STALL))
            .method("PUT")
            .query_contains("partNumber=2")
            .first(1)],
    );
    let (client_a, client_b) = (
        client_via(moto, &proxy_a.endpoint),
        client_via(moto, &proxy_b.endpoint),
    );
    let (tracker_a, tracker_b) = (UploadTracker::new(), UploadTracker::new());

    let upload_b = {
        let (client, bucket, file) = (client_b.clone(), bucket.clone(), file_b.clone());
        let config = multipart(&tracker_b);
        tokio::spawn(async move {
            client
                .upload_file(&file, &bucket, "b.bin", &UploadOptions::default(), &config)
                .await
        })
    };
    let (config_a, options) = (multipart(&tracker_a), UploadOptions::default());
    // Boxed, so that dropping it below drops the transfer itself.
    let mut upload_a =
        Box::pin(client_a.upload_file(&file_a, &bucket, "a.bin", &options, &config_a));
    let both_held = until("part 2 of both uploads to reach their proxies", || {
        !part_puts(&proxy_a.log(), "a.bin", 2).is_empty()
            && !part_puts(&proxy_b.log(), "b.bin", 2).is_empty()
    });
    tokio::select! {
        result = &mut upload_a => panic!(
            "upload A ended while its part 2 was held: {result:?}\n{}",
            proxy_a.log_text()
        ),
        () = both_held => {}
    }
    // Cancel A: its future is dropped mid-way, with part 2 unanswered.
    drop(upload_a);

    let (id_a, id_b) = (
        upload_id_seen(&proxy_a, "a.bin"),
        upload_id_seen(&proxy_b, "b.bin"),
    );
    assert_ne!(id_a, id_b);
    assert!(
        !upload_b.is_finished(),
        "upload B ended before the checks made while it is in flight"
    );
    assert_eq!(tracker_a.len(), 1, "A's tracker holds A's upload, only");
    assert_eq!(tracker_b.len(), 1, "B's tracker holds B's upload, only");
    assert_eq!(
        uploads_in_flight(&direct, &bucket).await,
        vec![
            ("a.bin".to_string(), id_a.clone()),
            ("b.bin".to_string(), id_b.clone())
        ],
        "both uploads are open on the server"
    );

    assert_eq!(
        tracker_a.abort_all().await,
        1,
        "A's tracker aborts one upload"
    );
    assert!(tracker_a.is_empty());
    let aborts: Vec<Logged> = proxy_a
        .log()
        .into_iter()
        .filter(|entry| entry.method == "DELETE")
        .collect();
    // Every abort is of A's upload (the pipeline may send it again after a 500 from moto).
    assert!(
        !aborts.is_empty()
            && aborts
                .iter()
                .all(|abort| abort.query_param("uploadId") == Some(id_a.as_str())),
        "aborts of A's upload only:\n{}",
        proxy_a.log_text()
    );
    assert!(
        !upload_b.is_finished(),
        "upload B ended before the checks made while it is in flight"
    );
    assert_eq!(
        uploads_in_flight(&direct, &bucket).await,
        vec![("b.bin".to_string(), id_b.clone())],
        "A's upload is aborted; B's is untouched"
    );
    assert_eq!(tracker_b.len(), 1, "B's tracker still holds B's upload");

    let done_b = upload_b
        .await
        .expect("upload B's task")
        .unwrap_or_else(|err| panic!("upload B: {err}\n{}", proxy_b.log_text()));
    let etag = done_b.response["ETag"].as_str().unwrap_or_default();
    assert!(
        etag.trim_matches('"').ends_with("-3"),
        "B went up as 3 parts: {etag}"
    );
    assert!(
        tracker_b.is_empty(),
        "B's tracker lets go of a completed upload"
    );
    assert!(tracker_a.is_empty());
    assert_eq!(uploads_in_flight(&direct, &bucket).await, vec![]);
    assert!(
        proxy_b.log().iter().all(|entry| entry.method != "DELETE"),
        "nothing of B's was aborted:\n{}",
        proxy_b.log_text()
    );

    let mut stored = Vec::new();
    direct
        .get_object()
        .bucket(&bucket)
        .key("b.bin")
        .send_to_writer(&mut stored)
        .await
        .expect("get B's object");
    assert!(stored == body_b, "B's object holds B's bytes");
    match direct
        .head_object()
        .bucket(&bucket)
        .key("a.bin")
        .send()
        .await
    {
        Err(Error::Service(envelope)) => assert_eq!(envelope.status, 404, "no object A"),
        other => panic!("object A exists after its upload was cancelled: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Temporary files: owned by the download, gone with it

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_download_leaves_no_file() {
    let server = support::s3s_fs();
    let direct = server.client();
    let bucket = new_bucket(&direct, "guards-cancelled-download").await;
    let dir = scratch("cancelled-download");
    direct
        .put_object()
        .bucket(&bucket)
        .key("twenty.bin")
        .body(s3op::Body::Bytes(data(20 * MIB, 3).into()))
        .send()
        .await
        .expect("put object");
    // The first range's body stops after 2 MiB, until the download is cancelled.
    let proxy = FaultProxy::start(
        server.addr(),
        vec![Rule::new(Fault::StallMidBody {
            after: 2 * MIB,
            stall: FOREVER,
        })
        .method("GET")
        .range_start(0)],
    );
    let client = client_via(server, &proxy.endpoint);
    let target = dir.join("twenty.bin");
    let config = TransferConfig::default();

    // Boxed, so that dropping it below drops the transfer itself.
    let mut download = Box::pin(client.download_file(&bucket, "twenty.bin", &target, &config));
    // Mid-way: both ranges asked for, the temporary file there.
    let mid_way = until("both ranges and a temporary file", || {
        let log = proxy.log();
        log.iter()
            .any(|e| e.method == "GET" && e.range_start() == 0)
            && log
                .iter()
                .any(|e| e.method == "GET" && e.range_start() == 16 * MIB)
            && names_in(&dir).iter().any(|name| name.ends_with(".part"))
    });
    tokio::select! {
        result = &mut download => panic!(
            "the download ended while its first range was held: {result:?}\n{}",
            proxy.log_text()
        ),
        () = mid_way => {}
    }
    let during = names_in(&dir);
    assert!(
        during.len() == 1 && during[0].starts_with(".twenty.bin.") && during[0].ends_with(".part"),
        "one hidden temporary file beside the target while downloading: {during:?}"
    );
    drop(download);

    assert_eq!(
        names_in(&dir),
        Vec::<String>::new(),
        "no temporary file and nothing under the target name"
    );
    // Range writes still on the blocking pool when the future went must not bring it back.
    drop(proxy);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(names_in(&dir), Vec::<String>::new(), "still nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persisted_temp_file_is_kept_and_a_dropped_one_removed() {
    let dir = scratch("temp-file");
    let target = dir.join("kept.bin");

    let kept = TempFile::create_beside(&target).await.expect("temp file");
    let dropped = TempFile::create_beside(&target).await.expect("temp file");
    assert_ne!(kept.path(), dropped.path(), "each its own name");
    for temp in [&kept, &dropped] {
        assert_eq!(temp.path().parent(), Some(&*dir), "beside the target");
        let name = temp
            .path()
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".kept.bin.") && name.ends_with(".part"),
            "hidden, named after the target: {name}"
        );
    }
    std::fs::write(kept.path(), b"kept").expect("write");
    std::fs::write(dropped.path(), b"dropped").expect("write");
    assert_eq!(names_in(&dir).len(), 2);

    kept.persist(&target, false).await.expect("persist");
    drop(dropped);

    assert_eq!(
        names_in(&dir),
        vec!["kept.bin".to_string()],
        "the persisted file is under the target name, the dropped one is gone"
    );
    assert_eq!(
        std::fs::read(&target).expect("the target"),
        b"kept",
        "the target holds what was written to the persisted file"
    );
}
