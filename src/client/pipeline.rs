//! The send pipeline every request goes through, and the only loop that repeats one. A [`Call`] is
//! prepared once (`prepare`: members placed, XML built; file bodies hashed once on a blocking
//! thread); then each attempt signs a copy (a fresh date, corrected by the clock offset the client has
//! learnt), transmits it, and reads the answer: into an envelope (`response`), or, for an object's
//! bytes, into a [`Sink`]. A failed attempt goes to the client's [`Retrier`](crate::retry::Retrier),
//! which says whether and when to try again; no call is sent more than its `max_attempts` times.
//!
//! A streamed body that breaks off is a failed attempt like any other, and the next attempt resumes
//! it from the byte reached: `Range` from the first missing byte to the last one wanted, and
//! `If-Match` on the first answer's ETag, so a replaced object fails (412) instead of mixing two
//! versions. The first answer's status and headers describe the whole body, whichever attempts
//! carried it; they are what the call returns, and what `on_headers` is told as soon as they arrive
//! (downloads start their other ranges then).

use std::borrow::Cow;

use futures_util::StreamExt;

use super::prepare::{self, Prepared, PreparedBody};
use super::region;
use super::response::{error_chain, headers_map, read_envelope, strip_query, Reading};
use super::sink::Sink;
use super::{Bandwidth, Client, Progress, Timeouts};
use crate::envelope::Envelope;
use crate::error::Error;

/// One call, prepared and ready for its attempts.
pub(crate) struct Call {
    pub prepared: Prepared,
    pub reading: Reading,
    /// Told of the bytes of a file body as they go out.
    pub upload_progress: Option<Progress>,
    /// Told of the bytes of a streamed answer as they come in.
    pub download_progress: Option<Progress>,
    /// Sends at most, the first included (the client's policy unless the call sets its own).
    pub max_attempts: u32,
    /// Its checksum headers were added by s3op, not asked for: a server that refuses them gets
    /// the request again without them.
    pub optional_checksum: bool,
}

impl Call {
    /// The first and last bytes the call's own `Range` asks for (`bytes=N-M`), where it says.
    fn asked_range(&self) -> (Option<u64>, Option<u64>) {
        let Some((_, range)) = self.prepared.headers.iter().find(|(k, _)| k == "range") else {
            return (None, None);
        };
        let Some((first, last)) = range
            .trim()
            .strip_prefix("bytes=")
            .and_then(|r| r.split_once('-'))
        else {
            return (None, None);
        };
        (first.trim().parse().ok(), last.trim().parse().ok())
    }
}

/// Where a streamed body stands across attempts.
#[derive(Default)]
struct BodyPosition {
    /// The first successful answer, without its body: what the call returns.
    first: Option<Envelope>,
    /// The offset in the object of the body's first byte.
    start: u64,
    /// How many bytes the body has, when known.
    len: Option<u64>,
    /// The first answer's ETag, which later attempts are pinned to.
    etag: Option<String>,
    /// Bytes given to the sink so far.
    taken: u64,
}

impl BodyPosition {
    /// `Range` (and `If-Match`) for an attempt that continues a body, when there is one to continue.
    /// The range ends where the call's own `Range` ended, when it gave an end (so a resumed request
    /// asks for the same last byte as the first one), else at the body's last byte.
    fn resume_headers(&self, asked_last: Option<u64>) -> Option<(String, Option<&str>)> {
        self.first.as_ref()?;
        let from = self.start + self.taken;
        let last = asked_last.or(self.len.map(|len| (self.start + len).saturating_sub(1)));
        let range = match last {
            Some(last) => format!("bytes={from}-{last}"),
            None => format!("bytes={from}-"),
        };
        Some((range, self.etag.as_deref()))
    }

