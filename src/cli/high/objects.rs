//! Listing what is in S3 for the transfer commands: every page of ListObjectsV2 under a prefix (with
//! or without a delimiter), each page turned into objects and common prefixes, in S3's order; and
//! every page of ListObjectVersions, each turned into versions and delete markers (in key order,
//! the latest then newest first within a key). The envelope items are kept as they are for `ls --json`.

use futures_util::{Stream, StreamExt};
use time::OffsetDateTime;

use s3op::types::{ListObjectVersionsOutput, ListObjectsV2Output};
use s3op::{Client, Envelope, Error};

/// One object from a listing.
#[derive(Debug, Clone)]
pub(crate) struct S3Object {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<OffsetDateTime>,
    /// As S3 sent it, quotes included.
    pub etag: Option<String>,
    /// As S3 sent it (`STANDARD`, `GLACIER`…); none when the listing leaves it out.
    pub storage_class: Option<String>,
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
    let pages = match delimiter {
        // A whole prefix: large ones a subdirectory per listing in parallel, still in key order.
        None => {
            s3op::scan::objects_in_key_order(client, bucket, prefix, s3op::scan::LISTINGS_IN_FLIGHT)
                .boxed()
        }
        Some(d) => {
            let mut builder = client.list_objects_v2().bucket(bucket).delimiter(d);
            if !prefix.is_empty() {
                builder = builder.prefix(prefix);
            }
            builder.request().pages().boxed()
        }
    };
    pages.map(|page| page.and_then(|envelope| entries(&envelope)))
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
            storage_class: object
                .storage_class
                .as_ref()
                .map(|c| c.as_str().to_string()),
            item: object_items.get(i).cloned().unwrap_or_default(),
        }));
    }
    Ok(out)
}

/// One version of an object, or a delete marker, from a ListObjectVersions page.
#[derive(Debug, Clone)]
pub(crate) struct S3Version {
    pub key: String,
    /// `null` for what was written before versioning was enabled, as S3 names it.
    pub version_id: String,
    /// None for a delete marker.
    pub size: Option<u64>,
    pub delete_marker: bool,
    pub is_latest: bool,
    pub last_modified: Option<OffsetDateTime>,
    pub storage_class: Option<String>,
    /// The envelope's `Versions` or `DeleteMarkers` item, with `"DeleteMarker": true|false` added.
    pub item: serde_json::Value,
}

/// One entry of a ListObjectVersions page.
#[derive(Debug, Clone)]
pub(crate) enum ListedVersion {
    Version(S3Version),
    /// A common prefix (`dir/`) and the envelope's `CommonPrefixes` item.
    Prefix(String, serde_json::Value),
}

/// Every page of ListObjectVersions under `prefix` in `bucket`: common prefixes first, then the
/// versions and delete markers. The stream ends after the first error.
pub(crate) fn list_versions<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
) -> impl Stream<Item = Result<Vec<ListedVersion>, Error>> + 'a {
    let mut builder = client.list_object_versions().bucket(bucket);
    if !prefix.is_empty() {
        builder = builder.prefix(prefix);
    }
    if let Some(d) = delimiter {
        builder = builder.delimiter(d);
    }
    builder
        .request()
        .pages()
        .map(|page| page.and_then(|envelope| version_entries(&envelope)))
}

/// Every version and delete marker under `prefix` (no delimiter), page by page.
pub(crate) fn list_all_versions<'a>(
    client: &'a Client,
    bucket: &str,
    prefix: &str,
) -> impl Stream<Item = Result<Vec<S3Version>, Error>> + 'a {
    list_versions(client, bucket, prefix, None).map(|page| {
        page.map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| match e {
                    ListedVersion::Version(v) => Some(v),
                    ListedVersion::Prefix(..) => None,
                })
                .collect()
        })
    })
}

