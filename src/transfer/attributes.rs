//! The attributes an object is stored with (metadata, content headers, storage class, ACL and
//! grants, tags, server-side encryption) and the per-request keys a transfer carries (an SSE-C key,
//! the requester-pays acknowledgement), as typed values, and how each becomes the S3 members of the
//! requests a transfer sends. It decides nothing about when a member is sent: uploads, copies and
//! downloads choose which of these go on which request.

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest as _, Md5};

use crate::client::Request;
use crate::error::Error;
use crate::types::{
    MetadataDirective, ObjectCannedACL, RequestPayer, ServerSideEncryption, StorageClass,
};
use crate::value::{Body, Value};

/// An S3 member name and its value, as `Request::set` takes them.
pub(crate) type Members = Vec<(&'static str, Value)>;

/// Explicit grants (`x-amz-grant-*`), each a comma-separated list of grantees as S3 takes them:
/// `id="…"`, `uri="http://acs.amazonaws.com/groups/global/AllUsers"`, `emailAddress="…"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub full_control: Option<String>,
    pub read: Option<String>,
    pub read_acp: Option<String>,
    pub write_acp: Option<String>,
}

impl Grants {
    /// True when no grant is set.
    pub fn is_empty(&self) -> bool {
        *self == Grants::default()
    }
}

/// What an object is stored with: set on PutObject and CreateMultipartUpload, and on a copy's
/// CopyObject or CreateMultipartUpload. Every field left empty is not sent (S3's default, or on a
/// copy the source's value where the copy keeps it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectAttributes {
    /// User metadata (`x-amz-meta-*`).
    pub metadata: BTreeMap<String, String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<time::OffsetDateTime>,
    /// `x-amz-website-redirect-location`.
    pub website_redirect: Option<String>,
    pub storage_class: Option<StorageClass>,
    /// A canned ACL.
    pub acl: Option<ObjectCannedACL>,
    pub grants: Grants,
    /// Tags, URL query encoded: `k1=v1&k2=v2`.
    pub tagging: Option<String>,
    /// SSE-S3 (`AES256`) or SSE-KMS (`aws:kms`, `aws:kms:dsse`).
    pub sse: Option<ServerSideEncryption>,
    /// The KMS key of `aws:kms` / `aws:kms:dsse`; absent: the account's default key.
    pub sse_kms_key_id: Option<String>,
}

impl ObjectAttributes {
    /// True when the user gave any of the attributes a copy's metadata directive governs
    /// (content headers, expiry, metadata).
    pub fn has_directive_props(&self) -> bool {
        !self.metadata.is_empty()
            || self.content_type.is_some()
            || self.cache_control.is_some()
            || self.content_disposition.is_some()
            || self.content_encoding.is_some()
            || self.content_language.is_some()
            || self.expires.is_some()
    }

    /// The members of PutObject / CreateMultipartUpload / CopyObject these attributes set.
    pub(crate) fn members(&self) -> Members {
        let mut out: Members = Vec::new();
        let mut text = |name: &'static str, value: &Option<String>| {
            if let Some(v) = value {
                out.push((name, Value::String(v.clone())));
            }
        };
        text("ContentType", &self.content_type);
        text("CacheControl", &self.cache_control);
        text("ContentDisposition", &self.content_disposition);
        text("ContentEncoding", &self.content_encoding);
        text("ContentLanguage", &self.content_language);
        text("WebsiteRedirectLocation", &self.website_redirect);
        text("GrantFullControl", &self.grants.full_control);
        text("GrantRead", &self.grants.read);
        text("GrantReadACP", &self.grants.read_acp);
        text("GrantWriteACP", &self.grants.write_acp);
        text("Tagging", &self.tagging);
        text("SSEKMSKeyId", &self.sse_kms_key_id);
        let mut named = |name: &'static str, value: Option<&str>| {
            if let Some(v) = value {
                out.push((name, Value::String(v.to_string())));
            }
        };
        named(
            "StorageClass",
            self.storage_class.as_ref().map(|v| v.as_str()),
        );
        named("ACL", self.acl.as_ref().map(|v| v.as_str()));
        named(
            "ServerSideEncryption",
            self.sse.as_ref().map(|v| v.as_str()),
        );
        if let Some(t) = self.expires {
            out.push(("Expires", Value::Timestamp(t)));
        }
        if !self.metadata.is_empty() {
            out.push(("Metadata", metadata_value(&self.metadata)));
        }
        out
    }
}

