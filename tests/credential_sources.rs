//! Every credential source of the chain (issue 12), each against a real part where one runs here:
//! STS AssumeRole and AssumeRoleWithWebIdentity and EC2 instance metadata on moto; a container
//! endpoint and the SSO portal and OIDC service on wiremock servers speaking their documented
//! protocols; `credential_process` as a real program. Each checks that the S3 request is signed
//! with exactly the keys the source handed out (the access key in the credential scope, the
//! session token in `x-amz-security-token`), and that broken input is a clear error before any
//! request reaches S3.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use s3op::credentials::Source;
use s3op::{Client, Error};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A scratch home with `.aws/` files, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "s3op-creds-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).expect("home");
        Home(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent");
        }
        std::fs::write(&path, text).expect("write");
        path
    }

    fn env(&self, vars: &[(&str, &str)]) -> s3op::config::Environment {
        let mut all: Vec<(String, String)> = vec![
            // Nothing here may fall back to the real instance metadata address.
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        s3op::config::Environment::from_vars(all, Some(self.0.clone()))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client for `endpoint` (S3) with this environment.
fn client(endpoint: &str, env: s3op::config::Environment) -> Result<Client, Error> {
    Client::builder()
        .endpoint_url(endpoint)
        .path_style(true)
        .environment(env)
        .build()
}

/// The access key id in a signed request's credential scope, and its session token.
async fn signed_with(client: &Client) -> (String, Option<String>) {
    let dry = client
        .list_buckets()
        .request()
        .dry_run()
        .await
        .expect("dry run");
    let authorization = dry.headers.get("authorization").expect("signed");
    let scope = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a credential scope")
        .to_string();
    (scope, dry.headers.get("x-amz-security-token").cloned())
}

/// The keys the client's source handed out (cached: asking does not fetch again).
async fn provided(client: &Client) -> (String, Option<String>, Source) {
    let keys = client
        .current_credentials()
        .await
        .expect("keys")
        .expect("a source");
    (
        keys.credentials.access_key_id.clone(),
        keys.credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        keys.source,
    )
}

/// A wiremock S3 that must receive nothing.
async fn untouched_s3() -> MockServer {
    let s3 = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&s3)
        .await;
    s3
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_from_a_source_profile_is_assumed_through_sts() {
    let moto = support::moto();
    let home = Home::new("role");
    home.write(
        ".aws/config",
        "[profile base]\nregion = us-east-1\n\n\
         [profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n\
         source_profile = base\nrole_session_name = s3op-test\nexternal_id = ext-1\n",
    );
    home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let env = home.env(&[
        ("AWS_PROFILE", "deploy"),
        ("AWS_ENDPOINT_URL_STS", &moto.endpoint),
    ]);
    let client = client(&moto.endpoint, env).expect("client");
    let (key, token, source) = provided(&client).await;
    assert!(
        key.starts_with("ASIA"),
        "STS keys, not the base profile's: {key}"
    );
    assert!(token.is_some(), "temporary keys carry a session token");
    assert_eq!(
        source,
        Source::AssumedRole("arn:aws:iam::123456789012:role/deploy".into())
    );
    assert_eq!(signed_with(&client).await, (key, token));
    assert_eq!(client.credential_fetches(), 1, "fetched once, then cached");
    // A real S3 request with them (moto accepts the keys STS gave out).
    client.list_buckets().send().await.expect("ListBuckets");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_identity_from_the_environment_is_exchanged_through_sts() {
    let moto = support::moto();
    let home = Home::new("webid");
    let token_file = home.write("token", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl\n");
    let token_file = token_file.to_string_lossy().into_owned();
    let env = home.env(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"),
        ("AWS_ROLE_SESSION_NAME", "ci-run"),
        ("AWS_ENDPOINT_URL_STS", &moto.endpoint),
    ]);
    let client = client(&moto.endpoint, env).expect("client");
    let (key, token, source) = provided(&client).await;
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(
        source,
        Source::WebIdentity("arn:aws:iam::123456789012:role/ci".into())
    );
    assert_eq!(signed_with(&client).await, (key, token));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_web_identity_token_file_is_an_input_error_and_nothing_reaches_s3() {
    let s3 = untouched_s3().await;
    let home = Home::new("webid-missing");
    let env = home.env(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"),
    ]);
    let client = client(&s3.uri(), env).expect("client");
    let err = client.list_buckets().send().await.expect_err("no token");
    assert!(err.is_input_error(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("cannot read the token file /nonexistent/token"),
        "{text}"
    );
    s3.verify().await;
}

#[test]
fn a_loop_of_source_profiles_is_refused_with_its_path() {
    let home = Home::new("loop");
    home.write(
        ".aws/config",
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n\n\
         [profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n\n\
         [profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n",
    );
    let err = client("http://127.0.0.1:9", home.env(&[("AWS_PROFILE", "a")])).expect_err("a loop");
    assert!(err.is_input_error());
    assert!(
        err.to_string()
            .contains("the source_profile chain loops: a → b → c → a"),
        "{err}"
    );
}

#[tokio::test]
async fn credential_process_output_signs_the_request() {
    let home = Home::new("process");
    let script = home.write(
        "creds.sh",
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \
         \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\", \
         \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
    );
    home.write(
        ".aws/config",
        &format!("[default]\ncredential_process = sh {}\n", script.display()),
    );
    let client = client("http://127.0.0.1:9", home.env(&[])).expect("client");
    let (key, token, _) = provided(&client).await;
    assert_eq!(
        (key.as_str(), token.as_deref()),
        ("AKIDPROCESS", Some("process-token"))
    );
    assert_eq!(
        signed_with(&client).await,
        ("AKIDPROCESS".into(), Some("process-token".into()))
    );
}

#[tokio::test]
async fn a_malformed_credential_process_answer_is_an_input_error_and_nothing_reaches_s3() {
    let s3 = untouched_s3().await;
    for (case, output) in [
        ("not json", "hello"),
        (
            "wrong version",
            "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}",
        ),
        ("no secret", "{\"Version\": 1, \"AccessKeyId\": \"A\"}"),
    ] {
        let home = Home::new("process-bad");
        let script = home.write("creds.sh", &format!("#!/bin/sh\necho '{output}'\n"));
        home.write(
            ".aws/config",
            &format!("[default]\ncredential_process = sh {}\n", script.display()),
        );
        let client = client(&s3.uri(), home.env(&[])).expect("client");
        let err = client.list_buckets().send().await.expect_err(case);
        assert!(err.is_input_error(), "{case}: {err}");
        assert!(
            err.to_string()
                .starts_with("credentials from credential_process"),
            "{case}: {err}"
        );
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
    s3.verify().await;
}

#[tokio::test]
async fn a_container_endpoint_with_a_token_file_supplies_the_keys() {
    let agent = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/credentials/abc"))
        .and(header("authorization", "pod-identity-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "AccessKeyId": "ASIACONTAINER",
            "SecretAccessKey": "container-secret",
            "Token": "container-token",
            "Expiration": "2099-01-01T00:00:00Z"
        })))
        .expect(1)
        .mount(&agent)
        .await;
    let home = Home::new("container");
    let token_file = home.write("token", "pod-identity-token\n");
    let full_uri = format!("{}/v2/credentials/abc", agent.uri());
    let token_file = token_file.to_string_lossy().into_owned();
    let env = home.env(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full_uri),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token_file),
    ]);
    let client = client("http://127.0.0.1:9", env).expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIACONTAINER".into(), Some("container-token".into()))
    );
    assert_eq!(provided(&client).await.2, Source::Container);
    agent.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_metadata_on_moto_supplies_the_role_keys() {
    let moto = support::moto();
    let home = Home::new("imds");
    let env = s3op::config::Environment::from_vars(
        [("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.endpoint.as_str())],
        Some(home.0.clone()),
    );
    let client = client(&moto.endpoint, env).expect("client");
    let (key, token, source) = provided(&client).await;
    assert_eq!(source, Source::InstanceMetadata);
    assert!(!key.is_empty() && token.is_some(), "{key} {token:?}");
    assert_eq!(signed_with(&client).await, (key, token));
}

/// `~/.aws/sso/cache/<sha1 of the session name>.json`, as `aws sso login` writes it.
fn sso_cache(home: &Home, session: &str, body: serde_json::Value) -> PathBuf {
    use sha1::Digest as _;
    let name = hex::encode(sha1::Sha1::digest(session.as_bytes()));
    home.write(&format!(".aws/sso/cache/{name}.json"), &body.to_string())
}

fn sso_profile(home: &Home, sso: &MockServer) {
    home.write(
        ".aws/config",
        &format!(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n\
             sso_role_name = ReadOnly\nservices = local-sso\n\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
             sso_region = eu-west-1\n\n\
             [services local-sso]\nsso =\n  endpoint_url = {uri}\nsso_oidc =\n  endpoint_url = {uri}\n",
            uri = sso.uri()
        ),
    );
}

async fn mount_portal(sso: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/federation/credentials"))
        .and(query_param("account_id", "111122223333"))
        .and(query_param("role_name", "ReadOnly"))
        .and(header("x-amz-sso_bearer_token", token))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "roleCredentials": {
                "accessKeyId": "ASIASSO",
                "secretAccessKey": "sso-secret",
                "sessionToken": "sso-token",
                "expiration": 4_102_444_800_000u64
            }
        })))
        .expect(1)
        .mount(sso)
        .await;
}

