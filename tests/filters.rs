//! `--exclude`, `--include` and `--exclude-from` on `cp`, `mv` and `sync` as `aws s3` scripts use
//! them (patterns relative to the source, the last matching filter wins), on s3s-fs; a filter that
//! excludes everything (exit 0, a note, nothing sent) and bad filter input (exit 2, nothing sent)
//! against a request-counting wiremock server.

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;
#[path = "support/scratch.rs"]
mod scratch;

use cli::{bucket, keys, s3op, text};
use scratch::{data, scratch};

/// A small tree: two text files, a log, a nested log and a file under `.git/`.
fn tree(dir: &std::path::Path) {
    for (i, name) in [
        "a.txt",
        "b.log",
        "sub/c.txt",
        "sub/deep/d.log",
        ".git/config",
    ]
    .iter()
    .enumerate()
    {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(&path, data(100 + i as u64, i as u64)).expect("write");
    }
}

#[test]
fn cp_recursive_up_and_down_keeps_what_the_last_matching_filter_includes() {
    let server = support::s3s_fs();
    let dir = scratch("filters", "cp");
    let src = dir.join("src");
    tree(&src);
    let bucket = bucket(server, "filters-cp");
    let url = format!("s3://{bucket}/t/");

    s3op(
        server,
        &[
            "cp",
            "--recursive",
            text(&src),
            &url,
            "--exclude",
            "*",
            "--include",
            "*.txt",
        ],
    )
    .expect_code(0);
    assert_eq!(keys(server, &bucket, "t/"), ["t/a.txt", "t/sub/c.txt"]);

    // Everything but .git, then down again without the sub directory.
    s3op(
        server,
        &["cp", "--recursive", text(&src), &url, "--exclude", ".git/*"],
    )
    .expect_code(0);
    assert_eq!(
        keys(server, &bucket, "t/"),
        ["t/a.txt", "t/b.log", "t/sub/c.txt", "t/sub/deep/d.log"]
    );
    let down = dir.join("down");
    s3op(
        server,
        &[
            "cp",
            "--recursive",
            &url,
            text(&down),
            "--exclude",
            "sub/*",
            "--include",
            "sub/deep/*",
        ],
    )
    .expect_code(0);
    assert!(down.join("a.txt").is_file() && down.join("b.log").is_file());
    assert!(!down.join("sub/c.txt").exists(), "excluded");
    assert!(down.join("sub/deep/d.log").is_file(), "included again");

    // A single file is filtered by its name.
    let one = s3op(
        server,
        &[
            "cp",
            text(&src.join("b.log")),
            &format!("s3://{bucket}/one/"),
            "--exclude",
            "*.log",
        ],
    );
    one.expect_code(0);
    assert!(one.stderr.contains("note"), "{one}");
    assert!(keys(server, &bucket, "one/").is_empty());
}

#[test]
fn mv_keeps_the_sources_its_filters_exclude() {
    let server = support::s3s_fs();
    let dir = scratch("filters", "mv");
    tree(&dir);
    let bucket = bucket(server, "filters-mv");
    s3op(
        server,
        &[
            "mv",
            "--recursive",
            text(&dir),
            &format!("s3://{bucket}/"),
            "--exclude",
            "*.log",
        ],
    )
    .expect_code(0);
    assert_eq!(
        keys(server, &bucket, ""),
        [".git/config", "a.txt", "sub/c.txt"]
    );
    assert!(!dir.join("a.txt").exists(), "moved");
    assert!(
        dir.join("b.log").is_file() && dir.join("sub/deep/d.log").is_file(),
        "kept"
    );
}

#[test]
fn sync_filters_both_sides_so_delete_spares_what_is_excluded() {
    let server = support::s3s_fs();
    let dir = scratch("filters", "sync");
    tree(&dir);
    let bucket = bucket(server, "filters-sync");
    let url = format!("s3://{bucket}/");
    s3op(server, &["sync", text(&dir), &url]).expect_code(0);
    // Locally, the logs go away; a sync with --delete that excludes logs must not delete them.
    std::fs::remove_file(dir.join("b.log")).expect("rm");
    std::fs::remove_file(dir.join("a.txt")).expect("rm");
    let excludes = dir.join("..").join("sync-excludes.txt");
    std::fs::write(&excludes, "# never the logs\n*.log\n").expect("write");
    let run = s3op(
        server,
        &[
            "sync",
            "--delete",
            text(&dir),
            &url,
            "--exclude-from",
            text(&excludes),
        ],
    );
    run.expect_code(0);
    assert_eq!(
        keys(server, &bucket, ""),
        [".git/config", "b.log", "sub/c.txt", "sub/deep/d.log"],
        "a.txt deleted, the excluded b.log kept:\n{run}"
    );
    let _ = std::fs::remove_file(excludes);
}