/// Metadata as the `Metadata` member's value.
pub(crate) fn metadata_value(metadata: &BTreeMap<String, String>) -> Value {
    Value::Json(serde_json::Value::Object(
        metadata
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    ))
}

/// A customer-provided encryption key (SSE-C): the raw 256-bit key and its algorithm. S3 keeps
/// neither; every request that reads or writes the object's bytes must carry it. `Debug` shows
/// the algorithm and the key's MD5, never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SseCustomerKey {
    algorithm: String,
    key: Vec<u8>,
}

impl SseCustomerKey {
    /// An AES256 key: exactly 32 raw bytes (not base64).
    pub fn aes256(key: impl Into<Vec<u8>>) -> Result<Self, Error> {
        Self::new("AES256", key)
    }

    /// A key for `algorithm` (S3 knows only `AES256`): 32 raw bytes.
    pub fn new(algorithm: impl Into<String>, key: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let key = key.into();
        if key.len() != 32 {
            return Err(Error::InvalidInput(format!(
                "an SSE-C key is 32 raw bytes (256 bits), not {} bytes",
                key.len()
            )));
        }
        Ok(SseCustomerKey {
            algorithm: algorithm.into(),
            key,
        })
    }

    /// The algorithm, `AES256`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The key's MD5, base64: what S3 answers in `x-amz-server-side-encryption-customer-key-MD5`.
    pub fn key_md5(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(Md5::digest(&self.key))
    }

    /// The raw key as the `SSECustomerKey` members take it (the runtime sends it base64 with
    /// its MD5): text when it is UTF-8, bytes otherwise.
    fn key_value(&self) -> Value {
        match std::str::from_utf8(&self.key) {
            Ok(text) => Value::String(text.to_string()),
            Err(_) => Value::Body(Body::Bytes(bytes::Bytes::from(self.key.clone()))),
        }
    }

    /// Set the key on `request` (`SSECustomer*`), if its operation takes one.
    pub fn set_on(&self, request: &mut Request) {
        set_members(request, &self.members());
    }

    /// Set the key on `request` as its copy source's (`CopySourceSSECustomer*`), if its
    /// operation takes one.
    pub fn set_as_copy_source_on(&self, request: &mut Request) {
        set_members(request, &self.copy_source_members());
    }

    /// The members for the object being written or read (`SSECustomer*`).
    pub(crate) fn members(&self) -> Members {
        vec![
            (
                "SSECustomerAlgorithm",
                Value::String(self.algorithm.clone()),
            ),
            ("SSECustomerKey", self.key_value()),
        ]
    }

    /// The members for a copy's source (`CopySourceSSECustomer*`).
    pub(crate) fn copy_source_members(&self) -> Members {
        vec![
            (
                "CopySourceSSECustomerAlgorithm",
                Value::String(self.algorithm.clone()),
            ),
            ("CopySourceSSECustomerKey", self.key_value()),
        ]
    }
}

impl std::fmt::Debug for SseCustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseCustomerKey")
            .field("algorithm", &self.algorithm)
            .field("key", &"***")
            .finish()
    }
}

/// Which of the source's properties an S3 → S3 copy keeps, as `aws s3 cp --copy-props` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CopyProps {
    /// Nothing: the copy has only the attributes given (MetadataDirective and TaggingDirective
    /// REPLACE).
    None,
    /// The content headers, expiry and metadata, not the tags.
    MetadataDirective,
    /// The content headers, expiry, metadata and tags (a copy in parts reads the source's tags
    /// with GetObjectTagging to keep them).
    #[default]
    Default,
}