    /// Take in an answer's status and headers; returns how many leading bytes of its body to drop
    /// (a server that ignores the resuming `Range` sends the object from its start).
    fn answer(
        &mut self,
        status: u16,
        headers: &std::collections::BTreeMap<String, String>,
        content_length: Option<u64>,
        asked: Option<u64>,
    ) -> Result<u64, Error> {
        let range = headers
            .get("content-range")
            .and_then(|r| parse_content_range(r));
        if self.first.is_none() {
            match (status, range) {
                (206, Some((first, last, _))) => {
                    if asked.is_some_and(|asked| asked != first) {
                        return Err(Error::InvalidResponse(format!(
                            "asked for bytes from {}, the server answered bytes {first}-{last}",
                            asked.unwrap_or(0)
                        )));
                    }
                    self.start = first;
                    self.len = Some(last + 1 - first);
                }
                (206, None) => {
                    return Err(Error::InvalidResponse(format!(
                        "a 206 answer of {} bytes without a readable Content-Range",
                        content_length.map_or("unknown".to_string(), |l| l.to_string())
                    )))
                }
                _ => {
                    self.start = 0;
                    self.len = content_length;
                }
            }
            self.etag = headers.get("etag").cloned();
            self.first = Some(Envelope {
                status,
                response: serde_json::Value::Null,
                headers: headers.clone(),
            });
            return Ok(0);
        }
        let want = self.start + self.taken;
        match (status, range) {
            (206, Some((first, _, _))) if first <= want => Ok(want - first),
            (206, _) => Err(Error::InvalidResponse(format!(
                "asked to resume at byte {want}, the server answered {}",
                headers
                    .get("content-range")
                    .map(String::as_str)
                    .unwrap_or("without a Content-Range")
            ))),
            _ => Ok(want),
        }
    }

    /// Bytes this attempt still has to deliver, when known.
    fn remaining(&self) -> Option<u64> {
        self.len.map(|len| len.saturating_sub(self.taken))
    }
}

/// `bytes 0-99/1234` → (0, 99, Some(1234)); `bytes 0-99/*` → (0, 99, None).
pub(crate) fn parse_content_range(text: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = text.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let first = first.trim().parse().ok()?;
    let last = last.trim().parse().ok()?;
    (last >= first).then_some((first, last, total.trim().parse().ok()))
}

/// A flexible-checksum header: a value, its type, or the algorithm.
fn is_checksum_header(name: &str) -> bool {
    name.starts_with("x-amz-checksum-") || name == "x-amz-sdk-checksum-algorithm"
}

fn has_checksum_headers(prepared: &Prepared) -> bool {
    prepared
        .headers
        .iter()
        .any(|(name, _)| is_checksum_header(name))
}

/// Replace (or add) a header of a prepared request.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(k, _)| k != name);
    headers.push((name.to_string(), value));
}

