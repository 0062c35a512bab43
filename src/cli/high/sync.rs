//! `s3op sync SRC DST`: make DST hold what SRC holds. Directions: local directory → S3 prefix, S3
//! prefix → local directory, S3 prefix → S3 prefix. Both sides are listed completely first; an
//! entry is copied when DST lacks it, when the sizes differ, or when the source is newer (whole
//! seconds: local modification time against S3's LastModified); with `--checksum`, when the content
//! differs: stored full-object checksums when both sides have one (or a local file against an
//! object with one), else ETags (see [`check::compare_content`] and [`local_etag_matches`]). `--delete` then removes what DST has and SRC does not.
//! Under `--dry-run` both sides are listed and nothing is changed.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use clap::ArgMatches;
use futures_util::{stream, StreamExt};
use md5::{Digest, Md5};

use s3op::transfer::part_size_for;

use super::check;
use super::cp::refused;
use super::objects;
use super::paths::{self, Location, S3Url};
use super::progress::Problem;
use super::rm::{self, KeyItem};
use super::{run_plan, usage, Ctx, Job, Planned};
use crate::cli::Failure;

/// One side of a sync.
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
    /// Whole seconds since 1970.
    modified: Option<i64>,
    etag: Option<String>,
    /// The local file (local side) or the full key (S3 side).
    path: Option<PathBuf>,
    key: Option<String>,
}

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
    tracker: &s3op::transfer::UploadTracker,
) -> Result<i32, Failure> {
    let arg = |name: &str| sub.get_one::<String>(name).cloned().unwrap_or_default();
    let (src_arg, dst_arg) = (arg("source"), arg("destination"));
    let src = paths::parse_location(&src_arg).map_err(|e| usage(format!("SRC: {e}")))?;
    let dst = paths::parse_location(&dst_arg).map_err(|e| usage(format!("DST: {e}")))?;
    let (src, dst) = match (src, dst) {
        (Location::Local(dir), Location::S3(url)) => {
            if !dir.is_dir() {
                return Err(usage(format!("SRC {src_arg} is not a directory")));
            }
            (Side::Local(dir), Side::S3(S3Url::new(url.bucket.clone(), url.dir_prefix())))
        }
        (Location::S3(url), Location::Local(dir)) => {
            if dir.exists() && !dir.is_dir() {
                return Err(usage(format!("DST {dst_arg} is not a directory")));
            }
            (Side::S3(S3Url::new(url.bucket.clone(), url.dir_prefix())), Side::Local(dir))
        }
        (Location::S3(a), Location::S3(b)) => (
            Side::S3(S3Url::new(a.bucket.clone(), a.dir_prefix())),
            Side::S3(S3Url::new(b.bucket.clone(), b.dir_prefix())),
        ),
        _ => {
            return Err(usage(
                "sync goes between a local directory and an s3:// prefix, or between two s3:// prefixes",
            ))
        }
    };
    let delete = sub.get_flag("delete");
    let checksum = sub.get_flag("checksum");
    let ctx = Arc::new(Ctx::new(sub, global, dry_run, tracker)?);

    // Both sides, completely, before anything changes: a listing that breaks off changes nothing.
    let (source, source_complete) = match gather(&ctx, &src).await {
        Ok(found) => found,
        Err(message) => {
            ctx.report.error(&message);
            return Ok(ctx.report.finish());
        }
    };
    let existing: HashMap<String, Entry> = match gather(&ctx, &dst).await {
        Ok((found, _)) => found.into_iter().collect(),
        Err(message) => {
            ctx.report.error(&message);
            return Ok(ctx.report.finish());
        }
    };

    let source_names: HashSet<String> = source.iter().map(|(rel, _)| rel.clone()).collect();
    let plan = stream::iter(source)
        .map(|(rel, entry)| {
            let ctx = Arc::clone(&ctx);
            let existing = existing.get(&rel).cloned();
            let (src, dst) = (src.clone(), dst.clone());
            async move { decide(&ctx, &src, &dst, rel, entry, existing, checksum).await }
        })
        .buffered(ctx.jobs.max(1))
        .filter_map(|planned| async move { planned });
    run_plan(&ctx, plan).await;

    if delete {
        if !source_complete {
            ctx.report
                .error("nothing deleted: the source could not be read completely");
        } else {
            let mut extra: Vec<(String, Entry)> = existing
                .into_iter()
                .filter(|(rel, _)| !source_names.contains(rel))
                .collect();
            extra.sort_by(|a, b| a.0.cmp(&b.0));
            delete_extra(&ctx, &dst, extra).await;
        }
    }
    Ok(ctx.report.finish())
}

