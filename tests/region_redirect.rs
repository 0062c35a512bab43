//! A bucket's region found on its own (issue 13, item 4), against a wiremock S3 that answers as AWS
//! does when a request is signed for the wrong region: 301 PermanentRedirect, 400
//! AuthorizationHeaderMalformed, or a bodiless HEAD 301, each with `x-amz-bucket-region`. The
//! request is sent once more signed for that region, the region is remembered for the bucket (the
//! next requests go there directly), and a second redirect is not followed.

mod clirun;

use s3op::Client;
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LISTING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>photos</Name>\
<Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
<Contents><Key>cat.jpg</Key><Size>3</Size><ETag>\"abc\"</ETag></Contents></ListBucketResult>";

fn redirect(status: u16, code: &str, region: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amz-bucket-region", region)
        .insert_header("content-type", "application/xml")
        .set_body_string(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
             <Message>signed for the wrong region</Message></Error>"
        ))
}

/// Requests signed for `region` (its name in the credential scope).
fn signed_for(region: &str) -> wiremock::matchers::HeaderRegexMatcher {
    header_regex("authorization", &format!("/{region}/s3/aws4_request"))
}

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .path_style(true)
        .credentials("AKIDEXAMPLE", "secret", None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_permanent_redirect_is_followed_once_and_the_region_remembered() {
    let s3 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/photos"))
        .and(signed_for("us-east-1"))
        .respond_with(redirect(301, "PermanentRedirect", "eu-west-1"))
        .expect(1)
        .mount(&s3)
        .await;
    Mock::given(method("GET"))
        .and(path("/photos"))
        .and(signed_for("eu-west-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(LISTING))
        .expect(3)
        .mount(&s3)
        .await;
    let client = client(&s3.uri());
    for _ in 0..3 {
        let listed = client
            .list_objects_v2()
            .bucket("photos")
            .send()
            .await
            .expect("listed in eu-west-1");
        assert_eq!(listed.response["Contents"][0]["Key"], "cat.jpg");
    }
    // A dry run now shows the request signed for the bucket's region.
    let dry = client
        .list_objects_v2()
        .bucket("photos")
        .request()
        .dry_run()
        .await
        .expect("dry run");
    assert!(
        dry.headers["authorization"].contains("/eu-west-1/s3/aws4_request"),
        "{:?}",
        dry.headers
    );
    s3.verify().await;
}

#[tokio::test]
async fn authorization_header_malformed_and_a_bodiless_head_redirect_are_followed() {
    let s3 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/logs"))
        .and(signed_for("us-east-1"))
        .respond_with(redirect(
            400,
            "AuthorizationHeaderMalformed",
            "ap-southeast-2",
        ))
        .expect(1)
        .mount(&s3)
        .await;
    Mock::given(method("GET"))
        .and(path("/logs"))
        .and(signed_for("ap-southeast-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(LISTING))
        .expect(1)
        .mount(&s3)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/archive"))
        .and(signed_for("us-east-1"))
        .respond_with(
            ResponseTemplate::new(301).insert_header("x-amz-bucket-region", "eu-central-1"),
        )
        .expect(1)
        .mount(&s3)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/archive"))
        .and(signed_for("eu-central-1"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("x-amz-bucket-region", "eu-central-1"),
        )
        .expect(1)
        .mount(&s3)
        .await;
    let client = client(&s3.uri());
    client
        .list_objects_v2()
        .bucket("logs")
        .send()
        .await
        .expect("listed in ap-southeast-2");
    client
        .head_bucket()
        .bucket("archive")
        .send()
        .await
        .expect("found in eu-central-1");
    s3.verify().await;
}

#[tokio::test]
async fn a_second_redirect_is_not_followed() {
    let s3 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/moving"))
        .and(signed_for("us-east-1"))
        .respond_with(redirect(301, "PermanentRedirect", "eu-west-1"))
        .expect(1)
        .mount(&s3)
        .await;
    Mock::given(method("GET"))
        .and(path("/moving"))
        .and(signed_for("eu-west-1"))
        .respond_with(redirect(301, "PermanentRedirect", "us-west-2"))
        .expect(1)
        .mount(&s3)
        .await;
    let err = client(&s3.uri())
        .list_objects_v2()
        .bucket("moving")
        .send()
        .await
        .expect_err("no ping-pong");
    assert_eq!(err.envelope().map(|e| e.status), Some(301));
    s3.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_and_cp_work_on_a_bucket_in_another_region_without_region() {
    let s3 = MockServer::start().await;
    Mock::given(signed_for("us-east-1"))
        .respond_with(redirect(301, "PermanentRedirect", "eu-west-1"))
        .mount(&s3)
        .await;
    Mock::given(method("GET"))
        .and(path("/photos"))
        .and(signed_for("eu-west-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(LISTING))
        .mount(&s3)
        .await;
    Mock::given(method("GET"))
        .and(path("/photos/cat.jpg"))
        .and(signed_for("eu-west-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"abc\"")
                .set_body_string("cat"),
        )
        .mount(&s3)
        .await;
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let uri = s3.uri();
    let ls = clirun::run(&env, &["--endpoint-url", &uri, "ls", "s3://photos/"]);
    ls.expect_code(0);
    assert!(ls.stdout.contains("cat.jpg"), "{ls}");
    let dir = std::env::temp_dir().join(format!("s3op-region-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let target = dir.join("cat.jpg");
    let target_text = target.to_string_lossy().into_owned();
    let cp = clirun::run(
        &env,
        &[
            "--endpoint-url",
            &uri,
            "cp",
            "s3://photos/cat.jpg",
            &target_text,
        ],
    );
    cp.expect_code(0);
    assert_eq!(std::fs::read(&target).expect("downloaded"), b"cat");
    let _ = std::fs::remove_dir_all(&dir);
}
