//! Whole-object transfers built on the generated operations: uploads (`upload`: one PUT below the
//! threshold, parallel multipart above it, aborted when they cannot finish), downloads (`download`:
//! parallel ranged GETs written at their offsets into a temporary file beside the target, then
//! renamed), and server-side copies (`copy`: CopyObject up to 5 GiB, UploadPartCopy above). Memory
//! stays bounded by part size × concurrency whatever the object size. Every request goes through the
//! client's one pipeline, which retries and resumes; transfers never repeat a request themselves.
//! What an interrupted transfer leaves is cleaned up by guards the caller owns (`guard`), unless
//! the transfer is resumable (`TransferConfig::journal_dir`): then it is kept, with a journal of
//! what was finished (`journal`), and the same transfer run again sends only what is missing.

use std::path::PathBuf;
use std::sync::Arc;

use crate::client::Progress;
use crate::error::Error;

mod attributes;
mod copy;
mod download;
mod guard;
mod integrity;
pub mod jobs;
mod journal;
mod upload;

pub use attributes::{CopyOptions, CopyProps, Grants, ObjectAttributes, SseCustomerKey};
pub use download::DownloadOptions;
pub use guard::{temp_path_for, TempFile, UploadTracker};
pub use integrity::{stored_checksum, ChecksumKind, StoredChecksum, DEFAULT_ALGORITHM};
pub use journal::Notice;

/// S3's multipart limits.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
pub const MAX_PARTS: u64 = 10_000;
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// The largest object CopyObject copies in one request.
pub const MAX_COPY_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// How transfers split and parallelise their work.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// use s3op::transfer::{TransferConfig, UploadOptions, UploadTracker};
/// let tracker = UploadTracker::new();
/// let config = TransferConfig {
///     part_size: 64 * 1024 * 1024,
///     concurrency: 4,
///     tracker: Some(tracker.clone()),
///     ..TransferConfig::default()
/// };
/// let options = UploadOptions::default();
/// let upload = client.upload_file("backup.tar", "backups", "2026/backup.tar", &options, &config);
/// tokio::select! {
///     done = upload => { done?; }
///     _ = tokio::signal::ctrl_c() => {
///         // The upload's future is dropped: abort the multipart upload it left open.
///         tracker.abort_all().await;
///     }
/// }
/// client.download_file("backups", "2026/backup.tar", "restored.tar", &config).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TransferConfig {
    /// Bytes per part (uploads, copies) and per ranged GET (downloads). Grown automatically so no
    /// object needs more than 10,000 parts.
    pub part_size: u64,
    /// Uploads and downloads at or below this size go in one request.
    pub multipart_threshold: u64,
    /// Server-side copies at or below this size are one CopyObject, larger ones UploadPartCopy in
    /// parts (never above S3's 5 GiB CopyObject limit). A copy moves no bytes through the client,
    /// so one request is the fastest way on every server measured (`BENCHMARKS.md`).
    pub copy_threshold: u64,
    /// Parts or ranges in flight at once.
    pub concurrency: usize,
    /// Sends per part or range, a resumed body included, before the transfer gives up (and aborts
    /// an upload); `None`: the client's `max_attempts`.
    pub part_attempts: Option<u32>,
    /// Told of every byte sent or received.
    pub progress: Option<Progress>,
    /// Where multipart uploads in flight are registered, so the caller can abort them after
    /// cancelling the transfer (see [`UploadTracker`]).
    pub tracker: Option<UploadTracker>,
    /// The checksum uploads send (as headers: a part's with each part, the full object's with a
    /// CRC); `None`: the client's `request_checksum_calculation` decides ([`DEFAULT_ALGORITHM`]
    /// unless it says `when_required`).
    pub checksum_algorithm: Option<crate::checksum::Algorithm>,
    /// Makes file uploads and downloads resumable. A multipart upload of a file keeps a journal
    /// here (one per source and destination) of its upload id and finished parts; a download
    /// keeps its partial file and journal beside the target (`.NAME.s3op-resume.part`). An
    /// interrupted or failed transfer then leaves both (an upload is not aborted, nor put in the
    /// tracker), and the same transfer run again checks them against the server and sends only
    /// what is missing, or starts over when anything changed. `None`: an interrupted upload is
    /// aborted and a failed download leaves nothing.
    pub journal_dir: Option<PathBuf>,
    /// Told why a resumable transfer starts over instead of resuming.
    pub notice: Option<Notice>,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            part_size: 16 * 1024 * 1024,
            multipart_threshold: 16 * 1024 * 1024,
            copy_threshold: MAX_COPY_SIZE,
            concurrency: 8,
            part_attempts: None,
            progress: None,
            tracker: None,
            checksum_algorithm: None,
            journal_dir: None,
            notice: None,
        }
    }
}

impl std::fmt::Debug for TransferConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferConfig")
            .field("part_size", &self.part_size)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("copy_threshold", &self.copy_threshold)
            .field("concurrency", &self.concurrency)
            .field("part_attempts", &self.part_attempts)
            .field("checksum_algorithm", &self.checksum_algorithm)
            .field("journal_dir", &self.journal_dir)
            .finish_non_exhaustive()
    }
}

