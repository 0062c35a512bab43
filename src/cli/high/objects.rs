//! Listing what is in S3 for the transfer commands: every page of ListObjectsV2 under a prefix (with
//! or without a delimiter), each page turned into objects and common prefixes, in S3's order. The
//! envelope items are kept as they are for `ls --json`.

use futures_util::{Stream, StreamExt};
use time::OffsetDateTime;

use s3op::types::ListObjectsV2Output;
use s3op::{Client, Envelope, Error};

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
        .map(|page| page.and_then(|envelope| entries(&envelope)))
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

/// A ListObjectsV2 page as entries, read through its typed output; each entry keeps the envelope's
/// JSON item beside it for `ls --json`.
pub(crate) fn entries(envelope: &Envelope) -> Result<Vec<Listed>, Error> {
    let page: ListObjectsV2Output = envelope.parse()?;
    let items = |name: &str| -> Vec<serde_json::Value> {
        envelope.response[name]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let (prefix_items, object_items) = (items("CommonPrefixes"), items("Contents"));
    let mut out = Vec::new();
    for (i, common) in page.common_prefixes().iter().enumerate() {
        if let Some(p) = common.prefix() {
            let item = prefix_items.get(i).cloned().unwrap_or_default();
            out.push(Listed::Prefix(p.to_string(), item));
        }
    }
    for (i, object) in page.contents().iter().enumerate() {
        let Some(key) = object.key() else { continue };
        out.push(Listed::Object(S3Object {
            key: key.to_string(),
            size: object.size().map_or(0, |n| n.max(0) as u64),
            last_modified: object.last_modified().copied(),
            etag: object.e_tag().map(str::to_string),
            item: object_items.get(i).cloned().unwrap_or_default(),
        }));
    }
    Ok(out)
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
        let page = Envelope {
            status: 200,
            response: json!({
                "CommonPrefixes": [{"Prefix": "dir/"}],
                "Contents": [{"Key": "a b", "Size": 12, "LastModified": "2026-01-02T03:04:05.000Z", "ETag": "\"x\""}],
            }),
            headers: Default::default(),
        };
        let e = entries(&page).expect("a page that fits the type");
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
