//! Resumable transfers (issue 14, item 3), through the `s3op` binary on s3s-fs behind the fault
//! proxy: a `cp --resume` upload killed with SIGKILL halfway and run again sends fewer than half
//! the parts a second time and the object is byte-exact; a source changed between runs starts
//! over (the notice says so, the old upload is aborted); a download killed halfway fetches fewer
//! than all ranges again and the file is byte-exact. Without `--resume` an interrupted upload is
//! still aborted: `tests/interrupt.rs` checks that.

#![cfg(unix)]

mod clirun;
mod support;

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy, Logged, Rule};
use scratch::{data, names_in, scratch};

const MIB: u64 = 1024 * 1024;

/// The environment of every run: the server's credentials, and the state directory under the
/// test's scratch directory.
fn env(server: &support::TestServer, state: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
        ("XDG_STATE_HOME", state.display().to_string()),
    ]
}

/// `s3op --endpoint-url ENDPOINT ARGS…` with `server`'s credentials, not started.
fn s3op_on(
    server: &support::TestServer,
    state: &Path,
    endpoint: &str,
    args: &[&str],
) -> std::process::Command {
    let owned = env(server, state);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut cmd = clirun::command(&pairs);
    cmd.arg("--endpoint-url").arg(endpoint).args(args);
    cmd
}

fn s3op(state: &Path, endpoint: &str, args: &[&str]) -> std::process::Command {
    s3op_on(support::s3s_fs(), state, endpoint, args)
}

/// Run s3op to the end with `server`'s credentials.
fn run_on(
    server: &support::TestServer,
    state: &Path,
    endpoint: &str,
    args: &[&str],
) -> clirun::Run {
    let owned = env(server, state);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = vec!["--endpoint-url", endpoint];
    all.extend_from_slice(args);
    clirun::run(&pairs, &all)
}

fn run(state: &Path, endpoint: &str, args: &[&str]) -> clirun::Run {
    run_on(support::s3s_fs(), state, endpoint, args)
}

fn direct() -> String {
    support::s3s_fs().endpoint.clone()
}

fn through(proxy: &FaultProxy) -> String {
    format!("http://{}", proxy.addr())
}

