//! Typed answers: tag a bucket with a typed `Tagging`, list it page by page as
//! `ListObjectsV2Output`s, and read an object's headers as a `HeadObjectOutput`.
//!
//! ```sh
//! S3OP_EXAMPLE_ENDPOINT=http://127.0.0.1:9000 S3OP_EXAMPLE_BUCKET=my-bucket \
//!     AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... cargo run --example typed
//! ```

use futures_util::StreamExt;
use s3op::types::{ObjectStorageClass, Tag, Tagging};

#[tokio::main]
async fn main() -> Result<(), s3op::Error> {
    let endpoint =
        std::env::var("S3OP_EXAMPLE_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    let bucket = std::env::var("S3OP_EXAMPLE_BUCKET").unwrap_or_else(|_| "my-bucket".into());
    let client = s3op::Client::builder()
        .endpoint_url(endpoint)
        .path_style(true)
        .build()?;

    // A typed request member: the same value `get_bucket_tagging().send_typed()` gives back.
    let tagging = Tagging {
        tag_set: vec![Tag {
            key: "team".into(),
            value: "web".into(),
        }],
    };
    match client
        .put_bucket_tagging()
        .bucket(&bucket)
        .tagging(tagging)
        .send()
        .await
    {
        Ok(_) => {
            let tags = client
                .get_bucket_tagging()
                .bucket(&bucket)
                .send_typed()
                .await?;
            for tag in tags.tag_set() {
                println!("tag {} = {}", tag.key(), tag.value());
            }
        }
        // Some servers have no tagging: the error says which.
        Err(e) => println!("no tagging here: {} ({e})", e.code().unwrap_or("?")),
    }

    let mut pages = std::pin::pin!(client.list_objects_v2().bucket(&bucket).typed_pages());
    let mut first = None;
    while let Some(page) = pages.next().await {
        for object in page?.contents() {
            let class = object
                .storage_class()
                .unwrap_or(&ObjectStorageClass::Standard);
            println!(
                "{:>12} {} {} {}",
                object.size().unwrap_or(0),
                object
                    .last_modified()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                class,
                object.key().unwrap_or_default()
            );
            if first.is_none() {
                first = object.key().map(String::from);
            }
        }
    }

    if let Some(key) = first {
        let head = client
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send_typed()
            .await?;
        println!(
            "{key}: {} bytes, {}, etag {}, metadata {:?}",
            head.content_length().unwrap_or(0),
            head.content_type().unwrap_or("?"),
            head.e_tag().unwrap_or("?"),
            head.metadata()
        );
    }
    Ok(())
}
