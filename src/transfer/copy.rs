//! Server-side copies: CopyObject up to 5 GiB (or the threshold), UploadPartCopy in parallel parts
//! above it, carrying the source's type and metadata as CopyObject's default would.

use futures_util::{StreamExt, TryStreamExt};

use super::guard::Registration;
use super::{part_error, part_size_for, TransferConfig, MAX_COPY_SIZE};
use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;

impl Client {
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
            .send_typed()
            .await?;
        let size = head.content_length.map_or(0, |n| n.max(0) as u64);
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
        if let Some(v) = head.content_type() {
            create = create.content_type(v);
        }
        if let Some(v) = head.content_encoding() {
            create = create.content_encoding(v);
        }
        if let Some(v) = head.content_language() {
            create = create.content_language(v);
        }
        if let Some(v) = head.content_disposition() {
            create = create.content_disposition(v);
        }
        if let Some(v) = head.cache_control() {
            create = create.cache_control(v);
        }
        if !head.metadata().is_empty() {
            create = create.metadata(head.metadata().clone());
        }
        let created = create.send_typed().await?;
        let Some(upload_id) = created.upload_id else {
            return Err(Error::InvalidResponse(
                "CreateMultipartUpload answered without an UploadId".into(),
            ));
        };
        let registration =
            Registration::new(config.tracker.as_ref(), self, bucket, key, &upload_id);
        let count = size.div_ceil(part_size);
        let copied = futures_util::stream::iter(1..=count)
            .map(|number| {
                let start = (number - 1) * part_size;
                let end = (start + part_size).min(size) - 1;
                let source = source.clone();
                let upload_id = upload_id.clone();
                async move {
                    let copied = self
                        .upload_part_copy()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(&upload_id)
                        .part_number(number as i64)
                        .copy_source(&source)
                        .copy_source_range(format!("bytes={start}-{end}"))
                        .send_typed()
                        .await
                        .map_err(|e| part_error(number, e))?;
                    let etag = copied
                        .copy_part_result
                        .and_then(|result| result.e_tag)
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
                if !self.abort_upload(bucket, key, &upload_id).await {
                    registration.abort_failed();
                }
                registration.ended();
                return Err(e);
            }
        };
        parts.sort_by_key(|(n, _)| *n);
        let completed = self.complete_or_abort(&registration, &parts).await;
        registration.ended();
        completed
    }
}