impl Client {
    /// `prepared` as it is sent: itself, or a copy for its bucket's region once that is known.
    pub(crate) fn in_bucket_region<'a>(
        &self,
        prepared: &'a Prepared,
    ) -> Result<Cow<'a, Prepared>, Error> {
        let known = prepared
            .bucket
            .as_deref()
            .and_then(|bucket| self.bucket_regions.get(bucket))
            .filter(|region| *region != self.config.region);
        Ok(match known {
            Some(region) => Cow::Owned(region::retarget(
                prepared,
                &self.config.region,
                &region,
                self.resolver()?,
            )?),
            None => Cow::Borrowed(prepared),
        })
    }

    /// Run `call` to its end: attempts until one succeeds or the retrier says stop. A streamed body
    /// goes to `sink`; `on_headers` is told the first successful answer's status and headers as soon
    /// as they arrive.
    pub(crate) async fn run(
        &self,
        call: &Call,
        sink: &mut Sink<'_>,
        mut on_headers: Option<tokio::sync::oneshot::Sender<Envelope>>,
    ) -> Result<Envelope, Error> {
        let streams = call.reading.streams(!matches!(sink, Sink::Discard));
        let mut position = BodyPosition::default();
        let mut spent = 0;
        let mut attempt = 0;
        let mut target = self.in_bucket_region(&call.prepared)?;
        let mut redirected = false;
        let mut unchecked = false;
        loop {
            attempt += 1;
            let result = self
                .attempt(
                    call,
                    &target,
                    sink,
                    streams,
                    &mut position,
                    &mut on_headers,
                    attempt,
                )
                .await;
            let error = match result {
                Ok(envelope) => {
                    self.retrier.succeeded(spent);
                    return Ok(envelope);
                }
                Err(e) => e,
            };
            // Signed for the wrong region: once more for the bucket's own, which is remembered.
            let signed_for = target.region.as_deref().unwrap_or(&self.config.region);
            if let Some(region) =
                region::redirected_region(&error, signed_for).filter(|_| !redirected)
            {
                if self.debug {
                    eprintln!("s3op: the bucket is in {region}: sending again, signed for it");
                }
                if let Some(bucket) = &call.prepared.bucket {
                    self.bucket_regions.remember(bucket, &region);
                }
                let moved = region::retarget(&target, signed_for, &region, self.resolver()?)?;
                target = Cow::Owned(moved);
                redirected = true;
                attempt -= 1;
                continue;
            }
            // A checksum header the server does not take: once more without, and never again to
            // this endpoint.
            if call.optional_checksum
                && !unchecked
                && has_checksum_headers(&target)
                && error
                    .envelope()
                    .is_some_and(crate::compat::refuses_checksum)
            {
                if self.debug {
                    eprintln!(
                        "s3op: the server refused the checksum header ({error}): sending again \
                         without it; no more checksums to this endpoint"
                    );
                }
                self.checksums_refused
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let mut plain = target.into_owned();
                plain.headers.retain(|(name, _)| !is_checksum_header(name));
                target = Cow::Owned(plain);
                unchecked = true;
                attempt -= 1;
                continue;
            }
            // Without an ETag to pin the rest to, a broken body starts again from its first byte.
            if position.taken > 0 && position.etag.is_none() {
                if !sink.restart(position.taken) {
                    return Err(error);
                }
                position.taken = 0;
            }
            let Some(wait) =
                self.retrier
                    .after_failure(&error, attempt, call.max_attempts, &mut spent)
            else {
                return Err(error);
            };
            if self.debug {
                eprintln!(
                    "s3op: attempt {attempt} failed ({error}); retrying in {} ms",
                    wait.as_millis()
                );
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: sign a copy of the prepared request, send it, read the answer.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        call: &Call,
        target: &Prepared,
        sink: &mut Sink<'_>,
        streams: bool,
        position: &mut BodyPosition,
        on_headers: &mut Option<tokio::sync::oneshot::Sender<Envelope>>,
        attempt: u32,
    ) -> Result<Envelope, Error> {
        let mut prepared = target.clone();
        if streams {
            if let Some((range, etag)) = position.resume_headers(call.asked_range().1) {
                set_header(&mut prepared.headers, "range", range);
                if let Some(etag) = etag {
                    if !prepared.headers.iter().any(|(k, _)| k == "if-match") {
                        prepared.headers.push(("if-match".into(), etag.to_string()));
                    }
                }
            }
        }
        let method = prepared.method;
        let response = self.transmit(prepared, call, attempt).await?;
        let status = response.status().as_u16();
        if status >= 300 || !streams {
            return read_envelope(&call.reading, method, response).await;
        }
        let headers = headers_map(response.headers());
        let url = strip_query(response.url());
        let mut skip = position.answer(
            status,
            &headers,
            response.content_length(),
            call.asked_range().0,
        )?;
        if let (Some(tx), Some(first)) = (on_headers.take(), &position.first) {
            let _ = tx.send(first.clone());
        }
        let expected = position.remaining();
        let broke = |taken: u64, message: String| Error::Transport {
            method: method.to_string(),
            url: url.clone(),
            timeout: message.contains("timed out"),
            message: match expected {
                Some(len) => format!("the body broke off after {taken} of {len} bytes: {message}"),
                None => format!("the body broke off after {taken} bytes: {message}"),
            },
        };
        let mut stream = response.bytes_stream();
        let mut this_attempt = 0u64;
        while let Some(chunk) = stream.next().await {
            let mut chunk = chunk.map_err(|e| broke(this_attempt, error_chain(&e)))?;
            if skip > 0 {
                let drop = skip.min(chunk.len() as u64);
                let _ = chunk.split_to(drop as usize);
                skip -= drop;
            }
            if let Some(left) = position.remaining() {
                if chunk.len() as u64 > left {
                    if position.taken == 0 && this_attempt == 0 {
                        return Err(Error::InvalidResponse(format!(
                            "the server sent more than the {} bytes it announced",
                            position.len.unwrap_or(0)
                        )));
                    }
                    // A server that ignored the resuming range and sent the object to its end.
                    let _ = chunk.split_off(left as usize);
                }
            }
            if chunk.is_empty() {
                continue;
            }
            let n = chunk.len() as u64;
            if let Some(limit) = &self.bandwidth {
                limit.take(n).await;
            }
            sink.write(chunk).await?;
            position.taken += n;
            this_attempt += n;
            if let Some(p) = &call.download_progress {
                p(n);
            }
            if position.remaining() == Some(0) {
                break;
            }
        }
        if let Some(left) = position.remaining().filter(|left| *left > 0) {
            return Err(broke(
                this_attempt,
                format!("the connection closed with {left} bytes to go"),
            ));
        }
        sink.finish().await?;
        Ok(position.first.clone().unwrap_or(Envelope {
            status,
            response: serde_json::Value::Null,
            headers,
        }))
    }

    /// Sign and send one copy of a prepared request.
    async fn transmit(
        &self,
        mut prepared: Prepared,
        call: &Call,
        attempt: u32,
    ) -> Result<reqwest::Response, Error> {
        let keys = self.signing_credentials(&prepared).await?;
        let credentials = keys.as_ref();
        let signed = prepare::sign(
            &mut prepared,
            credentials,
            &self.config,
            self.retrier.signing_time(),
        )?;
        if self.debug {
            eprintln!(
                "s3op: attempt {attempt}: {} {}",
                prepared.method,
                strip_query(&prepared.url)
            );
            if let Some(signed) = &signed {
                let token = credentials.and_then(|c| c.session_token.as_ref());
                let redact = |text: &str| match token {
                    Some(t) if !t.expose().is_empty() => text.replace(t.expose(), "***"),
                    _ => text.to_string(),
                };
                eprintln!(
                    "s3op: canonical request:\n{}",
                    redact(&signed.canonical_request)
                );
                eprintln!("s3op: string to sign:\n{}", signed.string_to_sign);
            }
        }
        let result = execute(
            &self.http,
            prepared,
            call.upload_progress.clone(),
            self.bandwidth.clone(),
            self.timeouts,
        )
        .await;
        if self.debug {
            match &result {
                Ok(r) => eprintln!("s3op: attempt {attempt}: status {}", r.status().as_u16()),
                Err(e) => eprintln!("s3op: attempt {attempt}: {e}"),
            }
        }
        result
    }
}

/// Send a signed request; transport failures become [`Error::Transport`].
async fn execute(
    http: &reqwest::Client,
    prepared: Prepared,
    progress: Option<Progress>,
    bandwidth: Option<Bandwidth>,
    timeouts: Timeouts,
) -> Result<reqwest::Response, Error> {
    let method = reqwest::Method::from_bytes(prepared.method.as_bytes())
        .map_err(|_| Error::InvalidInput(format!("bad HTTP method {}", prepared.method)))?;
    let url_for_errors = strip_query(&prepared.url);
    let mut builder = http.request(method, prepared.url.clone());
    for (name, value) in &prepared.headers {
        let header_value =
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                Error::InvalidInput(format!("the value of header {name} cannot be sent in HTTP"))
            })?;
        builder = builder.header(name.as_str(), header_value);
    }
    builder = match prepared.body {
        // S3 (and Ceph RGW 16.2, for an empty object) answers 411 to a PUT or POST without
        // Content-Length, and hyper sends none for an empty body: say 0 explicitly.
        body if body.is_empty() && matches!(prepared.method, "PUT" | "POST" | "PATCH") => builder
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .body(Vec::new()),
        PreparedBody::Empty => builder,
        // Bytes in memory are handed over in 256 KiB slices (no copy) when someone counts or
        // limits them.
        PreparedBody::Bytes(b) if progress.is_some() || bandwidth.is_some() => {
            let slices = (0..b.len()).step_by(256 * 1024).map(move |start| {
                let end = (start + 256 * 1024).min(b.len());
                b.slice(start..end)
            });
            let stream = futures_util::stream::iter(slices).then(move |slice| {
                let progress = progress.clone();
                let bandwidth = bandwidth.clone();
                async move {
                    if let Some(limit) = &bandwidth {
                        limit.take(slice.len() as u64).await;
                    }
                    if let Some(progress) = &progress {
                        progress(slice.len() as u64);
                    }
                    Ok::<_, std::io::Error>(slice)
                }
            });
            builder.body(reqwest::Body::wrap_stream(stream))
        }
        PreparedBody::Bytes(b) => builder.body(b),
        PreparedBody::File { path, offset, len } => {
            let file_error = |source| Error::File {
                path: path.clone(),
                source,
            };
            let mut file = tokio::fs::File::open(&path)
                .await
                .map_err(file_error)?
                .into_std()
                .await;
            if offset > 0 {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(offset))
                    .map_err(file_error)?;
            }
            let stream = file_chunks(file, len);
            match (progress, bandwidth) {
                (None, None) => builder.body(reqwest::Body::wrap_stream(stream)),
                (progress, bandwidth) => {
                    let stream = stream.then(move |chunk| {
                        let progress = progress.clone();
                        let bandwidth = bandwidth.clone();
                        async move {
                            if let Ok(chunk) = &chunk {
                                if let Some(limit) = &bandwidth {
                                    limit.take(chunk.len() as u64).await;
                                }
                                if let Some(progress) = &progress {
                                    progress(chunk.len() as u64);
                                }
                            }
                            chunk
                        }
                    });
                    builder.body(reqwest::Body::wrap_stream(stream))
                }
            }
        }
    };
    builder
        .send()
        .await
        .map_err(|e| transport_error(prepared.method, url_for_errors, &e, timeouts))
}

