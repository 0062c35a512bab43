//! The sync's plan, in memory that does not grow with the trees: each side is a stream of entries
//! in key order (S3 lists in UTF-8 byte order; the local tree is walked in the same order by
//! [`SortedWalk`]), filtered, and the two are merged ([`merge_sorted`]) into pairs. A pair with
//! only a source is copied; with both, copied when the comparison says so; with only a
//! destination, deleted under `delete`. Copies run through the transfer runner while deletions go
//! to their own batches, both as the merge goes. What holds memory: one listing page, one local
//! directory per level, the jobs in flight and one DeleteObjects batch.
//!
//! Deleting as the merge goes is safe because both sides are sorted: a destination entry is known
//! to be missing from the source once the source has passed its key. A source that cannot be read
//! completely stops deletions: a listing that breaks off, or a side out of key order, ends all
//! deleting from then on; a local directory that cannot be read protects everything under it.

use std::cmp::Ordering;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as Atomic};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use futures_util::{stream, Stream, StreamExt};
use tokio::sync::mpsc;

use super::compare::{compare_content, Copy};
use super::{Compare, Location, SyncOptions};
use crate::client::Client;
use crate::error::Error;
use crate::transfer::jobs::{delete_objects, run_jobs_with, Action, Event, Job, Planned, Problem};
use crate::tree::{is_directory_marker, local_path_for_key, S3Url, SortedWalk, Walked};
use crate::types::{ListObjectsV2Output, ObjectIdentifier};

/// What one side holds at one relative path.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub size: u64,
    /// Whole seconds since 1970.
    pub modified: Option<i64>,
    pub etag: Option<String>,
    /// The local file (local side) or the full key (S3 side).
    pub path: Option<std::path::PathBuf>,
    pub key: Option<String>,
}

/// A stream of one side's entries, in key order.
type Side = Pin<Box<dyn Stream<Item = (String, Entry)> + Send>>;

/// A side as read: entries, and problems ([`Walked::Problem`]) on the way.
type Raw = Pin<Box<dyn Stream<Item = Result<(String, Entry), Walked>> + Send>>;

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

/// What a side's stream learned on the way, for the decisions after it.
#[derive(Default)]
struct Reading {
    /// The side could not be read completely from some point on (a listing that broke off, keys
    /// out of order): nothing may be deleted for lack of a source entry after that.
    broken: AtomicBool,
    /// Local directories (`""` or ending in `/`) that could not be read completely.
    incomplete: Mutex<Vec<String>>,
    excluded: AtomicUsize,
}

impl Reading {
    fn complete(&self) -> bool {
        !self.broken.load(Atomic::SeqCst)
            && self.incomplete.lock().is_ok_and(|dirs| dirs.is_empty())
    }

    fn protects(&self, rel: &str) -> bool {
        self.broken.load(Atomic::SeqCst)
            || self.incomplete.lock().map_or(true, |dirs| {
                dirs.iter().any(|d| rel.starts_with(d.as_str()))
            })
    }
}

