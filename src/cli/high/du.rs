//! `s3op du s3://bucket[/prefix]`: how many objects are under a prefix and how many bytes they
//! hold, always recursively. `--by-storage-class` adds a line (or a JSON member) per storage class,
//! `--all-versions` counts every version (ListObjectVersions) and the delete markers apart (they
//! have no size), `--human-readable` prints KiB/MiB/GiB and `--json` one JSON object. The pages
//! are streamed and folded as they come: memory does not grow with the number of objects.

use std::collections::BTreeMap;

use clap::ArgMatches;
use futures_util::{stream, Stream, StreamExt};
use serde_json::json;

use s3op::Client;

use super::ls::human_size;
use super::objects;
use super::paths::{self, S3Url};
use super::usage;
use crate::cli::Failure;

/// A storage class S3 leaves out of a listing is the default one.
const DEFAULT_CLASS: &str = "STANDARD";

/// One listed object or version (`size` None: a delete marker), or a listing that failed.
enum Counted {
    Entry {
        size: Option<u64>,
        storage_class: Option<String>,
    },
    Error(String),
}

#[derive(Default)]
struct Totals {
    objects: u64,
    bytes: u64,
}

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let arg = sub.get_one::<String>("url").cloned().unwrap_or_default();
    let url = paths::parse_s3_url(&arg).map_err(usage)?;
    let all_versions = sub.get_flag("all-versions");
    let client = crate::cli::client(global)?;
    if dry_run {
        let request = if all_versions {
            let mut b = client.list_object_versions().bucket(&url.bucket);
            if !url.key.is_empty() {
                b = b.prefix(&url.key);
            }
            b.request()
        } else {
            let mut b = client.list_objects_v2().bucket(&url.bucket);
            if !url.key.is_empty() {
                b = b.prefix(&url.key);
            }
            b.request()
        };
        let dry = request.dry_run().await?;
        crate::cli::say(&serde_json::to_string_pretty(&dry).unwrap_or_default());
        return Ok(0);
    }
    let selection = super::KeySelection {
        pattern: None,
        base: url.key[..url.key.rfind('/').map_or(0, |i| i + 1)].to_string(),
        filters: super::filters(sub)?,
    };
    let entries = listed(&client, &url, all_versions, &selection);
    futures_util::pin_mut!(entries);
    let (mut total, mut markers) = (Totals::default(), 0u64);
    let mut classes: BTreeMap<String, Totals> = BTreeMap::new();
    while let Some(entry) = entries.next().await {
        match entry {
            Counted::Entry {
                size: Some(size),
                storage_class,
            } => {
                total.objects += 1;
                total.bytes += size;
                let class = storage_class.unwrap_or_else(|| DEFAULT_CLASS.into());
                let counted = classes.entry(class).or_default();
                counted.objects += 1;
                counted.bytes += size;
            }
            Counted::Entry { size: None, .. } => markers += 1,
            Counted::Error(message) => {
                eprintln!("s3op: error: du {url}: {message}");
                return Ok(1);
            }
        }
    }
    let human = sub.get_flag("human-readable");
    let by_class = sub.get_flag("by-storage-class");
    let size = |bytes: u64| {
        if human {
            human_size(bytes)
        } else {
            bytes.to_string()
        }
    };
    let noun = if all_versions { "versions" } else { "objects" };
    let text = if sub.get_flag("json") {
        let mut object = json!({
            "Url": url.to_string(),
            "Objects": total.objects,
            "Size": total.bytes,
        });
        if human {
            object["HumanSize"] = json!(human_size(total.bytes));
        }
        if all_versions {
            object["DeleteMarkers"] = json!(markers);
        }
        if by_class {
            let map: serde_json::Map<String, serde_json::Value> = classes
                .iter()
                .map(|(class, t)| {
                    (
                        class.clone(),
                        json!({"Objects": t.objects, "Size": t.bytes}),
                    )
                })
                .collect();
            object["StorageClasses"] = serde_json::Value::Object(map);
        }
        object.to_string()
    } else {
        let mut lines = Vec::new();
        if by_class {
            for (class, t) in &classes {
                lines.push(format!(
                    "{:>12} {:>10} {noun} {class}",
                    size(t.bytes),
                    t.objects
                ));
            }
        }
        let mut last = format!(
            "{:>12} {:>10} {noun} {url}",
            size(total.bytes),
            total.objects
        );
        if all_versions {
            last.push_str(&format!(" ({markers} delete markers)"));
        }
        lines.push(last);
        lines.join("\n")
    };
    crate::cli::say(&text);
    Ok(0)
}

/// Every object (or version and delete marker) under the prefix, as the pages arrive: the one
/// stream of keys `du` counts.
fn listed<'a>(
    client: &'a Client,
    url: &S3Url,
    all_versions: bool,
    selection: &'a super::KeySelection,
) -> impl Stream<Item = Counted> + 'a {
    let (bucket, prefix) = (url.bucket.clone(), url.key.clone());
    let failed = |e: s3op::Error| vec![Counted::Error(format!("listing: {e}"))];
    let pages = if all_versions {
        objects::list_all_versions(client, &bucket, &prefix)
            .map(move |page| match page {
                Ok(versions) => versions
                    .into_iter()
                    .filter(|v| selection.takes(&v.key))
                    .map(|v| Counted::Entry {
                        size: v.size,
                        storage_class: v.storage_class,
                    })
                    .collect(),
                Err(e) => failed(e),
            })
            .boxed()
    } else {
        objects::list_objects(client, &bucket, &prefix)
            .map(move |page| match page {
                Ok(objects) => objects
                    .into_iter()
                    .filter(|o| selection.takes(&o.key))
                    .map(|o| Counted::Entry {
                        size: Some(o.size),
                        storage_class: o.storage_class,
                    })
                    .collect(),
                Err(e) => failed(e),
            })
            .boxed()
    };
    pages.flat_map(stream::iter)
}
