//! Proves the test-server harness in `tests/support/` on its own, without the s3op library: both
//! servers start, answer raw HTTP, are shared within a process, and die with the test process.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{ServerKind, TestServer};

/// Send an unsigned `GET /` and return the whole answer (head and body).
fn get_root(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn s3s_fs_refuses_an_unsigned_request() {
    let server = support::s3s_fs();
    assert!(server.endpoint.starts_with("http://127.0.0.1:"));
    let answer = get_root(server.addr());
    assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
    assert!(answer.contains("<Code>AccessDenied</Code>"), "{answer}");
}

#[test]
fn moto_lists_buckets_for_an_unsigned_request() {
    let server = support::moto();
    assert!(server.endpoint.starts_with("http://127.0.0.1:"));
    let answer = get_root(server.addr());
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.contains("ListAllMyBucketsResult"), "{answer}");
}

#[test]
fn servers_are_shared_within_a_test_binary() {
    assert!(std::ptr::eq(support::s3s_fs(), support::s3s_fs()));
    assert!(std::ptr::eq(support::moto(), support::moto()));
    assert_ne!(support::s3s_fs().endpoint, support::moto().endpoint);
    assert!(support::s3s_fs().dir().join("data").is_dir());
}

#[test]
fn bucket_names_are_valid_and_distinct() {
    let mut seen = std::collections::HashSet::new();
    for prefix in [
        "",
        "a",
        "Upload_Test.v2",
        "xn--punycode",
        &"long-prefix".repeat(10),
    ] {
        for _ in 0..50 {
            let name = support::unique_bucket(prefix);
            assert!((3..=63).contains(&name.len()), "{name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{name}"
            );
            assert!(name.as_bytes()[0].is_ascii_alphanumeric(), "{name}");
            assert!(
                name.as_bytes()[name.len() - 1].is_ascii_alphanumeric(),
                "{name}"
            );
            assert!(!name.starts_with("xn--"), "{name}");
            assert!(seen.insert(name.clone()), "repeated: {name}");
        }
    }
    assert!(support::unique_bucket("listing").starts_with("listing-"));
}

#[test]
fn an_owned_server_stops_and_cleans_up_on_drop() {
    let server = TestServer::start(ServerKind::S3sFs);
    let (addr, dir) = (server.addr(), server.dir().to_path_buf());
    assert!(get_root(addr).starts_with("HTTP/1.1 403 "));
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening on {addr}"
    );
    assert!(!dir.exists(), "{} is still there", dir.display());
}

/// Set in the child process of `shared_servers_die_with_the_test_process`.
const CHILD_ENV: &str = "S3OP_SUPPORT_SMOKE_CHILD";

/// In the child process only: start both shared servers, print where they are, and exit.
#[test]
fn start_shared_servers_in_a_child_process() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    for server in [support::s3s_fs(), support::moto()] {
        println!(
            "started {} {} {}",
            server.kind().name(),
            server.addr(),
            server.dir().display()
        );
    }
}

#[test]
fn shared_servers_die_with_the_test_process() {
    let output = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--exact",
            "start_shared_servers_in_a_child_process",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let started: Vec<(SocketAddr, PathBuf)> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("started "))
        .filter_map(|rest| {
            let mut words = rest.splitn(3, ' ');
            let _kind = words.next()?;
            Some((words.next()?.parse().ok()?, PathBuf::from(words.next()?)))
        })
        .collect();
    assert_eq!(started.len(), 2, "{stdout}");
    // The child has exited: its watchdogs saw end-of-file, stop the servers and remove their
    // directories.
    let deadline = Instant::now() + Duration::from_secs(15);
    for (addr, dir) in started {
        while TcpStream::connect(addr).is_ok() || dir.exists() {
            assert!(
                Instant::now() < deadline,
                "the server on {addr} ({}) outlived its test process",
                dir.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
