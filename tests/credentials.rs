//! The keys a client signs with come from a provider through the credentials cache (issue 12):
//! a provider of the caller's own signs real requests on s3s-fs (which checks signatures); keys
//! within five minutes of expiry are fetched anew exactly once under 64 concurrent requests; a
//! provider that fails ends the request before anything is sent.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use s3op::credentials::{
    Credentials, CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source,
};
use s3op::secret::Secret;
use s3op::Client;

/// Hands out the test server's keys; the first answer expires `first_lifetime` seconds from now
/// (negative: already expired), every later one in an hour, each with a session token naming its
/// call. Counts how often it is asked.
#[derive(Debug)]
struct Expiring {
    access_key: String,
    secret_key: String,
    first_lifetime: i64,
    calls: Arc<AtomicU64>,
}

impl ProvideCredentials for Expiring {
    fn provide(&self) -> ProvideFuture<'_> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let lifetime = if call == 0 { self.first_lifetime } else { 3600 };
        let now = SystemTime::now();
        let expires_at = if lifetime >= 0 {
            now + Duration::from_secs(lifetime.unsigned_abs())
        } else {
            now - Duration::from_secs(lifetime.unsigned_abs())
        };
        let provided = Provided {
            credentials: Credentials {
                access_key_id: self.access_key.clone(),
                secret_access_key: Secret::new(self.secret_key.clone()),
                session_token: Some(Secret::new(format!("token-of-call-{call}"))),
            },
            expires_at: Some(expires_at),
            source: Source::Custom("test provider".into()),
        };
        Box::pin(async move {
            // Long enough for all 64 requests to find the keys stale at once.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(provided)
        })
    }
}

#[derive(Debug)]
struct Broken;

impl ProvideCredentials for Broken {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(async {
            Err(CredentialsError::Invalid {
                source_name: "test provider".into(),
                message: "the token file cannot be read".into(),
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_within_five_minutes_of_expiry_are_fetched_once_for_64_requests_in_flight() {
    one_refresh_for_64_requests(120).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_keys_are_fetched_once_for_64_requests_in_flight() {
    one_refresh_for_64_requests(-60).await;
}

/// The first keys expire `first_lifetime` seconds from now: one request, then 64 at once.
async fn one_refresh_for_64_requests(first_lifetime: i64) {
    let server = support::s3s_fs();
    let calls = Arc::new(AtomicU64::new(0));
    let client = Client::builder()
        .endpoint_url(&server.endpoint)
        .region(&server.region)
        .path_style(true)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .credentials_provider(Expiring {
            access_key: server.access_key.clone(),
            secret_key: server.secret_key.clone(),
            first_lifetime,
            calls: calls.clone(),
        })
        .build()
        .expect("client");
    let bucket = support::unique_bucket("creds");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("the first request is signed with the provider's keys (s3s-fs checks)");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The keys now expire within five minutes: 64 requests at once share one fetch.
    let requests = (0..64).map(|i| {
        let client = client.clone();
        let bucket = bucket.clone();
        async move {
            client
                .put_object()
                .bucket(&bucket)
                .key(format!("k{i}"))
                .body(vec![b'x'; 10])
                .send()
                .await
        }
    });
    for result in futures_util::future::join_all(requests).await {
        result.expect("signed with the refreshed keys");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one refresh for 64 requests"
    );
    assert_eq!(client.credential_fetches(), 2);
    // Signed with the refreshed keys from now on.
    let dry = client
        .head_bucket()
        .bucket(&bucket)
        .request()
        .dry_run()
        .await
        .expect("dry run");
    assert_eq!(
        dry.headers.get("x-amz-security-token").map(String::as_str),
        Some("token-of-call-1")
    );

    // Fresh for an hour now: no more fetches.
    client
        .head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("head");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_provider_ends_the_request_before_anything_is_sent() {
    let mock = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200))
        .expect(0)
        .mount(&mock)
        .await;
    let client = Client::builder()
        .endpoint_url(mock.uri())
        .path_style(true)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .credentials_provider(Broken)
        .build()
        .expect("client");
    let err = client
        .list_buckets()
        .send()
        .await
        .expect_err("no keys, no request");
    assert!(err.is_input_error(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "credentials from test provider: the token file cannot be read"
    );
    mock.verify().await;
}

#[tokio::test]
async fn explicit_keys_win_over_a_provider() {
    let server = support::s3s_fs();
    let calls = Arc::new(AtomicU64::new(0));
    let client = Client::builder()
        .endpoint_url(&server.endpoint)
        .region(&server.region)
        .path_style(true)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .credentials_provider(Expiring {
            access_key: "unused".into(),
            secret_key: "unused".into(),
            first_lifetime: 3600,
            calls: calls.clone(),
        })
        .credentials(&server.access_key, &server.secret_key, None)
        .build()
        .expect("client");
    client
        .list_buckets()
        .send()
        .await
        .expect("signed with the explicit keys");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let provided = client
        .current_credentials()
        .await
        .expect("keys")
        .expect("some");
    assert_eq!(provided.source, Source::Explicit);
}
