//! Whole-object transfers built on the generated operations: uploads (one PUT below the threshold,
//! parallel multipart above it, aborted when they cannot finish), downloads (parallel ranged GETs
//! written at their offsets into a temporary file beside the target, verified, then renamed), and
//! server-side copies (CopyObject up to 5 GiB, UploadPartCopy above). Memory stays bounded by part
//! size × concurrency whatever the object size: file parts are streamed from disk, never buffered.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::client::{Client, Progress};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::value::Body;

/// Transfers in flight in this process: multipart uploads not yet completed or aborted, and
/// temporary download files not yet renamed or removed. When the process is interrupted (the CLI's
/// Ctrl-C and SIGTERM handling) [`abort_in_flight`] aborts the uploads and deletes the files, so an
/// interrupted transfer leaves no parts billed and no half-written file behind.
struct InFlight {
    uploads: Vec<(u64, Client, String, String, String)>,
    temp_files: Vec<PathBuf>,
    next: u64,
}

static IN_FLIGHT: std::sync::Mutex<InFlight> = std::sync::Mutex::new(InFlight {
    uploads: Vec::new(),
    temp_files: Vec::new(),
    next: 0,
});

fn in_flight() -> std::sync::MutexGuard<'static, InFlight> {
    // A panic while holding the lock leaves plain data behind: keep using it.
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn register_upload(client: &Client, bucket: &str, key: &str, upload_id: &str) -> u64 {
    let mut state = in_flight();
    state.next += 1;
    let id = state.next;
    state.uploads.push((
        id,
        client.clone(),
        bucket.to_string(),
        key.to_string(),
        upload_id.to_string(),
    ));
    id
}

fn unregister_upload(id: u64) {
    in_flight().uploads.retain(|(i, ..)| *i != id);
}

/// Note a temporary file that must not outlive an interrupted transfer.
pub fn register_temp_file(path: &Path) {
    in_flight().temp_files.push(path.to_path_buf());
}

/// The temporary file was renamed into place or removed.
pub fn unregister_temp_file(path: &Path) {
    in_flight().temp_files.retain(|p| p != path);
}

/// Abort every multipart upload in flight and delete every temporary download file. Returns how
/// many uploads were aborted. Call after cancelling the transfers (dropping their futures).
pub async fn abort_in_flight() -> usize {
    let (uploads, files) = {
        let mut state = in_flight();
        (
            std::mem::take(&mut state.uploads),
            std::mem::take(&mut state.temp_files),
        )
    };
    for path in files {
        let _ = tokio::fs::remove_file(&path).await;
    }
    let count = uploads.len();
    let aborts = uploads
        .into_iter()
        .map(|(_, client, bucket, key, upload_id)| async move {
            client.abort_upload(&bucket, &key, &upload_id).await;
        });
    futures_util::future::join_all(aborts).await;
    count
}

/// S3's multipart limits.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
pub const MAX_PARTS: u64 = 10_000;
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// The largest object CopyObject copies in one request.
pub const MAX_COPY_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// How transfers split and parallelise their work.
#[derive(Clone)]
pub struct TransferConfig {
    /// Bytes per part (uploads, copies) and per ranged GET (downloads). Grown automatically so no
    /// object needs more than 10,000 parts.
    pub part_size: u64,
    /// Objects at or below this size go in one request.
    pub multipart_threshold: u64,
    /// Parts or ranges in flight at once.
    pub concurrency: usize,
    /// Attempts per part or range before the transfer gives up (and aborts an upload).
    pub part_attempts: u32,
    /// Told of every byte sent or received.
    pub progress: Option<Progress>,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            part_size: 16 * 1024 * 1024,
            multipart_threshold: 16 * 1024 * 1024,
            concurrency: 8,
            part_attempts: 3,
            progress: None,
        }
    }
}

