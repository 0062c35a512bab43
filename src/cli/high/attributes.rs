//! The object-attribute flags of `cp`, `mv` and `sync`, named as `aws s3 cp` names them
//! (`--metadata`, `--storage-class`, `--sse-c`, `--copy-props`…), and their parsing into the
//! library's typed options. Everything is checked here, before anything is sent: a bad value or a
//! conflicting pair of flags is a usage error (exit 2) naming the flag. Which flags a command's
//! direction (upload, download, S3 → S3) allows is checked by [`Attributes::check_direction`].

use std::collections::BTreeMap;

use clap::{Arg, ArgAction, ArgMatches};

use s3op::transfer::{CopyOptions, CopyProps, Grants, ObjectAttributes, SseCustomerKey};
use s3op::types::{
    MetadataDirective, ObjectCannedACL, RequestPayer, ServerSideEncryption, StorageClass,
};

use super::usage;
use crate::cli::Failure;

/// Which way a command moves bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Upload,
    Download,
    Copy,
}

/// The flags every byte-moving command takes (`cp`, `mv`, `sync`).
pub(crate) fn attribute_args() -> Vec<Arg> {
    let text = |name: &'static str, value: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name(value).help(help)
    };
    vec![
        text(
            "metadata",
            "MAP",
            "User metadata of uploads and copies: JSON {\"k\":\"v\"} or k=v,k2=v2 (on a copy, implies --metadata-directive REPLACE)",
        ),
        text("storage-class", "CLASS", "Storage class of uploads and copies")
            .value_parser(clap::builder::PossibleValuesParser::new(StorageClass::VALUES)),
        text("acl", "ACL", "Canned ACL of uploads and copies")
            .value_parser(clap::builder::PossibleValuesParser::new(ObjectCannedACL::VALUES)),
        Arg::new("grants")
            .long("grants")
            .value_name("PERMISSION=GRANTEE")
            .num_args(1..)
            .action(ArgAction::Append)
            .help("Grants: read|readacl|writeacl|full=GRANTEE, GRANTEE as S3 takes it (uri=…, id=…, emailaddress=…); several allowed"),
        text("cache-control", "VALUE", "Cache-Control of uploads and copies"),
        text("content-disposition", "VALUE", "Content-Disposition of uploads and copies"),
        text("content-encoding", "VALUE", "Content-Encoding of uploads and copies"),
        text("content-language", "VALUE", "Content-Language of uploads and copies"),
        text("expires", "TIMESTAMP", "Expires of uploads and copies: an ISO 8601 timestamp (2027-01-02T03:04:05Z)"),
        text("website-redirect", "URL", "x-amz-website-redirect-location of uploads and copies"),
        text("tagging", "TAGS", "Tags of uploads and copies, URL query encoded: k1=v1&k2=v2 (on a copy, replaces the source's)"),
        Arg::new("sse")
            .long("sse")
            .value_name("ALGORITHM")
            .num_args(0..=1)
            .default_missing_value("AES256")
            .value_parser(["AES256", "aws:kms", "aws:kms:dsse"])
            .help("Server-side encryption of uploads and copies: AES256 (the default value), aws:kms, aws:kms:dsse"),
        text("sse-kms-key-id", "KEY", "The KMS key of --sse aws:kms or aws:kms:dsse"),
    ]
    .into_iter()
    .chain(read_args())
    .collect()
}

/// The flags that reading an object takes too (`cat`): its SSE-C key and the requester-pays
/// acknowledgement.
pub(crate) fn read_args() -> Vec<Arg> {
    let text = |name: &'static str, value: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name(value).help(help)
    };
    vec![
        Arg::new("sse-c")
            .long("sse-c")
            .value_name("ALGORITHM")
            .num_args(0..=1)
            .default_missing_value("AES256")
            .value_parser(["AES256"])
            .help("Encrypt uploads and copies, or read downloads, with a customer key (SSE-C, AES256); needs --sse-c-key"),
        text("sse-c-key", "KEY", "The SSE-C key: 32 raw bytes (not base64), or fileb://PATH to read them from a file"),
        Arg::new("request-payer")
            .long("request-payer")
            .value_name("PAYER")
            .num_args(0..=1)
            .default_missing_value("requester")
            .value_parser(["requester"])
            .help("Acknowledge that the requester pays for the requests and transfer"),
    ]
}

