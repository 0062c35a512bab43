//! Downloads: one object to a file, in parallel ranged GETs. The first range's answer gives the
//! object's size and ETag; the other ranges start as soon as its headers arrive (not after its body),
//! each pinned to that ETag with `If-Match` so an object replaced mid-way fails instead of mixing two
//! versions. Each range is written at its offset into a temporary file beside the target (see
//! `client::sink`), which is checked for length and renamed into place only when complete; on any
//! failure the guard removes it. A range that breaks off is resumed by the pipeline, not here.
//! A resumable download (`TransferConfig::journal_dir`) starts with a HEAD instead, writes into a
//! stable partial file (`.NAME.s3op-resume.part`) and journals each range as it finishes; a
//! failure keeps both, and run again with the object's ETag and size unchanged it fetches only the
//! ranges the journal lacks, reusing the finished ranges' checksums for the final check.
//! A download to a writer (`download_to_writer`, for `cat` and `cp … -`) starts with a HEAD, then
//! fetches the ranges in parallel into memory and writes them in order, at most `concurrency`
//! ranges held at once, hashing them as they are written when the object has a full-object
//! checksum.

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{oneshot, Semaphore};

use super::attributes::{payer_members, set_members, SseCustomerKey};
use super::integrity::{
    check_composite, stored_checksum, with_checksum_mode, ChecksumKind, StoredChecksum,
    DEFAULT_ALGORITHM,
};
use super::journal::{self, DownloadHeader, Journal, RangeRecord};
use super::{notify, TempFile, TransferConfig};
use crate::checksum::{combine, Algorithm, Hasher};
use crate::client::pipeline::parse_content_range;
use crate::client::sink::{FileSink, Sink};
use crate::client::{Client, Request};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::types::GetObjectOutput;
use crate::value::Value;

/// Options of a download beyond bucket and key.
#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// The object's size, when already known (from a listing): an object of one part or less is
    /// then fetched with one plain GET, whose answer carries its checksum.
    pub size: Option<u64>,
    /// The key the object is encrypted with (SSE-C): sent on every HEAD and ranged GET.
    pub sse_customer_key: Option<SseCustomerKey>,
    /// Acknowledge that the requester pays (on every request of the download).
    pub request_payer: Option<crate::types::RequestPayer>,
    /// More members set on every GET and HEAD of the download that has them (`VersionId`…).
    pub values: Vec<(&'static str, Value)>,
    /// Never replace a file already at the target (`sync --no-overwrite`): the finished download
    /// is linked into place only if the name is still free, else it is
    /// [`Error::DestinationExists`] and the bytes are thrown away.
    pub no_overwrite: bool,
}

impl DownloadOptions {
    /// Every member the download's requests carry where the operation has it.
    fn members(&self) -> Vec<(&'static str, Value)> {
        let mut members = self.values.clone();
        if let Some(key) = &self.sse_customer_key {
            members.extend(key.members());
        }
        members.extend(payer_members(self.request_payer.as_ref()));
        members
    }
}

impl Client {
    /// Download `bucket`/`key` to `path`: parallel ranged GETs written at their offsets into a
    /// temporary file beside `path`, length verified, checked against the object's stored
    /// checksum (unless `response_checksum_validation` is `when_required`), then renamed into
    /// place. Bytes that do not match are thrown away and the download made once more; a second
    /// mismatch is [`Error::ChecksumMismatch`]. On failure nothing is left under `path` (and no
    /// temporary file either).
    pub async fn download_file(
        &self,
        bucket: &str,
        key: &str,
        path: impl AsRef<Path>,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        self.download_file_with(bucket, key, path, &DownloadOptions::default(), config)
            .await
    }

    /// [`Client::download_file`] with options (a known size, a version, SSE-C keys).
    pub async fn download_file_with(
        &self,
        bucket: &str,
        key: &str,
        path: impl AsRef<Path>,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let path = path.as_ref();
        if config.journal_dir.is_some() {
            return self
                .resumable_download(bucket, key, path, options, config)
                .await;
        }
        self.once_more_on_mismatch(|| async {
            let temp = TempFile::create_beside(path).await?;
            let envelope = self
                .download_into(bucket, key, temp.path(), options, config)
                .await?;
            temp.persist(path, options.no_overwrite).await?;
            Ok(envelope)
        })
        .await
    }