/// A bucket on s3s-fs, made without the proxy.
fn bucket(state: &Path, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    run(state, &direct(), &["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

/// The journals under the state directory.
fn journals(state: &Path) -> Vec<PathBuf> {
    let dir = state.join("s3op");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect()
}

/// Records after the header line of a journal (complete lines only).
fn records(journal: &Path) -> usize {
    std::fs::read_to_string(journal)
        .map(|text| text.matches('\n').count().saturating_sub(1))
        .unwrap_or(0)
}

fn upload_parts(log: &[Logged]) -> Vec<&Logged> {
    log.iter()
        .filter(|r| r.method == "PUT" && r.query_param("partNumber").is_some())
        .collect()
}

/// The requests of a run that started with the first request `first` picks: those whose head
/// arrived at or after it. (A killed run's requests still in flight can reach the log after it was
/// cleared, but they arrived before the next run's first request.)
fn since(log: Vec<Logged>, first: impl Fn(&Logged) -> bool) -> Vec<Logged> {
    let Some(start) = log.iter().filter(|r| first(r)).map(|r| r.at).min() else {
        return Vec::new();
    };
    log.into_iter().filter(|r| r.at >= start).collect()
}

/// Spawn `cmd` and SIGKILL it once `ready` holds; panics if it never does (or the command ends
/// first).
fn kill_when(mut cmd: std::process::Command, ready: impl Fn() -> bool) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn s3op");
    let start = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("s3op ended ({status}) before it could be killed");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "s3op never got far enough to be killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
}

/// The object's bytes, downloaded without the proxy and without resume.
fn object(state: &Path, dir: &Path, bucket: &str, key: &str) -> Vec<u8> {
    let out = dir.join(format!("check-{}", fastrand::u64(..)));
    let url = format!("s3://{bucket}/{key}");
    run(state, &direct(), &["cp", &url, &out.display().to_string()]).expect_code(0);
    let bytes = std::fs::read(&out).expect("read the download");
    let _ = std::fs::remove_file(&out);
    bytes
}

#[test]
fn an_upload_killed_halfway_sends_fewer_than_half_the_parts_again() {
    let dir = scratch("resume", "kill-upload");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-up");
    let content = data(100 * MIB, 14);
    let big = dir.join("big.bin");
    std::fs::write(&big, &content).expect("write the source");
    const PARTS: usize = 20; // 100 MiB in 5 MiB parts
                             // Each part's answer held 300 ms, two at a time: the run takes seconds, long enough to kill.
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![
            Rule::new(Fault::StallBeforeHeaders(Duration::from_millis(300)))
                .method("PUT")
                .query_contains("partNumber="),
        ],
    );
    let endpoint = through(&proxy);
    let dst = format!("s3://{bucket}/big.bin");
    let src = big.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "2",
        src.as_str(),
        dst.as_str(),
    ];
    // Killed once 12 of the 20 parts are journaled: a little over half done.
    kill_when(s3op(&state, &endpoint, &args), || {
        journals(&state).first().is_some_and(|j| records(j) >= 12)
    });
    let first_run = upload_parts(&proxy.log()).len();
    assert!(
        first_run < PARTS,
        "the first run sent every part: not killed halfway"
    );
    let left = journals(&state);
    assert_eq!(left.len(), 1, "the killed run keeps its journal");
    let journaled = records(&left[0]);
    assert!(journaled >= 12, "{journaled}");

    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run(&state, &endpoint, &args);
    again.expect_code(0);
    assert!(
        !again.stderr.contains("starting over"),
        "the unchanged upload was resumed:\n{again}"
    );
    // The second run starts with ListParts.
    let log = since(proxy.log(), |r| {
        r.method == "GET" && r.query_param("uploadId").is_some()
    });
    let second_run = upload_parts(&log);
    assert!(
        second_run.len() < PARTS / 2,
        "the second run sent {} of {PARTS} parts (the first had {journaled} journaled)",
        second_run.len()
    );
    // Exactly the parts the journal lacked were sent.
    assert_eq!(second_run.len(), PARTS - journaled, "{}", proxy.log_text());
    assert!(
        log.iter()
            .any(|r| r.method == "GET" && r.query_param("uploadId").is_some()),
        "ListParts confirmed the journaled parts"
    );
    assert!(
        !log.iter()
            .any(|r| r.method == "POST" && r.query == "uploads"),
        "no new multipart upload was started"
    );
    assert!(
        journals(&state).is_empty(),
        "the finished upload removed its journal"
    );
    assert!(
        object(&state, &dir, &bucket, "big.bin") == content,
        "the object is byte-exact"
    );
}

#[test]
fn a_source_changed_between_runs_starts_over_and_aborts_the_old_upload() {
    let dir = scratch("resume", "changed");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-ch");
    let src = dir.join("data.bin");
    std::fs::write(&src, data(30 * MIB, 1)).expect("write the source");
    // Part 4 is refused (not retried): the upload fails after some parts are journaled.
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::status(400, "InvalidArgument"))
            .method("PUT")
            .query_contains("partNumber=4")],
    );
    let endpoint = through(&proxy);
    let dst = format!("s3://{bucket}/data.bin");
    let src_arg = src.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "1",
        src_arg.as_str(),
        dst.as_str(),
    ];
    let failed = run(&state, &endpoint, &args);
    assert_eq!(failed.code, 1, "{failed}\n{}", proxy.log_text());
    let left = journals(&state);
    assert_eq!(
        left.len(),
        1,
        "the failed upload keeps its journal:\n{failed}"
    );
    assert!(records(&left[0]) >= 3, "parts 1 to 3 are journaled");
    let header: serde_json::Value = std::fs::read_to_string(&left[0])
        .ok()
        .and_then(|text| text.lines().next().map(str::to_string))
        .and_then(|line| serde_json::from_str(&line).ok())
        .expect("a journal header");
    let old_id = header["upload_id"]
        .as_str()
        .expect("an upload id")
        .to_string();
    assert!(
        !proxy.log().iter().any(|r| r.method == "DELETE"),
        "a resumable upload is not aborted when it fails"
    );

    // The source changes: other bytes, another modification time.
    let changed = data(30 * MIB, 2);
    std::fs::write(&src, &changed).expect("rewrite the source");
    let later = std::time::SystemTime::now() + Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(&src)
        .and_then(|f| f.set_modified(later))
        .expect("set mtime");
    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run(&state, &endpoint, &args);
    again.expect_code(0);
    assert!(
        again.stderr.contains("s3op: resume:")
            && again.stderr.contains("changed")
            && again.stderr.contains("starting over"),
        "the notice says why it starts over:\n{again}"
    );
    let log = proxy.log();
    assert!(
        log.iter()
            .any(|r| r.method == "DELETE"
                && r.query_param("uploadId").is_some_and(|id| id == old_id)),
        "the old upload {old_id} was aborted:\n{}",
        proxy.log_text()
    );
    assert_eq!(upload_parts(&log).len(), 6, "every part was sent again");
    assert!(journals(&state).is_empty());
    assert!(object(&state, &dir, &bucket, "data.bin") == changed);
}