#[tokio::test]
async fn sso_uses_the_cached_login_and_refreshes_an_expired_token() {
    let sso = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_json(serde_json::json!({
            "clientId": "client-1",
            "clientSecret": "client-secret",
            "grantType": "refresh_token",
            "refreshToken": "refresh-1"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "accessToken": "fresh-token",
            "expiresIn": 3600,
            "refreshToken": "refresh-2",
            "tokenType": "Bearer"
        })))
        .expect(1)
        .mount(&sso)
        .await;
    mount_portal(&sso, "fresh-token").await;
    let home = Home::new("sso");
    sso_profile(&home, &sso);
    let cache = sso_cache(
        &home,
        "corp",
        serde_json::json!({
            "startUrl": "https://corp.awsapps.com/start",
            "region": "eu-west-1",
            "accessToken": "stale-token",
            "expiresAt": "2020-01-01T00:00:00Z",
            "clientId": "client-1",
            "clientSecret": "client-secret",
            "refreshToken": "refresh-1"
        }),
    );
    // The portal and OIDC endpoints come from the profile's services section.
    let env = home.env(&[("AWS_PROFILE", "dev")]);
    let client = client("http://127.0.0.1:9", env).expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIASSO".into(), Some("sso-token".into()))
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).expect("cache")).expect("json");
    assert_eq!(written["accessToken"], "fresh-token");
    assert_eq!(written["refreshToken"], "refresh-2");
    sso.verify().await;
}