impl std::fmt::Debug for TransferConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferConfig")
            .field("part_size", &self.part_size)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("concurrency", &self.concurrency)
            .field("part_attempts", &self.part_attempts)
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

/// Where an upload's bytes come from.
enum Source<'r> {
    File(PathBuf),
    Reader(&'r mut (dyn AsyncRead + Unpin + Send)),
}

/// Options of an upload beyond bucket and key: members of PutObject/CreateMultipartUpload such as
/// `ContentType` or `Metadata`, set by S3 API name.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    pub values: Vec<(&'static str, crate::value::Value)>,
}

impl Client {
    /// Upload a file to `bucket`/`key`: one PUT up to the threshold, parallel multipart above it.
    /// A multipart upload that cannot finish is aborted, leaving no parts behind.
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
            let mut request = self
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(Body::File(path))
                .request();
            for (name, value) in &options.values {
                request.set(name, value.clone());
            }
            if let Some(p) = &config.progress {
                request = request.on_progress(p.clone());
            }
            return request.send().await;
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
            let mut request = self
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(Body::Bytes(first))
                .request()
                .unsigned_payload();
            for (name, value) in &options.values {
                request.set(name, value.clone());
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
        let response = reqwest::Client::new()
            .get(parsed.clone())
            .send()
            .await
            .map_err(|e| source_error(format!("the source did not answer: {e}")))?;
        if !response.status().is_success() {
            return Err(source_error(format!(
                "the source answered {}",
                response.status()
            )));
        }
        let mut values = options.values.clone();
        if let Some(ct) = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            if !values.iter().any(|(n, _)| *n == "ContentType") {
                values.push(("ContentType", crate::value::Value::String(ct.to_string())));
            }
        }
        let expected = response.content_length();
        let stream = response.bytes_stream().map(|chunk| {
            chunk.map_err(|e| std::io::Error::other(format!("the source broke off: {e}")))
        });
        let mut reader = tokio_util::io::StreamReader::new(stream);
        let mut counted = CountingReader {
            inner: &mut reader,
            count: 0,
        };
        let options = UploadOptions { values };
        let result = self
            .upload_reader(&mut counted, bucket, key, &options, config)
            .await;
        if let (Ok(_), Some(expected)) = (&result, expected) {
            if counted.count != expected {
                // The object went up short: remove it rather than leave a truncated copy.
                let _ = self.delete_object().bucket(bucket).key(key).send().await;
                return Err(source_error(format!(
                    "the source sent {} of {expected} bytes",
                    counted.count
                )));
            }
        }
        result.map_err(|e| match e {
            Error::File { path, source } if path.as_os_str() == "-" => {
                source_error(source.to_string())
            }
            other => other,
        })
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
        let mut create = self
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .request();
        for (name, value) in &options.values {
            create.set(name, value.clone());
        }
        let created = create.send().await?;
        let Some(upload_id) = created.response["UploadId"].as_str().map(str::to_string) else {
            return Err(Error::InvalidResponse(
                "CreateMultipartUpload answered without an UploadId".into(),
            ));
        };
        let registration = register_upload(self, bucket, key, &upload_id);
        let result = self
            .finish_multipart(source, size, part_size, bucket, key, &upload_id, config)
            .await;
        unregister_upload(registration);
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish_multipart(
        &self,
        source: Source<'_>,
        size: Option<u64>,
        part_size: u64,
        bucket: &str,
        key: &str,
        upload_id: &str,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let upload_id = upload_id.to_string();
        let uploaded = match source {
            Source::File(path) => {
                let size = size.unwrap_or(0);
                self.upload_file_parts(&path, size, part_size, bucket, key, &upload_id, config)
                    .await
            }
            Source::Reader(reader) => {
                self.upload_reader_parts(reader, part_size, bucket, key, &upload_id, config)
                    .await
            }
        };
        let parts = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                self.abort_upload(bucket, key, &upload_id).await;
                return Err(e);
            }
        };
        self.complete_or_abort(bucket, key, &upload_id, &parts)
            .await
    }

    /// Complete a multipart upload from its parts (sorted by number), or abort it if S3 will not.
    async fn complete_or_abort(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u64, String)],
    ) -> Result<Envelope, Error> {
        let parts_json: Vec<serde_json::Value> = parts
            .iter()
            .map(|(n, etag)| json!({"ETag": etag, "PartNumber": n}))
            .collect();
        let completed = self
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload_json(json!({ "Parts": parts_json }))
            .send()
            .await;
        if completed.is_err() {
            self.abort_upload(bucket, key, upload_id).await;
        }
        completed
    }

    /// Abort a multipart upload, trying a few times: parts left behind are billed forever.
    async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) {
        for _ in 0..3 {
            match self
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await
            {
                Ok(_) => return,
                Err(Error::Service(e)) if e.status == 404 => return,
                Err(_) => continue,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_file_parts(
        &self,
        path: &Path,
        size: u64,
        part_size: u64,
        bucket: &str,
        key: &str,
        upload_id: &str,
        config: &TransferConfig,
    ) -> Result<Vec<(u64, String)>, Error> {
        let count = size.div_ceil(part_size).max(1);
        let parts = futures_util::stream::iter(1..=count)
            .map(|number| {
                let offset = (number - 1) * part_size;
                let len = part_size.min(size - offset);
                let body = Body::FileRange {
                    path: path.to_path_buf(),
                    offset,
                    len,
                };
                self.upload_one_part(bucket, key, upload_id, number, body, config)
            })
            .buffer_unordered(config.concurrency.max(1));
        let mut done: Vec<(u64, String)> = parts.try_collect().await?;
        done.sort_by_key(|(n, _)| *n);
        Ok(done)
    }

    async fn upload_reader_parts(
        &self,
        reader: &mut (dyn AsyncRead + Unpin + Send),
        part_size: u64,
        bucket: &str,
        key: &str,
        upload_id: &str,
        config: &TransferConfig,
    ) -> Result<Vec<(u64, String)>, Error> {
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
            in_flight.push(self.upload_one_part(
                bucket,
                key,
                upload_id,
                number,
                Body::Bytes(chunk),
                config,
            ));
            if last {
                break;
            }
        }
        while let Some(result) = in_flight.next().await {
            done.push(result?);
        }
        done.sort_by_key(|(n, _)| *n);
        Ok(done)
    }

    /// Upload one part (the client's retry policy replays it from the file or memory); the error
    /// names the part.
    async fn upload_one_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u64,
        body: Body,
        config: &TransferConfig,
    ) -> Result<(u64, String), Error> {
        let mut request = self
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number as i64)
            .body(body)
            .request()
            .unsigned_payload();
        if let Some(p) = &config.progress {
            request = request.on_progress(p.clone());
        }
        let envelope = request.send().await.map_err(|e| part_error(number, e))?;
        match envelope.headers.get("etag") {
            Some(etag) => Ok((number, etag.clone())),
            None => Err(Error::InvalidResponse(format!(
                "UploadPart {number} answered without an ETag"
            ))),
        }
    }

    /// Download `bucket`/`key` to `path`: parallel ranged GETs written at their offsets into a
    /// temporary file beside `path`, length verified, then renamed into place. On failure nothing is
    /// left under `path` (and no temporary file either).
    pub async fn download_file(
        &self,
        bucket: &str,
        key: &str,
        path: impl AsRef<Path>,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let path = path.as_ref();
        let temp = temp_path_for(path);
        register_temp_file(&temp);
        let result = self.download_into(bucket, key, &temp, config).await;
        let result = self.place_download(result, &temp, path).await;
        unregister_temp_file(&temp);
        result
    }

    async fn place_download(
        &self,
        result: Result<Envelope, Error>,
        temp: &Path,
        path: &Path,
    ) -> Result<Envelope, Error> {
        let temp = temp.to_path_buf();
        match result {
            Ok(envelope) => match tokio::fs::rename(&temp, path).await {
                Ok(()) => Ok(envelope),
                Err(source) => {
                    let _ = tokio::fs::remove_file(&temp).await;
                    Err(Error::File {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            },
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(e)
            }
        }
    }

    async fn download_into(
        &self,
        bucket: &str,
        key: &str,
        temp: &Path,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let part_size = config.part_size.max(1);
        // The first range tells the object's size and ETag; the rest are fetched in parallel, pinned
        // to that ETag so an object replaced mid-download fails instead of mixing two versions.
        let first = self
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes=0-{}", part_size - 1))
            .request()
            .send_streaming()
            .await;
        let (mut envelope, response) = match first {
            // An empty object has no byte 0: S3 answers 416 to any range. Ask for it whole.
            Err(Error::Service(e)) if e.status == 416 => {
                self.get_object()
                    .bucket(bucket)
                    .key(key)
                    .request()
                    .send_streaming()
                    .await?
            }
            other => other?,
        };
        let total = match (envelope.status, envelope.headers.get("content-range")) {
            (206, Some(range)) => parse_total(range).ok_or_else(|| {
                Error::InvalidResponse(format!("unreadable Content-Range {range:?}"))
            })?,
            _ => response.content_length().unwrap_or(0),
        };
        let etag = envelope.headers.get("etag").cloned();
        let file = tokio::fs::File::create(temp)
            .await
            .map_err(|source| Error::File {
                path: temp.to_path_buf(),
                source,
            })?;
        file.set_len(total).await.map_err(|source| Error::File {
            path: temp.to_path_buf(),
            source,
        })?;
        drop(file);
        let first_len = total.min(part_size);
        write_range(
            response,
            temp,
            0,
            if envelope.status == 206 {
                first_len
            } else {
                total
            },
            config.progress.as_ref(),
        )
        .await?;
        if envelope.status == 206 && total > part_size {
            let ranges: Vec<(u64, u64)> = (1..total.div_ceil(part_size))
                .map(|i| (i * part_size, part_size.min(total - i * part_size)))
                .collect();
            futures_util::stream::iter(ranges)
                .map(|(offset, len)| {
                    self.download_range(bucket, key, etag.as_deref(), temp, offset, len, config)
                })
                .buffer_unordered(config.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await?;
        }
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
        // The envelope describes the whole object, not the first range.
        envelope.status = 200;
        envelope.headers.remove("content-range");
        envelope
            .headers
            .insert("content-length".into(), total.to_string());
        Ok(envelope)
    }

    #[allow(clippy::too_many_arguments)]
    async fn download_range(
        &self,
        bucket: &str,
        key: &str,
        etag: Option<&str>,
        temp: &Path,
        offset: u64,
        len: u64,
        config: &TransferConfig,
    ) -> Result<(), Error> {
        let attempts = config.part_attempts.max(1);
        let mut last_error = None;
        for _ in 0..attempts {
            let mut get = self.get_object().bucket(bucket).key(key).range(format!(
                "bytes={}-{}",
                offset,
                offset + len - 1
            ));
            if let Some(etag) = etag {
                get = get.if_match(etag);
            }
            let result = match get.request().send_streaming().await {
                Ok((_, response)) => {
                    write_range(response, temp, offset, len, config.progress.as_ref()).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) if is_retryable(&e) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::InvalidResponse("no attempt made".into())))
    }

    /// Copy `source_bucket`/`source_key` to `bucket`/`key` inside S3: CopyObject up to 5 GiB (or the
    /// threshold), UploadPartCopy in parallel parts above.
    pub async fn copy_object_managed(
        &self,
        source_bucket: &str,
        source_key: &str,
        bucket: &str,
        key: &str,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let source = format!("{source_bucket}/{source_key}");
        let head = self
            .head_object()
            .bucket(source_bucket)
            .key(source_key)
            .send()
            .await?;
        let size: u64 = head
            .headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if size <= config.multipart_threshold.min(MAX_COPY_SIZE) {
            return self
                .copy_object()
                .bucket(bucket)
                .key(key)
                .copy_source(&source)
                .send()
                .await;
        }
        let part_size = part_size_for(size, config.part_size)?;
        // UploadPartCopy starts a new object: carry the source's type and metadata over, as
        // CopyObject's default (MetadataDirective COPY) would.
        let mut create = self.create_multipart_upload().bucket(bucket).key(key);
        for (header, value) in &head.headers {
            create = match header.as_str() {
                "content-type" => create.content_type(value),
                "content-encoding" => create.content_encoding(value),
                "content-language" => create.content_language(value),
                "content-disposition" => create.content_disposition(value),
                "cache-control" => create.cache_control(value),
                _ => create,
            };
        }
        let metadata: Vec<(String, String)> = head
            .headers
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("x-amz-meta-")
                    .map(|name| (name.to_string(), v.clone()))
            })
            .collect();
        if !metadata.is_empty() {
            create = create.metadata(metadata);
        }
        let created = create.send().await?;
        let Some(upload_id) = created.response["UploadId"].as_str().map(str::to_string) else {
            return Err(Error::InvalidResponse(
                "CreateMultipartUpload answered without an UploadId".into(),
            ));
        };
        let registration = register_upload(self, bucket, key, &upload_id);
        let count = size.div_ceil(part_size);
        let copied = futures_util::stream::iter(1..=count)
            .map(|number| {
                let start = (number - 1) * part_size;
                let end = (start + part_size).min(size) - 1;
                let source = source.clone();
                let upload_id = upload_id.clone();
                async move {
                    let envelope = self
                        .upload_part_copy()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(&upload_id)
                        .part_number(number as i64)
                        .copy_source(&source)
                        .copy_source_range(format!("bytes={start}-{end}"))
                        .send()
                        .await
                        .map_err(|e| part_error(number, e))?;
                    let etag = envelope.response["ETag"]
                        .as_str()
                        .map(str::to_string)
                        .ok_or_else(|| {
                            Error::InvalidResponse(format!(
                                "UploadPartCopy {number} answered without an ETag"
                            ))
                        })?;
                    Ok::<_, Error>((number, etag))
                }
            })
            .buffer_unordered(config.concurrency.max(1))
            .try_collect::<Vec<_>>()
            .await;
        let mut parts = match copied {
            Ok(parts) => parts,
            Err(e) => {
                self.abort_upload(bucket, key, &upload_id).await;
                unregister_upload(registration);
                return Err(e);
            }
        };
        parts.sort_by_key(|(n, _)| *n);
        let completed = self
            .complete_or_abort(bucket, key, &upload_id, &parts)
            .await;
        unregister_upload(registration);
        completed
    }
}