    /// `attempt` once more when its bytes did not match the object's checksum (each attempt
    /// throws away what it wrote), then its error.
    async fn once_more_on_mismatch<F, Fut>(&self, mut attempt: F) -> Result<Envelope, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Envelope, Error>>,
    {
        let mut again = true;
        loop {
            match attempt().await {
                Err(e @ Error::ChecksumMismatch { .. }) if again => {
                    if self.debug {
                        eprintln!("s3op: {e}: downloading it once more");
                    }
                    again = false;
                }
                other => return other,
            }
        }
    }

    /// A download that keeps its partial file and journal when it fails, and continues from them:
    /// the bytes are renamed into place only once complete and checked. A checksum mismatch
    /// throws both away and downloads once more from scratch.
    async fn resumable_download(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let (partial, journal_path) = journal::download_paths(path);
        self.once_more_on_mismatch(|| async {
            let result = self
                .download_resuming(bucket, key, &partial, &journal_path, options, config)
                .await;
            if let Err(Error::ChecksumMismatch { .. }) = &result {
                // Bytes that do not match are worth nothing to a later run either.
                journal::remove(&journal_path);
                journal::remove(&partial);
            }
            let envelope = result?;
            super::guard::place(&partial, path, options.no_overwrite).await?;
            journal::remove(&journal_path);
            Ok(envelope)
        })
        .await
    }

    /// Fill `partial` with the object: from the journal's finished ranges on when it describes
    /// the same object (ETag and size, from a HEAD), else from nothing. Each range fetched is
    /// pinned to the ETag and journaled as it finishes.
    async fn download_resuming(
        &self,
        bucket: &str,
        key: &str,
        partial: &Path,
        journal_path: &Path,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let part_size = config.part_size.max(1);
        let verify = self.validates_downloads();
        let mut envelope = self.download_head(bucket, key, options).send().await?;
        let size = head_length(&envelope)?;
        let etag = envelope.headers.get("etag").cloned();
        let stored = if verify {
            stored_checksum(&envelope.headers)
        } else {
            None
        };
        let hashing = stored
            .as_ref()
            .filter(|s| s.algorithm.is_crc() || s.kind != ChecksumKind::FullObject)
            .map(|s| s.algorithm);
        let wanted = DownloadHeader {
            bucket: bucket.to_string(),
            key: key.to_string(),
            etag: etag.clone().unwrap_or_default(),
            size,
            range_size: part_size,
            algorithm: hashing.map(|a| a.name().to_string()),
        };
        let mut finished: BTreeMap<u64, Piece> = BTreeMap::new();
        let previous = journal::read::<DownloadHeader, RangeRecord>(journal_path)?;
        let partial_exists = tokio::fs::metadata(partial).await.is_ok();
        let mut same_algorithm = true;
        let resumable = match previous {
            Some((old, records)) => match old.differs_from(&wanted) {
                None if partial_exists => {
                    same_algorithm = old.algorithm == wanted.algorithm;
                    for record in records {
                        // Only ranges of the grid this run uses, each within the object.
                        if record.offset % part_size == 0
                            && record.len == part_size.min(size.saturating_sub(record.offset))
                            && record.offset < size
                        {
                            finished.insert(
                                record.offset,
                                Piece {
                                    offset: record.offset,
                                    len: record.len,
                                    checksum: record.checksum.filter(|_| same_algorithm),
                                },
                            );
                        }
                    }
                    true
                }
                None => {
                    notify(config, "the partial file is gone: starting over".into());
                    false
                }
                Some(reason) => {
                    notify(config, format!("{reason}: starting over"));
                    false
                }
            },
            None => false,
        };
        let journal = if resumable && same_algorithm {
            Journal::reopen(journal_path)?
        } else if resumable {
            // The header says what the ranges were hashed with: a new one, and the finished
            // ranges again (their checksums, of another algorithm, dropped).
            let journal = Journal::create(journal_path, &wanted)?;
            for piece in finished.values() {
                journal.append(&RangeRecord {
                    offset: piece.offset,
                    len: piece.len,
                    checksum: None,
                })?;
            }
            journal
        } else {
            finished.clear();
            tokio::fs::File::create(partial)
                .await
                .map_err(|source| Error::File {
                    path: partial.to_path_buf(),
                    source,
                })?;
            Journal::create(journal_path, &wanted)?
        };
        if let Some(p) = &config.progress {
            p(finished.values().map(|piece| piece.len).sum());
        }
        let missing: Vec<(u64, u64)> = (0..size.div_ceil(part_size))
            .map(|i| (i * part_size, part_size.min(size - i * part_size)))
            .filter(|(offset, _)| !finished.contains_key(offset))
            .collect();
        let journal = &journal;
        let fetched = futures_util::stream::iter(missing)
            .map(|(offset, len)| {
                let etag = etag.clone();
                async move {
                    let mut get = self.transfer_get(bucket, key, options, config);
                    let range = format!("bytes={offset}-{}", offset + len - 1);
                    get.set("Range", Value::String(range));
                    if let Some(etag) = etag {
                        get.set("IfMatch", Value::String(etag));
                    }
                    let call = get.into_call().await?;
                    let mut sink = Sink::File(FileSink::range(partial, offset).hashing(hashing));
                    self.run(&call, &mut sink, None).await?;
                    let checksum = match &mut sink {
                        Sink::File(file) => file.checksum(),
                        _ => None,
                    };
                    drop(sink);
                    journal.append(&RangeRecord {
                        offset,
                        len,
                        checksum: checksum.clone(),
                    })?;
                    Ok::<_, Error>(Piece {
                        offset,
                        len,
                        checksum,
                    })
                }
            })
            .buffer_unordered(config.concurrency.max(1))
            .try_collect::<Vec<Piece>>()
            .await?;
        let mut pieces: Vec<Piece> = finished.into_values().chain(fetched).collect();
        pieces.sort_by_key(|piece| piece.offset);
        let written = tokio::fs::metadata(partial)
            .await
            .map_err(|source| Error::File {
                path: partial.to_path_buf(),
                source,
            })?
            .len();
        if written != size {
            // Not a range missing (they are all journaled): the file is not what the journal says.
            journal::remove(journal_path);
            return Err(Error::InvalidResponse(format!(
                "downloaded {written} bytes of {size}"
            )));
        }
        if let Some(stored) = stored {
            self.check_download(bucket, key, partial, &stored, pieces, options)
                .await?;
        }
        envelope.status = 200;
        Ok(envelope)
    }