/// Everything under one side, by relative path, and whether it was read completely.
async fn gather(ctx: &Ctx, side: &Side) -> Result<(Vec<(String, Entry)>, bool), String> {
    match side {
        Side::Local(dir) => {
            if !dir.exists() {
                return Ok((Vec::new(), true));
            }
            let walk_dir = dir.clone();
            let (files, problems) =
                tokio::task::spawn_blocking(move || paths::walk_local(&walk_dir))
                    .await
                    .map_err(|e| format!("walking {}: {e}", dir.display()))?;
            let complete = problems.is_empty();
            for problem in problems {
                ctx.report.error(&problem);
            }
            let entries = files
                .into_iter()
                .map(|f| {
                    let entry = Entry {
                        size: f.size,
                        modified: f.modified.and_then(unix_seconds),
                        etag: None,
                        path: Some(f.path),
                        key: None,
                    };
                    (f.rel, entry)
                })
                .collect();
            Ok((entries, complete))
        }
        Side::S3(url) => {
            let mut entries = Vec::new();
            let pages = objects::list_objects(&ctx.client, &url.bucket, &url.key);
            futures_util::pin_mut!(pages);
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| format!("listing {url}: {e}"))?;
                for o in page {
                    let rel = o.key.get(url.key.len()..).unwrap_or("").to_string();
                    // "Directory" markers hold nothing to copy.
                    if rel.is_empty() || paths::is_directory_marker(&rel) {
                        continue;
                    }
                    let entry = Entry {
                        size: o.size,
                        modified: o.last_modified.map(|t| t.unix_timestamp()),
                        etag: o.etag,
                        path: None,
                        key: Some(o.key),
                    };
                    entries.push((rel, entry));
                }
            }
            Ok((entries, true))
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
async fn decide(
    ctx: &Ctx,
    src: &Side,
    dst: &Side,
    rel: String,
    entry: Entry,
    existing: Option<Entry>,
    checksum: bool,
) -> Option<Planned> {
    // Where it goes (and for downloads, whether the key may be a local path at all).
    let job = match (src, dst) {
        (Side::Local(_), Side::S3(to)) => Job::Upload {
            path: entry.path.clone()?,
            size: entry.size,
            dst: S3Url::new(to.bucket.clone(), format!("{}{rel}", to.key)),
        },
        (Side::S3(from), Side::Local(dir)) => {
            let src_url = S3Url::new(from.bucket.clone(), entry.key.clone()?);
            match paths::local_path_for_key(dir, &rel) {
                Ok(path) => Job::Download {
                    src: src_url,
                    size: entry.size,
                    path,
                },
                Err(why) => return Some(refused(&src_url, &why)),
            }
        }
        (Side::S3(from), Side::S3(to)) => Job::Copy {
            src: S3Url::new(from.bucket.clone(), entry.key.clone()?),
            size: entry.size,
            dst: S3Url::new(to.bucket.clone(), format!("{}{rel}", to.key)),
        },
        (Side::Local(_), Side::Local(_)) => return None,
    };
    let Some(existing) = existing else {
        return Some(Planned::Job(job));
    };
    if existing.size != entry.size {
        return Some(Planned::Job(job));
    }
    let changed = if checksum {
        // Content: stored checksums, then ETags (`check::compare_content`); when nothing can tell,
        // or a HeadObject fails, equal sizes count as equal.
        match (content_copy(src, &entry), content_copy(dst, &existing)) {
            (Some(a), Some(b)) => {
                check::compare_content(&ctx.client, a, b, entry.size, ctx.config.part_size)
                    .await
                    .is_ok_and(|c| !c.same)
            }
            _ => false,
        }
    } else {
        // Size and time: copy when the source is newer, in whole seconds (S3 keeps no finer time).
        matches!((entry.modified, existing.modified), (Some(s), Some(d)) if s > d)
    };
    changed.then_some(Planned::Job(job))
}

/// An entry as the content comparison sees it: a local file, or an object with its listed ETag.
fn content_copy<'a>(side: &'a Side, entry: &'a Entry) -> Option<check::Copy<'a>> {
    match side {
        Side::Local(_) => entry.path.as_deref().map(check::Copy::Local),
        Side::S3(url) => Some(check::Copy::S3 {
            bucket: &url.bucket,
            key: entry.key.as_deref()?,
            etag: entry.etag.as_deref(),
        }),
    }
}

/// Whether a local file of `size` bytes has the ETag `etag` (without quotes, lower case).
///
/// A plain ETag is compared with the file's MD5. A multipart ETag (`md5-of-part-md5s-N`) is
/// recomputed for every likely part size that gives N parts (the one s3op would use, then 5, 8, 15,
/// 16, 32, 50, 64, 100, 128, 256 and 512 MiB), in one pass over the file. `None` when the ETag is
/// not of either form, or no likely part size gives N parts: the caller falls back to the size. An
/// ETag that is not an MD5 at all (SSE-KMS, SSE-C) compares as different, so the file is copied.
pub(crate) fn local_etag_matches(
    path: &Path,
    size: u64,
    etag: &str,
    configured: u64,
) -> std::io::Result<Option<bool>> {
    const MIB: u64 = 1024 * 1024;
    let part_sizes: Vec<u64> = match etag.split_once('-') {
        None if etag.len() == 32 => vec![u64::MAX],
        None => return Ok(None),
        Some((_, count)) => {
            let Ok(parts) = count.parse::<u64>() else {
                return Ok(None);
            };
            let mut candidates = vec![part_size_for(size, configured).unwrap_or(configured)];
            candidates.extend([5, 8, 15, 16, 32, 50, 64, 100, 128, 256, 512].map(|m| m * MIB));
            let mut seen = HashSet::new();
            candidates.retain(|ps| *ps > 0 && size.div_ceil(*ps) == parts && seen.insert(*ps));
            if candidates.is_empty() {
                return Ok(None);
            }
            candidates
        }
    };
    let mut hashers: Vec<PartHasher> = part_sizes.into_iter().map(PartHasher::new).collect();
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        for hasher in &mut hashers {
            hasher.update(&buffer[..n]);
        }
    }
    Ok(Some(hashers.into_iter().any(|h| h.finish() == etag)))
}

