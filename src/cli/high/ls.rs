//! `s3op ls [s3://bucket[/prefix]]`: the buckets, or what is under a prefix, one line per entry and
//! every page followed. Text as `aws s3 ls` prints it (`PRE dir/` lines, then `date time size key`),
//! times in UTC; `--json` prints each listing item of the envelope as one JSON line instead.
//! `--all-versions` lists every version and delete marker (ListObjectVersions) instead, one line
//! each: `date time size version-id LATEST key`, `DELETE` in the size column for a delete marker.

use std::io::Write;

use clap::ArgMatches;
use futures_util::StreamExt;
use s3op::types::ListBucketsOutput;

use super::objects::{self, Listed, ListedVersion};
use super::paths;
use super::usage;
use crate::cli::Failure;

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let url = match sub.get_one::<String>("url") {
        Some(arg) if arg.eq_ignore_ascii_case("s3://") => None,
        Some(arg) => Some(paths::parse_s3_url(arg).map_err(usage)?),
        None => None,
    };
    let options = Options {
        json: sub.get_flag("json"),
        human: sub.get_flag("human-readable"),
    };
    let client = crate::cli::client(global)?;
    let Some(url) = url else {
        if dry_run {
            return dry(client.list_buckets().request()).await;
        }
        return list_buckets(&client, &options).await;
    };
    let pattern = (!sub.get_flag("raw") && paths::has_wildcard(&url.key)).then(|| url.key.clone());
    let recursive = sub.get_flag("recursive") || pattern.is_some();
    let prefix = match &pattern {
        Some(p) => paths::literal_prefix(p).to_string(),
        None => url.key.clone(),
    };
    // Names are shown relative to the "directory" of the prefix, as aws s3 ls does; in full when
    // listing recursively.
    let shown_from = if recursive {
        0
    } else {
        prefix.rfind('/').map_or(0, |i| i + 1)
    };
    let delimiter = (!recursive).then_some("/");
    // Filters see each key relative to the listed prefix's "directory".
    let selection = super::KeySelection {
        pattern: pattern.clone(),
        base: prefix[..prefix.rfind('/').map_or(0, |i| i + 1)].to_string(),
        filters: super::filters(sub)?,
    };
    if sub.get_flag("all-versions") {
        if dry_run {
            let mut builder = client.list_object_versions().bucket(&url.bucket);
            if !prefix.is_empty() {
                builder = builder.prefix(&prefix);
            }
            if let Some(d) = delimiter {
                builder = builder.delimiter(d);
            }
            return dry(builder.request()).await;
        }
        let listing = VersionListing {
            url: &url,
            prefix: &prefix,
            delimiter,
            selection: &selection,
            shown_from,
            summarize: sub.get_flag("summarize"),
        };
        return list_versions(&client, &options, listing).await;
    }
    if dry_run {
        let mut builder = client.list_objects_v2().bucket(&url.bucket);
        if !prefix.is_empty() {
            builder = builder.prefix(&prefix);
        }
        if let Some(d) = delimiter {
            builder = builder.delimiter(d);
        }
        return dry(builder.request()).await;
    }
    let (mut count, mut total) = (0u64, 0u64);
    let pages = objects::list(&client, &url.bucket, &prefix, delimiter);
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let entries = match page {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("s3op: error: ls {url}: {e}");
                return Ok(1);
            }
        };
        let mut text = String::new();
        for entry in entries {
            let line = match entry {
                Listed::Prefix(p, item) => {
                    if !selection
                        .filters
                        .includes(p.get(selection.base.len()..).unwrap_or(&p))
                    {
                        continue;
                    }
                    if options.json {
                        item.to_string()
                    } else {
                        format!("{:>31}{}", "PRE ", p.get(shown_from..).unwrap_or(&p))
                    }
                }
                Listed::Object(o) => {
                    if !selection.takes(&o.key) {
                        continue;
                    }
                    count += 1;
                    total += o.size;
                    if options.json {
                        o.item.to_string()
                    } else {
                        format!(
                            "{} {:>10} {}",
                            objects::format_time(o.last_modified),
                            options.size(o.size),
                            o.key.get(shown_from..).unwrap_or(&o.key)
                        )
                    }
                }
            };
            text.push_str(&line);
            text.push('\n');
        }
        if !print(&text) {
            // stdout closed (`| head`): stop quietly.
            return Ok(0);
        }
    }
    if sub.get_flag("summarize") {
        print(&if options.json {
            format!(
                "{}\n",
                serde_json::json!({"TotalObjects": count, "TotalSize": total})
            )
        } else {
            format!(
                "\nTotal Objects: {count}\n   Total Size: {}\n",
                options.size(total)
            )
        });
    }
    Ok(0)
}

