//! `s3op rm`: delete one object (DeleteObject), or every object under a prefix or matching a
//! wildcard in DeleteObjects batches of 1,000 keys, several batches in flight while the listing goes
//! on. Each key's outcome is reported, the per-key `Errors` of DeleteObjects included. Also used by
//! `rb --force` and `sync --delete`.

use std::sync::atomic::{AtomicUsize, Ordering};

use clap::ArgMatches;
use futures_util::{stream, Stream, StreamExt};
use serde_json::json;

use s3op::transfer::jobs::delete_objects;
use s3op::types::ObjectIdentifier;
use s3op::Client;

use super::objects;
use super::paths::{self, S3Url};
use super::progress::{Problem, Reporter, Tally};
use super::usage;
use crate::cli::Failure;

/// DeleteObjects requests in flight unless `--jobs` says otherwise.
const DEFAULT_BATCHES_IN_FLIGHT: usize = 8;

/// A key (or one version of it) to delete, or a listing that failed on the way.
pub(super) enum KeyItem {
    Key(String),
    Version { key: String, version_id: String },
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
    if sub.get_flag("incomplete") {
        return incomplete(sub, global, dry_run).await;
    }
    let recursive = sub.get_flag("recursive");
    let raw = sub.get_flag("raw");
    let all_versions = sub.get_flag("all-versions");
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
    let report = Reporter::new(sub.get_flag("quiet"), sub.get_flag("json"), dry_run)
        .with_summary(sub.get_flag("stat"), Tally::Deletions);
    let in_flight = sub
        .get_one::<u32>("jobs")
        .map_or(DEFAULT_BATCHES_IN_FLIGHT, |n| *n as usize);
    let client = crate::cli::client(global)?;
    let filters = super::filters(sub)?;
    let excluded = AtomicUsize::new(0);
    let select = |list_prefix: &str, pattern: Option<String>| super::KeySelection {
        base: match &pattern {
            Some(p) => paths::pattern_base(p).to_string(),
            None => list_prefix.to_string(),
        },
        pattern,
        filters: filters.clone(),
    };
    for target in targets {
        match target {
            // As the AWS CLI does, one key is filtered by its name.
            Target::One(url) if !filters.includes(paths::key_basename(&url.key)) => {
                excluded.fetch_add(1, Ordering::Relaxed);
            }
            Target::One(url) if all_versions => {
                // Every version of this one key: listed under it as a prefix, the key itself kept.
                let keys =
                    listed_versions(&client, &url.bucket, &url.key, |key: &str| key == url.key);
                delete_keys(&client, &report, &url.bucket, keys, in_flight).await;
            }
            Target::One(url) => delete_one(&client, &report, &url).await,
            Target::Many {
                bucket,
                list_prefix,
                pattern,
            } if all_versions => {
                let selection = select(&list_prefix, pattern);
                let matches = |key: &str| {
                    if selection.excludes(key) {
                        excluded.fetch_add(1, Ordering::Relaxed);
                    }
                    selection.takes(key)
                };
                let keys = listed_versions(&client, &bucket, &list_prefix, matches);
                delete_keys(&client, &report, &bucket, keys, in_flight).await;
            }
            Target::Many {
                bucket,
                list_prefix,
                pattern,
            } => {
                let selection = select(&list_prefix, pattern);
                let keys = listed_keys(&client, &bucket, &list_prefix, &selection, &excluded);
                delete_keys(&client, &report, &bucket, keys, in_flight).await;
            }
        }
    }
    let excluded = excluded.into_inner();
    if excluded > 0 && report.files_done() == 0 && report.failures() == 0 {
        report.note(&format!(
            "the filters exclude all {excluded} keys: nothing deleted"
        ));
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

/// Every key under `prefix` that `selection` takes, as the listing pages arrive; those only its
/// filters leave out are counted in `excluded`.
pub(super) fn listed_keys<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
    selection: &'a super::KeySelection,
    excluded: &'a AtomicUsize,
) -> impl Stream<Item = KeyItem> + 'a {
    let source = S3Url::new(bucket, prefix);
    objects::list_objects(client, bucket, prefix).flat_map(move |page| {
        let items: Vec<KeyItem> = match page {
            Ok(objects) => objects
                .into_iter()
                .filter(|o| {
                    if selection.excludes(&o.key) {
                        excluded.fetch_add(1, Ordering::Relaxed);
                    }
                    selection.takes(&o.key)
                })
                .map(|o| KeyItem::Key(o.key))
                .collect(),
            Err(e) => vec![KeyItem::Error(format!("listing {source}: {e}"))],
        };
        stream::iter(items)
    })
}

