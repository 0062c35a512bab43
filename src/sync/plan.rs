//! The sync's plan: both sides listed and filtered, each source entry decided (copy or not), the
//! copies run through the transfer runner, then the deletions. Listing is complete before anything
//! changes, so a listing that breaks off changes nothing.

use std::collections::{HashMap, HashSet};
use std::time::SystemTime;

use futures_util::{stream, StreamExt};

use super::compare::{compare_content, Copy};
use super::{Compare, Location, SyncOptions};
use crate::client::Client;
use crate::error::Error;
use crate::transfer::jobs::{delete_objects, run_jobs_with, Action, Event, Job, Planned, Problem};
use crate::tree::{is_directory_marker, local_path_for_key, walk_local, S3Url};
use crate::types::{ListObjectsV2Output, ObjectIdentifier};

/// What one side holds at one relative path.
#[derive(Debug, Clone)]
struct Entry {
    size: u64,
    /// Whole seconds since 1970.
    modified: Option<i64>,
    etag: Option<String>,
    /// The local file (local side) or the full key (S3 side).
    path: Option<std::path::PathBuf>,
    key: Option<String>,
}

/// Refuse what cannot be synced, before anything is sent.
pub(super) fn check_locations(source: &Location, destination: &Location) -> Result<(), Error> {
    match (source, destination) {
        (Location::Local(dir), Location::S3(_)) if !dir.is_dir() => Err(Error::InvalidInput(
            format!("the source {} is not a directory", dir.display()),
        )),
        (Location::S3(_), Location::Local(dir)) if dir.exists() && !dir.is_dir() => {
            Err(Error::InvalidInput(format!(
                "the destination {} is not a directory",
                dir.display()
            )))
        }
        (Location::Local(_), Location::Local(_)) => Err(Error::InvalidInput(
            "sync goes between a local directory and an s3:// prefix, or between two s3:// prefixes"
                .into(),
        )),
        _ => Ok(()),
    }
}

pub(super) async fn run(
    client: &Client,
    source: &Location,
    destination: &Location,
    options: &SyncOptions,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    let (found, source_complete) = match gather(client, source, options, tell).await {
        Ok(found) => found,
        Err(message) => return tell(Event::Error { message }),
    };
    let (sources, excluded) = found;
    if sources.is_empty() && excluded > 0 {
        tell(Event::Note {
            message: format!(
                "the filters exclude all {excluded} entries of {}: nothing to copy",
                shown(source)
            ),
        });
        if !options.delete {
            return;
        }
    }
    let existing: HashMap<String, Entry> = match gather(client, destination, options, tell).await {
        Ok(((found, _), _)) => found.into_iter().collect(),
        Err(message) => return tell(Event::Error { message }),
    };

    let source_names: HashSet<String> = sources.iter().map(|(rel, _)| rel.clone()).collect();
    let mut settings = options.jobs.clone();
    if options.no_overwrite {
        settings.download.no_overwrite = true;
    }
    let part_size = settings.transfer.part_size;
    let plan = stream::iter(sources)
        .map(|(rel, entry)| {
            let here = existing.get(&rel).cloned();
            async move {
                decide(
                    client,
                    source,
                    destination,
                    rel,
                    entry,
                    here,
                    options,
                    part_size,
                )
                .await
            }
        })
        .buffered(options.jobs.jobs.max(1))
        .filter_map(|planned| async move { planned });
    run_jobs_with(client, settings, plan, tell).await;

    if !options.delete {
        return;
    }
    if !source_complete {
        return tell(Event::Error {
            message: "nothing deleted: the source could not be read completely".into(),
        });
    }
    let mut extra: Vec<(String, Entry)> = existing
        .into_iter()
        .filter(|(rel, _)| !source_names.contains(rel))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    delete_extra(client, destination, extra, options.jobs.dry_run, tell).await;
}

fn shown(location: &Location) -> String {
    match location {
        Location::Local(dir) => dir.display().to_string(),
        Location::S3(url) => url.to_string(),
    }
}

/// The entries under one side that the filters include, by relative path, with how many they
/// excluded, and whether the side was read completely.
async fn gather(
    client: &Client,
    side: &Location,
    options: &SyncOptions,
    tell: &(dyn Fn(Event) + Send + Sync),
) -> Result<((Vec<(String, Entry)>, usize), bool), String> {
    let filters = &options.filters;
    let mut excluded = 0usize;
    let mut entries = Vec::new();
    let mut keep = |rel: String, entry: Entry| {
        if filters.includes(&rel) {
            entries.push((rel, entry));
        } else {
            excluded += 1;
        }
    };
    match side {
        Location::Local(dir) => {
            if !dir.exists() {
                return Ok(((Vec::new(), 0), true));
            }
            let walk_dir = dir.clone();
            let (files, problems) = tokio::task::spawn_blocking(move || walk_local(&walk_dir))
                .await
                .map_err(|e| format!("walking {}: {e}", dir.display()))?;
            let complete = problems.is_empty();
            for message in problems {
                tell(Event::Error { message });
            }
            for f in files {
                let entry = Entry {
                    size: f.size,
                    modified: f.modified.and_then(unix_seconds),
                    etag: None,
                    path: Some(f.path),
                    key: None,
                };
                keep(f.rel, entry);
            }
            Ok(((entries, excluded), complete))
        }
        Location::S3(url) => {
            let mut request = client.list_objects_v2().bucket(&url.bucket);
            if !url.key.is_empty() {
                request = request.prefix(&url.key);
            }
            let pages = request.request().pages();
            futures_util::pin_mut!(pages);
            while let Some(page) = pages.next().await {
                let page: ListObjectsV2Output = page
                    .and_then(|envelope| envelope.parse())
                    .map_err(|e| format!("listing {url}: {e}"))?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    let rel = key.get(url.key.len()..).unwrap_or("").to_string();
                    // "Directory" markers hold nothing to copy.
                    if rel.is_empty() || is_directory_marker(&rel) {
                        continue;
                    }
                    let entry = Entry {
                        size: o.size().map_or(0, |n| n.max(0) as u64),
                        modified: o.last_modified().map(|t| t.unix_timestamp()),
                        etag: o.e_tag().map(str::to_string),
                        path: None,
                        key: Some(key.to_string()),
                    };
                    keep(rel, entry);
                }
            }
            Ok(((entries, excluded), true))
        }
    }
}