/// The flags only an S3 → S3 copy takes (`cp`, `mv`).
pub(crate) fn copy_args() -> Vec<Arg> {
    vec![
        Arg::new("metadata-directive")
            .long("metadata-directive")
            .value_name("DIRECTIVE")
            .value_parser(["COPY", "REPLACE"])
            .help("S3 → S3: COPY keeps the source's content headers and metadata, REPLACE gives the copy only those given"),
        Arg::new("copy-props")
            .long("copy-props")
            .value_name("PROPS")
            .value_parser(["none", "metadata-directive", "default"])
            .help("S3 → S3: what the copy keeps of the source: none, metadata-directive (content headers, expiry, metadata), default (those and the tags)"),
        Arg::new("sse-c-copy-source")
            .long("sse-c-copy-source")
            .value_name("ALGORITHM")
            .num_args(0..=1)
            .default_missing_value("AES256")
            .value_parser(["AES256"])
            .help("S3 → S3: the source is encrypted with a customer key (SSE-C); needs --sse-c-copy-source-key"),
        Arg::new("sse-c-copy-source-key")
            .long("sse-c-copy-source-key")
            .value_name("KEY")
            .help("S3 → S3: the source's SSE-C key: 32 raw bytes, or fileb://PATH"),
    ]
}

/// The attribute flags of one command line, parsed and checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attributes {
    pub object: ObjectAttributes,
    pub sse_customer_key: Option<SseCustomerKey>,
    pub request_payer: Option<RequestPayer>,
    pub metadata_directive: Option<MetadataDirective>,
    pub copy_props: Option<CopyProps>,
    pub copy_source_sse_customer_key: Option<SseCustomerKey>,
}

impl Attributes {
    /// Parse and check the flags (those the command does not have are absent).
    pub fn from_matches(sub: &ArgMatches) -> Result<Attributes, Failure> {
        let get = |name: &str| sub.try_get_one::<String>(name).ok().flatten().cloned();
        let mut object = ObjectAttributes {
            content_type: get("content-type"),
            cache_control: get("cache-control"),
            content_disposition: get("content-disposition"),
            content_encoding: get("content-encoding"),
            content_language: get("content-language"),
            website_redirect: get("website-redirect"),
            storage_class: get("storage-class").map(StorageClass::from),
            acl: get("acl").map(ObjectCannedACL::from),
            tagging: get("tagging"),
            sse: get("sse").map(ServerSideEncryption::from),
            sse_kms_key_id: get("sse-kms-key-id"),
            ..ObjectAttributes::default()
        };
        if let Some(text) = get("metadata") {
            object.metadata =
                parse_metadata(&text).map_err(|e| usage(format!("--metadata {text}: {e}")))?;
        }
        if let Some(text) = get("expires") {
            object.expires = Some(
                s3op::timestamp::parse_timestamp(&text)
                    .map_err(|e| usage(format!("--expires: {e}")))?,
            );
        }
        if let Ok(Some(grants)) = sub.try_get_many::<String>("grants") {
            object.grants = parse_grants(grants.map(String::as_str))?;
        }
        if let Some(tagging) = &object.tagging {
            if tagging.is_empty() || tagging.split('&').any(|pair| pair.is_empty()) {
                return Err(usage(format!(
                    "--tagging {tagging:?}: expected URL query encoded tags, k1=v1&k2=v2"
                )));
            }
        }
        let sse_customer_key = customer_key(sub, "sse-c", "sse-c-key")?;
        let copy_source_sse_customer_key =
            customer_key(sub, "sse-c-copy-source", "sse-c-copy-source-key")?;
        if let (Some(sse), Some(_)) = (&object.sse, &sse_customer_key) {
            return Err(usage(format!(
                "--sse {sse} and --sse-c are two kinds of server-side encryption: give one"
            )));
        }
        let kms = matches!(
            object.sse,
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse)
        );
        if object.sse_kms_key_id.is_some() && !kms {
            return Err(usage(
                "--sse-kms-key-id needs --sse aws:kms or --sse aws:kms:dsse",
            ));
        }
        Ok(Attributes {
            object,
            sse_customer_key,
            request_payer: get("request-payer").map(RequestPayer::from),
            metadata_directive: get("metadata-directive").map(MetadataDirective::from),
            copy_props: get("copy-props").map(|p| match p.as_str() {
                "none" => CopyProps::None,
                "metadata-directive" => CopyProps::MetadataDirective,
                _ => CopyProps::Default,
            }),
            copy_source_sse_customer_key,
        })
    }

    /// Refuse the flags that have no meaning for `direction`: the copy-only ones on an upload or
    /// a download.
    pub fn check_direction(&self, direction: Direction) -> Result<(), Failure> {
        if direction == Direction::Copy {
            return Ok(());
        }
        let copy_only = [
            ("--metadata-directive", self.metadata_directive.is_some()),
            ("--copy-props", self.copy_props.is_some()),
            (
                "--sse-c-copy-source",
                self.copy_source_sse_customer_key.is_some(),
            ),
        ];
        match copy_only.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(usage(format!(
                "{flag} applies only to S3 → S3 copies (SRC and DST both s3:// URLs)"
            ))),
            None => Ok(()),
        }
    }

    /// The options of a server-side copy.
    pub fn copy_options(&self) -> CopyOptions {
        CopyOptions {
            metadata_directive: self.metadata_directive.clone(),
            copy_props: self.copy_props.unwrap_or_default(),
            attributes: self.object.clone(),
            sse_customer_key: self.sse_customer_key.clone(),
            copy_source_sse_customer_key: self.copy_source_sse_customer_key.clone(),
            request_payer: self.request_payer.clone(),
            source_version_id: None,
            no_overwrite: false,
            source_size: None,
        }
    }
}