/// Computes the ETag S3 gives an object uploaded in parts of `part_size` (`u64::MAX`: one PUT).
struct PartHasher {
    part_size: u64,
    filled: u64,
    current: Md5,
    digests: Vec<u8>,
    parts: u64,
}

impl PartHasher {
    fn new(part_size: u64) -> Self {
        PartHasher {
            part_size,
            filled: 0,
            current: Md5::new(),
            digests: Vec::new(),
            parts: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = self.part_size - self.filled;
            let take = usize::try_from(room).map_or(data.len(), |r| r.min(data.len()));
            self.current.update(&data[..take]);
            self.filled += take as u64;
            data = &data[take..];
            if self.filled == self.part_size {
                self.digests
                    .extend_from_slice(&self.current.finalize_reset());
                self.parts += 1;
                self.filled = 0;
            }
        }
    }

    fn finish(mut self) -> String {
        if self.part_size == u64::MAX {
            return hex::encode(self.current.finalize());
        }
        if self.filled > 0 || self.parts == 0 {
            self.digests
                .extend_from_slice(&self.current.finalize_reset());
            self.parts += 1;
        }
        format!("{}-{}", hex::encode(Md5::digest(&self.digests)), self.parts)
    }
}

/// `--delete`: remove what the destination has and the source does not.
async fn delete_extra(ctx: &Ctx, dst: &Side, extra: Vec<(String, Entry)>) {
    match dst {
        Side::S3(url) => {
            let keys = extra
                .into_iter()
                .filter_map(|(_, e)| e.key)
                .map(KeyItem::Key);
            rm::delete_keys(&ctx.client, &ctx.report, &url.bucket, stream::iter(keys), 8).await;
        }
        Side::Local(_) => {
            for (_, entry) in extra {
                let Some(path) = entry.path else { continue };
                let shown = path.display().to_string();
                if ctx.report.dry_run() {
                    ctx.report.done("delete", &shown, None, None);
                    continue;
                }
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => ctx.report.done("delete", &shown, None, None),
                    Err(e) => {
                        ctx.report
                            .failed("delete", &shown, None, &Problem::text(e.to_string()))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("s3op-sync-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or(());
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap_or(());
        path
    }

    #[test]
    fn plain_and_multipart_etags() {
        let bytes: Vec<u8> = (0..(11 * 1024 * 1024 + 5))
            .map(|i| (i % 251) as u8)
            .collect();
        let path = temp_file("etag.bin", &bytes);
        let md5 = hex::encode(Md5::digest(&bytes));
        let size = bytes.len() as u64;
        assert_eq!(
            local_etag_matches(&path, size, &md5, 16 << 20).ok(),
            Some(Some(true))
        );
        assert_eq!(
            local_etag_matches(&path, size, &"0".repeat(32), 16 << 20).ok(),
            Some(Some(false))
        );
        // Three parts of 5 MiB: md5 of the three part md5s, then -3.
        let mut digests = Vec::new();
        for chunk in bytes.chunks(5 << 20) {
            digests.extend_from_slice(&Md5::digest(chunk));
        }
        let multipart = format!("{}-3", hex::encode(Md5::digest(&digests)));
        assert_eq!(
            local_etag_matches(&path, size, &multipart, 16 << 20).ok(),
            Some(Some(true))
        );
        // Two parts: 8 MiB is a likely size, and the content differs from this made-up digest.
        assert_eq!(
            local_etag_matches(&path, size, &format!("{}-2", "0".repeat(32)), 16 << 20).ok(),
            Some(Some(false))
        );
        // No likely part size gives 7 parts of 11 MiB: cannot tell.
        assert_eq!(
            local_etag_matches(&path, size, &format!("{}-7", "0".repeat(32)), 16 << 20).ok(),
            Some(None)
        );
        assert_eq!(
            local_etag_matches(&path, size, "not-an-md5", 16 << 20).ok(),
            Some(None)
        );
        let _ = std::fs::remove_file(path);
    }
}
