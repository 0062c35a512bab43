//! Downloads: one object to a file, in parallel ranged GETs. The first range's answer gives the
//! object's size and ETag; the other ranges start as soon as its headers arrive (not after its body),
//! each pinned to that ETag with `If-Match` so an object replaced mid-way fails instead of mixing two
//! versions. Each range is written at its offset into a temporary file beside the target (see
//! `client::sink`), which is checked for length and renamed into place only when complete; on any
//! failure the guard removes it. A range that breaks off is resumed by the pipeline, not here.

use std::path::Path;

use futures_util::{StreamExt, TryStreamExt};
use tokio::sync::{oneshot, Semaphore};

use super::{TempFile, TransferConfig};
use crate::client::pipeline::parse_content_range;
use crate::client::sink::{FileSink, Sink};
use crate::client::{Client, Request};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::types::GetObjectOutput;
use crate::value::Value;

impl Client {
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
        let temp = TempFile::create_beside(path).await?;
        let envelope = self.download_into(bucket, key, temp.path(), config).await?;
        temp.persist(path).await?;
        Ok(envelope)
    }

    /// A GET of `bucket`/`key` as a transfer sends it: its attempts and progress.
    fn transfer_get(&self, bucket: &str, key: &str, config: &TransferConfig) -> Request {
        let mut request = self.get_object().bucket(bucket).key(key).request();
        if let Some(attempts) = config.part_attempts {
            request = request.max_attempts(attempts);
        }
        if let Some(p) = &config.progress {
            request = request.on_progress(p.clone());
        }
        request
    }

    async fn download_into(
        &self,
        bucket: &str,
        key: &str,
        temp: &Path,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let part_size = config.part_size.max(1);
        // At most `concurrency` ranges in flight, the first included.
        let slots = Semaphore::new(config.concurrency.max(1));
        let mut first_get = self.transfer_get(bucket, key, config);
        first_get.set("Range", Value::String(format!("bytes=0-{}", part_size - 1)));
        let first_call = first_get.into_call().await?;
        let (headers_tx, headers_rx) = oneshot::channel();
        let first = async {
            let _slot = slots.acquire().await;
            let mut sink = Sink::File(FileSink::range(temp, 0));
            match self.run(&first_call, &mut sink, Some(headers_tx)).await {
                Err(Error::Service(e)) if crate::compat::empty_object_range(e.status) => Ok(None),
                other => other.map(Some),
            }
        };
        let rest = async {
            // The first answer's headers give the size; if they never come, the first range's own
            // result says why.
            let head = match headers_rx.await {
                Ok(head) if head.status == 206 => head,
                _ => return Ok(()),
            };
            let Some(total) = whole_size(&head)? else {
                return Ok(());
            };
            let etag = head.parse::<GetObjectOutput>()?.e_tag;
            let ranges = (1..total.div_ceil(part_size))
                .map(|i| (i * part_size, part_size.min(total - i * part_size)));
            futures_util::stream::iter(ranges)
                .map(|(offset, len)| {
                    let etag = etag.clone();
                    let slots = &slots;
                    async move {
                        let _slot = slots.acquire().await;
                        let mut get = self.transfer_get(bucket, key, config);
                        let range = format!("bytes={offset}-{}", offset + len - 1);
                        get.set("Range", Value::String(range));
                        if let Some(etag) = etag {
                            get.set("IfMatch", Value::String(etag));
                        }
                        let call = get.into_call().await?;
                        let mut sink = Sink::File(FileSink::range(temp, offset));
                        self.run(&call, &mut sink, None).await.map(|_| ())
                    }
                })
                .buffer_unordered(config.concurrency.max(1))
                .try_collect::<Vec<()>>()
                .await
                .map(|_| ())
        };
        let (first, ()) = tokio::try_join!(first, rest)?;
        let mut envelope = match first {
            Some(envelope) => envelope,
            None => {
                let call = self.transfer_get(bucket, key, config).into_call().await?;
                let mut sink = Sink::File(FileSink::whole(temp));
                self.run(&call, &mut sink, None).await?
            }
        };
        let total = whole_size(&envelope)?.unwrap_or(0);
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