/// Every version and delete marker under `prefix` whose key `keep` takes, as the listing pages
/// arrive.
pub(super) fn listed_versions<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
    keep: impl Fn(&str) -> bool + 'a,
) -> impl Stream<Item = KeyItem> + 'a {
    let source = S3Url::new(bucket, prefix);
    objects::one_page_behind(objects::list_all_versions(client, bucket, prefix)).flat_map(
        move |page| {
            let items: Vec<KeyItem> = match page {
                Ok(versions) => versions
                    .into_iter()
                    .filter(|v| keep(&v.key))
                    .map(|v| KeyItem::Version {
                        key: v.key,
                        version_id: v.version_id,
                    })
                    .collect(),
                Err(e) => vec![KeyItem::Error(format!(
                    "listing the versions under {source}: {e}"
                ))],
            };
            stream::iter(items)
        },
    )
}

/// Delete `keys` from `bucket` in DeleteObjects batches of 1,000, `in_flight` batches at once,
/// through the library's [`delete_objects`], reporting every key or version (JSON lines carry the
/// batch number).
pub(super) async fn delete_keys(
    client: &Client,
    report: &Reporter,
    bucket: &str,
    keys: impl Stream<Item = KeyItem>,
    in_flight: usize,
) {
    let objects = keys.map(|item| match item {
        KeyItem::Key(key) => Ok(ObjectIdentifier {
            key,
            ..ObjectIdentifier::default()
        }),
        KeyItem::Version { key, version_id } => Ok(ObjectIdentifier {
            key,
            version_id: Some(version_id),
            ..ObjectIdentifier::default()
        }),
        KeyItem::Error(message) => Err(message),
    });
    let tell = |event| report.event(event);
    delete_objects(client, bucket, objects, in_flight, report.dry_run(), &tell).await;
}

/// AbortMultipartUpload requests in flight at once.
const ABORTS_IN_FLIGHT: usize = 8;

/// One unfinished upload to abort.
struct Upload {
    bucket: String,
    key: String,
    upload_id: String,
    initiated: Option<time::OffsetDateTime>,
}

/// `rm --incomplete s3://bucket[/prefix] [--older-than DURATION]`: list the multipart uploads under
/// each prefix (every page: KeyMarker + UploadIdMarker), keep those started before now − DURATION,
/// and abort each; an upload already gone (NoSuchUpload) counts as aborted. `--dry-run` lists them
/// and aborts nothing.
async fn incomplete(sub: &ArgMatches, global: &ArgMatches, dry_run: bool) -> Result<i32, Failure> {
    let mut urls = Vec::new();
    for arg in sub.get_many::<String>("url").into_iter().flatten() {
        urls.push(paths::parse_s3_url(arg).map_err(usage)?);
    }
    let older_than = match sub.get_one::<String>("older-than") {
        Some(text) => {
            Some(parse_duration(text).map_err(|e| usage(format!("--older-than {text:?}: {e}")))?)
        }
        None => None,
    };
    let report = Reporter::new(sub.get_flag("quiet"), sub.get_flag("json"), dry_run)
        .with_summary(sub.get_flag("stat"), Tally::Deletions);
    let quiet_or_json = (sub.get_flag("quiet"), sub.get_flag("json"));
    let client = crate::cli::client(global)?;
    let cutoff = older_than.map(|d| time::OffsetDateTime::now_utc() - d);
    for url in urls {
        abort_uploads(&client, &report, quiet_or_json, &url, cutoff).await;
    }
    Ok(report.finish())
}