/// Options of a server-side copy beyond source and destination.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// COPY keeps the source's content headers and metadata; REPLACE gives the copy only
    /// `attributes`'. Absent: REPLACE when `attributes.metadata` is given or `copy_props` is
    /// `None` (as the AWS CLI decides), else COPY.
    pub metadata_directive: Option<MetadataDirective>,
    pub copy_props: CopyProps,
    /// The copy's attributes. Storage class, ACL, grants, encryption and website redirect always
    /// apply; content headers, expiry and metadata under REPLACE; tags replace the source's.
    pub attributes: ObjectAttributes,
    /// The key to encrypt the copy with (SSE-C).
    pub sse_customer_key: Option<SseCustomerKey>,
    /// The key the source is encrypted with (SSE-C).
    pub copy_source_sse_customer_key: Option<SseCustomerKey>,
    pub request_payer: Option<RequestPayer>,
    /// The version of the source to copy (`None`: the current one): the HEAD asks for it and
    /// every copy request names it (`CopySource` `bucket/key?versionId=ID`).
    pub source_version_id: Option<String>,
    /// Never replace an existing object: CopyObject, or the CompleteMultipartUpload of a copy in
    /// parts, carries `If-None-Match: *` (412 PreconditionFailed when the key exists).
    pub no_overwrite: bool,
    /// The source's size when the caller knows it (from a listing): a copy at or below the copy
    /// threshold is then one CopyObject without a HEAD first, a request less per object. It keeps
    /// the source's checksum as S3 does by default, without naming the algorithm (moto 5.2.5 then
    /// keeps none: `s3op::compat`).
    pub source_size: Option<u64>,
}

impl CopyOptions {
    /// The metadata directive the copy uses, given or decided as the AWS CLI decides it.
    pub fn effective_directive(&self) -> MetadataDirective {
        match &self.metadata_directive {
            Some(d) => d.clone(),
            None if !self.attributes.metadata.is_empty() || self.copy_props == CopyProps::None => {
                MetadataDirective::Replace
            }
            None => MetadataDirective::Copy,
        }
    }
}

/// `RequestPayer` as a member, when set.
pub(crate) fn payer_members(payer: Option<&RequestPayer>) -> Members {
    payer
        .map(|p| vec![("RequestPayer", Value::String(p.as_str().to_string()))])
        .unwrap_or_default()
}

/// Set each of `members` that the request's operation has.
/// `If-None-Match: *` when the write must not replace an object (set only on the operations that
/// take it: PutObject, CopyObject, CompleteMultipartUpload).
pub(crate) fn no_overwrite_members(no_overwrite: bool) -> Members {
    if no_overwrite {
        vec![("IfNoneMatch", Value::String("*".into()))]
    } else {
        Vec::new()
    }
}

pub(crate) fn set_members(request: &mut Request, members: &[(&'static str, Value)]) {
    for (name, value) in members {
        if request.operation().member(name).is_some() {
            request.set(name, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_key_is_32_bytes_and_never_printed() {
        assert!(SseCustomerKey::aes256(vec![1u8; 31]).is_err());
        let key = SseCustomerKey::aes256(*b"0123456789abcdef0123456789abcdef");
        let shown = format!("{key:?}");
        assert!(!shown.contains("0123456789"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        // A key that is not UTF-8 goes as bytes, not as lossy text.
        let binary = SseCustomerKey::aes256(vec![0xffu8; 32]).ok();
        let members = binary.map(|k| k.members()).unwrap_or_default();
        assert!(
            matches!(members.get(1), Some(("SSECustomerKey", Value::Body(Body::Bytes(b)))) if b.len() == 32),
            "{members:?}"
        );
    }

    #[test]
    fn the_directive_is_replace_when_metadata_is_given_or_nothing_is_kept() {
        let mut options = CopyOptions::default();
        assert_eq!(options.effective_directive(), MetadataDirective::Copy);
        options.copy_props = CopyProps::None;
        assert_eq!(options.effective_directive(), MetadataDirective::Replace);
        options.copy_props = CopyProps::Default;
        options.attributes.metadata.insert("k".into(), "v".into());
        assert_eq!(options.effective_directive(), MetadataDirective::Replace);
        options.metadata_directive = Some(MetadataDirective::Copy);
        assert_eq!(options.effective_directive(), MetadataDirective::Copy);
    }
}