pub(super) async fn run(
    client: &Client,
    source: &Location,
    destination: &Location,
    options: &SyncOptions,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    let (tx, mut problems) = mpsc::unbounded_channel();
    let errors = move |event: Event| {
        let _ = tx.send(event);
    };
    // Problems found while the sides are read are told as they come (a side's stream runs
    // inside the merge, where `tell` cannot be held across its awaits).
    let source_reading = Arc::new(Reading::default());
    let destination_reading = Arc::new(Reading::default());
    let sources = side(client, source, options, &source_reading, errors.clone());
    let mut sources = sources.peekable();
    let nothing_included = Pin::new(&mut sources).peek().await.is_none();
    while let Ok(problem) = problems.try_recv() {
        tell(problem);
    }
    let excluded = source_reading.excluded.load(Atomic::SeqCst);
    if nothing_included && excluded > 0 {
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
    let destinations = side(client, destination, options, &destination_reading, errors);

    let mut settings = options.jobs.clone();
    settings.download.no_overwrite |= options.no_overwrite;
    settings.upload.no_overwrite |= options.no_overwrite;
    settings.copy.no_overwrite |= options.no_overwrite;
    let part_size = settings.transfer.part_size;
    let dry_run = settings.dry_run;
    let (doomed_tx, doomed_rx) = mpsc::channel::<Entry>(1024);
    let reading = Arc::clone(&source_reading);
    let plan = merge_sorted(Box::pin(sources), destinations)
        .map(move |(rel, here, there)| {
            let doomed_tx = doomed_tx.clone();
            let source_reading = Arc::clone(&reading);
            async move {
                match (here, there) {
                    (Some(entry), existing) => {
                        decide(
                            client,
                            source,
                            destination,
                            rel,
                            entry,
                            existing,
                            options,
                            part_size,
                        )
                        .await
                    }
                    (None, Some(extra)) => {
                        if options.delete && !source_reading.protects(&rel) {
                            let _ = doomed_tx.send(extra).await;
                        }
                        None
                    }
                    (None, None) => None,
                }
            }
        })
        .buffered(options.jobs.jobs.max(1))
        .filter_map(|planned| async move { planned });
    let copies = run_jobs_with(client, settings, plan, tell);
    let deletions = delete_extra(client, destination, doomed_rx, dry_run, tell);
    let told = async {
        while let Some(problem) = problems.recv().await {
            tell(problem);
        }
    };
    futures_util::join!(copies, deletions, told);
    if options.delete && !source_reading.complete() {
        tell(Event::Error {
            message: format!(
                "{} could not be read completely: nothing was deleted for lack of what could not be read",
                shown(source)
            ),
        });
    }
}

fn shown(location: &Location) -> String {
    match location {
        Location::Local(dir) => dir.display().to_string(),
        Location::S3(url) => url.to_string(),
    }
}

/// Merge two streams sorted by key into `(key, source, destination)` triples, in key order, each
/// key once. Memory: one entry of each side.
#[doc(hidden)]
pub fn merge_sorted<E: Send + 'static>(
    source: Pin<Box<dyn Stream<Item = (String, E)> + Send>>,
    destination: Pin<Box<dyn Stream<Item = (String, E)> + Send>>,
) -> impl Stream<Item = (String, Option<E>, Option<E>)> + Send {
    let state = (source.peekable(), destination.peekable());
    stream::unfold(state, |(mut a, mut b)| async move {
        let order = {
            let x = Pin::new(&mut a).peek().await.map(|(k, _)| k.as_str());
            let y = Pin::new(&mut b).peek().await.map(|(k, _)| k.as_str());
            match (x, y) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => x.cmp(y),
            }
        };
        let item = match order {
            Ordering::Less => a.next().await.map(|(k, e)| (k, Some(e), None)),
            Ordering::Greater => b.next().await.map(|(k, e)| (k, None, Some(e))),
            Ordering::Equal => match (a.next().await, b.next().await) {
                (Some((k, x)), Some((_, y))) => Some((k, Some(x), Some(y))),
                _ => None,
            },
        }?;
        Some((item, (a, b)))
    })
}

/// One side's included entries in key order. Problems are sent to `problems`; a listing that
/// breaks off, or keys out of order, end the stream and mark the side broken.
fn side(
    client: &Client,
    location: &Location,
    options: &SyncOptions,
    reading: &Arc<Reading>,
    problems: impl Fn(Event) + Send + Sync + Clone + 'static,
) -> Side {
    let raw: Raw = match location {
        Location::Local(dir) => local_entries(dir.clone()),
        Location::S3(url) => s3_entries(client.clone(), url.clone()),
    };
    let filters = options.filters.clone();
    let reading = Arc::clone(reading);
    let mut last: Option<String> = None;
    Box::pin(
        raw.filter_map(move |item| {
            let out = match item {
                Err(Walked::Problem {
                    message,
                    incomplete,
                }) => {
                    if let Some(dir) = incomplete {
                        if let Ok(mut dirs) = reading.incomplete.lock() {
                            dirs.push(dir);
                        }
                    }
                    problems(Event::Error { message });
                    None
                }
                Err(Walked::File(_)) => None,
                Ok((rel, entry)) => {
                    if last.as_ref().is_some_and(|l| *l >= rel) {
                        reading.broken.store(true, Atomic::SeqCst);
                        problems(Event::Error {
                            message: format!(
                                "{rel:?} came after {last:?}: the listing is not in key order, so the sync stops here"
                            ),
                        });
                        Some(None)
                    } else {
                        last = Some(rel.clone());
                        if filters.includes(&rel) {
                            Some(Some((rel, entry)))
                        } else {
                            reading.excluded.fetch_add(1, Atomic::SeqCst);
                            None
                        }
                    }
                }
            };
            std::future::ready(out)
        })
        // `Some(None)` ends the side.
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(std::future::ready),
    )
}

