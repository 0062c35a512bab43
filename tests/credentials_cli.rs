//! The credential chain as a user at a terminal meets it (issue 12): `configure list` names each
//! setting's source and shows the access key by its last four characters only; `--dry-run` shows
//! the request signed with the keys a source handed out, session token included; a broken source
//! is a one-line error with exit 2 and no request reaches S3.

mod clirun;
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET";
const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDzzTOKEN";

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "s3op-creds-cli-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn no_secret(run: &clirun::Run) {
    for secret in [SECRET, TOKEN, "Authorization", "authorization"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} leaked:\n{run}"
        );
    }
}

#[test]
fn configure_list_names_each_source_and_hides_the_keys() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEWXYZ"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
        ("AWS_REGION", "eu-west-3"),
    ];
    let run = clirun::run(
        &env,
        &[
            "--endpoint-url",
            "http://127.0.0.1:9000",
            "configure",
            "list",
        ],
    );
    run.expect_code(0);
    no_secret(&run);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "a header and four settings:\n{run}");
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no {name} row:\n{run}"))
    };
    assert_eq!(row("access_key")[1..3], ["****************WXYZ", "env"]);
    assert_eq!(row("region")[1..], ["eu-west-3", "env", "AWS_REGION"]);
    assert_eq!(
        row("endpoint")[1..],
        ["http://127.0.0.1:9000/", "flag", "--endpoint-url"]
    );
    assert_eq!(row("profile")[1], "<not");

    let json = clirun::run(
        &env,
        &[
            "--endpoint-url",
            "http://127.0.0.1:9000",
            "configure",
            "list",
            "--json",
        ],
    );
    json.expect_code(0);
    no_secret(&json);
    let settings = json.json();
    let names: Vec<&str> = settings
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["profile", "access_key", "region", "endpoint"]);
    assert_eq!(settings[1]["value"], "****************WXYZ");
    assert_eq!(settings[1]["type"], "env");
}

#[test]
fn configure_list_follows_a_profile_to_its_credential_process() {
    let scratch = Scratch::new("list-process");
    let script = scratch.write(
        "creds.sh",
        &format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC1234\", \
             \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\"}}'\n"
        ),
    );
    let config = scratch.write(
        "config",
        &format!("[profile tools]\nregion = ap-south-1\ncredential_process = sh {script}\n"),
    );
    let run = clirun::run(
        &[("AWS_CONFIG_FILE", &config)],
        &["--profile", "tools", "configure", "list", "--json"],
    );
    run.expect_code(0);
    no_secret(&run);
    let settings = run.json();
    assert_eq!(settings[0]["value"], "tools");
    assert_eq!(settings[0]["location"], "--profile");
    assert_eq!(settings[1]["value"], "****************1234");
    assert_eq!(settings[1]["type"], "custom-process");
    assert_eq!(settings[2]["value"], "ap-south-1");
    assert_eq!(settings[2]["type"], "config-file");
}

#[test]
fn dry_run_shows_the_web_identity_keys_with_their_token() {
    let moto = support::moto();
    let scratch = Scratch::new("dry-webid");
    let token_file = scratch.write("token", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
    let env = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.as_str()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"),
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str()),
    ];
    let run = clirun::run(
        &env,
        &[
            "--endpoint-url",
            &moto.endpoint,
            "--dry-run",
            "list-buckets",
        ],
    );
    run.expect_code(0);
    let dry = run.json();
    let authorization = dry["headers"]["authorization"].as_str().expect("signed");
    assert!(
        authorization.contains("Credential=ASIA"),
        "signed with STS's temporary key: {authorization}"
    );
    let token = dry["headers"]["x-amz-security-token"]
        .as_str()
        .expect("the session token is sent");
    assert!(!token.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_source_is_one_line_exit_2_and_nothing_reaches_s3() {
    let s3 = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&s3)
        .await;
    let scratch = Scratch::new("broken");
    let script = scratch.write("creds.sh", "#!/bin/sh\necho 'not json'\n");
    let config = scratch.write(
        "config",
        &format!(
            "[profile process]\ncredential_process = sh {script}\n\n\
             [profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n\n\
             [profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n\n\
             [profile no-source]\nrole_arn = arn:aws:iam::1:role/c\n"
        ),
    );
    let uri = s3.uri();
    for (profile, expected) in [
        ("process", "credentials from credential_process"),
        (
            "loop-a",
            "the source_profile chain loops: loop-a → loop-b → loop-a",
        ),
        (
            "no-source",
            "role_arn needs source_profile, credential_source or web_identity_token_file",
        ),
    ] {
        // Blocking here is fine: wiremock answers from the runtime's other threads.
        let run = clirun::run(
            &[("AWS_CONFIG_FILE", config.as_str())],
            &[
                "--endpoint-url",
                uri.as_str(),
                "--profile",
                profile,
                "list-buckets",
            ],
        );
        run.expect_code(2);
        assert!(run.stderr.contains(expected), "{profile}:\n{run}");
        assert_eq!(run.stderr.trim().lines().count(), 1, "one line:\n{run}");
    }
    s3.verify().await;
}

#[test]
fn no_sign_request_sends_no_signature_even_with_keys_configured() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEWXYZ"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ];
    let run = clirun::run(
        &env,
        &[
            "--endpoint-url",
            "http://127.0.0.1:9000",
            "--no-sign-request",
            "--dry-run",
            "list-objects-v2",
            "--bucket",
            "public",
        ],
    );
    run.expect_code(0);
    let headers = &run.json()["headers"];
    for signed in ["authorization", "x-amz-security-token", "x-amz-date"] {
        assert!(headers.get(signed).is_none(), "{signed} sent:\n{run}");
    }
}

#[test]
fn debug_output_never_shows_the_secret_or_the_token() {
    let moto = support::moto();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEWXYZ"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ];
    let run = clirun::run(
        &env,
        &["--endpoint-url", &moto.endpoint, "--debug", "list-buckets"],
    );
    run.expect_code(0);
    assert!(run.stderr.contains("canonical request"), "{run}");
    for secret in [SECRET, TOKEN] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret} leaked:\n{run}"
        );
    }
}
