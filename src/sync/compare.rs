//! Whether two copies of a file hold the same bytes, without reading both over the network:
//! stored full-object checksums first (HeadObject with checksum mode; the same algorithm computed
//! over a local file), then MD5 ETags (a multipart ETag recomputed over a local file for the likely
//! part sizes), and when nothing can tell, equal sizes count as the same. `sync --checksum` and
//! `s3op check` decide with [`compare_content`].

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};

use crate::client::Client;
use crate::transfer::part_size_for;
use crate::tree::S3Url;
use crate::types::{ChecksumType, HeadObjectOutput};

/// The algorithm two local files are compared with.
pub const LOCAL_ALGORITHM: &str = "CRC64NVME";

/// The full-object checksums S3 stores, in the order one is picked when an object has several.
const ALGORITHMS: [&str; 5] = ["CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1"];

/// One side's copy of a file, as [`compare_content`] sees it.
#[derive(Debug, Clone, Copy)]
pub enum Copy<'a> {
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
pub enum By {
    /// A full-object checksum of this algorithm, on both sides.
    Checksum(&'static str),
    Etag,
    /// Nothing could tell: equal sizes count as the same.
    Size,
}

impl By {
    pub fn name(&self) -> &'static str {
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
pub struct Comparison {
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
pub async fn compare_content(
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
        crate::checksum::of_file(&path, 0, size, false, Some(&algorithm))
            .map_err(|e| e.to_string())?
            .checksum
            .ok_or_else(|| format!("{}: no {algorithm} checksum computed", path.display()))
    })
    .await
    .map_err(|e| format!("the task stopped: {e}"))?
}

/// [`local_etag_matches`] off the async threads.
async fn local_matches(
    path: &Path,
    size: u64,
    etag: &str,
    part_size: u64,
) -> Result<Option<bool>, String> {
    let (path, etag) = (path.to_path_buf(), etag.to_string());
    tokio::task::spawn_blocking(move || {
        local_etag_matches(&path, size, &etag, part_size)
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .await
    .map_err(|e| format!("the task stopped: {e}"))?
}

/// Whether a local file of `size` bytes has the ETag `etag` (without quotes, lower case).
///
/// A plain ETag is compared with the file's MD5. A multipart ETag (`md5-of-part-md5s-N`) is
/// recomputed for every likely part size that gives N parts (the one s3op would use, then 5, 8, 15,
/// 16, 32, 50, 64, 100, 128, 256 and 512 MiB), in one pass over the file. `None` when the ETag is
/// not of either form, or no likely part size gives N parts: the caller falls back to the size. An
/// ETag that is not an MD5 at all (SSE-KMS, SSE-C) compares as different, so the file is copied.
pub fn local_etag_matches(
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
