//! TLS behind a private CA, and proxies (issue 13, item 5), against s3s-fs behind a TLS terminator
//! on loopback whose certificate is signed by a CA made in the test: refused with a message that
//! names the certificate problem without the CA, working with it from `--ca-bundle`,
//! `AWS_CA_BUNDLE`, the profile's `ca_bundle` or the system store (`SSL_CERT_FILE`), and with
//! `--no-verify-ssl` (which warns); a bundle that cannot be used is exit 2. Requests go through
//! `HTTP_PROXY`/`HTTPS_PROXY` (counted by a forward proxy) unless `NO_PROXY` names the host, and a
//! proxy's password never shows.

mod clirun;
mod support;

#[path = "support/tls_net.rs"]
mod tls_net;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use s3op::config::Environment;
use s3op::Client;
use tls_net::{ForwardProxy, TestCa, TlsTerminator};

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "s3op-tls-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// s3s-fs behind https with a certificate for 127.0.0.1 and localhost signed by a fresh CA, whose
/// PEM is written to `ca.pem` in `scratch`.
fn https_s3s_fs(scratch: &Scratch) -> (TlsTerminator, PathBuf) {
    let ca = TestCa::new("s3op test CA");
    let bundle = scratch.path("ca.pem");
    ca.write_pem(&bundle);
    let config = ca.server_config(&["127.0.0.1", "localhost"]);
    (
        TlsTerminator::start(support::s3s_fs().addr(), config),
        bundle,
    )
}