/// Errors worth another attempt: transport failures and S3's 5xx/throttling answers.
fn is_retryable(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Service(envelope) => {
            envelope.status >= 500
                || matches!(
                    envelope.error_code(),
                    Some("SlowDown" | "InternalError" | "RequestTimeout" | "ServiceUnavailable")
                )
        }
        Error::InvalidResponse(_) => true,
        _ => false,
    }
}

/// Name the part in a failure; the S3 error (and its envelope) stays inside.
fn part_error(number: u64, e: Error) -> Error {
    Error::Part {
        number,
        source: Box::new(e),
    }
}

fn request_len(request: &crate::client::Request) -> u64 {
    request
        .prepare()
        .map(|p| match p.body {
            crate::request::PreparedBody::Bytes(b) => b.len() as u64,
            _ => 0,
        })
        .unwrap_or(0)
}

/// `bytes 0-99/1234` → 1234.
fn parse_total(content_range: &str) -> Option<u64> {
    content_range
        .rsplit_once('/')
        .and_then(|(_, total)| total.trim().parse().ok())
}

/// The temporary name a download is written under: hidden, beside the target, unique per process.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{name}.s3op-{}-{n}.part", std::process::id()))
}

/// Stream a response body into `path` at `offset`, checking it is exactly `len` bytes. The chunks
/// hyper hands over are kept as they are (no copy) until about 1 MiB has gathered, then written with
/// one vectored write on a blocking thread, through this range's own file handle positioned once:
/// fewer system calls and copies than an async file, which copies every chunk into a buffer of its
/// own.
async fn write_range(
    response: reqwest::Response,
    path: &Path,
    offset: u64,
    len: u64,
    progress: Option<&Progress>,
) -> Result<(), Error> {
    const BLOCK: usize = 1024 * 1024;
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(file_error)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset)).map_err(file_error)?;
    let mut file = Some(file);
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_len = 0usize;
    let mut written = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::Transport {
            method: "GET".into(),
            url: String::new(),
            timeout: e.is_timeout(),
            message: format!("the body broke off after {written} of {len} bytes: {e}"),
        })?;
        written += chunk.len() as u64;
        if written > len {
            return Err(Error::InvalidResponse(format!(
                "the server sent more than the {len} bytes asked for"
            )));
        }
        if let Some(p) = progress {
            p(chunk.len() as u64);
        }
        pending_len += chunk.len();
        pending.push(chunk);
        if pending_len >= BLOCK {
            file = Some(
                write_chunks(file.take(), std::mem::take(&mut pending))
                    .await
                    .map_err(file_error)?,
            );
            pending_len = 0;
        }
    }
    if !pending.is_empty() {
        write_chunks(file.take(), pending)
            .await
            .map_err(file_error)?;
    }
    if written != len {
        return Err(Error::Transport {
            method: "GET".into(),
            url: String::new(),
            timeout: false,
            message: format!("the body ended after {written} of {len} bytes"),
        });
    }
    Ok(())
}