#[tokio::test]
async fn an_expired_sso_login_without_a_refresh_token_says_which_login_to_run() {
    let s3 = untouched_s3().await;
    let sso = MockServer::start().await;
    let home = Home::new("sso-expired");
    sso_profile(&home, &sso);
    sso_cache(
        &home,
        "corp",
        serde_json::json!({
            "startUrl": "https://corp.awsapps.com/start",
            "region": "eu-west-1",
            "accessToken": "old",
            "expiresAt": "2020-01-01T00:00:00Z"
        }),
    );
    let env = home.env(&[("AWS_PROFILE", "dev"), ("AWS_ENDPOINT_URL_SSO", &sso.uri())]);
    let client = client(&s3.uri(), env).expect("client");
    let err = client.list_buckets().send().await.expect_err("expired");
    assert!(err.is_input_error(), "{err}");
    assert_eq!(
        err.to_string(),
        "credentials from SSO (profile `dev`): the SSO login has expired: run `aws sso login --profile dev`"
    );
    s3.verify().await;
}

/// STS's answer to AssumeRole / AssumeRoleWithWebIdentity with these keys.
fn sts_answer(action: &str, key: &str, token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/xml")
        .set_body_string(format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <{action}Result><Credentials><AccessKeyId>{key}</AccessKeyId>\
             <SecretAccessKey>secret-of-{key}</SecretAccessKey><SessionToken>{token}</SessionToken>\
             <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></{action}Result>\
             </{action}Response>"
        ))
}