fn keys() -> [(&'static str, String); 2] {
    let server = support::s3s_fs();
    [
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
    ]
}

/// A library client for `endpoint` with s3s-fs's keys, its settings from `vars` alone.
fn library_client(endpoint: &str, vars: &[(&str, &str)]) -> s3op::ClientBuilder {
    let server = support::s3s_fs();
    Client::builder()
        .endpoint_url(endpoint)
        .region(&server.region)
        .credentials(&server.access_key, &server.secret_key, None)
        .max_attempts(1)
        .environment(Environment::from_vars(vars.iter().copied(), None))
}

/// Runs the CLI with s3s-fs's keys plus `env`.
fn s3op(env: &[(&str, &str)], args: &[&str]) -> clirun::Run {
    let keys = keys();
    let mut all: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(env);
    clirun::run(&all, args)
}

/// Makes a bucket and puts an object through the CLI, then finds the bucket in list-buckets.
fn cli_round_trip(env: &[(&str, &str)], flags: &[&str], endpoint: &str, scratch: &Scratch) {
    let bucket = support::unique_bucket("tls-cli");
    let body = scratch.path("body.txt");
    std::fs::write(&body, b"through TLS").expect("body");
    let body = body.to_string_lossy().into_owned();
    let with = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = vec!["--endpoint-url".into(), endpoint.into()];
        all.extend(flags.iter().map(|s| s.to_string()));
        all.extend(args.iter().map(|s| s.to_string()));
        all
    };
    let run = |args: &[&str]| {
        let args = with(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s3op(env, &args)
    };
    run(&["create-bucket", "--bucket", &bucket]).expect_code(0);
    run(&[
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "a.txt",
        "--body",
        &body,
    ])
    .expect_code(0);
    let listed = run(&["list-buckets"]);
    listed.expect_code(0);
    let names: Vec<String> = listed.json()["response"]["Buckets"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter_map(|b| b["Name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.contains(&bucket),
        "{bucket} not in {names:?}:\n{listed}"
    );
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn library_names_the_unknown_issuer_and_trusts_a_ca_bundle() {
    let scratch = Scratch::new("lib");
    let (tls, bundle) = https_s3s_fs(&scratch);

    let untrusting = library_client(&tls.endpoint(), &[])
        .build()
        .expect("client");
    let e = untrusting
        .list_buckets()
        .send()
        .await
        .expect_err("an unknown CA is refused");
    let text = e.to_string();
    assert!(matches!(e, s3op::Error::Tls { .. }), "{e:?}");
    // The same certificate would be met again: not retried.
    assert_eq!(s3op::retry::classify(&e), s3op::retry::Failure::Final);
    assert!(
        text.contains("certificate not trusted: UnknownIssuer"),
        "{text}"
    );
    assert!(text.contains("--ca-bundle FILE"), "{text}");

    let client = library_client(&tls.endpoint(), &[])
        .ca_bundle(&bundle)
        .build()
        .expect("client");
    let bucket = support::unique_bucket("tls-lib");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket over TLS");
    client
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(b"hello".to_vec())
        .send()
        .await
        .expect("put-object over TLS");
    let got = client
        .head_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .expect("head-object over TLS");
    assert_eq!(got.headers["content-length"], "5");

    // AWS_CA_BUNDLE from the client's environment works the same way.
    let from_env = library_client(&tls.endpoint(), &[("AWS_CA_BUNDLE", &path_str(&bundle))])
        .build()
        .expect("client");
    from_env.list_buckets().send().await.expect("listed");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_named_as_such() {
    let scratch = Scratch::new("name");
    let ca = TestCa::new("s3op name CA");
    let bundle = scratch.path("ca.pem");
    ca.write_pem(&bundle);
    let tls = TlsTerminator::start(
        support::s3s_fs().addr(),
        ca.server_config(&["s3.other.example"]),
    );
    let client = library_client(&tls.endpoint(), &[])
        .ca_bundle(&bundle)
        .build()
        .expect("client");
    let e = client.list_buckets().send().await.expect_err("wrong name");
    assert!(
        e.to_string()
            .contains("certificate does not match the host name"),
        "{e}"
    );
}

#[test]
fn cli_refuses_then_trusts_the_ca_from_each_source() {
    let scratch = Scratch::new("cli");
    let (tls, bundle) = https_s3s_fs(&scratch);
    let endpoint = tls.endpoint();
    let bundle_text = path_str(&bundle);

    // Without the CA: exit 1, and the message says what is wrong and what to do.
    let refused = s3op(&[], &["--endpoint-url", &endpoint, "list-buckets"]);
    refused.expect_code(1);
    assert!(
        refused
            .stderr
            .contains("certificate not trusted: UnknownIssuer"),
        "{refused}"
    );
    assert!(refused.stderr.contains("--ca-bundle FILE"), "{refused}");
    assert!(
        !refused.stderr.contains("error sending request"),
        "{refused}"
    );

    // --ca-bundle.
    cli_round_trip(&[], &["--ca-bundle", &bundle_text], &endpoint, &scratch);
    // AWS_CA_BUNDLE, reaching the server by name this time.
    cli_round_trip(
        &[("AWS_CA_BUNDLE", &bundle_text)],
        &[],
        &tls.endpoint_by_name(),
        &scratch,
    );
    // The profile's ca_bundle.
    let config = scratch.path("config");
    std::fs::write(&config, format!("[default]\nca_bundle = {bundle_text}\n")).expect("config");
    cli_round_trip(
        &[("AWS_CONFIG_FILE", &path_str(&config))],
        &[],
        &endpoint,
        &scratch,
    );
    // The system store: a CA installed there (SSL_CERT_FILE, OpenSSL's convention) just works.
    cli_round_trip(&[("SSL_CERT_FILE", &bundle_text)], &[], &endpoint, &scratch);
    // --ca-bundle wins over AWS_CA_BUNDLE: a broken one in the variable is not even read.
    cli_round_trip(
        &[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")],
        &["--ca-bundle", &bundle_text],
        &endpoint,
        &scratch,
    );
}

#[test]
fn cli_no_verify_ssl_works_and_warns_once() {
    let scratch = Scratch::new("noverify");
    let (tls, _bundle) = https_s3s_fs(&scratch);
    let run = s3op(
        &[],
        &[
            "--endpoint-url",
            &tls.endpoint(),
            "--no-verify-ssl",
            "list-buckets",
        ],
    );
    run.expect_code(0);
    assert_eq!(run.status(), 200, "{run}");
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("--no-verify-ssl"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].starts_with("s3op: warning:"), "{run}");
}

#[test]
fn cli_a_bundle_that_cannot_be_used_is_exit_2_naming_it() {
    let scratch = Scratch::new("badbundle");
    let (tls, _bundle) = https_s3s_fs(&scratch);
    let endpoint = tls.endpoint();

    let missing = s3op(
        &[],
        &[
            "--endpoint-url",
            &endpoint,
            "--ca-bundle",
            "/nonexistent/s3op/ca.pem",
            "list-buckets",
        ],
    );
    missing.expect_code(2);
    assert!(
        missing.stderr.contains("/nonexistent/s3op/ca.pem")
            && missing.stderr.contains("--ca-bundle")
            && missing.stderr.contains("cannot read"),
        "{missing}"
    );

    let empty = scratch.path("not-a-bundle.pem");
    std::fs::write(&empty, "just some text\n").expect("write");
    let empty_text = path_str(&empty);
    let no_cert = s3op(
        &[("AWS_CA_BUNDLE", &empty_text)],
        &["--endpoint-url", &endpoint, "list-buckets"],
    );
    no_cert.expect_code(2);
    assert!(
        no_cert.stderr.contains(&empty_text)
            && no_cert.stderr.contains("AWS_CA_BUNDLE")
            && no_cert.stderr.contains("holds no certificate"),
        "{no_cert}"
    );

    let config = scratch.path("config");
    std::fs::write(
        &config,
        "[default]\nca_bundle = /nonexistent/profile-ca.pem\n",
    )
    .expect("w");
    let from_profile = s3op(
        &[("AWS_CONFIG_FILE", &path_str(&config))],
        &["--endpoint-url", &endpoint, "list-buckets"],
    );
    from_profile.expect_code(2);
    assert!(
        from_profile.stderr.contains("/nonexistent/profile-ca.pem")
            && from_profile.stderr.contains("profile `default`"),
        "{from_profile}"
    );
}

#[tokio::test]
async fn http_proxy_from_the_environment_carries_requests_unless_no_proxy() {
    let server = support::s3s_fs();
    let proxy = ForwardProxy::start();
    let url = proxy.url();

    let proxied = library_client(&server.endpoint, &[("HTTP_PROXY", &url)])
        .build()
        .expect("client");
    proxied
        .list_buckets()
        .send()
        .await
        .expect("listed via proxy");
    let log = proxy.log();
    assert!(
        log.iter().any(|l| l.starts_with("GET http://127.0.0.1:")),
        "the request went through the proxy: {log:?}"
    );

    let before = proxy.log().len();
    let bypassing = library_client(
        &server.endpoint,
        &[("HTTP_PROXY", &url), ("NO_PROXY", "localhost,127.0.0.1")],
    )
    .build()
    .expect("client");
    bypassing
        .list_buckets()
        .send()
        .await
        .expect("listed directly");
    assert_eq!(proxy.log().len(), before, "NO_PROXY bypassed the proxy");

    // The process's own variables are not read behind the Environment's back.
    let isolated = library_client(&server.endpoint, &[])
        .build()
        .expect("client");
    isolated.list_buckets().send().await.expect("listed");
    assert_eq!(proxy.log().len(), before);
}

#[tokio::test]
async fn https_proxy_tunnels_to_a_private_ca_endpoint() {
    let scratch = Scratch::new("connect");
    let (tls, bundle) = https_s3s_fs(&scratch);
    let proxy = ForwardProxy::start();
    let client = library_client(&tls.endpoint(), &[("HTTPS_PROXY", &proxy.url())])
        .ca_bundle(&bundle)
        .build()
        .expect("client");
    client
        .list_buckets()
        .send()
        .await
        .expect("listed via CONNECT");
    let log = proxy.log();
    assert!(
        log.iter().any(|l| l.starts_with("CONNECT 127.0.0.1:")),
        "{log:?}"
    );
}

#[test]
fn cli_honours_http_proxy_and_no_proxy_from_its_environment() {
    let server = support::s3s_fs();
    let proxy = ForwardProxy::start();
    let url = proxy.url();
    let run = s3op(
        &[("HTTP_PROXY", &url)],
        &["--endpoint-url", &server.endpoint, "list-buckets"],
    );
    run.expect_code(0);
    let through = proxy.log().len();
    assert!(through >= 1, "{:?}\n{run}", proxy.log());

    let run = s3op(
        &[("http_proxy", &url), ("no_proxy", "127.0.0.1")],
        &["--endpoint-url", &server.endpoint, "list-buckets"],
    );
    run.expect_code(0);
    assert_eq!(proxy.log().len(), through, "{:?}", proxy.log());
}

#[tokio::test]
async fn a_proxy_password_never_shows() {
    let server = support::s3s_fs();
    // A port nothing listens on: the connection to the proxy fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("http://alice:s3cr3t-pw@127.0.0.1:{port}");
    let client = library_client(&server.endpoint, &[("HTTP_PROXY", &url)])
        .build()
        .expect("client");
    assert!(!format!("{client:?}").contains("s3cr3t-pw"));
    let e = client
        .list_buckets()
        .send()
        .await
        .expect_err("no proxy there");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
    }

    let run = s3op(
        &[("HTTP_PROXY", &url)],
        &[
            "--endpoint-url",
            &server.endpoint,
            "--max-attempts",
            "1",
            "list-buckets",
        ],
    );
    run.expect_code(1);
    assert!(
        !run.stderr.contains("s3cr3t-pw") && !run.stdout.contains("s3cr3t-pw"),
        "{run}"
    );

    let bad = s3op(
        &[("HTTPS_PROXY", "socks5://alice:s3cr3t-pw@127.0.0.1:1080")],
        &["--endpoint-url", &server.endpoint, "list-buckets"],
    );
    bad.expect_code(2);
    assert!(bad.stderr.contains("HTTPS_PROXY"), "{bad}");
    assert!(!bad.stderr.contains("s3cr3t-pw"), "{bad}");
}