fn unix_seconds(t: SystemTime) -> Option<i64> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
    }
}

/// The job for one source entry, if it needs one.
#[allow(clippy::too_many_arguments)]
async fn decide(
    client: &Client,
    src: &Location,
    dst: &Location,
    rel: String,
    entry: Entry,
    existing: Option<Entry>,
    options: &SyncOptions,
    part_size: u64,
) -> Option<Planned> {
    // Where it goes (and for downloads, whether the key may be a local path at all).
    let job = match (src, dst) {
        (Location::Local(_), Location::S3(to)) => Job::Upload {
            path: entry.path.clone()?,
            size: entry.size,
            dst: S3Url::new(to.bucket.clone(), format!("{}{rel}", to.key)),
        },
        (Location::S3(from), Location::Local(dir)) => {
            let src_url = S3Url::new(from.bucket.clone(), entry.key.clone()?);
            match local_path_for_key(dir, &rel) {
                Ok(path) => Job::Download {
                    src: src_url,
                    size: entry.size,
                    path,
                },
                Err(why) => return Some(Planned::refused_key(&src_url, &why)),
            }
        }
        (Location::S3(from), Location::S3(to)) => Job::Copy {
            src: S3Url::new(from.bucket.clone(), entry.key.clone()?),
            size: entry.size,
            dst: S3Url::new(to.bucket.clone(), format!("{}{rel}", to.key)),
        },
        (Location::Local(_), Location::Local(_)) => return None,
    };
    let Some(existing) = existing else {
        return Some(Planned::Job(job));
    };
    if options.no_overwrite {
        return None;
    }
    if existing.size != entry.size {
        return Some(Planned::Job(job));
    }
    let downloading = matches!(job, Job::Download { .. });
    let changed = match options.compare {
        Compare::SizeOnly => false,
        Compare::Checksum => {
            // Content: stored checksums, then ETags; when nothing can tell, or a HeadObject
            // fails, equal sizes count as equal.
            match (content_copy(src, &entry), content_copy(dst, &existing)) {
                (Some(a), Some(b)) => compare_content(client, a, b, entry.size, part_size)
                    .await
                    .is_ok_and(|c| !c.same),
                _ => false,
            }
        }
        Compare::ExactTimestamps if downloading => entry.modified != existing.modified,
        // Size and time: copy when the source is newer, in whole seconds (S3 keeps no finer time).
        Compare::SizeAndTime | Compare::ExactTimestamps => {
            matches!((entry.modified, existing.modified), (Some(s), Some(d)) if s > d)
        }
    };
    changed.then_some(Planned::Job(job))
}

/// An entry as the content comparison sees it: a local file, or an object with its listed ETag.
fn content_copy<'a>(side: &'a Location, entry: &'a Entry) -> Option<Copy<'a>> {
    match side {
        Location::Local(_) => entry.path.as_deref().map(Copy::Local),
        Location::S3(url) => Some(Copy::S3 {
            bucket: &url.bucket,
            key: entry.key.as_deref()?,
            etag: entry.etag.as_deref(),
        }),
    }
}

/// `delete`: remove what the destination has and the source does not.
async fn delete_extra(
    client: &Client,
    dst: &Location,
    extra: Vec<(String, Entry)>,
    dry_run: bool,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    match dst {
        Location::S3(url) => {
            let objects = extra.into_iter().filter_map(|(_, e)| e.key).map(|key| {
                Ok(ObjectIdentifier {
                    key,
                    ..ObjectIdentifier::default()
                })
            });
            delete_objects(client, &url.bucket, stream::iter(objects), 8, dry_run, tell).await;
        }
        Location::Local(_) => {
            for (_, entry) in extra {
                let Some(path) = entry.path else { continue };
                let source = path.display().to_string();
                let done = Event::Done {
                    action: Action::Delete,
                    source: source.clone(),
                    destination: None,
                    size: None,
                    dry_run,
                    batch: None,
                };
                if dry_run {
                    tell(done);
                    continue;
                }
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => tell(done),
                    Err(e) => tell(Event::Failed {
                        action: Action::Delete,
                        source,
                        destination: None,
                        problem: Problem::text(e.to_string()),
                    }),
                }
            }
        }
    }
}