/// Abort every multipart upload under `url` (started before `cutoff`, when given), reporting
/// each; also used by `rb --force`.
pub(super) async fn abort_uploads(
    client: &Client,
    report: &Reporter,
    quiet_or_json: (bool, bool),
    url: &S3Url,
    cutoff: Option<time::OffsetDateTime>,
) {
    let uploads = listed_uploads(client, url).filter_map(|item| async move {
        match item {
            Ok(upload) => Some(upload),
            Err(message) => {
                report.error(&message);
                None
            }
        }
    });
    uploads
        .filter(|upload| {
            // An upload whose start time is not known is not known to be old.
            let keep = cutoff.is_none_or(|c| upload.initiated.is_some_and(|t| t < c));
            async move { keep }
        })
        .map(|upload| async move { abort_upload(client, report, quiet_or_json, upload).await })
        .buffer_unordered(ABORTS_IN_FLIGHT)
        .for_each(|()| async {})
        .await;
}

/// Every multipart upload under `url`'s key (taken as a plain prefix), page by page; a listing that
/// fails ends the stream with its message.
fn listed_uploads<'a>(
    client: &'a Client,
    url: &S3Url,
) -> impl Stream<Item = Result<Upload, String>> + 'a {
    let mut builder = client.list_multipart_uploads().bucket(&url.bucket);
    if !url.key.is_empty() {
        builder = builder.prefix(&url.key);
    }
    let (bucket, shown) = (url.bucket.clone(), url.to_string());
    builder.request().pages().flat_map(move |page| {
        let items: Vec<Result<Upload, String>> = match page
            .and_then(|envelope| envelope.parse::<s3op::types::ListMultipartUploadsOutput>())
        {
            Ok(page) => page
                .uploads
                .into_iter()
                .filter_map(|u| {
                    Some(Ok(Upload {
                        bucket: bucket.clone(),
                        key: u.key?,
                        upload_id: u.upload_id?,
                        initiated: u.initiated,
                    }))
                })
                .collect(),
            Err(e) => vec![Err(format!(
                "listing the multipart uploads under {shown}: {e}"
            ))],
        };
        stream::iter(items)
    })
}

async fn abort_upload(
    client: &Client,
    report: &Reporter,
    (quiet, json): (bool, bool),
    upload: Upload,
) {
    let source = S3Url::new(&upload.bucket, &upload.key).to_string();
    let initiated = upload.initiated.map(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    });
    let mut gone = false;
    if !report.dry_run() {
        let answer = client
            .abort_multipart_upload()
            .bucket(&upload.bucket)
            .key(&upload.key)
            .upload_id(&upload.upload_id)
            .send()
            .await;
        match answer {
            Ok(_) => {}
            // Aborted meanwhile (by another run, or the upload finished): it is gone all the same.
            Err(e) if e.code() == Some("NoSuchUpload") => gone = true,
            Err(e) => {
                report.failed("abort", &source, None, &Problem::from(&e));
                return;
            }
        }
    }
    if quiet {
        return;
    }
    let line = if json {
        let mut object = json!({
            "action": "abort",
            "source": source,
            "upload_id": upload.upload_id,
            "initiated": initiated,
        });
        if gone {
            object["already_gone"] = json!(true);
        }
        if report.dry_run() {
            object["dryrun"] = json!(true);
        }
        object.to_string()
    } else {
        let dry = if report.dry_run() { "(dryrun) " } else { "" };
        let gone = if gone { ", already gone" } else { "" };
        format!(
            "{dry}abort {source} ({}, initiated {}{gone})",
            upload.upload_id,
            initiated.as_deref().unwrap_or("at an unknown time")
        )
    };
    crate::cli::say(&line);
}

/// `30s`, `90m`, `24h`, `7d`: a whole number and one unit.
fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or("give a unit: s, m, h or d (30s, 90m, 24h, 7d)")?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| "it must start with a whole number (30s, 90m, 24h, 7d)".to_string())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        other => return Err(format!("unknown unit {other:?}: use s, m, h or d")),
    };
    n.checked_mul(seconds)
        .map(time::Duration::seconds)
        .ok_or_else(|| "too long".to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(time::Duration::seconds(30)));
        assert_eq!(parse_duration("90m"), Ok(time::Duration::minutes(90)));
        assert_eq!(parse_duration("24h"), Ok(time::Duration::hours(24)));
        assert_eq!(parse_duration("7d"), Ok(time::Duration::days(7)));
        assert_eq!(parse_duration("0s"), Ok(time::Duration::ZERO));
        for bad in [
            "",
            "24",
            "h",
            "1.5h",
            "-1h",
            "3w",
            "24 h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was taken");
        }
    }
}
