//! Uploads: a file or a stream to one object. Up to the threshold, one PutObject; above it, a
//! multipart upload whose parts go up in parallel (file parts streamed from disk at their offsets,
//! stream parts read into memory one per slot), completed in order, or aborted when any part fails
//! after the pipeline's retries, so no parts are left billed. Uploads from an http(s) URL stream the
//! source through the same path. A resumable file upload (`TransferConfig::journal_dir`) is not
//! aborted: it journals each part as it finishes, and run again it sends only the parts ListParts
//! does not confirm, or starts over (aborting the old upload) when the source or settings changed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use std::future::Future;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;

use super::attributes::set_members;
use super::guard::Registration;
use super::integrity::{completed_part, full_object, hash_bytes, hashed_body, DonePart};
use super::journal::{self, Journal, PartRecord, UploadHeader};
use super::{
    notify, part_error, part_size_for, stream_part_size, TransferConfig, UploadOptions, MAX_PARTS,
};
use crate::checksum::Algorithm;
use crate::client::sink::Sink;
use crate::client::Client;
use crate::compat;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::types::{
    CompletedMultipartUpload, CreateMultipartUploadOutput, ListPartsOutput, UploadPartOutput,
};
use crate::value::{Body, Value};

/// Where an upload's bytes come from.
enum Source<'r> {
    File(PathBuf),
    Reader(&'r mut (dyn AsyncRead + Unpin + Send)),
}

impl Client {
    /// Upload a file to `bucket`/`key`: one PUT up to the threshold, parallel multipart above it.
    /// A multipart upload that cannot finish is aborted, leaving no parts behind; with
    /// `config.journal_dir` it is kept and journaled instead, and resumed by the same call.
    pub async fn upload_file(
        &self,
        path: impl AsRef<Path>,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let path = path.as_ref().to_path_buf();
        let size = tokio::fs::metadata(&path)
            .await
            .map_err(|source| Error::File {
                path: path.clone(),
                source,
            })?
            .len();
        if size <= config.multipart_threshold {
            // The checksum goes ahead of the body as a header.
            let algorithm = self.upload_checksum(config.checksum_algorithm);
            let (body, checksum) = hashed_body(&path, 0, size, algorithm).await?;
            let checksum = algorithm.zip(checksum);
            let mut request = self
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(body)
                .request()
                .unsigned_payload()
                .checksum_optional();
            set_members(&mut request, &options.create_members());
            if let Some((algorithm, sum)) = checksum {
                request.set(algorithm.member(), Value::String(sum));
                request.set("ChecksumAlgorithm", Value::String(algorithm.name().into()));
            }
            if let Some(p) = &config.progress {
                request = request.on_progress(p.clone());
            }
            return request.send().await;
        }
        if let Some(dir) = &config.journal_dir {
            return self
                .resumable_upload(&path, dir, bucket, key, options, config)
                .await;
        }
        self.multipart_upload(Source::File(path), Some(size), bucket, key, options, config)
            .await
    }

    /// Upload everything `reader` yields (stdin, a network stream): parts of `part_size` are read
    /// into memory one at a time per slot, so at most part size × concurrency bytes are held.
    pub async fn upload_reader(
        &self,
        reader: &mut (dyn AsyncRead + Unpin + Send),
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        // Read up to the threshold first: a small stream is one PUT.
        let first = read_up_to(reader, config.multipart_threshold.saturating_add(1)).await?;
        if (first.len() as u64) <= config.multipart_threshold {
            let checksum = match self.upload_checksum(config.checksum_algorithm) {
                Some(a) => Some((a, hash_bytes(a, first.clone()).await?)),
                None => None,
            };
            let mut request = self
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(Body::Bytes(first))
                .request()
                .unsigned_payload()
                .checksum_optional();
            set_members(&mut request, &options.create_members());
            if let Some((algorithm, sum)) = checksum {
                request.set(algorithm.member(), Value::String(sum));
                request.set("ChecksumAlgorithm", Value::String(algorithm.name().into()));
            }
            let len = request_len(&request);
            let envelope = request.send().await?;
            if let Some(p) = &config.progress {
                p(len);
            }
            return Ok(envelope);
        }
        let mut chained = PrefixedReader {
            prefix: first,
            reader,
        };
        self.multipart_upload(
            Source::Reader(&mut chained),
            None,
            bucket,
            key,
            options,
            config,
        )
        .await
    }