/// What `ls --all-versions` lists and how it shows the keys.
struct VersionListing<'a> {
    url: &'a paths::S3Url,
    prefix: &'a str,
    delimiter: Option<&'a str>,
    selection: &'a super::KeySelection,
    shown_from: usize,
    summarize: bool,
}

/// `ls --all-versions`: every version and delete marker under the prefix, page by page. The
/// summary counts versions (and their bytes) and delete markers apart.
async fn list_versions(
    client: &s3op::Client,
    options: &Options,
    listing: VersionListing<'_>,
) -> Result<i32, Failure> {
    let (mut count, mut total, mut markers) = (0u64, 0u64, 0u64);
    let pages = objects::list_versions(
        client,
        &listing.url.bucket,
        listing.prefix,
        listing.delimiter,
    );
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let entries = match page {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("s3op: error: ls {}: {e}", listing.url);
                return Ok(1);
            }
        };
        let mut text = String::new();
        for entry in entries {
            let line = match entry {
                ListedVersion::Prefix(p, item) => {
                    let filters = &listing.selection.filters;
                    if !filters.includes(p.get(listing.selection.base.len()..).unwrap_or(&p)) {
                        continue;
                    }
                    if options.json {
                        item.to_string()
                    } else {
                        format!(
                            "{:>31}{}",
                            "PRE ",
                            p.get(listing.shown_from..).unwrap_or(&p)
                        )
                    }
                }
                ListedVersion::Version(v) => {
                    if !listing.selection.takes(&v.key) {
                        continue;
                    }
                    match v.size {
                        Some(size) => {
                            count += 1;
                            total += size;
                        }
                        None => markers += 1,
                    }
                    if options.json {
                        v.item.to_string()
                    } else {
                        let size = match (v.delete_marker, v.size) {
                            (false, Some(size)) => options.size(size),
                            _ => "DELETE".to_string(),
                        };
                        format!(
                            "{} {size:>10} {:<32} {:<6} {}",
                            objects::format_time(v.last_modified),
                            v.version_id,
                            if v.is_latest { "LATEST" } else { "" },
                            v.key.get(listing.shown_from..).unwrap_or(&v.key)
                        )
                    }
                }
            };
            text.push_str(&line);
            text.push('\n');
        }
        if !print(&text) {
            return Ok(0);
        }
    }
    if listing.summarize {
        print(&if options.json {
            format!(
                "{}\n",
                serde_json::json!({"TotalVersions": count, "TotalSize": total, "TotalDeleteMarkers": markers})
            )
        } else {
            format!(
                "\nTotal Versions: {count}\n    Total Size: {}\nDelete Markers: {markers}\n",
                options.size(total)
            )
        });
    }
    Ok(0)
}

struct Options {
    json: bool,
    human: bool,
}

impl Options {
    fn size(&self, bytes: u64) -> String {
        if !self.human {
            return bytes.to_string();
        }
        human_size(bytes)
    }
}

/// `1536` → `1.5 KiB`.
pub(super) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} Bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

async fn list_buckets(client: &s3op::Client, options: &Options) -> Result<i32, Failure> {
    let pages = client.list_buckets().request().pages();
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let envelope = match page {
            Ok(envelope) => envelope,
            Err(e) => {
                eprintln!("s3op: error: ls: {e}");
                return Ok(1);
            }
        };
        let buckets: ListBucketsOutput = match envelope.parse() {
            Ok(buckets) => buckets,
            Err(e) => {
                eprintln!("s3op: error: ls: {e}");
                return Ok(1);
            }
        };
        let items = envelope.response["Buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut text = String::new();
        for (i, bucket) in buckets.buckets().iter().enumerate() {
            let line = if options.json {
                // As the envelope holds it, for jq.
                items
                    .get(i)
                    .map(|item| item.to_string())
                    .unwrap_or_default()
            } else {
                format!(
                    "{} {}",
                    objects::format_time(bucket.creation_date().copied()),
                    bucket.name().unwrap_or("")
                )
            };
            text.push_str(&line);
            text.push('\n');
        }
        if !print(&text) {
            return Ok(0);
        }
    }
    Ok(0)
}

/// Write `text` to stdout; false when stdout is closed.
fn print(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

/// `--dry-run`: the signed first request, as every other command shows it; nothing is sent.
async fn dry(request: s3op::Request) -> Result<i32, Failure> {
    let dry = request.dry_run().await?;
    crate::cli::say(&serde_json::to_string_pretty(&dry).unwrap_or_default());
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::human_size(12), "12 Bytes");
        assert_eq!(super::human_size(1536), "1.5 KiB");
        assert_eq!(super::human_size(40 << 20), "40.0 MiB");
    }
}
