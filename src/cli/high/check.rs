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
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use futures_util::{stream, StreamExt};
use serde_json::json;

use s3op::types::{ChecksumType, HeadObjectOutput};
use s3op::Client;

use super::objects;
use super::paths::{self, Location, S3Url};
use super::usage;
use crate::cli::Failure;

/// Pairs compared at once (each may send a HeadObject per side and read a local file).
const IN_FLIGHT: usize = 16;

/// The algorithm two local files are compared with.
const LOCAL_ALGORITHM: &str = "CRC64NVME";

/// The full-object checksums S3 stores, in the order one is picked when an object has several.
const ALGORITHMS: [&str; 5] = ["CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1"];

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

/// One side's copy of a file, as [`compare_content`] sees it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Copy<'a> {
    Local(&'a Path),
    S3 {
        bucket: &'a str,
        key: &'a str,
        /// From the listing, when it gave one (HeadObject's is used otherwise).
        etag: Option<&'a str>,
    },
}

/// What told two copies of equal size apart, or found them the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum By {
    /// A full-object checksum of this algorithm, on both sides.
    Checksum(&'static str),
    Etag,
    /// Nothing could tell: equal sizes count as the same.
    Size,
}

impl By {
    fn name(&self) -> &'static str {
        match self {
            By::Checksum(_) => "checksum",
            By::Etag => "etag",
            By::Size => "size",
        }
    }
}

