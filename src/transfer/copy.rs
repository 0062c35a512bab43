//! Server-side copies: CopyObject up to the copy threshold (S3's 5 GiB by default), UploadPartCopy in parallel parts
//! above it, and its checksum algorithm (the copy's full-object checksum is the source's: the
//! bytes are the same). What the copy keeps of the source follows `CopyOptions` as `aws s3 cp`
//! does: CopyObject is told the metadata and tagging directives; a copy in parts starts a new
//! object, so it is given the source's content headers, expiry and metadata (from the HEAD it
//! makes anyway) and, by default, its tags (GetObjectTagging), unless the options replace them.
//! SSE-C keys (the copy's and the source's) go on every request that reads or writes bytes.

use futures_util::{StreamExt, TryStreamExt};

use super::attributes::{
    metadata_value, no_overwrite_members, payer_members, set_members, CopyOptions, CopyProps,
    Members,
};
use super::guard::Registration;
use super::integrity::{stored_checksum, with_checksum_mode, ChecksumKind, DonePart};
use super::{part_error, part_size_for, TransferConfig, MAX_COPY_SIZE};
use crate::checksum::Algorithm;
use crate::client::{Client, Request};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::types::{
    CreateMultipartUploadOutput, GetObjectTaggingOutput, HeadObjectOutput, MetadataDirective,
    Tagging,
};
use crate::value::Value;

/// The longest `x-amz-tagging` header a copy in parts sends; longer tag sets are put with
/// PutObjectTagging once the copy is complete (as the AWS CLI does).
const MAX_TAGGING_HEADER: usize = 2 * 1024;