/// `--metadata`: a JSON object of strings, or the shorthand `k=v,k2=v2`.
fn parse_metadata(text: &str) -> Result<BTreeMap<String, String>, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| format!("not a JSON object: {e}"))?;
        return map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, s)),
                other => Err(format!("the value of {k:?} is {other}, not a string")),
            })
            .collect();
    }
    let mut map = BTreeMap::new();
    for pair in trimmed.split(',') {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                map.insert(k.trim().to_string(), v.to_string());
            }
            _ => {
                return Err(format!(
                    "{pair:?} is not key=value (expected JSON {{\"k\":\"v\"}} or k=v,k2=v2)"
                ))
            }
        }
    }
    Ok(map)
}

/// `--grants read=uri=… full=id=…`: each permission's grantees, comma-joined.
fn parse_grants<'a>(values: impl Iterator<Item = &'a str>) -> Result<Grants, Failure> {
    let mut grants = Grants::default();
    for value in values {
        let (permission, grantee) = value
            .split_once('=')
            .filter(|(_, g)| !g.is_empty())
            .ok_or_else(|| usage(format!("--grants {value}: expected PERMISSION=GRANTEE")))?;
        let slot = match permission {
            "read" => &mut grants.read,
            "readacl" => &mut grants.read_acp,
            "writeacl" => &mut grants.write_acp,
            "full" => &mut grants.full_control,
            other => {
                return Err(usage(format!(
                    "--grants {value}: the permission {other:?} is not one of read, readacl, writeacl, full"
                )))
            }
        };
        *slot = Some(match slot.take() {
            Some(before) => format!("{before}, {grantee}"),
            None => grantee.to_string(),
        });
    }
    Ok(grants)
}

/// An SSE-C key from `--ALGORITHM_FLAG` and `--KEY_FLAG`, which go together (as in the AWS CLI).
fn customer_key(
    sub: &ArgMatches,
    algorithm_flag: &str,
    key_flag: &str,
) -> Result<Option<SseCustomerKey>, Failure> {
    let get = |name: &str| sub.try_get_one::<String>(name).ok().flatten().cloned();
    match (get(algorithm_flag), get(key_flag)) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(usage(format!(
            "--{algorithm_flag} needs --{key_flag} (the key itself)"
        ))),
        (None, Some(_)) => Err(usage(format!(
            "--{key_flag} needs --{algorithm_flag} (AES256)"
        ))),
        (Some(algorithm), Some(text)) => {
            let key = match text
                .strip_prefix("fileb://")
                .or_else(|| text.strip_prefix("file://"))
            {
                Some(path) => {
                    std::fs::read(path).map_err(|e| usage(format!("--{key_flag} {text}: {e}")))?
                }
                None => text.into_bytes(),
            };
            SseCustomerKey::new(algorithm, key)
                .map(Some)
                .map_err(|e| usage(format!("--{key_flag}: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_json_or_shorthand() {
        let json = parse_metadata(r#"{"a":"1","b":"x=y"}"#);
        let short = parse_metadata("a=1,b=x=y");
        assert_eq!(json, short);
        assert_eq!(
            short.ok().and_then(|m| m.get("b").cloned()),
            Some("x=y".into())
        );
        assert!(parse_metadata(r#"{"a":1}"#).is_err());
        assert!(parse_metadata("novalue").is_err());
        assert!(parse_metadata("{not json").is_err());
    }

    #[test]
    fn grants_of_one_permission_are_joined() {
        let grants = parse_grants(
            ["read=uri=http://acs/AllUsers", "read=id=abc", "full=id=def"].into_iter(),
        )
        .ok();
        let grants = grants.unwrap_or_default();
        assert_eq!(
            grants.read.as_deref(),
            Some("uri=http://acs/AllUsers, id=abc")
        );
        assert_eq!(grants.full_control.as_deref(), Some("id=def"));
        assert!(parse_grants(["write=id=x"].into_iter()).is_err());
        assert!(parse_grants(["read"].into_iter()).is_err());
    }
}