    /// Upload what an http(s) URL serves (OPI's upload from a link), streamed: one PUT up to the
    /// threshold, multipart above it, holding at most part size × concurrency bytes. A source that
    /// answers with an HTTP error or breaks off leaves nothing in the bucket: no object, and the
    /// multipart upload, if one was started, aborted.
    pub async fn upload_from_url(
        &self,
        url: &str,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::InvalidInput(format!("{url}: not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::InvalidInput(format!(
                "{url}: only http and https sources can be copied"
            )));
        }
        let source_error = |message: String| Error::Transport {
            method: "GET".into(),
            url: strip_secrets(&parsed),
            message,
            timeout: false,
        };
        // The source is fetched through the pipeline like every request (retried, and resumed
        // where it gives an ETag), unsigned, into a pipe the upload reads from.
        let fetch_call = self.request("GET", url).anonymous().into_call(true).await?;
        let (mut pipe_in, pipe_out) = tokio::io::duplex(1024 * 1024);
        let (headers_tx, headers_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        let fetch = async move {
            let mut sink = Sink::Writer(&mut pipe_in);
            let result = self.run(&fetch_call, &mut sink, Some(headers_tx)).await;
            // Said before the pipe closes, so the upload reads a failed source as an error.
            let _ = done_tx.send(result.is_ok());
            drop(sink);
            drop(pipe_in);
            result
        };
        let upload = async {
            let Ok(head) = headers_rx.await else {
                return Ok(None);
            };
            let mut options = options.clone();
            if let Some(ct) = head.headers.get("content-type") {
                if options.attributes.content_type.is_none() {
                    options.attributes.content_type = Some(ct.clone());
                }
            }
            let mut reader = SourceReader {
                pipe: pipe_out,
                done: done_rx,
            };
            self.upload_reader(&mut reader, bucket, key, &options, config)
                .await
                .map(Some)
        };
        let (fetched, uploaded) = tokio::join!(fetch, upload);
        match (fetched, uploaded) {
            (Err(Error::Service(answer)), _) => Err(source_error(format!(
                "the source answered {}",
                answer.status
            ))),
            (Err(e), _) => Err(e),
            (Ok(_), Ok(Some(envelope))) => Ok(envelope),
            (Ok(_), Ok(None)) => Err(source_error("the source sent no answer".into())),
            (Ok(_), Err(Error::File { path, source })) if path.as_os_str() == "-" => {
                Err(source_error(source.to_string()))
            }
            (Ok(_), Err(e)) => Err(e),
        }
    }

    async fn multipart_upload(
        &self,
        source: Source<'_>,
        size: Option<u64>,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        // A file's part size is fixed by its size; a stream's starts at the configured size and grows
        // as it goes (see `stream_part_size`).
        let part_size = part_size_for(size.unwrap_or(0), config.part_size)?;
        let algorithm = self.upload_checksum(config.checksum_algorithm);
        let upload_id = self.create_upload(bucket, key, options, algorithm).await?;
        let registration =
            Registration::new(config.tracker.as_ref(), self, bucket, key, &upload_id);
        // A server that refused the checksum headers had them taken off: no checksums then.
        let algorithm = algorithm.filter(|_| !self.checksums_refused());
        let result = self
            .finish_multipart(
                source,
                size,
                part_size,
                &registration,
                algorithm,
                &options.part_members(),
                config,
            )
            .await;
        registration.ended();
        result
    }

    /// CreateMultipartUpload with the upload's options and checksum algorithm: the upload id.
    async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        algorithm: Option<Algorithm>,
    ) -> Result<String, Error> {
        let mut create = self
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .request()
            .checksum_optional();
        set_members(&mut create, &options.create_members());
        if let Some(a) = algorithm {
            create.set("ChecksumAlgorithm", Value::String(a.name().into()));
            create.set("ChecksumType", Value::String(checksum_type(a).into()));
        }
        let created: CreateMultipartUploadOutput = create.send().await?.parse()?;
        created.upload_id.ok_or_else(|| {
            Error::InvalidResponse("CreateMultipartUpload answered without an UploadId".into())
        })
    }

    /// A multipart upload of a file with a journal in `dir`: resumed from the journal when it
    /// matches the file and the server confirms its parts, else started over (the old upload
    /// aborted, the reason told to `config.notice`). A failure leaves the upload open and the
    /// journal in place; a completed upload removes its journal.
    async fn resumable_upload(
        &self,
        path: &Path,
        dir: &Path,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let (source, size, mtime_ns) = journal::source_identity(path)?;
        let part_size = part_size_for(size, config.part_size)?;
        let algorithm = self.upload_checksum(config.checksum_algorithm);
        let endpoint = self.endpoint().map(|u| u.to_string()).unwrap_or_default();
        let journal_path = journal::upload_journal_path(dir, &endpoint, bucket, key, &source);
        let wanted = UploadHeader {
            source,
            size,
            mtime_ns,
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: String::new(),
            part_size,
            algorithm: algorithm.map(|a| a.name().to_string()),
        };
        let part_members = options.part_members();
        let resumed = match journal::read::<UploadHeader, PartRecord>(&journal_path)? {
            None => None,
            Some((old, records)) => {
                let confirmed = match old.differs_from(&wanted) {
                    Some(reason) => Err(reason),
                    None => self.confirm_parts(&old, &records, &part_members).await?,
                };
                match confirmed {
                    Ok(parts) => Some((old.upload_id, parts)),
                    Err(reason) => {
                        notify(config, format!("{reason}: starting over"));
                        self.abort_upload(&old.bucket, &old.key, &old.upload_id)
                            .await;
                        journal::remove(&journal_path);
                        None
                    }
                }
            }
        };
        let (upload_id, finished, journal) = match resumed {
            Some((upload_id, finished)) => (upload_id, finished, Journal::reopen(&journal_path)?),
            None => {
                let upload_id = self.create_upload(bucket, key, options, algorithm).await?;
                let header = UploadHeader {
                    upload_id: upload_id.clone(),
                    ..wanted
                };
                let journal = match Journal::create(&journal_path, &header) {
                    Ok(journal) => journal,
                    Err(e) => {
                        // Without a journal the upload could never be resumed: do not leave it.
                        self.abort_upload(bucket, key, &upload_id).await;
                        return Err(e);
                    }
                };
                (upload_id, Vec::new(), journal)
            }
        };
        let registration = Registration::resumable(self, bucket, key, &upload_id);
        let algorithm = algorithm.filter(|_| !self.checksums_refused());
        let target = PartTarget {
            bucket,
            key,
            upload_id: &upload_id,
            algorithm,
            members: &part_members,
        };
        let skip: HashSet<u64> = finished.iter().map(|part| part.number).collect();
        if let Some(p) = &config.progress {
            p(finished.iter().map(|part| part.len).sum());
        }
        let uploaded = self
            .upload_file_parts(
                path,
                size,
                part_size,
                &target,
                config,
                &skip,
                Some(&journal),
            )
            .await;
        let mut parts = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                // The upload stays open for the next run, unless the server no longer knows it.
                if e.code() == Some("NoSuchUpload") {
                    journal.remove();
                }
                return Err(e);
            }
        };
        parts.extend(finished);
        parts.sort_by_key(|part| part.number);
        let full = algorithm.map(|a| (a, full_object(a, &parts)));
        let completed = self
            .complete_or_abort(&registration, &parts, full, &part_members)
            .await;
        // Completed, or refused and aborted: either way there is nothing left to resume.
        journal.remove();
        completed
    }

    /// The journaled parts of `old`'s upload that the server confirms (ListParts, every page):
    /// `Ok(Err(reason))` when the upload is gone or a journaled part is not there as recorded.
    async fn confirm_parts(
        &self,
        old: &UploadHeader,
        records: &[PartRecord],
        members: &[(&'static str, Value)],
    ) -> Result<Result<Vec<DonePart>, String>, Error> {
        let mut on_server: BTreeMap<u64, (Option<String>, Option<i64>)> = BTreeMap::new();
        let mut marker: Option<i64> = None;
        loop {
            let mut list = self
                .list_parts()
                .bucket(&old.bucket)
                .key(&old.key)
                .upload_id(&old.upload_id);
            if let Some(m) = marker {
                list = list.part_number_marker(m);
            }
            let mut list = list.request();
            set_members(&mut list, members);
            let page: ListPartsOutput = match list.send().await {
                Ok(envelope) => envelope.parse()?,
                Err(e)
                    if e.code() == Some("NoSuchUpload")
                        || e.envelope().is_some_and(|a| a.status == 404) =>
                {
                    return Ok(Err(format!(
                        "the server no longer knows upload {}",
                        old.upload_id
                    )));
                }
                Err(e) => return Err(e),
            };
            for part in page.parts {
                if let Some(n) = part.part_number {
                    on_server.insert(n.max(0) as u64, (part.e_tag, part.size));
                }
            }
            let next = page.next_part_number_marker;
            if page.is_truncated != Some(true) || next.is_none() || next == marker {
                break;
            }
            marker = next;
        }
        let mut parts: BTreeMap<u64, DonePart> = BTreeMap::new();
        for record in records {
            // A part is confirmed by its ETag, and its size where listed. s3s-fs 0.14.1 lists
            // parts without ETags: there, the part's presence and size are all there is.
            let confirmed = on_server.get(&record.number).is_some_and(|(etag, size)| {
                etag.as_deref()
                    .is_none_or(|etag| same_etag(etag, &record.etag))
                    && size.is_none_or(|s| u64::try_from(s).ok() == Some(record.len))
            });
            if !confirmed {
                return Ok(Err(format!(
                    "part {} of upload {} is not on the server as the journal recorded it",
                    record.number, old.upload_id
                )));
            }
            parts.insert(
                record.number,
                DonePart {
                    number: record.number,
                    etag: record.etag.clone(),
                    checksum: record.checksum.clone(),
                    len: record.len,
                },
            );
        }
        Ok(Ok(parts.into_values().collect()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish_multipart(
        &self,
        source: Source<'_>,
        size: Option<u64>,
        part_size: u64,
        registration: &Registration,
        algorithm: Option<Algorithm>,
        members: &[(&'static str, Value)],
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let (bucket, key, upload_id) = registration.target();
        let target = PartTarget {
            bucket,
            key,
            upload_id,
            algorithm,
            members,
        };
        let uploaded = match source {
            Source::File(path) => {
                let size = size.unwrap_or(0);
                let none = HashSet::new();
                self.upload_file_parts(&path, size, part_size, &target, config, &none, None)
                    .await
            }
            Source::Reader(reader) => {
                self.upload_reader_parts(reader, part_size, &target, config)
                    .await
            }
        };
        let parts = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                if !self.abort_upload(bucket, key, upload_id).await {
                    registration.abort_failed();
                }
                return Err(e);
            }
        };
        // A CRC's full-object value is combined from the parts' (nothing is read again).
        let full = algorithm.map(|a| (a, full_object(a, &parts)));
        self.complete_or_abort(registration, &parts, full, members)
            .await
    }

    /// Complete a multipart upload from its parts (sorted by number), or abort it if S3 will not.
    /// With `checksum`, the parts are listed with their checksums, and a full-object value (a
    /// CRC's) is sent with `x-amz-checksum-type: FULL_OBJECT`.
    pub(crate) async fn complete_or_abort(
        &self,
        registration: &Registration,
        parts: &[DonePart],
        checksum: Option<(Algorithm, Option<String>)>,
        members: &[(&'static str, Value)],
    ) -> Result<Envelope, Error> {
        let (bucket, key, upload_id) = registration.target();
        let algorithm = checksum.as_ref().map(|(a, _)| *a);
        let listed = parts
            .iter()
            .map(|part| completed_part(part, algorithm))
            .collect();
        let mut complete = self
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload { parts: listed })
            .request()
            .checksum_optional();
        set_members(&mut complete, members);
        if let Some((algorithm, full)) = &checksum {
            complete.set(
                "ChecksumType",
                Value::String(checksum_type(*algorithm).into()),
            );
            if let Some(full) = full {
                complete.set(algorithm.member(), Value::String(full.clone()));
            }
        }
        let completed = complete.send().await;
        if completed.is_err() && !self.abort_upload(bucket, key, upload_id).await {
            registration.abort_failed();
        }
        let mut completed = completed?;
        if compat::completion_lacks_etag(&completed.response) {
            // Ceph RGW 16.2.15: the object's ETag is only in HeadObject's answer.
            let mut head = self.head_object().bucket(bucket).key(key).request();
            // The write's keys, not its condition (a HEAD with If-None-Match: * answers 304).
            let keys: Vec<_> = members
                .iter()
                .filter(|(name, _)| *name != "IfNoneMatch")
                .cloned()
                .collect();
            set_members(&mut head, &keys);
            if let Ok(head) = head.send().await {
                if let Some(etag) = head.headers.get("etag") {
                    completed.response["ETag"] = serde_json::Value::String(etag.clone());
                }
            }
        }
        Ok(completed)
    }

    /// Abort a multipart upload (the pipeline retries it): parts left behind are billed forever.
    /// True when the upload is gone (aborted, or already unknown to the server).
    pub(crate) async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> bool {
        match self
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) => e.envelope().is_some_and(|answer| answer.status == 404),
        }
    }

    /// Upload the file's parts but those in `skip`, recording each in `journal` as it finishes.
    #[allow(clippy::too_many_arguments)]
    async fn upload_file_parts(
        &self,
        path: &Path,
        size: u64,
        part_size: u64,
        target: &PartTarget<'_>,
        config: &TransferConfig,
        skip: &HashSet<u64>,
        journal: Option<&Journal>,
    ) -> Result<Vec<DonePart>, Error> {
        let count = size.div_ceil(part_size).max(1);
        let parts = futures_util::stream::iter((1..=count).filter(|n| !skip.contains(n)))
            .map(|number| {
                let offset = (number - 1) * part_size;
                let len = part_size.min(size - offset);
                async move {
                    // The checksum goes ahead of the body as a header.
                    let (body, checksum) = hashed_body(path, offset, len, target.algorithm).await?;
                    let part = self
                        .upload_one_part(target, number, body, len, checksum, config)
                        .await?;
                    if let Some(journal) = journal {
                        journal.append(&PartRecord {
                            number: part.number,
                            etag: part.etag.clone(),
                            checksum: part.checksum.clone(),
                            len: part.len,
                        })?;
                    }
                    Ok::<_, Error>(part)
                }
            })
            .buffer_unordered(config.concurrency.max(1));
        let mut done: Vec<DonePart> = parts.try_collect().await?;
        done.sort_by_key(|part| part.number);
        Ok(done)
    }

    async fn upload_reader_parts(
        &self,
        reader: &mut (dyn AsyncRead + Unpin + Send),
        part_size: u64,
        target: &PartTarget<'_>,
        config: &TransferConfig,
    ) -> Result<Vec<DonePart>, Error> {
        let slots = config.concurrency.max(1);
        let mut in_flight = futures_util::stream::FuturesUnordered::new();
        let mut done = Vec::new();
        let mut number = 0u64;
        loop {
            // Keep at most `slots` parts in memory: wait for one to finish before reading another.
            while in_flight.len() >= slots {
                if let Some(result) = in_flight.next().await {
                    done.push(result?);
                }
            }
            let this_part = stream_part_size(part_size, number + 1);
            let chunk = read_up_to(reader, this_part).await?;
            if chunk.is_empty() && number > 0 {
                break;
            }
            number += 1;
            if number > MAX_PARTS {
                return Err(Error::InvalidInput(
                    "the stream is longer than 10,000 parts allow".into(),
                ));
            }
            let last = (chunk.len() as u64) < this_part;
            let part_number = number;
            in_flight.push(async move {
                let len = chunk.len() as u64;
                let checksum = match target.algorithm {
                    Some(a) => Some(hash_bytes(a, chunk.clone()).await?),
                    None => None,
                };
                self.upload_one_part(
                    target,
                    part_number,
                    Body::Bytes(chunk),
                    len,
                    checksum,
                    config,
                )
                .await
            });
            if last {
                break;
            }
        }
        while let Some(result) = in_flight.next().await {
            done.push(result?);
        }
        done.sort_by_key(|part| part.number);
        Ok(done)
    }

    /// Upload one part (the client's retry policy replays it from the file or memory), with its
    /// checksum when it has one; the error names the part.
    async fn upload_one_part(
        &self,
        target: &PartTarget<'_>,
        number: u64,
        body: Body,
        len: u64,
        checksum: Option<String>,
        config: &TransferConfig,
    ) -> Result<DonePart, Error> {
        let mut request = self
            .upload_part()
            .bucket(target.bucket)
            .key(target.key)
            .upload_id(target.upload_id)
            .part_number(number as i64)
            .body(body)
            .request()
            .unsigned_payload()
            .checksum_optional();
        set_members(&mut request, target.members);
        if let (Some(a), Some(sum)) = (target.algorithm, &checksum) {
            request.set(a.member(), Value::String(sum.clone()));
            request.set("ChecksumAlgorithm", Value::String(a.name().into()));
        }
        if let Some(attempts) = config.part_attempts {
            request = request.max_attempts(attempts);
        }
        if let Some(p) = &config.progress {
            request = request.on_progress(p.clone());
        }
        let envelope = request.send().await.map_err(|e| part_error(number, e))?;
        let uploaded: UploadPartOutput = envelope.parse()?;
        match uploaded.e_tag {
            Some(etag) => Ok(DonePart {
                number,
                etag,
                // A server that refused the header was sent the part without it.
                checksum: checksum.filter(|_| !self.checksums_refused()),
                len,
            }),
            None => Err(Error::InvalidResponse(format!(
                "UploadPart {number} answered without an ETag"
            ))),
        }
    }
}

/// ETags compared as S3 means them: the quotes are not part of the value.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim().trim_matches('"') == b.trim().trim_matches('"')
}

/// The multipart upload parts go to, the checksum they carry, and the members every part
/// carries (an SSE-C key, the requester-pays acknowledgement).
struct PartTarget<'a> {
    bucket: &'a str,
    key: &'a str,
    upload_id: &'a str,
    algorithm: Option<Algorithm>,
    members: &'a [(&'static str, Value)],
}

