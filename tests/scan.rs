//! `s3op::scan`: a prefix listed in parallel, a subdirectory per listing, gives every key once, in
//! key order, exactly as one sequential ListObjectsV2 listing does, on s3s-fs (moto takes a minute
//! and a half to take the 3,000 objects; it passed too when tried): subdirectories with keys
//! around their boundaries (`b.txt` < `b/` < `b/x` < `b0`), directory markers, a nested level, a
//! prefix that is one big subdirectory (split again a level down), a flat namespace (one stream),
//! and a prefix that fits one page; and that a prefix with subdirectories past its first page
//! really is split (more pages than one stream).

mod support;

use futures_util::StreamExt;

/// How many pages came, and their keys in order.
async fn pages_and_keys(
    pages: impl futures_util::Stream<Item = Result<s3op::Envelope, s3op::Error>>,
) -> (usize, Vec<String>) {
    let pages: Vec<_> = pages.collect().await;
    let count = pages.len();
    let mut keys = Vec::new();
    for page in pages {
        let page = page.expect("page");
        for item in page.response["Contents"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            keys.push(item["Key"].as_str().expect("key").to_string());
        }
    }
    (count, keys)
}

async fn put_all(client: &s3op::Client, bucket: &str, keys: &[String]) {
    futures_util::stream::iter(keys)
        .map(|key| async move {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                // A "directory" marker holds nothing (s3s-fs refuses a body for one).
                .body(if key.ends_with('/') { "" } else { "x" })
                .send()
                .await
                .expect("put")
        })
        .buffer_unordered(32)
        .for_each(|_| async {})
        .await;
}

fn tree() -> Vec<String> {
    let mut keys = Vec::new();
    for dir in ["a", "b", "c", "d", "e", "f", "g", "h", "k", "m", "q", "z"] {
        keys.push(format!("p/{dir}.txt"));
        keys.push(format!("p/{dir}/"));
        keys.push(format!("p/{dir}0"));
        for i in 0..130 {
            keys.push(format!("p/{dir}/{i:04}"));
        }
    }
    for i in 0..150 {
        keys.push(format!("p/q/r/{i:04}"));
    }
    keys.push("p-outside".into());
    keys.push("other/x".into());
    keys
}

async fn lists_like_one_stream(server: &support::TestServer) {
    let client = server.client();
    let bucket = support::unique_bucket("scan");
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let keys = tree();
    put_all(&client, &bucket, &keys).await;
    let mut flat: Vec<String> = (0..1500).map(|i| format!("flat/{i:05}")).collect();
    put_all(&client, &bucket, &flat).await;
    // One subdirectory holding everything, itself in subdirectories past a page.
    let lone: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                "lone/d/{}/{:04}",
                ["a", "b", "c", "d", "e"][i / 600],
                i % 600
            )
        })
        .collect();
    put_all(&client, &bucket, &lone).await;

    for prefix in ["p/", "", "flat/", "p/q/", "lone/"] {
        let (one_stream_pages, sequential) = pages_and_keys(
            client
                .list_objects_v2()
                .bucket(&bucket)
                .prefix(prefix)
                .request()
                .pages(),
        )
        .await;
        // The server's own listing is the oracle (s3s-fs keeps objects as files, so it lists no
        // "directory" markers); it must hold every key of the tree it can list.
        let mut written: Vec<&String> = keys
            .iter()
            .chain(flat.iter())
            .chain(lone.iter())
            .filter(|k| k.starts_with(prefix) && !k.ends_with('/'))
            .collect();
        written.sort();
        let listed: Vec<&String> = sequential.iter().filter(|k| !k.ends_with('/')).collect();
        assert!(
            listed == written,
            "{prefix}: the server's own listing differs from what was put"
        );
        let expected = sequential;
        for fanout in [1, 4, 8] {
            let (pages, scanned) = pages_and_keys(s3op::scan::objects_in_key_order(
                &client, &bucket, prefix, fanout,
            ))
            .await;
            // Past the first page, a prefix with subdirectories is listed a subdirectory per
            // listing (a page or more each): more pages than one stream gives. A flat prefix, one
            // that fits a page, and fanout 1 stay one stream.
            let split = fanout > 1 && prefix != "flat/" && one_stream_pages > 1;
            if split {
                assert!(
                    pages > one_stream_pages,
                    "{prefix:?}, fanout {fanout}: {pages} pages against {one_stream_pages}, not split"
                );
            } else {
                assert_eq!(
                    pages, one_stream_pages,
                    "{prefix:?}, fanout {fanout}: one stream"
                );
            }
            let first_difference = scanned.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                scanned == expected,
                "prefix {prefix:?}, fanout {fanout}: {} keys against {}, first difference at {first_difference:?}",
                scanned.len(),
                expected.len()
            );
        }
    }
    flat.clear();
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_listings_give_every_key_once_in_order_on_s3s_fs() {
    lists_like_one_stream(support::s3s_fs()).await;
}
