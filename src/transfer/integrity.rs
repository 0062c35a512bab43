//! What transfers do about checksums. Uploads: the algorithm in use (the caller's, else the
//! client's `request_checksum_calculation`, none once the endpoint refused checksums), parts and
//! small files read into memory and hashed in the same pass, larger ones hashed and then streamed
//! from the file, and the values a multipart upload
//! completes with (each part's, and for a CRC the full object's, combined from the parts without
//! reading anything again). Downloads: the checksum an object has stored (from its headers, with
//! checksum mode on) and the check of the bytes written, from the CRCs of the ranges as they were
//! written.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;

use crate::checksum::{combine, Algorithm, Hasher};
use crate::client::Client;
use crate::config::ChecksumWhen;
use crate::error::Error;
use crate::types::CompletedPart;
use crate::value::Body;

/// The default upload checksum: as fast as CRC32C here (`cargo bench --bench checksum`), and
/// what the AWS CLI sends.
pub const DEFAULT_ALGORITHM: Algorithm = Algorithm::Crc64Nvme;

impl Client {
    /// The checksum an upload sends: `asked`, else the default when the configuration says
    /// `when_supported`; none once this client's endpoint refused a checksum header.
    pub(crate) fn upload_checksum(&self, asked: Option<Algorithm>) -> Option<Algorithm> {
        if self.checksums_refused() {
            return None;
        }
        asked.or(match self.config().checksums.calculation {
            ChecksumWhen::WhenSupported => Some(DEFAULT_ALGORITHM),
            ChecksumWhen::WhenRequired => None,
        })
    }

    /// Whether downloads ask for and check the object's checksum (`response_checksum_validation`).
    pub(crate) fn validates_downloads(&self) -> bool {
        self.config().checksums.validation == ChecksumWhen::WhenSupported
    }
}

/// `request` (a GetObject or HeadObject) asking for the object's checksum.
pub(crate) fn with_checksum_mode(mut request: crate::client::Request) -> crate::client::Request {
    request.set(
        "ChecksumMode",
        crate::value::Value::String("ENABLED".into()),
    );
    request
}

/// Files up to this size are read into memory once and hashed in the same pass; larger ones
/// (and parts) are hashed from the file first and then streamed from it, so a transfer holds
/// at most this much per request in flight (256 files at once: 64 MiB) instead of whole parts.
pub(crate) const READ_INTO_MEMORY: u64 = 256 * 1024;

/// The body of `len` bytes of `path` from `offset`, with its checksum when `algorithm` is given:
/// up to [`READ_INTO_MEMORY`] bytes read once, hashed on the way; larger ranges hashed by a read of
/// the file (from the page cache, with a buffer of 256 KiB) and sent as a file range, read again as
/// it streams. A file changed between the two reads fails the server's check of the checksum
/// rather than storing bytes other than those hashed.
pub(crate) async fn hashed_body(
    path: &Path,
    offset: u64,
    len: u64,
    algorithm: Option<Algorithm>,
) -> Result<(Body, Option<String>), Error> {
    let owned = path.to_path_buf();
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let in_memory = len <= READ_INTO_MEMORY;
    if !in_memory && algorithm.is_none() {
        return Ok((file_range(path, offset, len), None));
    }
    let task = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&owned)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut reader = file.take(len);
        let mut hasher = algorithm.map(Hasher::new);
        if in_memory {
            let mut buf = Vec::with_capacity(len as usize);
            reader.read_to_end(&mut buf)?;
            if let Some(h) = &mut hasher {
                h.update(&buf);
            }
            return Ok((Some(buf), hasher.map(Hasher::finish)));
        }
        let mut buf = vec![0u8; 256 * 1024];
        let mut read = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            read += n as u64;
            if let Some(h) = &mut hasher {
                h.update(&buf[..n]);
            }
        }
        if read < len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes early", len - read),
            ));
        }
        Ok((None, hasher.map(Hasher::finish)))
    });
    let (bytes, checksum) = task
        .await
        .map_err(|e| file_error(std::io::Error::other(e.to_string())))?
        .map_err(file_error)?;
    let body = match bytes {
        Some(bytes) if bytes.len() as u64 == len => Body::Bytes(Bytes::from(bytes)),
        Some(bytes) => {
            return Err(file_error(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes early", len - bytes.len() as u64),
            )))
        }
        None => file_range(path, offset, len),
    };
    Ok((body, checksum))
}