#[tokio::test]
async fn assume_role_sends_every_profile_setting_signed_with_the_source_keys() {
    use wiremock::matchers::{body_string_contains, header_regex};
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header_regex(
            "authorization",
            r"Credential=AKIDBASE/\d{8}/eu-central-1/sts/aws4_request",
        ))
        .and(body_string_contains("Action=AssumeRole&"))
        .and(body_string_contains(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy",
        ))
        .and(body_string_contains("RoleSessionName=nightly"))
        .and(body_string_contains("ExternalId=ext-1"))
        .and(body_string_contains("DurationSeconds=1800"))
        .and(body_string_contains(
            "SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fme",
        ))
        .and(body_string_contains("TokenCode=123456"))
        .respond_with(sts_answer("AssumeRole", "ASIADEPLOY", "deploy-token"))
        .expect(1)
        .mount(&sts)
        .await;
    let home = Home::new("role-settings");
    home.write(
        ".aws/config",
        "[profile deploy]\nregion = eu-central-1\nrole_arn = arn:aws:iam::123456789012:role/deploy\n\
         source_profile = base\nrole_session_name = nightly\nexternal_id = ext-1\n\
         duration_seconds = 1800\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
    );
    home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:9")
        .path_style(true)
        .profile("deploy")
        .mfa_code("123456")
        .environment(home.env(&[("AWS_ENDPOINT_URL_STS", &sts.uri())]))
        .build()
        .expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIADEPLOY".into(), Some("deploy-token".into()))
    );
    sts.verify().await;
}

#[tokio::test]
async fn a_chain_of_two_roles_signs_each_assume_role_with_the_keys_before_it() {
    use wiremock::matchers::{body_string_contains, header_regex};
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header_regex("authorization", r"Credential=AKIDBASE/"))
        .and(body_string_contains("role%2Finner"))
        .respond_with(sts_answer("AssumeRole", "ASIAINNER", "inner-token"))
        .expect(1)
        .mount(&sts)
        .await;
    Mock::given(method("POST"))
        .and(header_regex("authorization", r"Credential=ASIAINNER/"))
        .and(header("x-amz-security-token", "inner-token"))
        .and(body_string_contains("role%2Fouter"))
        .respond_with(sts_answer("AssumeRole", "ASIAOUTER", "outer-token"))
        .expect(1)
        .mount(&sts)
        .await;
    let home = Home::new("role-chain");
    home.write(
        ".aws/config",
        "[profile outer]\nrole_arn = arn:aws:iam::1:role/outer\nsource_profile = inner\n\n\
         [profile inner]\nrole_arn = arn:aws:iam::1:role/inner\nsource_profile = base\n",
    );
    home.write(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    let env = home.env(&[
        ("AWS_PROFILE", "outer"),
        ("AWS_ENDPOINT_URL_STS", &sts.uri()),
    ]);
    let client = client("http://127.0.0.1:9", env).expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIAOUTER".into(), Some("outer-token".into()))
    );
    sts.verify().await;
}

#[tokio::test]
async fn credential_source_environment_signs_the_role_with_the_environment_keys() {
    use wiremock::matchers::header_regex;
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header_regex("authorization", r"Credential=AKIDENV/"))
        .respond_with(sts_answer("AssumeRole", "ASIAFROMENV", "env-role-token"))
        .expect(1)
        .mount(&sts)
        .await;
    let home = Home::new("credential-source");
    home.write(
        ".aws/config",
        "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n",
    );
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:9")
        .profile("ci")
        .environment(home.env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_ENDPOINT_URL_STS", &sts.uri()),
        ]))
        .build()
        .expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIAFROMENV".into(), Some("env-role-token".into()))
    );
    sts.verify().await;
}