/// The next `len` bytes of `file` as a stream of blocks of up to [`FILE_BLOCK`], each read on a
/// blocking thread straight into the buffer that is sent (no copy, one thread hop per block).
fn file_chunks(
    file: std::fs::File,
    len: u64,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    futures_util::stream::try_unfold((Some(file), len), |(file, left)| async move {
        let Some(file) = file.filter(|_| left > 0) else {
            return Ok(None);
        };
        let want = left.min(FILE_BLOCK);
        let (file, block) = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut file = file;
            let mut block = Vec::with_capacity(want as usize);
            (&mut file).take(want).read_to_end(&mut block)?;
            Ok::<_, std::io::Error>((file, block))
        })
        .await
        .map_err(std::io::Error::other)??;
        if block.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {left} bytes early"),
            ));
        }
        let left = left - block.len() as u64;
        Ok(Some((bytes::Bytes::from(block), (Some(file), left))))
    })
}

/// The block a file body is read and sent in: with 256 requests in flight, at most two blocks
/// each (one being sent, one read) stay within 128 MiB.
const FILE_BLOCK: u64 = 256 * 1024;

/// A reqwest failure as [`Error::Transport`]; a timeout names the setting that ran out.
fn transport_error(method: &str, url: String, e: &reqwest::Error, timeouts: Timeouts) -> Error {
    if let Some(message) = super::tls::tls_problem(e) {
        return Error::Tls {
            method: method.to_string(),
            url,
            message,
        };
    }
    let timeout = e.is_timeout() || error_chain(e).contains("timed out");
    let mut message = error_chain(e);
    if timeout {
        message = if e.is_connect() {
            format!(
                "no connection within the connect timeout of {} s (--connect-timeout): {message}",
                timeouts.connect.as_secs_f64()
            )
        } else {
            format!(
                "no answer within the read timeout of {} s (--read-timeout): {message}",
                timeouts.read.as_secs_f64()
            )
        };
    }
    Error::Transport {
        method: method.to_string(),
        url,
        message,
        timeout,
    }
}

/// Hash a file body once, on a blocking thread: its SHA-256 when the request is signed with it, and
/// a flexible checksum the request still owes. Bodies in memory were hashed when prepared.
pub(crate) async fn hash_file_body(prepared: &mut Prepared, sha256: bool) -> Result<(), Error> {
    let PreparedBody::File { path, offset, len } = &prepared.body else {
        return Ok(());
    };
    let pending = prepared.pending_checksum.take();
    if !sha256 && pending.is_none() {
        return Ok(());
    }
    let (path, offset, len) = (path.clone(), *offset, *len);
    let algorithm = pending.as_ref().map(|(_, a)| a.clone());
    let digests = tokio::task::spawn_blocking(move || {
        crate::checksum::of_file(&path, offset, len, sha256, algorithm.as_deref())
    })
    .await
    .map_err(|e| Error::InvalidInput(format!("the hashing thread failed: {e}")))??;
    if let Some(hex) = digests.sha256_hex {
        prepared.payload_sha256 = Some(hex);
    }
    if let (Some((header, _)), Some(value)) = (pending, digests.checksum) {
        prepared.headers.push((header, value));
    }
    Ok(())
}