#[test]
fn rm_ls_and_du_take_the_same_filters() {
    let server = support::s3s_fs();
    let dir = scratch("filters", "rm-ls-du");
    tree(&dir);
    let bucket = bucket(server, "filters-rm");
    let url = format!("s3://{bucket}/t/");
    s3op(server, &["cp", "--recursive", text(&dir), &url]).expect_code(0);

    let listed = s3op(
        server,
        &[
            "ls",
            "--recursive",
            &url,
            "--exclude",
            "*",
            "--include",
            "*.log",
        ],
    );
    listed.expect_code(0);
    let names: Vec<&str> = listed
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(names, ["t/b.log", "t/sub/deep/d.log"], "{listed}");

    let du = s3op(server, &["du", "--json", &url, "--exclude", "*.log"]);
    du.expect_code(0);
    let totals: serde_json::Value = serde_json::from_str(du.stdout.trim()).expect("du JSON");
    // a.txt (100 bytes), sub/c.txt (102) and .git/config (104).
    assert_eq!(totals["Objects"], 3, "{du}");
    assert_eq!(totals["Size"], 100 + 102 + 104, "{du}");

    let none = s3op(server, &["rm", "--recursive", &url, "--exclude", "*"]);
    none.expect_code(0);
    assert!(
        none.stderr.contains("note: the filters exclude all 5 keys"),
        "{none}"
    );
    s3op(
        server,
        &[
            "rm",
            "--recursive",
            &url,
            "--exclude",
            "*.txt",
            "--exclude",
            ".git/*",
        ],
    )
    .expect_code(0);
    assert_eq!(
        keys(server, &bucket, "t/"),
        ["t/.git/config", "t/a.txt", "t/sub/c.txt"]
    );
}

mod nothing_sent {
    use super::*;
    use wiremock::MockServer;

    const KEYS: [(&str, &str); 3] = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "us-east-1"),
    ];

    fn run(server: &MockServer, args: &[&str]) -> clirun::Run {
        let uri = server.uri();
        let mut full = vec!["--endpoint-url", uri.as_str()];
        full.extend_from_slice(args);
        clirun::run(&KEYS, &full)
    }

    async fn sent(server: &MockServer) -> usize {
        server.received_requests().await.map_or(0, |r| r.len())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_filter_that_excludes_everything_sends_nothing_and_exits_0_with_a_note() {
        let server = MockServer::start().await;
        let dir = scratch("filters", "none");
        tree(&dir);
        for args in [
            vec![
                "cp",
                "--recursive",
                text(&dir),
                "s3://b/p/",
                "--exclude",
                "*",
            ],
            vec!["sync", text(&dir), "s3://b/p/", "--exclude", "*"],
            vec![
                "mv",
                "--recursive",
                text(&dir),
                "s3://b/p/",
                "--exclude",
                "*",
            ],
        ] {
            let run = run(&server, &args);
            run.expect_code(0);
            assert!(
                run.stderr.contains("note: the filters exclude all 5"),
                "{run}"
            );
        }
        assert_eq!(sent(&server).await, 0);
        assert!(dir.join("a.txt").is_file(), "mv moved nothing");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn conflicting_or_unreadable_filter_flags_exit_2_and_send_nothing() {
        let server = MockServer::start().await;
        let dir = scratch("filters", "bad");
        tree(&dir);
        for (args, named) in [
            (
                vec!["sync", "--size-only", "--checksum", text(&dir), "s3://b/"],
                "--checksum",
            ),
            (
                vec![
                    "sync",
                    "--size-only",
                    "--exact-timestamps",
                    text(&dir),
                    "s3://b/",
                ],
                "--exact-timestamps",
            ),
            (
                vec![
                    "sync",
                    text(&dir),
                    "s3://b/",
                    "--exclude-from",
                    "/no/such/excludes",
                ],
                "--exclude-from",
            ),
            (
                vec![
                    "cp",
                    "-r",
                    text(&dir),
                    "s3://b/",
                    "--exclude-from",
                    "/no/such/excludes",
                ],
                "--exclude-from",
            ),
            (
                vec!["sync", text(&dir), "s3://b/", "--exclude"],
                "--exclude",
            ),
        ] {
            let run = run(&server, &args);
            run.expect_code(2);
            assert!(run.stderr.contains(named), "{named}: {run}");
        }
        assert_eq!(sent(&server).await, 0);
    }
}