impl Client {
    /// Copy `source_bucket`/`source_key` to `bucket`/`key` inside S3: CopyObject up to
    /// [`TransferConfig::copy_threshold`] (5 GiB, S3's limit, by default), UploadPartCopy in parallel parts above, with `options`' attributes, directives
    /// and SSE-C keys.
    pub async fn copy_object_managed(
        &self,
        source_bucket: &str,
        source_key: &str,
        bucket: &str,
        key: &str,
        options: &CopyOptions,
        config: &TransferConfig,
    ) -> Result<Envelope, Error> {
        let mut source = format!("{source_bucket}/{source_key}");
        let payer = payer_members(options.request_payer.as_ref());
        // The source is read with its own key: on the HEAD as SSECustomer*, on copies as
        // CopySourceSSECustomer*.
        let source_key_members = options
            .copy_source_sse_customer_key
            .as_ref()
            .map(|k| (k.members(), k.copy_source_members()))
            .unwrap_or_default();
        // What every request writing the copy carries: its SSE-C key, the source's, the payer.
        let mut write_members = options
            .sse_customer_key
            .as_ref()
            .map(|k| k.members())
            .unwrap_or_default();
        write_members.extend(source_key_members.1.iter().cloned());
        write_members.extend(payer.iter().cloned());
        write_members.extend(no_overwrite_members(options.no_overwrite));
        if let Some(v) = &options.source_version_id {
            source.push_str(&format!("?versionId={v}"));
        }
        let threshold = config.copy_threshold.min(MAX_COPY_SIZE);
        // A size the caller knew (from a listing) spares the HEAD of a copy in one request.
        if options.source_size.is_some_and(|size| size <= threshold) {
            return self
                .copy_in_one(bucket, key, &source, options, &write_members, None)
                .send()
                .await;
        }
        let mut head = self
            .head_object()
            .bucket(source_bucket)
            .key(source_key)
            .request();
        set_members(&mut head, &source_key_members.0);
        set_members(&mut head, &payer);
        if let Some(v) = &options.source_version_id {
            head.set("VersionId", Value::String(v.clone()));
        }
        let answer = with_checksum_mode(head).send().await?;
        let head: HeadObjectOutput = answer.parse()?;
        let stored = stored_checksum(&answer.headers).filter(|_| !self.checksums_refused());
        let size = head.content_length.map_or(0, |n| n.max(0) as u64);
        let directive = options.effective_directive();
        let attributes = &options.attributes;
        if size <= threshold {
            let algorithm = stored.as_ref().map(|stored| stored.algorithm);
            return self
                .copy_in_one(bucket, key, &source, options, &write_members, algorithm)
                .send()
                .await;
        }
        let part_size = part_size_for(size, config.part_size)?;
        // UploadPartCopy starts a new object: it gets what CopyObject would have kept of the
        // source (content headers, expiry, metadata under COPY; tags by default), plus the
        // attributes given.
        let mut create = self
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .request()
            .checksum_optional();
        let keep_props =
            directive == MetadataDirective::Copy && options.copy_props != CopyProps::None;
        if keep_props {
            let mut kept = Vec::new();
            let mut keep = |name: &'static str, given: bool, value: Option<&str>| {
                if let (false, Some(v)) = (given, value) {
                    kept.push((name, Value::String(v.to_string())));
                }
            };
            keep(
                "ContentType",
                attributes.content_type.is_some(),
                head.content_type(),
            );
            keep(
                "ContentEncoding",
                attributes.content_encoding.is_some(),
                head.content_encoding(),
            );
            keep(
                "ContentLanguage",
                attributes.content_language.is_some(),
                head.content_language(),
            );
            keep(
                "ContentDisposition",
                attributes.content_disposition.is_some(),
                head.content_disposition(),
            );
            keep(
                "CacheControl",
                attributes.cache_control.is_some(),
                head.cache_control(),
            );
            if attributes.expires.is_none() {
                if let Some(text) = answer.headers.get("expires") {
                    if let Ok(t) = crate::timestamp::parse_timestamp(text) {
                        kept.push(("Expires", Value::Timestamp(t)));
                    }
                }
            }
            if !head.metadata().is_empty() {
                let metadata = head
                    .metadata()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                kept.push(("Metadata", metadata_value(&metadata)));
            }
            set_members(&mut create, &kept);
        }
        set_members(&mut create, &attributes.members());
        set_members(&mut create, &write_members);
        // The source's tags, kept by default as CopyObject's TaggingDirective COPY would.
        let mut late_tags: Option<Tagging> = None;
        if attributes.tagging.is_none() && options.copy_props == CopyProps::Default {
            let mut get = self
                .get_object_tagging()
                .bucket(source_bucket)
                .key(source_key)
                .request();
            set_members(&mut get, &payer);
            // A server without tagging (501 NotImplemented) has no tags to keep.
            let tags: GetObjectTaggingOutput = match get.send().await {
                Ok(answer) => answer.parse()?,
                Err(e)
                    if e.code() == Some("NotImplemented")
                        || e.envelope().is_some_and(|a| a.status == 501) =>
                {
                    GetObjectTaggingOutput::default()
                }
                Err(e) => return Err(e),
            };
            if !tags.tag_set.is_empty() {
                let header = tagging_query(&tags.tag_set);
                if header.len() <= MAX_TAGGING_HEADER {
                    create.set("Tagging", Value::String(header));
                } else {
                    late_tags = Some(Tagging {
                        tag_set: tags.tag_set,
                    });
                }
            }
        }
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
                let write_members = &write_members;
                async move {
                    let mut request = self
                        .upload_part_copy()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(&upload_id)
                        .part_number(number as i64)
                        .copy_source(&source)
                        .copy_source_range(format!("bytes={start}-{end}"))
                        .request();
                    set_members(&mut request, write_members);
                    let copied: crate::types::UploadPartCopyOutput = request
                        .send()
                        .await
                        .and_then(|answer| answer.parse())
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
        // CompleteMultipartUpload takes the copy's key, not the source's.
        let mut complete_members = options
            .sse_customer_key
            .as_ref()
            .map(|k| k.members())
            .unwrap_or_default();
        complete_members.extend(payer.iter().cloned());
        complete_members.extend(no_overwrite_members(options.no_overwrite));
        let completed = self
            .complete_or_abort(&registration, &parts, checksum, &complete_members)
            .await;
        registration.ended();
        let completed = completed?;
        if let Some(tagging) = late_tags {
            let mut put = self
                .put_object_tagging()
                .bucket(bucket)
                .key(key)
                .tagging(tagging)
                .request();
            set_members(&mut put, &payer);
            put.send().await?;
        }
        Ok(completed)
    }
}

/// Tags as the `x-amz-tagging` header takes them: `k1=v1&k2=v2`, URL query encoded.
fn tagging_query(tags: &[crate::types::Tag]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for tag in tags {
        query.append_pair(&tag.key, &tag.value);
    }
    query.finish()
}

impl Client {
    /// The CopyObject of a copy in one request: `options`' attributes and directives, the members
    /// every write carries, and the checksum algorithm to keep (the source's, from its HEAD; none:
    /// S3 keeps the source's by default).
    fn copy_in_one(
        &self,
        bucket: &str,
        key: &str,
        source: &str,
        options: &CopyOptions,
        write_members: &Members,
        algorithm: Option<Algorithm>,
    ) -> Request {
        let directive = options.effective_directive();
        let attributes = &options.attributes;
        let mut copy = self
            .copy_object()
            .bucket(bucket)
            .key(key)
            .copy_source(source)
            .request()
            .checksum_optional();
        set_members(&mut copy, &attributes.members());
        set_members(&mut copy, write_members);
        if options.metadata_directive.is_some() || directive == MetadataDirective::Replace {
            copy.set(
                "MetadataDirective",
                Value::String(directive.as_str().into()),
            );
        }
        if attributes.tagging.is_some() || options.copy_props != CopyProps::Default {
            copy.set("TaggingDirective", Value::String("REPLACE".into()));
        }
        if let Some(algorithm) = algorithm {
            copy.set("ChecksumAlgorithm", Value::String(algorithm.name().into()));
        }
        copy
    }
}