fn file_range(path: &Path, offset: u64, len: u64) -> Body {
    Body::FileRange {
        path: path.to_path_buf(),
        offset,
        len,
    }
}

/// The checksum of bytes in memory, computed on a blocking thread.
pub(crate) async fn hash_bytes(algorithm: Algorithm, bytes: Bytes) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let mut h = Hasher::new(algorithm);
        h.update(&bytes);
        h.finish()
    })
    .await
    .map_err(|e| Error::InvalidInput(format!("the checksum thread failed: {e}")))
}

/// A part of a multipart upload that the server took.
#[derive(Debug, Clone)]
pub(crate) struct DonePart {
    pub number: u64,
    pub etag: String,
    /// The part's checksum as sent (base64), when the upload has one.
    pub checksum: Option<String>,
    pub len: u64,
}

/// The part as CompleteMultipartUpload lists it: number, ETag and its checksum.
pub(crate) fn completed_part(part: &DonePart, algorithm: Option<Algorithm>) -> CompletedPart {
    let mut completed = CompletedPart {
        e_tag: Some(part.etag.clone()),
        part_number: Some(part.number as i64),
        ..CompletedPart::default()
    };
    let value = part.checksum.clone();
    match algorithm {
        Some(Algorithm::Crc32) => completed.checksum_crc32 = value,
        Some(Algorithm::Crc32c) => completed.checksum_crc32_c = value,
        Some(Algorithm::Crc64Nvme) => completed.checksum_crc64_nvme = value,
        Some(Algorithm::Sha1) => completed.checksum_sha1 = value,
        Some(Algorithm::Sha256) => completed.checksum_sha256 = value,
        None => {}
    }
    completed
}

/// The full object's CRC from its parts' CRCs (sorted by number): `None` for an algorithm that is
/// not a CRC or a part without its value.
pub(crate) fn full_object(algorithm: Algorithm, parts: &[DonePart]) -> Option<String> {
    let mut parts = parts.iter();
    let first = parts.next()?;
    let mut whole = first.checksum.clone()?;
    for part in parts {
        whole = combine(algorithm, &whole, part.checksum.as_deref()?, part.len)?;
    }
    Some(whole)
}

/// How an object's stored checksum covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChecksumKind {
    /// Of the whole object's bytes.
    FullObject,
    /// Of its parts' checksums (`…-N`): each part must be checked on its own.
    Composite { parts: u64 },
}

/// The checksum an object has stored, as its GET or HEAD answer (checksum mode on) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChecksum {
    pub algorithm: Algorithm,
    /// Base64, without the `-N` of a composite value.
    pub value: String,
    pub kind: ChecksumKind,
}

impl std::fmt::Display for StoredChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ChecksumKind::FullObject => write!(f, "{} {}", self.algorithm, self.value),
            ChecksumKind::Composite { parts } => {
                write!(f, "{} {}-{parts}", self.algorithm, self.value)
            }
        }
    }
}

/// The object's stored checksum from an answer's headers, if it has one s3op can use.
pub fn stored_checksum(headers: &BTreeMap<String, String>) -> Option<StoredChecksum> {
    let composite_type = headers
        .get("x-amz-checksum-type")
        .is_some_and(|t| t.eq_ignore_ascii_case("COMPOSITE"));
    Algorithm::ALL.into_iter().find_map(|algorithm| {
        let raw = headers.get(&algorithm.header())?.trim();
        let (value, kind) = match raw.rsplit_once('-') {
            Some((value, n)) => (
                value,
                ChecksumKind::Composite {
                    parts: n.parse().ok()?,
                },
            ),
            None if composite_type => return None,
            None => (raw, ChecksumKind::FullObject),
        };
        if crate::compat::stored_checksum_is_malformed(algorithm, value) {
            return None;
        }
        Some(StoredChecksum {
            algorithm,
            value: value.to_string(),
            kind,
        })
    })
}

/// One stored part of a multipart object: where it lies and its checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredPart {
    pub offset: u64,
    pub len: u64,
    pub checksum: String,
}

