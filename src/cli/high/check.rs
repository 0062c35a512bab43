//! `s3op check SRC DST`: whether two trees (a local directory or an S3 prefix on either side) hold
//! the same files. Both sides are listed whole (one map each; issue 16 makes this streaming), then
//! each relative path is reported missing on one side, or its two copies are compared: size first,
//! then stored full-object checksums (HeadObject with ChecksumMode ENABLED; the same algorithm is
//! computed over a local file), then MD5 ETags (multipart ETags recomputed as `sync --checksum`
//! does, [`super::sync::local_etag_matches`]); when none of these can tell, equal sizes count as
//! identical. [`compare_content`] is that comparison, and `sync --checksum` uses it too. Nothing is
//! changed on either side.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;

use clap::ArgMatches;
use futures_util::{stream, StreamExt};
use serde_json::json;

use s3op::sync::{compare_content, By, Comparison, Copy};
use s3op::Client;

use super::objects;
use super::paths::{self, Location, S3Url};
use super::usage;
use crate::cli::Failure;

/// Pairs compared at once (each may send a HeadObject per side and read a local file).
const IN_FLIGHT: usize = 16;

/// One side of a check.
#[derive(Debug, Clone)]
enum Side {
    Local(PathBuf),
    /// A bucket and a prefix that is empty or ends in `/`.
    S3(S3Url),
}

/// What one side holds at one relative path.
#[derive(Debug, Clone)]
struct Entry {
    size: u64,
    /// The local file.
    path: Option<PathBuf>,
    /// The full key, and the ETag the listing gave (quotes included).
    key: Option<String>,
    etag: Option<String>,
}

impl Entry {
    fn copy<'a>(&'a self, side: &'a Side) -> Option<Copy<'a>> {
        match side {
            Side::Local(_) => self.path.as_deref().map(Copy::Local),
            Side::S3(url) => Some(Copy::S3 {
                bucket: &url.bucket,
                key: self.key.as_deref()?,
                etag: self.etag.as_deref(),
            }),
        }
    }
}

/// What one relative path came to.
enum Outcome {
    MissingInDst(u64),
    MissingInSrc(u64),
    SizeDiffers(u64, u64),
    Compared(Comparison),
    Failed(String),
}

#[derive(Default)]
struct Summary {
    identical: u64,
    size_only: u64,
    differ: u64,
    missing_in_dst: u64,
    missing_in_src: u64,
    errors: u64,
}

pub(super) async fn run(sub: &ArgMatches, global: &ArgMatches) -> Result<i32, Failure> {
    let arg = |name: &str| sub.get_one::<String>(name).cloned().unwrap_or_default();
    let src = side(&arg("source"), "SRC")?;
    let dst = side(&arg("destination"), "DST")?;
    let json = sub.get_flag("json");
    let client = crate::cli::client(global)?;
    let part_size = client
        .config()
        .chunk_size
        .unwrap_or(s3op::transfer::TransferConfig::default().part_size);

    let mut summary = Summary::default();
    let mut out = Output { json };
    let (source, problems_src) = gather(&client, &src).await;
    let (destination, problems_dst) = gather(&client, &dst).await;
    for problem in problems_src.iter().chain(&problems_dst) {
        summary.errors += 1;
        out.error(problem);
    }

    let names: BTreeSet<&String> = source.keys().chain(destination.keys()).collect();
    let outcomes = stream::iter(names)
        .map(|rel| {
            let (a, b) = (source.get(rel), destination.get(rel));
            let (client, src, dst) = (&client, &src, &dst);
            async move {
                let outcome = match (a, b) {
                    (Some(a), None) => Outcome::MissingInDst(a.size),
                    (None, Some(b)) => Outcome::MissingInSrc(b.size),
                    (Some(a), Some(b)) if a.size != b.size => Outcome::SizeDiffers(a.size, b.size),
                    (Some(a), Some(b)) => match (a.copy(src), b.copy(dst)) {
                        (Some(x), Some(y)) => {
                            match compare_content(client, x, y, a.size, part_size).await {
                                Ok(c) => Outcome::Compared(c),
                                Err(message) => Outcome::Failed(message),
                            }
                        }
                        _ => Outcome::Failed("nothing to compare".into()),
                    },
                    (None, None) => Outcome::Failed("in neither listing".into()),
                };
                (rel, outcome)
            }
        })
        .buffered(IN_FLIGHT);
    futures_util::pin_mut!(outcomes);
    while let Some((rel, outcome)) = outcomes.next().await {
        out.outcome(rel, &outcome, &mut summary);
    }

    let line = format!(
        "{} identical, {} differ, {} missing in DST, {} missing in SRC",
        summary.identical, summary.differ, summary.missing_in_dst, summary.missing_in_src
    );
    if json {
        out.line(
            &json!({ "summary": {
                "identical": summary.identical,
                "size_only": summary.size_only,
                "differ": summary.differ,
                "missing_in_dst": summary.missing_in_dst,
                "missing_in_src": summary.missing_in_src,
                "errors": summary.errors,
            }})
            .to_string(),
        );
    }
    if summary.errors > 0 {
        eprintln!("{line}; {} errors", summary.errors);
    } else {
        eprintln!("{line}");
    }
    let problems =
        summary.differ + summary.missing_in_dst + summary.missing_in_src + summary.errors;
    Ok(if problems == 0 { 0 } else { 1 })
}

