//! Listing what is in S3 for the transfer commands: every page of ListObjectsV2 under a prefix (with
//! or without a delimiter), each page turned into objects and common prefixes, in S3's order. The
//! envelope items are kept as they are for `ls --json`.

use futures_util::{Stream, StreamExt};
use time::OffsetDateTime;

use s3op::{Client, Error};

/// One object from a listing.
#[derive(Debug, Clone)]
pub(crate) struct S3Object {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<OffsetDateTime>,
    /// As S3 sent it, quotes included.
    pub etag: Option<String>,
    /// The envelope's `Contents` item.
    pub item: serde_json::Value,
}

/// One entry of a listing page.
#[derive(Debug, Clone)]
pub(crate) enum Listed {
    Object(S3Object),
    /// A common prefix (`dir/`) and the envelope's `CommonPrefixes` item.
    Prefix(String, serde_json::Value),
}

/// Every page under `prefix` in `bucket`: common prefixes first, then objects, page by page. The
/// stream ends after the first error.
pub(crate) fn list<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
) -> impl Stream<Item = Result<Vec<Listed>, Error>> + 'a {
    let mut builder = client.list_objects_v2().bucket(bucket);
    if !prefix.is_empty() {
        builder = builder.prefix(prefix);
    }
    if let Some(d) = delimiter {
        builder = builder.delimiter(d);
    }
    builder
        .request()
        .pages()
        .map(|page| page.map(|envelope| entries(&envelope.response)))
}

/// Every object under `prefix` (no delimiter), page by page.
pub(crate) fn list_objects<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
) -> impl Stream<Item = Result<Vec<S3Object>, Error>> + 'a {
    list(client, bucket, prefix, None).map(|page| {
        page.map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| match e {
                    Listed::Object(o) => Some(o),
                    Listed::Prefix(..) => None,
                })
                .collect()
        })
    })
}

/// A ListObjectsV2 response as entries.
pub(crate) fn entries(response: &serde_json::Value) -> Vec<Listed> {
    let mut out = Vec::new();
    for item in response["CommonPrefixes"].as_array().into_iter().flatten() {
        if let Some(p) = item["Prefix"].as_str() {
            out.push(Listed::Prefix(p.to_string(), item.clone()));
        }
    }
    for item in response["Contents"].as_array().into_iter().flatten() {
        if let Some(o) = object(item) {
            out.push(Listed::Object(o));
        }
    }
    out
}

fn object(item: &serde_json::Value) -> Option<S3Object> {
    let key = item["Key"].as_str()?.to_string();
    let size = match &item["Size"] {
        serde_json::Value::Number(n) => n.as_u64().unwrap_or(0),
        serde_json::Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    };
    let last_modified = item["LastModified"]
        .as_str()
        .and_then(|t| s3op::timestamp::parse_timestamp(t).ok());
    Some(S3Object {
        key,
        size,
        last_modified,
        etag: item["ETag"].as_str().map(str::to_string),
        item: item.clone(),
    })
}

/// `2026-01-02 03:04:05` (UTC), as listings print times.
pub(crate) fn format_time(t: Option<OffsetDateTime>) -> String {
    match t {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        None => " ".repeat(19),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_become_entries() {
        let page = json!({
            "CommonPrefixes": [{"Prefix": "dir/"}],
            "Contents": [{"Key": "a b", "Size": 12, "LastModified": "2026-01-02T03:04:05.000Z", "ETag": "\"x\""}],
        });
        let e = entries(&page);
        assert!(matches!(&e[0], Listed::Prefix(p, _) if p == "dir/"));
        match &e[1] {
            Listed::Object(o) => {
                assert_eq!((o.key.as_str(), o.size), ("a b", 12));
                assert_eq!(format_time(o.last_modified), "2026-01-02 03:04:05");
                assert_eq!(o.etag.as_deref(), Some("\"x\""));
            }
            other => panic!("{other:?}"),
        }
    }
}