#[test]
fn a_download_killed_halfway_fetches_only_the_missing_ranges() {
    let dir = scratch("resume", "kill-download");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-down");
    let content = data(40 * MIB, 7);
    let src = dir.join("src.bin");
    std::fs::write(&src, &content).expect("write the source");
    let url = format!("s3://{bucket}/obj.bin");
    // One PUT (s3s-fs keeps the checksum of a PutObject, not of a multipart upload): the
    // download is checked against its CRC64NVME, from the ranges' CRCs.
    run(
        &state,
        &direct(),
        &[
            "cp",
            "--part-size",
            "64MiB",
            &src.display().to_string(),
            &url,
        ],
    )
    .expect_code(0);
    const RANGES: usize = 8; // 40 MiB in 5 MiB ranges

    // Answer bodies throttled: two ranges at a time, each taking about a second.
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::Throttle {
            bytes_per_sec: 5 * MIB,
        })
        .method("GET")],
    );
    let endpoint = through(&proxy);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let target = out_dir.join("obj.bin");
    let target_arg = target.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "2",
        url.as_str(),
        target_arg.as_str(),
    ];
    let journal = out_dir.join(".obj.bin.s3op-resume.jsonl");
    kill_when(s3op(&state, &endpoint, &args), || records(&journal) >= 4);
    assert!(!target.exists(), "nothing under the target name yet");
    assert_eq!(
        names_in(&out_dir),
        vec![".obj.bin.s3op-resume.jsonl", ".obj.bin.s3op-resume.part"],
        "the killed download keeps its partial file and journal"
    );
    let journaled = records(&journal);
    let text = std::fs::read_to_string(&journal).expect("read the journal");
    let hashed = text
        .lines()
        .skip(1)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|record| record["checksum"].is_string())
        .count();
    assert_eq!(hashed, journaled, "each range's CRC is journaled:\n{text}");

    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run(&state, &endpoint, &args);
    again.expect_code(0);
    assert!(!again.stderr.contains("starting over"), "{again}");
    // The second run starts with a HEAD.
    let log = since(proxy.log(), |r| r.method == "HEAD");
    let gets: Vec<&Logged> = log.iter().filter(|r| r.method == "GET").collect();
    assert!(
        gets.len() < RANGES,
        "the second run fetched {} of {RANGES} ranges",
        gets.len()
    );
    assert_eq!(gets.len(), RANGES - journaled, "{}", proxy.log_text());
    assert!(
        gets.iter().all(|r| r.if_match.is_some()),
        "every range is pinned to the ETag"
    );
    assert_eq!(
        names_in(&out_dir),
        vec!["obj.bin"],
        "journal and partial file gone"
    );
    assert!(
        std::fs::read(&target).expect("read") == content,
        "byte-exact"
    );
}

