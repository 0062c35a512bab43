//! What transfers do about checksums. Uploads: the algorithm in use (the caller's, else the
//! client's `request_checksum_calculation`, none once the endpoint refused checksums), parts and
//! small files read into memory and hashed in the same pass, and the values a multipart upload
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

/// `len` bytes of `path` from `offset`, read into memory on a blocking thread, with their checksum
/// computed in the same pass.
pub(crate) async fn read_hashed(
    path: &Path,
    offset: u64,
    len: u64,
    algorithm: Option<Algorithm>,
) -> Result<(Bytes, Option<String>), Error> {
    let owned = path.to_path_buf();
    let task = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&owned)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let size = usize::try_from(len).map_err(std::io::Error::other)?;
        let mut buf = vec![0u8; size];
        let mut hasher = algorithm.map(Hasher::new);
        let mut filled = 0;
        // Hash each block right after reading it, while it is in the cache.
        while filled < size {
            let end = (filled + 1024 * 1024).min(size);
            let n = file.read(&mut buf[filled..end])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("the file ended {} bytes early", size - filled),
                ));
            }
            if let Some(h) = &mut hasher {
                h.update(&buf[filled..filled + n]);
            }
            filled += n;
        }
        Ok((Bytes::from(buf), hasher.map(Hasher::finish)))
    });
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    task.await
        .map_err(|e| file_error(std::io::Error::other(e.to_string())))?
        .map_err(file_error)
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
