//! The `s3op` binary run against one of the harness's servers, with that server's keys and region
//! and nothing else from this machine (see `clirun`), and buckets made through it.

#![allow(dead_code)] // each test binary uses its own part of this module

use crate::clirun::{self, Run};
use crate::support::{self, TestServer};

/// `s3op --endpoint-url <server> ARGS…`.
pub fn s3op(server: &TestServer, args: &[&str]) -> Run {
    s3op_with_stdin(server, args, b"")
}

/// The environment that gives s3op the server's keys and region.
pub fn env(server: &TestServer) -> [(&'static str, &str); 3] {
    [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ]
}

/// As [`s3op`], with `stdin` as standard input.
pub fn s3op_with_stdin(server: &TestServer, args: &[&str], stdin: &[u8]) -> Run {
    let env = env(server);
    let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run_with_stdin(&env, &full, stdin)
}

/// A new bucket on `server`, made by `s3op mb`.
pub fn bucket(server: &TestServer, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    s3op(server, &["mb", &format!("s3://{bucket}")]).expect_code(0);
    bucket
}

/// The keys under `s3://bucket/prefix`, sorted (from `ls --recursive --json`).
pub fn keys(server: &TestServer, bucket: &str, prefix: &str) -> Vec<String> {
    let run = s3op(
        server,
        &[
            "ls",
            "--recursive",
            "--json",
            &format!("s3://{bucket}/{prefix}"),
        ],
    );
    run.expect_code(0);
    let mut keys: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|item| item["Key"].as_str().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

/// A path as UTF-8 text, for a command line.
pub fn text(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `s3op --endpoint-url ENDPOINT ARGS…` with `env`, standard output kept as bytes (an object
/// written to `-`): exit code, stdout, stderr.
pub fn s3op_bytes(endpoint: &str, env: &[(&str, &str)], args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = clirun::command(env)
        .args(["--endpoint-url", endpoint])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("s3op runs");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each command line against `endpoint` (a request-counting server) exits 2, names the flag or
/// argument its case gives, and prints nothing on stdout (the caller checks nothing was sent).
pub fn expect_usage_errors(endpoint: &str, cases: &[(Vec<&str>, &str)]) {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    for (args, needle) in cases {
        let mut full = vec!["--endpoint-url", endpoint];
        full.extend_from_slice(args);
        let r = clirun::run(&env, &full);
        r.expect_code(2);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: the message should name {needle:?}:\n{r}"
        );
        assert!(r.stdout.is_empty(), "{args:?}: nothing on stdout:\n{r}");
    }
}