#[test]
fn a_download_of_a_changed_object_starts_over() {
    let dir = scratch("resume", "changed-object");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-obj");
    let src = dir.join("src.bin");
    let url = format!("s3://{bucket}/obj.bin");
    let upload = |bytes: &[u8]| {
        std::fs::write(&src, bytes).expect("write the source");
        run(
            &state,
            &direct(),
            &[
                "cp",
                "--part-size",
                "5MiB",
                &src.display().to_string(),
                &url,
            ],
        )
        .expect_code(0);
    };
    upload(&data(20 * MIB, 3));
    // The third range is refused: the download fails with its partial file and journal kept.
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::status(403, "AccessDenied"))
            .method("GET")
            .range_start(10 * MIB)],
    );
    let endpoint = through(&proxy);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let target = out_dir.join("obj.bin");
    let target_arg = target.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "1",
        url.as_str(),
        target_arg.as_str(),
    ];
    let failed = run(&state, &endpoint, &args);
    assert_eq!(failed.code, 1, "{failed}");
    assert_eq!(
        names_in(&out_dir),
        vec![".obj.bin.s3op-resume.jsonl", ".obj.bin.s3op-resume.part"]
    );

    let changed = data(20 * MIB, 4);
    upload(&changed);
    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run(&state, &endpoint, &args);
    again.expect_code(0);
    assert!(
        again.stderr.contains("s3op: resume:") && again.stderr.contains("changed"),
        "{again}"
    );
    let gets = proxy.log().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 4, "every range fetched again");
    assert_eq!(names_in(&out_dir), vec!["obj.bin"]);
    assert!(std::fs::read(&target).expect("read") == changed);
}