/// `FULL_OBJECT` for a CRC (the parts combine into the object's CRC), `COMPOSITE` otherwise.
fn checksum_type(algorithm: Algorithm) -> &'static str {
    if algorithm.is_crc() {
        "FULL_OBJECT"
    } else {
        "COMPOSITE"
    }
}

fn request_len(request: &crate::client::Request) -> u64 {
    request
        .prepare()
        .map(|p| match p.body {
            crate::client::prepare::PreparedBody::Bytes(b) => b.len() as u64,
            _ => 0,
        })
        .unwrap_or(0)
}

/// Read until `limit` bytes or the end of the stream.
async fn read_up_to(
    reader: &mut (dyn AsyncRead + Unpin + Send),
    limit: u64,
) -> Result<Bytes, Error> {
    let mut buf = BytesMut::with_capacity(limit.min(64 * 1024 * 1024) as usize);
    let mut taken = reader.take(limit);
    loop {
        let n = taken
            .read_buf(&mut buf)
            .await
            .map_err(|source| Error::File {
                path: PathBuf::from("-"),
                source,
            })?;
        if n == 0 {
            break;
        }
    }
    Ok(buf.freeze())
}

/// A URL for messages: no user info, no query (either may carry a credential).
fn strip_secrets(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.to_string()
}

/// The upload's side of the pipe from a source: the bytes as they come, and at the end of the pipe
/// an error unless the fetch said it succeeded, so a source that failed half-way never ends an
/// upload as if it were complete.
struct SourceReader {
    pipe: tokio::io::DuplexStream,
    done: oneshot::Receiver<bool>,
}

impl AsyncRead for SourceReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let before = buf.filled().len();
        match std::pin::Pin::new(&mut self.pipe).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before => {
                match std::pin::Pin::new(&mut self.done).poll(cx) {
                    Poll::Ready(Ok(true)) => Poll::Ready(Ok(())),
                    Poll::Ready(_) => Poll::Ready(Err(std::io::Error::other(
                        "the source broke off before its end",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            other => other,
        }
    }
}

/// A reader that yields `prefix` first, then the rest of `reader`.
struct PrefixedReader<'r> {
    prefix: Bytes,
    reader: &'r mut (dyn AsyncRead + Unpin + Send),
}

impl AsyncRead for PrefixedReader<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let head = self.prefix.split_to(n);
            buf.put_slice(&head);
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut *self.reader).poll_read(cx, buf)
    }
}