/// The outcome of [`compare_content`]: the values compared are kept for the report (`None` for a
/// local file's ETag, which is recomputed and matched, not shown).
#[derive(Debug, Clone)]
pub(super) struct Comparison {
    pub same: bool,
    pub by: By,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// What HeadObject says of one object's content.
#[derive(Debug, Default)]
struct Stored {
    /// Full-object checksums (algorithm, base64 value), in [`ALGORITHMS`] order.
    checksums: Vec<(&'static str, String)>,
    etag: Option<String>,
}

/// Whether two copies of `size` bytes hold the same content: stored full-object checksums first
/// (computed over a local file, or compared between two objects that have the same algorithm;
/// two local files are compared by CRC64NVME), then ETags, else `By::Size`. `part_size` is the
/// part size s3op would use, the first guess when a multipart ETag is recomputed. An error is a
/// HeadObject that failed or a file that could not be read.
pub(super) async fn compare_content(
    client: &Client,
    a: Copy<'_>,
    b: Copy<'_>,
    size: u64,
    part_size: u64,
) -> Result<Comparison, String> {
    let (stored_a, stored_b) = futures_util::try_join!(stored(client, a), stored(client, b))?;

    // Stored checksums.
    match (a, b, &stored_a, &stored_b) {
        (Copy::Local(pa), Copy::Local(pb), _, _) => {
            let (x, y) = futures_util::try_join!(
                file_checksum(pa, size, LOCAL_ALGORITHM),
                file_checksum(pb, size, LOCAL_ALGORITHM)
            )?;
            return Ok(compared(x, y, By::Checksum(LOCAL_ALGORITHM)));
        }
        (Copy::Local(path), Copy::S3 { .. }, _, Some(s)) => {
            if let Some((algorithm, value)) = s.checksums.first() {
                let x = file_checksum(path, size, algorithm).await?;
                return Ok(compared(x, value.clone(), By::Checksum(algorithm)));
            }
        }
        (Copy::S3 { .. }, Copy::Local(path), Some(s), _) => {
            if let Some((algorithm, value)) = s.checksums.first() {
                let y = file_checksum(path, size, algorithm).await?;
                return Ok(compared(value.clone(), y, By::Checksum(algorithm)));
            }
        }
        (Copy::S3 { .. }, Copy::S3 { .. }, Some(sa), Some(sb)) => {
            for (algorithm, x) in &sa.checksums {
                if let Some((_, y)) = sb.checksums.iter().find(|(alg, _)| alg == algorithm) {
                    return Ok(compared(x.clone(), y.clone(), By::Checksum(algorithm)));
                }
            }
        }
        _ => {}
    }

    // ETags.
    let etag_a = stored_a.as_ref().and_then(|s| s.etag.clone());
    let etag_b = stored_b.as_ref().and_then(|s| s.etag.clone());
    match (a, b, etag_a, etag_b) {
        (Copy::Local(path), Copy::S3 { .. }, _, Some(etag)) => {
            if let Some(same) = local_matches(path, size, &etag, part_size).await? {
                return Ok(Comparison {
                    same,
                    by: By::Etag,
                    a: None,
                    b: Some(etag),
                });
            }
        }
        (Copy::S3 { .. }, Copy::Local(path), Some(etag), _) => {
            if let Some(same) = local_matches(path, size, &etag, part_size).await? {
                return Ok(Comparison {
                    same,
                    by: By::Etag,
                    a: Some(etag),
                    b: None,
                });
            }
        }
        (Copy::S3 { .. }, Copy::S3 { .. }, Some(x), Some(y))
            if x == y || same_etag_form(&x, &y) =>
        {
            return Ok(compared(x, y, By::Etag));
        }
        _ => {}
    }
    Ok(Comparison {
        same: true,
        by: By::Size,
        a: None,
        b: None,
    })
}

fn compared(a: String, b: String, by: By) -> Comparison {
    Comparison {
        same: a == b,
        by,
        a: Some(a),
        b: Some(b),
    }
}

/// An ETag without quotes, lower case.
fn clean_etag(etag: &str) -> String {
    etag.trim_matches('"').to_ascii_lowercase()
}

/// True when two different ETags still tell the content apart: both plain MD5s, or both multipart
/// ETags of the same part count. A plain ETag against a multipart one (or two part counts) says
/// nothing, since the same bytes uploaded differently get different ETags.
fn same_etag_form(x: &str, y: &str) -> bool {
    match (x.split_once('-'), y.split_once('-')) {
        (None, None) => x.len() == 32 && y.len() == 32,
        (Some((_, n)), Some((_, m))) => n == m,
        _ => false,
    }
}

/// HeadObject (ChecksumMode ENABLED) of an S3 copy; `None` for a local one.
async fn stored(client: &Client, copy: Copy<'_>) -> Result<Option<Stored>, String> {
    let Copy::S3 { bucket, key, etag } = copy else {
        return Ok(None);
    };
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode("ENABLED")
        .send_typed()
        .await
        .map_err(|e| format!("HeadObject {}: {e}", S3Url::new(bucket, key)))?;
    Ok(Some(stored_of(&head, etag)))
}

/// The full-object checksums and the ETag of a HeadObject answer. A composite checksum (type
/// COMPOSITE, or a value ending in `-N`) is a checksum of part checksums: nothing a whole file's
/// checksum can be compared with, so it is left out.
fn stored_of(head: &HeadObjectOutput, listed_etag: Option<&str>) -> Stored {
    let composite = matches!(head.checksum_type, Some(ChecksumType::Composite));
    let values = [
        &head.checksum_crc64_nvme,
        &head.checksum_crc32_c,
        &head.checksum_crc32,
        &head.checksum_sha256,
        &head.checksum_sha1,
    ];
    let checksums = if composite {
        Vec::new()
    } else {
        ALGORITHMS
            .iter()
            .zip(values)
            .filter_map(|(algorithm, value)| {
                let value = value.as_deref()?.trim();
                (!value.is_empty() && !value.contains('-')).then(|| (*algorithm, value.to_string()))
            })
            .collect()
    };
    let etag = head
        .e_tag
        .as_deref()
        .or(listed_etag)
        .map(clean_etag)
        .filter(|e| !e.is_empty());
    Stored { checksums, etag }
}

/// The checksum `algorithm` of the first `size` bytes of a local file, base64 as S3 gives it.
async fn file_checksum(path: &Path, size: u64, algorithm: &str) -> Result<String, String> {
    let (path, algorithm) = (path.to_path_buf(), algorithm.to_string());
    tokio::task::spawn_blocking(move || {
        s3op::checksum::of_file(&path, 0, size, false, Some(&algorithm))
            .map_err(|e| e.to_string())?
            .checksum
            .ok_or_else(|| format!("{}: no {algorithm} checksum computed", path.display()))
    })
    .await
    .map_err(|e| format!("the task stopped: {e}"))?
}

/// [`super::sync::local_etag_matches`] off the async threads.
async fn local_matches(
    path: &Path,
    size: u64,
    etag: &str,
    part_size: u64,
) -> Result<Option<bool>, String> {
    let (path, etag) = (path.to_path_buf(), etag.to_string());
    tokio::task::spawn_blocking(move || {
        super::sync::local_etag_matches(&path, size, &etag, part_size)
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .await
    .map_err(|e| format!("the task stopped: {e}"))?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_forms_that_tell() {
        let md5 = "0123456789abcdef0123456789abcdef";
        let other = "fedcba9876543210fedcba9876543210";
        assert!(same_etag_form(md5, other));
        assert!(same_etag_form(&format!("{md5}-3"), &format!("{other}-3")));
        assert!(!same_etag_form(&format!("{md5}-3"), &format!("{other}-2")));
        assert!(!same_etag_form(md5, &format!("{other}-1")));
        // Not an MD5 (SSE-KMS, some servers): says nothing.
        assert!(!same_etag_form("abc", other));
    }

    #[test]
    fn composite_checksums_are_left_out() {
        let head = HeadObjectOutput {
            checksum_crc32: Some("AAAAAA==".into()),
            checksum_sha256: Some("abc=-3".into()),
            e_tag: Some("\"ABC\"".into()),
            ..HeadObjectOutput::default()
        };
        let s = stored_of(&head, None);
        assert_eq!(s.checksums, vec![("CRC32", "AAAAAA==".to_string())]);
        assert_eq!(s.etag.as_deref(), Some("abc"));
        let head = HeadObjectOutput {
            checksum_crc32: Some("AAAAAA==".into()),
            checksum_type: Some(ChecksumType::Composite),
            ..HeadObjectOutput::default()
        };
        assert!(stored_of(&head, Some("\"x\"")).checksums.is_empty());
    }
}