/// The part size for an object of `size` bytes: the configured size, at least 5 MiB, grown (in whole
/// MiB) until the object fits in 10,000 parts.
pub fn part_size_for(size: u64, configured: u64) -> Result<u64, Error> {
    if size > MAX_OBJECT_SIZE {
        return Err(Error::InvalidInput(format!(
            "{size} bytes is more than S3's 5 TiB object limit"
        )));
    }
    const MIB: u64 = 1024 * 1024;
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    Ok(configured.max(MIN_PART_SIZE).max(needed).min(MAX_PART_SIZE))
}

/// The size of part `number` (from 1) of a stream of unknown length: `base` for the first 800 parts,
/// doubling every 800 after, so 10,000 parts reach S3's 5 TiB from a 5 MiB base while a short stream
/// holds only `base` bytes per part in memory. (S3 needs parts of at least 5 MiB, not equal ones.)
pub fn stream_part_size(base: u64, number: u64) -> u64 {
    let tier = (number.saturating_sub(1) / 800).min(12) as u32;
    base.saturating_mul(1 << tier).min(MAX_PART_SIZE)
}

/// Options of an upload beyond bucket and key.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// use s3op::transfer::{SseCustomerKey, TransferConfig, UploadOptions};
/// use s3op::types::StorageClass;
/// let mut options = UploadOptions::default();
/// options.attributes.content_type = Some("application/x-tar".into());
/// options.attributes.metadata.insert("owner".into(), "backup".into());
/// options.attributes.storage_class = Some(StorageClass::StandardIa);
/// options.sse_customer_key = Some(SseCustomerKey::aes256([7u8; 32])?);
/// client
///     .upload_file("backup.tar", "backups", "backup.tar", &options, &TransferConfig::default())
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// What the object is stored with (PutObject, CreateMultipartUpload).
    pub attributes: ObjectAttributes,
    /// An SSE-C key: sent on PutObject, CreateMultipartUpload, every UploadPart and
    /// CompleteMultipartUpload.
    pub sse_customer_key: Option<SseCustomerKey>,
    /// Acknowledge that the requester pays (on every request of the upload).
    pub request_payer: Option<crate::types::RequestPayer>,
    /// Never replace an existing object: the write that creates the object (PutObject, or
    /// CompleteMultipartUpload) carries `If-None-Match: *`, and S3 answers 412 PreconditionFailed
    /// when the key exists, even when another writer made it a moment ago.
    pub no_overwrite: bool,
}

impl UploadOptions {
    /// The members of the request that creates the object (PutObject, CreateMultipartUpload).
    pub(crate) fn create_members(&self) -> attributes::Members {
        let mut members = self.attributes.members();
        members.extend(self.part_members());
        members
    }

    /// The members every other request of a multipart upload carries where the operation has
    /// them (UploadPart, ListParts, CompleteMultipartUpload): the SSE-C key, the requester-pays
    /// acknowledgement, and `If-None-Match: *` under `no_overwrite` (only the completion and a
    /// PutObject take it).
    pub(crate) fn part_members(&self) -> attributes::Members {
        let mut members = self
            .sse_customer_key
            .as_ref()
            .map(SseCustomerKey::members)
            .unwrap_or_default();
        members.extend(attributes::payer_members(self.request_payer.as_ref()));
        members.extend(attributes::no_overwrite_members(self.no_overwrite));
        members
    }
}

/// Tell the caller's notice callback, if any.
fn notify(config: &TransferConfig, message: String) {
    if let Some(notice) = &config.notice {
        notice(message);
    }
}

/// Name the part in a failure; the S3 error (and its envelope) stays inside.
fn part_error(number: u64, e: Error) -> Error {
    Error::Part {
        number,
        source: Box::new(e),
    }
}

/// A progress counter shareable across parts: the callback gets the running total.
pub fn counting_progress(callback: impl Fn(u64) + Send + Sync + 'static) -> Progress {
    let total = Arc::new(std::sync::atomic::AtomicU64::new(0));
    Arc::new(move |n| {
        let now = total.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        callback(now);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_grows_so_no_object_needs_more_than_ten_thousand_parts() {
        const MIB: u64 = 1024 * 1024;
        assert_eq!(part_size_for(100 * MIB, 8 * MIB).ok(), Some(8 * MIB));
        assert_eq!(part_size_for(1, 1).ok(), Some(MIN_PART_SIZE));
        let tib = 1024 * 1024 * MIB;
        let ps = part_size_for(5 * tib, 8 * MIB).unwrap_or(0);
        assert!(5 * tib / ps <= MAX_PARTS && ps % MIB == 0, "{ps}");
        assert!(part_size_for(5 * tib + 1, 8 * MIB).is_err());
        let ps = part_size_for(100 * 1024 * MIB, 5 * MIB).unwrap_or(0);
        assert!((100 * 1024 * MIB).div_ceil(ps) <= MAX_PARTS);
    }

    #[test]
    fn a_stream_reaches_five_tib_in_ten_thousand_parts() {
        let total: u64 = (1..=MAX_PARTS)
            .map(|n| stream_part_size(MIN_PART_SIZE, n))
            .sum();
        assert!(total >= MAX_OBJECT_SIZE, "{total}");
        assert_eq!(stream_part_size(MIN_PART_SIZE, 1), MIN_PART_SIZE);
        assert_eq!(stream_part_size(MIN_PART_SIZE, 801), 2 * MIN_PART_SIZE);
    }
}
