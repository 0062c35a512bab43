//! `s3op rm`: delete one object (DeleteObject), or every object under a prefix or matching a
//! wildcard in DeleteObjects batches of 1,000 keys, several batches in flight while the listing goes
//! on. Each key's outcome is reported, the per-key `Errors` of DeleteObjects included. Also used by
//! `rb --force` and `sync --delete`.

use clap::ArgMatches;
use futures_util::{stream, Stream, StreamExt};
use serde_json::json;

use s3op::types::{Delete, DeleteObjectsOutput, ObjectIdentifier};
use s3op::Client;

use super::objects;
use super::paths::{self, S3Url};
use super::progress::{Problem, Reporter};
use super::usage;
use crate::cli::Failure;

/// S3's limit on keys per DeleteObjects request.
const BATCH: usize = 1000;
/// DeleteObjects requests in flight unless `--jobs` says otherwise.
const DEFAULT_BATCHES_IN_FLIGHT: usize = 8;

/// A key to delete, or a listing that failed on the way.
pub(super) enum KeyItem {
    Key(String),
    Error(String),
}

/// What one `rm` argument asks for.
enum Target {
    One(S3Url),
    Many {
        bucket: String,
        list_prefix: String,
        pattern: Option<String>,
    },
}

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let recursive = sub.get_flag("recursive");
    let raw = sub.get_flag("raw");
    let mut targets = Vec::new();
    for arg in sub.get_many::<String>("url").into_iter().flatten() {
        let url = paths::parse_s3_url(arg).map_err(usage)?;
        let target = if !raw && paths::has_wildcard(&url.key) {
            Target::Many {
                list_prefix: paths::literal_prefix(&url.key).to_string(),
                pattern: Some(url.key.clone()),
                bucket: url.bucket,
            }
        } else if recursive {
            Target::Many {
                list_prefix: url.dir_prefix(),
                pattern: None,
                bucket: url.bucket,
            }
        } else if url.is_prefix() {
            return Err(usage(format!(
                "{arg} names a prefix, not an object: add --recursive to delete everything under it"
            )));
        } else {
            Target::One(url)
        };
        targets.push(target);
    }
    let report = Reporter::new(sub.get_flag("quiet"), sub.get_flag("json"), dry_run);
    let in_flight = sub
        .get_one::<u32>("jobs")
        .map_or(DEFAULT_BATCHES_IN_FLIGHT, |n| *n as usize);
    let client = crate::cli::client(global)?;
    for target in targets {
        match target {
            Target::One(url) => delete_one(&client, &report, &url).await,
            Target::Many {
                bucket,
                list_prefix,
                pattern,
            } => {
                let keys = listed_keys(&client, &bucket, &list_prefix, pattern);
                delete_keys(&client, &report, &bucket, keys, in_flight).await;
            }
        }
    }
    Ok(report.finish())
}

async fn delete_one(client: &Client, report: &Reporter, url: &S3Url) {
    let source = url.to_string();
    if report.dry_run() {
        report.done("delete", &source, None, None);
        return;
    }
    match client
        .delete_object()
        .bucket(&url.bucket)
        .key(&url.key)
        .send()
        .await
    {
        Ok(_) => report.done("delete", &source, None, None),
        Err(e) => report.failed("delete", &source, None, &Problem::from(&e)),
    }
}

/// Every key under `prefix` (matching `pattern`, when given), as the listing pages arrive.
pub(super) fn listed_keys<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
    pattern: Option<String>,
) -> impl Stream<Item = KeyItem> + 'a {
    let source = S3Url::new(bucket, prefix);
    objects::list_objects(client, bucket, prefix).flat_map(move |page| {
        let items: Vec<KeyItem> = match page {
            Ok(objects) => objects
                .into_iter()
                .filter(|o| {
                    pattern
                        .as_deref()
                        .is_none_or(|p| paths::wildcard_match(p, &o.key))
                })
                .map(|o| KeyItem::Key(o.key))
                .collect(),
            Err(e) => vec![KeyItem::Error(format!("listing {source}: {e}"))],
        };
        stream::iter(items)
    })
}

/// Delete `keys` from `bucket` in batches of 1,000, `in_flight` batches at once, reporting every
/// key (JSON lines carry the batch number). A key is reported deleted unless the DeleteObjects
/// answer lists it under `Errors`, or the whole request failed.
pub(super) async fn delete_keys(
    client: &Client,
    report: &Reporter,
    bucket: &str,
    keys: impl Stream<Item = KeyItem>,
    in_flight: usize,
) {
    keys.chunks(BATCH)
        .enumerate()
        .map(|(index, items)| async move {
            let mut batch = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    KeyItem::Key(k) => batch.push(k),
                    KeyItem::Error(message) => report.error(&message),
                }
            }
            if !batch.is_empty() {
                delete_batch(client, report, bucket, batch, index + 1).await;
            }
        })
        .buffer_unordered(in_flight.max(1))
        .for_each(|()| async {})
        .await;
}

async fn delete_batch(
    client: &Client,
    report: &Reporter,
    bucket: &str,
    keys: Vec<String>,
    number: usize,
) {
    let url = |key: &str| S3Url::new(bucket, key).to_string();
    let batch = Some(("batch", json!(number)));
    if report.dry_run() {
        for key in &keys {
            report.done_with("delete", &url(key), None, None, batch.clone());
        }
        return;
    }
    let objects = keys
        .iter()
        .map(|k| ObjectIdentifier {
            key: k.clone(),
            ..ObjectIdentifier::default()
        })
        .collect();
    let answer = client
        .delete_objects()
        .bucket(bucket)
        .delete(Delete {
            objects,
            quiet: Some(true),
        })
        .send()
        .await;
    let envelope = match answer {
        Ok(envelope) => envelope,
        Err(e) => {
            let problem = Problem::from(&e);
            for key in &keys {
                report.failed("delete", &url(key), None, &problem);
            }
            return;
        }
    };
    let request_id = s3op::compat::request_id(&envelope.headers).map(str::to_string);
    let answer: DeleteObjectsOutput = match envelope.parse() {
        Ok(answer) => answer,
        Err(e) => {
            let problem = Problem::from(&e);
            for key in &keys {
                report.failed("delete", &url(key), None, &problem);
            }
            return;
        }
    };
    let mut failed = std::collections::HashSet::new();
    for error in answer.errors() {
        let key = error.key().unwrap_or("");
        let code = error.code().unwrap_or("").to_string();
        let message = error.message().unwrap_or("");
        let mut text = format!("S3 could not delete it: {code}");
        if !message.is_empty() {
            text.push_str(&format!(": {message}"));
        }
        if let Some(id) = &request_id {
            text.push_str(&format!(" (request id {id})"));
        }
        report.failed(
            "delete",
            &url(key),
            None,
            &Problem {
                message: text,
                code: Some(code),
                request_id: request_id.clone(),
            },
        );
        failed.insert(key.to_string());
    }
    for key in keys.iter().filter(|k| !failed.contains(k.as_str())) {
        report.done_with("delete", &url(key), None, None, batch.clone());
    }
}