/// The local tree, walked in key order on a blocking thread, a bounded channel ahead.
fn local_entries(dir: std::path::PathBuf) -> Raw {
    if !dir.exists() {
        return Box::pin(stream::empty());
    }
    let (tx, rx) = mpsc::channel(1024);
    tokio::task::spawn_blocking(move || {
        for walked in SortedWalk::new(&dir) {
            let item = match walked {
                Walked::File(f) => Ok((
                    f.rel,
                    Entry {
                        size: f.size,
                        modified: f.modified.and_then(unix_seconds),
                        etag: None,
                        path: Some(f.path),
                        key: None,
                    },
                )),
                problem => Err(problem),
            };
            if tx.blocking_send(item).is_err() {
                return;
            }
        }
    });
    Box::pin(stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Every object under the prefix, page by page, as relative paths.
fn s3_entries(client: Client, url: S3Url) -> Raw {
    let prefix_len = url.key.len();
    let broken = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&broken);
    Box::pin(
        crate::scan::objects_in_key_order(
            &client,
            &url.bucket,
            &url.key,
            crate::scan::LISTINGS_IN_FLIGHT,
        )
        .take_while(move |_| std::future::ready(!stop.load(Atomic::SeqCst)))
        .flat_map(move |page| {
            let page: Result<ListObjectsV2Output, Error> =
                page.and_then(|envelope| envelope.parse());
            let items: Vec<Result<(String, Entry), Walked>> = match page {
                Err(e) => {
                    // The side ends here, and nothing is deleted for lack of a source entry.
                    broken.store(true, Atomic::SeqCst);
                    vec![Err(Walked::Problem {
                        message: format!("listing {url}: {e}"),
                        incomplete: Some(String::new()),
                    })]
                }
                Ok(page) => page
                    .contents()
                    .iter()
                    .filter_map(|o| {
                        let key = o.key()?;
                        let rel = key.get(prefix_len..).unwrap_or("").to_string();
                        // "Directory" markers hold nothing to copy.
                        if rel.is_empty() || is_directory_marker(&rel) {
                            return None;
                        }
                        Some(Ok((
                            rel,
                            Entry {
                                size: o.size().map_or(0, |n| n.max(0) as u64),
                                modified: o.last_modified().map(|t| t.unix_timestamp()),
                                etag: o.e_tag().map(str::to_string),
                                path: None,
                                key: Some(key.to_string()),
                            },
                        )))
                    })
                    .collect(),
            };
            stream::iter(items)
        }),
    )
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
    let downloading = matches!(job, Job::Download { .. });
    let changed = match differs(options.compare, &entry, &existing, downloading) {
        Some(changed) => changed,
        // Content: stored checksums, then ETags; when nothing can tell, or a HeadObject fails,
        // equal sizes count as equal.
        None => match (content_copy(src, &entry), content_copy(dst, &existing)) {
            (Some(a), Some(b)) => compare_content(client, a, b, entry.size, part_size)
                .await
                .is_ok_and(|c| !c.same),
            _ => false,
        },
    };
    changed.then_some(Planned::Job(job))
}

/// Whether a source entry differs from the destination's by what the listings say (`None`:
/// only the content can tell, [`Compare::Checksum`] with equal sizes). `downloading`: the
/// destination is local.
#[doc(hidden)]
pub fn differs(
    compare: Compare,
    entry: &Entry,
    existing: &Entry,
    downloading: bool,
) -> Option<bool> {
    if existing.size != entry.size {
        return Some(true);
    }
    Some(match compare {
        Compare::SizeOnly => false,
        Compare::Checksum => return None,
        Compare::ExactTimestamps if downloading => entry.modified != existing.modified,
        // Size and time: copy when the source is newer, in whole seconds (S3 keeps no finer time).
        Compare::SizeAndTime | Compare::ExactTimestamps => {
            matches!((entry.modified, existing.modified), (Some(s), Some(d)) if s > d)
        }
    })
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

/// `delete`: remove what the destination has and the source does not, as the merge finds it.
async fn delete_extra(
    client: &Client,
    dst: &Location,
    doomed: mpsc::Receiver<Entry>,
    dry_run: bool,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    let doomed = stream::unfold(doomed, |mut rx| async move {
        rx.recv().await.map(|entry| (entry, rx))
    });
    match dst {
        Location::S3(url) => {
            let objects = doomed.filter_map(|e| async move {
                e.key.map(|key| {
                    Ok(ObjectIdentifier {
                        key,
                        ..ObjectIdentifier::default()
                    })
                })
            });
            delete_objects(client, &url.bucket, objects, 8, dry_run, tell).await;
        }
        Location::Local(_) => {
            doomed
                .for_each(|entry| async move {
                    let Some(path) = entry.path else { return };
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
                        return tell(done);
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
                })
                .await
        }
    }
}
