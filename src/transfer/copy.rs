//! Server-side copies: CopyObject up to 5 GiB (or the threshold), UploadPartCopy in parallel parts
//! above it, carrying the source's type and metadata as CopyObject's default would, and its
//! checksum algorithm (the copy's full-object checksum is the source's: the bytes are the same).

use futures_util::{StreamExt, TryStreamExt};

use super::guard::Registration;
use super::integrity::{stored_checksum, with_checksum_mode, ChecksumKind, DonePart};
use super::{part_error, part_size_for, TransferConfig, MAX_COPY_SIZE};
use crate::checksum::Algorithm;
use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::types::{CreateMultipartUploadOutput, HeadObjectOutput};
use crate::value::Value;

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
        self.copy_object_version_managed(source_bucket, source_key, None, bucket, key, config)
            .await
    }

    /// [`Client::copy_object_managed`] of one version of the source (`None`: the current one): the
    /// HEAD asks for it and every copy request names it (`CopySource` `bucket/key?versionId=ID`).
    pub async fn copy_object_version_managed(
        &self,
        source_bucket: &str,
        source_key: &str,
        source_version_id: Option<&str>,
        bucket: &str,
        key: &str,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let mut source = format!("{source_bucket}/{source_key}");
        let mut answer = self
            .head_object()
            .bucket(source_bucket)
            .key(source_key)
            .request();
        if let Some(v) = source_version_id {
            source.push_str(&format!("?versionId={v}"));
            answer.set("VersionId", Value::String(v.to_string()));
        }
        let answer = with_checksum_mode(answer).send().await?;
        let head: HeadObjectOutput = answer.parse()?;
        let stored = stored_checksum(&answer.headers).filter(|_| !self.checksums_refused());
        let size = head.content_length.map_or(0, |n| n.max(0) as u64);
        if size <= config.multipart_threshold.min(MAX_COPY_SIZE) {
            let mut copy = self
                .copy_object()
                .bucket(bucket)
                .key(key)
                .copy_source(&source)
                .request()
                .checksum_optional();
            if let Some(stored) = &stored {
                copy.set(
                    "ChecksumAlgorithm",
                    Value::String(stored.algorithm.name().into()),
                );
            }
            return copy.send().await;
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
        let mut create = create.request().checksum_optional();
        let full_object = stored
            .as_ref()
            .is_some_and(|s| s.kind == ChecksumKind::FullObject && s.algorithm.is_crc());
        if let Some(stored) = &stored {
            create.set(
                "ChecksumAlgorithm",
                Value::String(stored.algorithm.name().into()),
            );
            let kind = if full_object {
                "FULL_OBJECT"
            } else {
                "COMPOSITE"
            };
            create.set("ChecksumType", Value::String(kind.into()));
        }
        let created: CreateMultipartUploadOutput = create.send().await?.parse()?;
        let Some(upload_id) = created.upload_id else {
            return Err(Error::InvalidResponse(
                "CreateMultipartUpload answered without an UploadId".into(),
            ));
        };
        let registration =
            Registration::new(config.tracker.as_ref(), self, bucket, key, &upload_id);
        let count = size.div_ceil(part_size);
        let algorithm = stored.as_ref().map(|s| s.algorithm);
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
                    let result = copied.copy_part_result.unwrap_or_default();
                    let checksum = match algorithm {
                        Some(Algorithm::Crc32) => result.checksum_crc32.clone(),
                        Some(Algorithm::Crc32c) => result.checksum_crc32_c.clone(),
                        Some(Algorithm::Crc64Nvme) => result.checksum_crc64_nvme.clone(),
                        Some(Algorithm::Sha1) => result.checksum_sha1.clone(),
                        Some(Algorithm::Sha256) => result.checksum_sha256.clone(),
                        None => None,
                    };
                    let etag = result.e_tag.ok_or_else(|| {
                        Error::InvalidResponse(format!(
                            "UploadPartCopy {number} answered without an ETag"
                        ))
                    })?;
                    Ok::<_, Error>(DonePart {
                        number,
                        etag,
                        checksum,
                        len: end + 1 - start,
                    })
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
        parts.sort_by_key(|part| part.number);
        // The copy has the source's bytes, so the source's full-object value is the copy's.
        let checksum = stored.map(|s| {
            let full = (full_object).then_some(s.value);
            (s.algorithm, full)
        });
        let completed = self
            .complete_or_abort(&registration, &parts, checksum)
            .await;
        registration.ended();
        completed
    }
}