/// Write `chunks` in order at the file's position, on a blocking thread; gives the file back.
async fn write_chunks(
    file: Option<std::fs::File>,
    chunks: Vec<Bytes>,
) -> std::io::Result<std::fs::File> {
    let Some(mut file) = file else {
        return Err(std::io::Error::other(
            "the range's file was lost after a failed write",
        ));
    };
    let task = tokio::task::spawn_blocking(move || {
        use std::io::{IoSlice, Write};
        let mut index = 0;
        let mut skip = 0;
        while index < chunks.len() {
            let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&chunks[index][skip..]))
                .chain(chunks[index + 1..].iter().map(|c| IoSlice::new(c)))
                .collect();
            let mut n = file.write_vectored(&slices)?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the disk took no bytes",
                ));
            }
            // Advance past what was written.
            while n > 0 && index < chunks.len() {
                let left = chunks[index].len() - skip;
                if n >= left {
                    n -= left;
                    index += 1;
                    skip = 0;
                } else {
                    skip += n;
                    n = 0;
                }
            }
        }
        Ok(file)
    });
    task.await
        .map_err(|e| std::io::Error::other(format!("the writer thread failed: {e}")))?
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

/// Counts the bytes read through it.
struct CountingReader<'r, R: AsyncRead + Unpin + Send> {
    inner: &'r mut R,
    count: u64,
}

impl<R: AsyncRead + Unpin + Send> AsyncRead for CountingReader<'_, R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut *self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = &poll {
            self.count += (buf.filled().len() - before) as u64;
        }
        poll
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

    #[test]
    fn content_range_totals() {
        assert_eq!(parse_total("bytes 0-99/1234"), Some(1234));
        assert_eq!(parse_total("bytes */1234"), Some(1234));
        assert_eq!(parse_total("garbage"), None);
    }
}