/// A ListObjectVersions page as entries. The envelope holds versions and delete markers in two
/// lists; they are merged back into S3's order: by key, newest first within a key.
pub(crate) fn version_entries(envelope: &Envelope) -> Result<Vec<ListedVersion>, Error> {
    let page: ListObjectVersionsOutput = envelope.parse()?;
    let items = |name: &str| -> Vec<serde_json::Value> {
        envelope.response[name]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let with_marker = |mut item: serde_json::Value, marker: bool| {
        if let Some(object) = item.as_object_mut() {
            object.insert("DeleteMarker".into(), serde_json::Value::Bool(marker));
        }
        item
    };
    let (prefix_items, version_items, marker_items) = (
        items("CommonPrefixes"),
        items("Versions"),
        items("DeleteMarkers"),
    );
    let mut out = Vec::new();
    for (i, common) in page.common_prefixes.iter().enumerate() {
        if let Some(p) = common.prefix() {
            let item = prefix_items.get(i).cloned().unwrap_or_default();
            out.push(ListedVersion::Prefix(p.to_string(), item));
        }
    }
    let mut versions = Vec::new();
    for (i, v) in page.versions.iter().enumerate() {
        let Some(key) = v.key.clone() else { continue };
        versions.push(S3Version {
            key,
            version_id: v.version_id.clone().unwrap_or_else(|| "null".into()),
            size: Some(v.size.map_or(0, |n| n.max(0) as u64)),
            delete_marker: false,
            is_latest: v.is_latest.unwrap_or(false),
            last_modified: v.last_modified,
            storage_class: v.storage_class.as_ref().map(|c| c.as_str().to_string()),
            item: with_marker(version_items.get(i).cloned().unwrap_or_default(), false),
        });
    }
    for (i, m) in page.delete_markers.iter().enumerate() {
        let Some(key) = m.key.clone() else { continue };
        versions.push(S3Version {
            key,
            version_id: m.version_id.clone().unwrap_or_else(|| "null".into()),
            size: None,
            delete_marker: true,
            is_latest: m.is_latest.unwrap_or(false),
            last_modified: m.last_modified,
            storage_class: None,
            item: with_marker(marker_items.get(i).cloned().unwrap_or_default(), true),
        });
    }
    // Within a key: the latest first (times have whole seconds, so they may tie), then newest
    // first; the sort is stable, so entries that tie keep the order S3 gave them.
    versions.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| b.is_latest.cmp(&a.is_latest))
            .then_with(|| b.last_modified.cmp(&a.last_modified))
    });
    out.extend(versions.into_iter().map(ListedVersion::Version));
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

/// The pages of a listing held back by one: page N comes out only once page N+1 has arrived (or
/// the listing has ended). A caller deleting what each page lists then never deletes the entry the
/// next page is asked from: moto 5.2.5 pages ListObjectVersions from a marker that must still
/// exist (see `s3op::compat::QUIRKS`). Memory: one page more.
pub(crate) fn one_page_behind<T>(pages: impl Stream<Item = T>) -> impl Stream<Item = T> {
    pages
        .map(Some)
        .chain(futures_util::stream::once(async { None }))
        .scan(None, |held, page| {
            let out = std::mem::replace(held, page);
            std::future::ready(Some(out))
        })
        .filter_map(std::future::ready)
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

    #[test]
    fn version_pages_merge_markers_by_key_newest_first() {
        let page = Envelope {
            status: 200,
            response: json!({
                "Versions": [
                    {"Key": "a", "VersionId": "a2", "IsLatest": false, "Size": 3, "LastModified": "2026-01-02T03:04:06.000Z"},
                    {"Key": "b", "VersionId": "b1", "IsLatest": true, "Size": 5, "LastModified": "2026-01-02T03:04:01.000Z"},
                ],
                "DeleteMarkers": [
                    {"Key": "a", "VersionId": "a3", "IsLatest": true, "LastModified": "2026-01-02T03:04:07.000Z"},
                ],
            }),
            headers: Default::default(),
        };
        let entries = version_entries(&page).expect("a page that fits the type");
        let seen: Vec<(String, String, bool, Option<u64>)> = entries
            .into_iter()
            .map(|e| match e {
                ListedVersion::Version(v) => {
                    assert_eq!(v.item["DeleteMarker"], json!(v.delete_marker));
                    (v.key, v.version_id, v.is_latest, v.size)
                }
                ListedVersion::Prefix(p, _) => panic!("no prefixes asked for: {p}"),
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("a".into(), "a3".into(), true, None),
                ("a".into(), "a2".into(), false, Some(3)),
                ("b".into(), "b1".into(), true, Some(5)),
            ]
        );
    }
}