    /// A GET of `bucket`/`key` as a transfer sends it: its options, attempts and progress, and
    /// checksum mode when downloads are checked.
    fn transfer_get(
        &self,
        bucket: &str,
        key: &str,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Request {
        let mut request = self.get_object().bucket(bucket).key(key).request();
        set_options(&mut request, options);
        if self.validates_downloads() {
            request = with_checksum_mode(request);
        }
        if let Some(attempts) = config.part_attempts {
            request = request.max_attempts(attempts);
        }
        if let Some(p) = &config.progress {
            request = request.on_progress(p.clone());
        }
        request
    }

    /// The object's stored checksum, from a HEAD pinned to `etag` (a ranged GET's answer does not
    /// carry it).
    async fn stored_checksum_of(
        &self,
        bucket: &str,
        key: &str,
        etag: Option<&str>,
        options: &DownloadOptions,
    ) -> Result<Option<StoredChecksum>, Error> {
        let mut head = self.head_object().bucket(bucket).key(key).request();
        set_options(&mut head, options);
        if let Some(etag) = etag {
            head.set("IfMatch", Value::String(etag.to_string()));
        }
        let answer = with_checksum_mode(head).send().await?;
        Ok(stored_checksum(&answer.headers))
    }

    async fn download_into(
        &self,
        bucket: &str,
        key: &str,
        temp: &Path,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let part_size = config.part_size.max(1);
        let verify = self.validates_downloads();
        if options.size.is_some_and(|size| size <= part_size) {
            // One plain GET: its answer carries the stored checksum.
            let call = self
                .transfer_get(bucket, key, options, config)
                .into_call()
                .await?;
            let mut sink = Sink::File(FileSink::whole(temp));
            let envelope = self.run(&call, &mut sink, None).await?;
            drop(sink);
            let total = checked_length(&envelope, temp).await?;
            if verify {
                if let Some(stored) = stored_checksum(&envelope.headers) {
                    let pieces = vec![Piece::unhashed(0, total)];
                    self.check_download(bucket, key, temp, &stored, pieces, options)
                        .await?;
                }
            }
            return Ok(envelope);
        }
        // At most `concurrency` ranges in flight, the first included.
        let slots = Semaphore::new(config.concurrency.max(1));
        let mut first_get = self.transfer_get(bucket, key, options, config);
        first_get.set("Range", Value::String(format!("bytes=0-{}", part_size - 1)));
        let first_call = first_get.into_call().await?;
        let (headers_tx, headers_rx) = oneshot::channel();
        // The first range starts before the object's algorithm is known: it is hashed with the
        // default one (what s3op and the AWS CLI upload with), which is used if it is the object's.
        let guess = verify.then_some(DEFAULT_ALGORITHM);
        let first = async {
            let _slot = slots.acquire().await;
            let mut sink = Sink::File(FileSink::range(temp, 0).hashing(guess));
            let answer = match self.run(&first_call, &mut sink, Some(headers_tx)).await {
                Err(Error::Service(e)) if crate::compat::empty_object_range(e.status) => {
                    return Ok(None)
                }
                other => other?,
            };
            let checksum = match &mut sink {
                Sink::File(file) => file.checksum(),
                _ => None,
            };
            Ok::<_, Error>(Some((answer, checksum)))
        };
        let rest = async {
            // The first answer's headers give the size; if they never come, the first range's own
            // result says why.
            let head = match headers_rx.await {
                Ok(head) if head.status == 206 => head,
                _ => return Ok((None, Vec::new())),
            };
            let Some(total) = whole_size(&head)? else {
                return Ok((None, Vec::new()));
            };
            let etag = head.parse::<GetObjectOutput>()?.e_tag;
            // The stored checksum (a HEAD, while the first range streams) decides what the other
            // ranges hash as they are written.
            let stored = match verify {
                true => {
                    self.stored_checksum_of(bucket, key, etag.as_deref(), options)
                        .await?
                }
                false => None,
            };
            let hashing = stored
                .as_ref()
                .filter(|s| s.algorithm.is_crc() || s.kind != ChecksumKind::FullObject)
                .map(|s| s.algorithm);
            let ranges = (1..total.div_ceil(part_size))
                .map(|i| (i * part_size, part_size.min(total - i * part_size)));
            let pieces = futures_util::stream::iter(ranges)
                .map(|(offset, len)| {
                    let etag = etag.clone();
                    let slots = &slots;
                    async move {
                        let _slot = slots.acquire().await;
                        let mut get = self.transfer_get(bucket, key, options, config);
                        let range = format!("bytes={offset}-{}", offset + len - 1);
                        get.set("Range", Value::String(range));
                        if let Some(etag) = etag {
                            get.set("IfMatch", Value::String(etag));
                        }
                        let call = get.into_call().await?;
                        let mut sink = Sink::File(FileSink::range(temp, offset).hashing(hashing));
                        self.run(&call, &mut sink, None).await?;
                        let checksum = match &mut sink {
                            Sink::File(file) => file.checksum(),
                            _ => None,
                        };
                        Ok::<_, Error>(Piece {
                            offset,
                            len,
                            checksum,
                        })
                    }
                })
                .buffer_unordered(config.concurrency.max(1))
                .try_collect::<Vec<Piece>>()
                .await?;
            Ok((stored, pieces))
        };
        let (first, (stored, mut pieces)) = tokio::try_join!(first, rest)?;
        let mut first_checksum = None;
        let mut envelope = match first {
            Some((envelope, checksum)) => {
                first_checksum = checksum;
                envelope
            }
            None => {
                let call = self
                    .transfer_get(bucket, key, options, config)
                    .into_call()
                    .await?;
                let mut sink = Sink::File(FileSink::whole(temp));
                self.run(&call, &mut sink, None).await?
            }
        };
        let total = checked_length(&envelope, temp).await?;
        if verify {
            // A one-range object's checksum comes from a HEAD made now; an object fetched whole
            // (empty) has it in its answer.
            let stored = match stored {
                Some(stored) => Some(stored),
                None if envelope.status == 206 => {
                    let etag = envelope.headers.get("etag").cloned();
                    self.stored_checksum_of(bucket, key, etag.as_deref(), options)
                        .await?
                }
                None => stored_checksum(&envelope.headers),
            };
            if let Some(stored) = stored {
                // The first range's guess holds when the object has the default algorithm;
                // otherwise it is hashed from the file (one part, still in the page cache).
                // (A 200 is the whole object: a server that ignored the Range.)
                let first_len = match envelope.status {
                    206 => part_size.min(total),
                    _ => total,
                };
                let mut first_piece = Piece::unhashed(0, first_len);
                if stored.algorithm == DEFAULT_ALGORITHM {
                    first_piece.checksum = first_checksum;
                }
                pieces.push(first_piece);
                pieces.sort_by_key(|piece| piece.offset);
                self.check_download(bucket, key, temp, &stored, pieces, options)
                    .await?;
            }
        }
        // The envelope describes the whole object, not the first range.
        envelope.status = 200;
        envelope.headers.remove("content-range");
        envelope
            .headers
            .insert("content-length".into(), total.to_string());
        Ok(envelope)
    }
}

impl Client {
    /// Download `bucket`/`key` into `writer`, in order. A HEAD (with checksum mode, when
    /// downloads are checked) gives the size, the ETag and the stored checksum; an object of one
    /// part or less is then fetched in one GET into memory and checked before it is written; a
    /// larger one in ranges of `config.part_size`, `config.concurrency` of them fetched in
    /// parallel into memory and written in order as each is next, so memory stays within about
    /// (concurrency + 1) × part size. Every GET is pinned with `If-Match` to the HEAD's ETag, so an
    /// object replaced mid-way fails instead of mixing two versions. A full-object checksum is
    /// computed over the bytes as they are written and compared at the end
    /// ([`Error::ChecksumMismatch`] then comes after the bytes were written); a composite one is
    /// not checked (the length is). A writer that fails is [`Error::File`] with the path `-` (a
    /// closed pipe: [`std::io::ErrorKind::BrokenPipe`]). The envelope returned is the HEAD's. A HEAD
    /// that S3 refuses is followed by one plain GET streamed into `writer`, whose error says why.
    pub async fn download_to_writer<W: AsyncWrite + Unpin + Send>(
        &self,
        bucket: &str,
        key: &str,
        writer: &mut W,
        options: &DownloadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let part_size = config.part_size.max(1);
        let verify = self.validates_downloads();
        let envelope = match self.download_head(bucket, key, options).send().await {
            Ok(envelope) => envelope,
            // A HEAD's error has no body to say why (NoSuchKey, AccessDenied…): a plain GET,
            // streamed as it comes, gives the reason, or the object if only the HEAD was refused.
            Err(Error::Service(_)) => {
                let call = self
                    .transfer_get(bucket, key, options, config)
                    .into_call()
                    .await?;
                let envelope = self.run(&call, &mut Sink::Writer(writer), None).await?;
                writer.flush().await.map_err(writer_error)?;
                return Ok(envelope);
            }
            Err(e) => return Err(e),
        };
        let total = head_length(&envelope)?;
        let etag = envelope.headers.get("etag").cloned();
        let full_object = verify
            .then(|| stored_checksum(&envelope.headers))
            .flatten()
            .filter(|s| s.kind == ChecksumKind::FullObject);
        let mut hasher = full_object.as_ref().map(|s| Hasher::new(s.algorithm));
        let fetch = |range: Option<(u64, u64)>| {
            let etag = etag.clone();
            async move {
                let mut get = self.transfer_get(bucket, key, options, config);
                if let Some((offset, len)) = range {
                    let range = format!("bytes={offset}-{}", offset + len - 1);
                    get.set("Range", Value::String(range));
                }
                if let Some(etag) = etag {
                    get.set("IfMatch", Value::String(etag));
                }
                let call = get.into_call().await?;
                let mut bytes = Vec::new();
                self.run(&call, &mut Sink::Writer(&mut bytes), None).await?;
                let expected = range.map_or(total, |(_, len)| len);
                if bytes.len() as u64 != expected {
                    return Err(Error::InvalidResponse(format!(
                        "GetObject brought {} bytes of {expected}",
                        bytes.len()
                    )));
                }
                Ok::<_, Error>(bytes)
            }
        };
        let mut written = 0u64;
        if total <= part_size {
            // One GET, checked before anything is written.
            let bytes = fetch(None).await?;
            if let Some(hasher) = hasher.take() {
                hasher_check(bucket, key, full_object.as_ref(), hasher, &bytes)?;
            }
            writer.write_all(&bytes).await.map_err(writer_error)?;
            written = bytes.len() as u64;
        } else {
            let ranges = (0..total.div_ceil(part_size))
                .map(|i| Some((i * part_size, part_size.min(total - i * part_size))));
            let fetched = futures_util::stream::iter(ranges)
                .map(fetch)
                .buffered(config.concurrency.max(1));
            futures_util::pin_mut!(fetched);
            while let Some(bytes) = fetched.next().await {
                let bytes = bytes?;
                if let Some(hasher) = &mut hasher {
                    hasher.update(&bytes);
                }
                writer.write_all(&bytes).await.map_err(writer_error)?;
                written += bytes.len() as u64;
            }
            if let Some(hasher) = hasher {
                hasher_check(bucket, key, full_object.as_ref(), hasher, &[])?;
            }
        }
        writer.flush().await.map_err(writer_error)?;
        if written != total {
            return Err(Error::InvalidResponse(format!(
                "downloaded {written} bytes of {total}"
            )));
        }
        Ok(envelope)
    }
}

/// Compare the stored full-object checksum with `hasher` fed `last` too.
fn hasher_check(
    bucket: &str,
    key: &str,
    stored: Option<&StoredChecksum>,
    mut hasher: Hasher,
    last: &[u8],
) -> Result<(), Error> {
    let Some(stored) = stored else { return Ok(()) };
    hasher.update(last);
    let computed = hasher.finish();
    if computed == stored.value {
        return Ok(());
    }
    Err(Error::ChecksumMismatch {
        bucket: bucket.to_string(),
        key: key.to_string(),
        algorithm: stored.algorithm.name().to_string(),
        expected: stored.value.clone(),
        computed,
    })
}

/// A writer that failed, named as the pipeline's sink names one.
fn writer_error(source: std::io::Error) -> Error {
    Error::File {
        path: std::path::PathBuf::from("-"),
        source,
    }
}

/// Set each option the operation has.
fn set_options(request: &mut Request, options: &DownloadOptions) {
    set_members(request, &options.members());
}

/// The object's length as the answer gives it, checked against what was written.
async fn checked_length(envelope: &Envelope, temp: &Path) -> Result<u64, Error> {
    let total = whole_size(envelope)?.unwrap_or(0);
    let written = tokio::fs::metadata(temp)
        .await
        .map_err(|source| Error::File {
            path: temp.to_path_buf(),
            source,
        })?
        .len();
    if written != total {
        return Err(Error::InvalidResponse(format!(
            "downloaded {written} bytes of {total}"
        )));
    }
    Ok(total)
}

/// A stretch of the downloaded file, with its checksum when it was computed as it was written.
struct Piece {
    offset: u64,
    len: u64,
    checksum: Option<String>,
}

impl Piece {
    fn unhashed(offset: u64, len: u64) -> Piece {
        Piece {
            offset,
            len,
            checksum: None,
        }
    }
}

impl Client {
    /// Check the file against the object's stored checksum. A full-object CRC is combined from
    /// the pieces' CRCs (a piece not hashed on the way is hashed from the file); a full-object SHA
    /// is computed over the file; a composite checksum (`…-N`) is checked part by part against
    /// the parts GetObjectAttributes lists (a part that is one of the ranges takes the range's
    /// value; others are hashed from the file). A server that cannot list the parts leaves a
    /// composite object checked by its length alone.
    async fn check_download(
        &self,
        bucket: &str,
        key: &str,
        temp: &Path,
        stored: &StoredChecksum,
        pieces: Vec<Piece>,
        options: &DownloadOptions,
    ) -> Result<(), Error> {
        let algorithm = stored.algorithm;
        let mismatch = |expected: String, computed: String| Error::ChecksumMismatch {
            bucket: bucket.to_string(),
            key: key.to_string(),
            algorithm: algorithm.name().to_string(),
            expected,
            computed,
        };
        let total = pieces.iter().map(|p| p.offset + p.len).max().unwrap_or(0);
        let computed = match stored.kind {
            ChecksumKind::Composite { parts } => {
                let listed = match self
                    .stored_parts(bucket, key, algorithm, &options.members())
                    .await
                {
                    Ok(Some(listed)) if listed.len() as u64 == parts => listed,
                    other => {
                        if self.debug {
                            eprintln!(
                                "s3op: s3://{bucket}/{key}: its parts' checksums are not \
                                 available ({other:?}): checked by length only"
                            );
                        }
                        return Ok(());
                    }
                };
                let hashed: Vec<(u64, u64, Option<String>)> = pieces
                    .iter()
                    .map(|p| (p.offset, p.len, p.checksum.clone()))
                    .collect();
                return match check_composite(temp, total, stored, &listed, &hashed).await? {
                    Ok(()) => Ok(()),
                    Err((expected, computed)) => Err(mismatch(expected, computed)),
                };
            }
            ChecksumKind::FullObject if algorithm.is_crc() => {
                let mut whole: Option<String> = None;
                for piece in pieces {
                    let sum = match piece.checksum {
                        Some(sum) => sum,
                        None => hash_file(temp, piece.offset, piece.len, algorithm).await?,
                    };
                    whole = Some(match whole {
                        None => sum,
                        Some(before) => {
                            combine(algorithm, &before, &sum, piece.len).ok_or_else(|| {
                                Error::InvalidResponse("a CRC did not combine".into())
                            })?
                        }
                    });
                }
                whole.unwrap_or_default()
            }
            ChecksumKind::FullObject => hash_file(temp, 0, total, algorithm).await?,
        };
        if computed == stored.value {
            return Ok(());
        }
        Err(mismatch(stored.value.clone(), computed))
    }
}

/// `algorithm`'s checksum of `len` bytes of the file from `offset`, on a blocking thread.
async fn hash_file(
    path: &Path,
    offset: u64,
    len: u64,
    algorithm: Algorithm,
) -> Result<String, Error> {
    let owned = path.to_path_buf();
    let digests = tokio::task::spawn_blocking(move || {
        crate::checksum::of_file(&owned, offset, len, false, Some(algorithm.name()))
    })
    .await
    .map_err(|e| Error::InvalidInput(format!("the checksum thread failed: {e}")))??;
    Ok(digests.checksum.unwrap_or_default())
}

/// The object's size from a GET's answer: the total of a 206's `Content-Range`, or a 200's length.
fn whole_size(head: &Envelope) -> Result<Option<u64>, Error> {
    let answer: GetObjectOutput = head.parse()?;
    Ok(match head.status {
        206 => answer
            .content_range()
            .and_then(parse_content_range)
            .and_then(|(_, _, total)| total),
        _ => answer.content_length().map(|n| n.max(0) as u64),
    })
}

impl Client {
    /// The HEAD a download starts with: the download's members, and checksum mode when downloads
    /// are checked (so the stored checksum comes back).
    fn download_head(&self, bucket: &str, key: &str, options: &DownloadOptions) -> Request {
        let mut head = self.head_object().bucket(bucket).key(key).request();
        set_options(&mut head, options);
        if self.validates_downloads() {
            head = with_checksum_mode(head);
        }
        head
    }
}

/// The object's size from a HEAD's Content-Length.
fn head_length(envelope: &Envelope) -> Result<u64, Error> {
    envelope
        .headers
        .get("content-length")
        .and_then(|n| n.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            Error::InvalidResponse("HeadObject answered without a Content-Length".into())
        })
}