#[tokio::test]
async fn web_identity_in_a_profile_sends_the_token_unsigned() {
    use wiremock::matchers::body_string_contains;
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=AssumeRoleWithWebIdentity"))
        .and(body_string_contains("WebIdentityToken=the-oidc-token"))
        .and(body_string_contains("RoleSessionName=deployer"))
        .respond_with(sts_answer(
            "AssumeRoleWithWebIdentity",
            "ASIAWEB",
            "web-token",
        ))
        .expect(1)
        .mount(&sts)
        .await;
    let home = Home::new("webid-profile");
    let token_file = home.write("token", "the-oidc-token\n");
    home.write(
        ".aws/config",
        &format!(
            "[default]\nrole_arn = arn:aws:iam::1:role/web\nrole_session_name = deployer\n\
             web_identity_token_file = {}\n",
            token_file.display()
        ),
    );
    let env = home.env(&[("AWS_ENDPOINT_URL_STS", &sts.uri())]);
    let client = client("http://127.0.0.1:9", env).expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIAWEB".into(), Some("web-token".into()))
    );
    let requests = sts.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "AssumeRoleWithWebIdentity is not signed"
    );
    sts.verify().await;
}

#[tokio::test]
async fn instance_metadata_asks_for_a_session_token_first() {
    let imds = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/latest/api/token"))
        .and(header("x-aws-ec2-metadata-token-ttl-seconds", "21600"))
        .respond_with(ResponseTemplate::new(200).set_body_string("session-1"))
        .expect(1)
        .mount(&imds)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/"))
        .and(header("x-aws-ec2-metadata-token", "session-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("web-servers\n"))
        .expect(1)
        .mount(&imds)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/latest/meta-data/iam/security-credentials/web-servers",
        ))
        .and(header("x-aws-ec2-metadata-token", "session-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_string(
                    "{\"Code\": \"Success\", \"AccessKeyId\": \"ASIAIMDS\", \
                     \"SecretAccessKey\": \"imds-secret\", \"Token\": \"imds-token\", \
                     \"Expiration\": \"2099-01-01T00:00:00Z\"}",
                ),
        )
        .expect(1)
        .mount(&imds)
        .await;
    let home = Home::new("imds-v2");
    let env = s3op::config::Environment::from_vars(
        [("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.uri())],
        Some(home.0.clone()),
    );
    let client = client("http://127.0.0.1:9", env).expect("client");
    assert_eq!(
        signed_with(&client).await,
        ("ASIAIMDS".into(), Some("imds-token".into()))
    );
    imds.verify().await;
}

#[tokio::test]
async fn instance_metadata_that_never_answers_gives_up_after_its_short_timeout() {
    // Accepts connections and never answers: the 1 s read timeout decides, not the 60 s one.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = format!("http://{}", silent.local_addr().expect("address"));
    let home = Home::new("imds-silent");
    let env = s3op::config::Environment::from_vars(
        [("AWS_EC2_METADATA_SERVICE_ENDPOINT", address)],
        Some(home.0.clone()),
    );
    let client = client("http://127.0.0.1:9", env).expect("client");
    let started = std::time::Instant::now();
    let err = client
        .list_buckets()
        .request()
        .dry_run()
        .await
        .expect_err("no keys");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "gave up after {:?}",
        started.elapsed()
    );
    assert!(err.is_input_error(), "{err}");
    assert!(err.to_string().starts_with("no credentials found"), "{err}");
    drop(silent);
}

#[tokio::test]
async fn a_container_endpoint_over_plain_http_elsewhere_is_refused() {
    let home = Home::new("container-remote");
    let env = home.env(&[(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://10.1.2.3/credentials",
    )]);
    let client = client("http://127.0.0.1:9", env).expect("client");
    let err = client
        .list_buckets()
        .request()
        .dry_run()
        .await
        .expect_err("refused");
    assert!(err.is_input_error(), "{err}");
    assert!(
        err.to_string()
            .contains("over plain http only loopback, 169.254.170.2 and 169.254.170.23"),
        "{err}"
    );
}