/// A command-line side: an existing local directory or an `s3://` prefix.
fn side(arg: &str, name: &str) -> Result<Side, Failure> {
    match paths::parse_location(arg).map_err(|e| usage(format!("{name}: {e}")))? {
        Location::Local(dir) if dir.is_dir() => Ok(Side::Local(dir)),
        Location::Local(_) => Err(usage(format!("{name} {arg} is not a directory"))),
        Location::S3(url) => Ok(Side::S3(S3Url::new(url.bucket.clone(), url.dir_prefix()))),
        _ => Err(usage(format!(
            "{name} {arg}: check compares a local directory or an s3:// prefix"
        ))),
    }
}

/// Everything under one side, by relative path, and what could not be read.
async fn gather(client: &Client, side: &Side) -> (HashMap<String, Entry>, Vec<String>) {
    let mut entries = HashMap::new();
    match side {
        Side::Local(dir) => {
            let walk_dir = dir.clone();
            let (files, problems) =
                match tokio::task::spawn_blocking(move || paths::walk_local(&walk_dir)).await {
                    Ok(found) => found,
                    Err(e) => return (entries, vec![format!("walking {}: {e}", dir.display())]),
                };
            for f in files {
                let entry = Entry {
                    size: f.size,
                    path: Some(f.path),
                    key: None,
                    etag: None,
                };
                entries.insert(f.rel, entry);
            }
            (entries, problems)
        }
        Side::S3(url) => {
            let pages = objects::list_objects(client, &url.bucket, &url.key);
            futures_util::pin_mut!(pages);
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(page) => page,
                    Err(e) => return (entries, vec![format!("listing {url}: {e}")]),
                };
                for o in page {
                    let rel = o.key.get(url.key.len()..).unwrap_or("").to_string();
                    // "Directory" markers hold no content.
                    if rel.is_empty() || paths::is_directory_marker(&rel) {
                        continue;
                    }
                    let entry = Entry {
                        size: o.size,
                        path: None,
                        key: Some(o.key),
                        etag: o.etag,
                    };
                    entries.insert(rel, entry);
                }
            }
            (entries, Vec::new())
        }
    }
}

/// Lines on stdout (text or JSON Lines); errors on stderr, and on stdout too with `--json`.
struct Output {
    json: bool,
}

impl Output {
    fn outcome(&mut self, rel: &str, outcome: &Outcome, summary: &mut Summary) {
        let (text, object) = match outcome {
            Outcome::MissingInDst(size) => {
                summary.missing_in_dst += 1;
                (
                    Some(format!("missing in DST: {rel}")),
                    json!({ "path": rel, "result": "missing_in_dst", "size": size }),
                )
            }
            Outcome::MissingInSrc(size) => {
                summary.missing_in_src += 1;
                (
                    Some(format!("missing in SRC: {rel}")),
                    json!({ "path": rel, "result": "missing_in_src", "size": size }),
                )
            }
            Outcome::SizeDiffers(a, b) => {
                summary.differ += 1;
                (
                    Some(format!("differs: {rel} (size {a} vs {b})")),
                    json!({ "path": rel, "result": "differs", "by": "size", "src": a, "dst": b }),
                )
            }
            Outcome::Compared(c) => {
                let mut object = json!({
                    "path": rel,
                    "result": if c.same { "identical" } else { "differs" },
                    "by": c.by.name(),
                    "src": c.a,
                    "dst": c.b,
                });
                if let By::Checksum(algorithm) = c.by {
                    object["algorithm"] = json!(algorithm);
                }
                if c.same {
                    summary.identical += 1;
                    if c.by != By::Size {
                        // Identical, and known to be: no line.
                        return;
                    }
                    // Identical as far as the sizes tell: a line in JSON only, so a script can
                    // see which files nothing else could check.
                    summary.size_only += 1;
                    object["size_only"] = json!(true);
                    (None, object)
                } else {
                    summary.differ += 1;
                    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(file)".into());
                    let detail = match &c.by {
                        By::Checksum(algorithm) => {
                            format!("checksum {algorithm} {} vs {}", shown(&c.a), shown(&c.b))
                        }
                        By::Etag => match (&c.a, &c.b) {
                            (Some(x), Some(y)) => format!("ETag {x} vs {y}"),
                            (Some(x), None) | (None, Some(x)) => {
                                format!("ETag {x} does not match the local file")
                            }
                            (None, None) => "ETag".to_string(),
                        },
                        By::Size => "size".to_string(),
                    };
                    (Some(format!("differs: {rel} ({detail})")), object)
                }
            }
            Outcome::Failed(message) => {
                summary.errors += 1;
                self.error(&format!("{rel}: {message}"));
                return;
            }
        };
        if self.json {
            self.line(&object.to_string());
        } else if let Some(text) = text {
            self.line(&text);
        }
    }

    fn error(&mut self, message: &str) {
        eprintln!("s3op: error: {message}");
        if self.json {
            self.line(&json!({ "error": { "message": message } }).to_string());
        }
    }

    fn line(&mut self, line: &str) {
        // A closed stdout (`| head`) is not worth a panic.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    }
}