impl Client {
    /// The parts of a multipart object with their checksums of `algorithm`, from
    /// GetObjectAttributes (every page); `None` when the server does not tell them all.
    pub(crate) async fn stored_parts(
        &self,
        bucket: &str,
        key: &str,
        algorithm: Algorithm,
        values: &[(&'static str, crate::value::Value)],
    ) -> Result<Option<Vec<StoredPart>>, Error> {
        use crate::value::Value;
        let mut parts = Vec::new();
        let mut marker: Option<i64> = None;
        loop {
            let mut request = self
                .get_object_attributes()
                .bucket(bucket)
                .key(key)
                .request();
            for (name, value) in values {
                if request.operation().member(name).is_some() {
                    request.set(name, value.clone());
                }
            }
            request.set(
                "ObjectAttributes",
                Value::Json(serde_json::json!(["ObjectParts"])),
            );
            request.set("MaxParts", Value::Integer(1000));
            if let Some(marker) = marker {
                request.set("PartNumberMarker", Value::Integer(marker));
            }
            let answer: crate::types::GetObjectAttributesOutput = request.send().await?.parse()?;
            let Some(page) = answer.object_parts else {
                return Ok(None);
            };
            for part in &page.parts {
                let checksum = match algorithm {
                    Algorithm::Crc32 => part.checksum_crc32.clone(),
                    Algorithm::Crc32c => part.checksum_crc32_c.clone(),
                    Algorithm::Crc64Nvme => part.checksum_crc64_nvme.clone(),
                    Algorithm::Sha1 => part.checksum_sha1.clone(),
                    Algorithm::Sha256 => part.checksum_sha256.clone(),
                };
                let (Some(checksum), Some(len)) = (checksum, part.size) else {
                    return Ok(None);
                };
                let offset = parts.last().map_or(0, |p: &StoredPart| p.offset + p.len);
                parts.push(StoredPart {
                    offset,
                    len: len.max(0) as u64,
                    checksum,
                });
            }
            match (page.is_truncated, page.next_part_number_marker) {
                (Some(true), Some(next)) if Some(next) != marker => marker = Some(next),
                _ => break,
            }
        }
        Ok(Some(parts))
    }
}

/// Check a download against an object's composite checksum: the parts' checksums must give the
/// stored composite value, and each part's bytes its checksum. A part that matches a range hashed
/// as it was written (`hashed`: offset, length, checksum) takes that range's value; any other part
/// is hashed from the file. The inner `Err` holds the expected and the computed value of the first
/// difference; parts that do not cover the file are an error.
pub(crate) async fn check_composite(
    temp: &Path,
    total: u64,
    stored: &StoredChecksum,
    parts: &[StoredPart],
    hashed: &[(u64, u64, Option<String>)],
) -> Result<Result<(), (String, String)>, Error> {
    let algorithm = stored.algorithm;
    let covered = parts.last().map_or(0, |p| p.offset + p.len);
    if covered != total {
        return Err(Error::InvalidResponse(format!(
            "the object's parts cover {covered} bytes of {total}"
        )));
    }
    let listed: Vec<String> = parts.iter().map(|p| p.checksum.clone()).collect();
    let expected = format!("{}-{}", stored.value, parts.len());
    let from_parts = crate::checksum::composite(algorithm, &listed).unwrap_or_default();
    if from_parts != expected {
        return Ok(Err((expected, from_parts)));
    }
    for part in parts {
        let known = hashed
            .iter()
            .find(|(offset, len, sum)| *offset == part.offset && *len == part.len && sum.is_some())
            .and_then(|(_, _, sum)| sum.clone());
        let computed = match known {
            Some(sum) => sum,
            None => {
                let owned = temp.to_path_buf();
                let (offset, len) = (part.offset, part.len);
                tokio::task::spawn_blocking(move || {
                    crate::checksum::of_file(&owned, offset, len, false, Some(algorithm.name()))
                })
                .await
                .map_err(|e| Error::InvalidInput(format!("the checksum thread failed: {e}")))??
                .checksum
                .unwrap_or_default()
            }
        };
        if computed != part.checksum {
            return Ok(Err((part.checksum.clone(), computed)));
        }
    }
    Ok(Ok(()))
}