/// On moto, whose ListParts gives each part's ETag (s3s-fs's does not), and with Ctrl-C instead of
/// SIGKILL: the interrupt handler leaves a resumable upload open (moto lists it), and the rerun
/// confirms the journaled parts by ETag and sends only the others.
#[test]
fn an_interrupted_resumable_upload_is_left_open_and_resumed_on_moto() {
    let server = support::moto();
    let dir = scratch("resume", "sigint-moto");
    let state = dir.join("state");
    let bucket = support::unique_bucket("resume-moto");
    run_on(
        server,
        &state,
        &server.endpoint,
        &["mb", &format!("s3://{bucket}")],
    )
    .expect_code(0);
    let content = data(30 * MIB, 21);
    let src = dir.join("data.bin");
    std::fs::write(&src, &content).expect("write the source");
    const PARTS: usize = 6;
    let proxy = FaultProxy::start(
        server.addr(),
        vec![
            Rule::new(Fault::StallBeforeHeaders(Duration::from_millis(300)))
                .method("PUT")
                .query_contains("partNumber="),
        ],
    );
    let endpoint = through(&proxy);
    let dst = format!("s3://{bucket}/data.bin");
    let src_arg = src.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "1",
        src_arg.as_str(),
        dst.as_str(),
    ];
    let child = s3op_on(server, &state, &endpoint, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn s3op");
    let start = Instant::now();
    while journals(&state).first().is_none_or(|j| records(j) < 3) {
        assert!(start.elapsed() < Duration::from_secs(60), "never 3 parts");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let listed = run_on(
        server,
        &state,
        &server.endpoint,
        &["list-multipart-uploads", "--bucket", &bucket],
    );
    let uploads = listed.json()["response"]["Uploads"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(uploads, 1, "the resumable upload is left open:\n{stderr}");
    let journaled = journals(&state).first().map_or(0, |j| records(j));
    assert!((3..PARTS).contains(&journaled), "{journaled}");

    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run_on(server, &state, &endpoint, &args);
    again.expect_code(0);
    assert!(!again.stderr.contains("starting over"), "{again}");
    let log = since(proxy.log(), |r| {
        r.method == "GET" && r.query_param("uploadId").is_some()
    });
    assert_eq!(
        upload_parts(&log).len(),
        PARTS - journaled,
        "{}",
        proxy.log_text()
    );
    assert!(journals(&state).is_empty());
    let listed = run_on(
        server,
        &state,
        &server.endpoint,
        &["list-multipart-uploads", "--bucket", &bucket],
    );
    assert_eq!(
        listed.json()["response"]["Uploads"]
            .as_array()
            .map_or(0, Vec::len),
        0,
        "completed"
    );
    let out = dir.join("back.bin");
    run_on(
        server,
        &state,
        &server.endpoint,
        &["cp", &dst, &out.display().to_string()],
    )
    .expect_code(0);
    assert!(std::fs::read(&out).expect("read") == content, "byte-exact");
}

/// `sync --resume` takes the flag and moves a tree; a finished sync leaves no journal.
#[test]
fn sync_resume_leaves_no_journal() {
    let dir = scratch("resume", "sync");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-sync");
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).expect("tree");
    let big = data(12 * MIB, 5);
    std::fs::write(tree.join("big.bin"), &big).expect("write");
    std::fs::write(tree.join("small.txt"), b"small").expect("write");
    let url = format!("s3://{bucket}/t/");
    run(
        &state,
        &direct(),
        &[
            "sync",
            "--resume",
            "--part-size",
            "5MiB",
            &tree.display().to_string(),
            &url,
        ],
    )
    .expect_code(0);
    assert!(journals(&state).is_empty());
    let back = dir.join("back");
    run(
        &state,
        &direct(),
        &[
            "sync",
            "--resume",
            "--part-size",
            "5MiB",
            &url,
            &back.display().to_string(),
        ],
    )
    .expect_code(0);
    assert_eq!(names_in(&back), vec!["big.bin", "small.txt"]);
    assert!(std::fs::read(back.join("big.bin")).expect("read") == big);
}

/// The finished ranges' journaled CRCs go into the final check (they are not hashed again): one
/// made wrong makes the resumed download fail its check, which throws everything away and
/// downloads the object once more, whole and right.
#[test]
fn journaled_range_checksums_are_used_by_the_final_check() {
    let dir = scratch("resume", "journaled-crc");
    let state = dir.join("state");
    let bucket = bucket(&state, "resume-crc");
    let content = data(20 * MIB, 9);
    let src = dir.join("src.bin");
    std::fs::write(&src, &content).expect("write the source");
    let url = format!("s3://{bucket}/obj.bin");
    run(
        &state,
        &direct(),
        &[
            "cp",
            "--part-size",
            "64MiB",
            &src.display().to_string(),
            &url,
        ],
    )
    .expect_code(0);
    let proxy = FaultProxy::start(
        support::s3s_fs().addr(),
        vec![Rule::new(Fault::status(403, "AccessDenied"))
            .method("GET")
            .range_start(10 * MIB)],
    );
    let endpoint = through(&proxy);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let target = out_dir.join("obj.bin");
    let target_arg = target.display().to_string();
    let args = [
        "cp",
        "--resume",
        "--part-size",
        "5MiB",
        "--concurrency",
        "1",
        url.as_str(),
        target_arg.as_str(),
    ];
    assert_eq!(run(&state, &endpoint, &args).code, 1);
    let journal = out_dir.join(".obj.bin.s3op-resume.jsonl");
    assert_eq!(records(&journal), 2, "ranges 0 and 1 finished");
    // Range 0's CRC replaced by range 1's: each is a valid value, only the combination is wrong.
    let text = std::fs::read_to_string(&journal).expect("read");
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let second = lines[2]["checksum"].clone();
    assert!(second.is_string(), "{text}");
    lines[1]["checksum"] = second;
    let rewritten: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&journal, rewritten).expect("rewrite the journal");

    proxy.set_rules(Vec::new());
    proxy.clear_log();
    let again = run(&state, &endpoint, &args);
    again.expect_code(0);
    let gets = proxy.log().iter().filter(|r| r.method == "GET").count();
    assert_eq!(
        gets,
        2 + 4,
        "the 2 missing ranges, then after the mismatch all 4:\n{}",
        proxy.log_text()
    );
    assert_eq!(names_in(&out_dir), vec!["obj.bin"]);
    assert!(
        std::fs::read(&target).expect("read") == content,
        "byte-exact"
    );
}
