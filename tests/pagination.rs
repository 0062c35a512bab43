//! Listings followed to their end: `--all` on a bucket of more than a thousand keys (JSON Lines, one
//! envelope per page), the library's page stream, ListObjects' last-key continuation, and keys
//! requested with `encoding-type=url` coming back decoded.

mod clirun;
mod support;

use futures_util::StreamExt;
use s3op::Client;

fn client(server: &support::TestServer) -> Client {
    server.client()
}

/// A bucket on `server` holding `count` small objects `key-0000`…, uploaded 32 at a time.
async fn bucket_with_keys(server: &support::TestServer, prefix: &str, count: usize) -> String {
    let client = client(server);
    let bucket = support::unique_bucket(prefix);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket");
    let uploads = futures_util::stream::iter(0..count).map(|i| {
        let client = client.clone();
        let bucket = bucket.clone();
        async move {
            client
                .put_object()
                .bucket(&bucket)
                .key(format!("key-{i:04}"))
                .body(format!("{i}"))
                .send()
                .await
        }
    });
    let results: Vec<_> = uploads.buffer_unordered(32).collect().await;
    assert!(results.iter().all(Result::is_ok), "every upload succeeds");
    bucket
}

fn cli(server: &support::TestServer, args: &[&str]) -> clirun::Run {
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ];
    let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

fn pages(run: &clirun::Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

fn keys(pages: &[serde_json::Value], list: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p["response"][list].as_array().cloned().unwrap_or_default())
        .filter_map(|o| o["Key"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn all_follows_a_listing_of_more_than_a_thousand_keys() {
    let server = support::s3s_fs();
    let bucket = bucket_with_keys(server, "many", 1100).await;
    let expected: Vec<String> = (0..1100).map(|i| format!("key-{i:04}")).collect();

    let run = cli(server, &["list-objects-v2", "--bucket", &bucket, "--all"]);
    run.expect_code(0);
    let v2 = pages(&run);
    assert_eq!(v2.len(), 2, "1,100 keys at S3's 1,000 a page");
    assert!(v2.iter().all(|p| p["status"] == 200));
    assert_eq!(keys(&v2, "Contents"), expected);

    let run = cli(
        server,
        &[
            "list-objects-v2",
            "--bucket",
            &bucket,
            "--max-keys",
            "300",
            "--all",
        ],
    );
    let small = pages(&run);
    assert_eq!(small.len(), 4);
    assert_eq!(keys(&small, "Contents"), expected);

    // ListObjects (v1) without a delimiter sends no NextMarker: s3op continues after the last key.
    let run = cli(
        server,
        &[
            "list-objects",
            "--bucket",
            &bucket,
            "--max-keys",
            "400",
            "--all",
        ],
    );
    run.expect_code(0);
    let v1 = pages(&run);
    assert_eq!(v1.len(), 3);
    assert_eq!(keys(&v1, "Contents"), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_library_offers_pages_as_a_stream() {
    let server = support::s3s_fs();
    let bucket = bucket_with_keys(server, "stream", 25).await;
    let client = client(server);
    let pages: Vec<_> = client
        .list_objects_v2()
        .bucket(&bucket)
        .max_keys(10)
        .request()
        .pages()
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    let total: usize = pages
        .iter()
        .map(|p| {
            p.as_ref().expect("page").response["Contents"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(total, 25);
    // An operation that does not page yields its one envelope.
    let single: Vec<_> = client
        .head_bucket()
        .bucket(&bucket)
        .request()
        .pages()
        .collect()
        .await;
    assert_eq!(single.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn url_encoded_keys_come_back_decoded() {
    let server = support::moto();
    let client = client(server);
    let bucket = support::unique_bucket("enc");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket");
    let awkward = ["a b+c/ü%20.txt", "x&y=z?.bin"];
    for key in awkward {
        client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body("x")
            .send()
            .await
            .expect("put");
    }
    let listing = client
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type("url")
        .send()
        .await
        .expect("list");
    let mut listed: Vec<&str> = listing.response["Contents"]
        .as_array()
        .expect("Contents")
        .iter()
        .filter_map(|o| o["Key"].as_str())
        .collect();
    listed.sort();
    let mut expected = awkward.to_vec();
    expected.sort();
    assert_eq!(
        listed,
        expected,
        "keys decoded: {}",
        listing.to_json_pretty()
    );
    // Without encoding-type nothing is decoded: a literal %20 in a key stays.
    let plain = client
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("a b")
        .send()
        .await
        .expect("list");
    assert_eq!(plain.response["Contents"][0]["Key"], "a b+c/ü%20.txt");
}
