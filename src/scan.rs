//! Listing a large prefix in parallel, still in key order: every object under a prefix as
//! ListObjectsV2 pages, for the commands that walk whole prefixes (`sync`, `ls --recursive`, `du`,
//! `rm --recursive`, `cp --recursive`). The first page is asked for as usual; a prefix that fits
//! in it costs one request. When there is more, one listing with delimiter `/` after the first
//! page walks the prefix's next level as it streams: its keys are handed on as they come, and each
//! "subdirectory" it names is listed on its own (ListObjectsV2 with that prefix), `fanout` at a
//! time, each into a one-page buffer, and handed on in key order. Listing by prefix rather than by
//! `start-after` ranges is what servers that keep objects as files walk cheapest (s3s-fs walks
//! the whole bucket for a page after a `start-after`, but only the directory for a prefix), and
//! what rclone does; the rest of the subdirectory the first page ended in is listed first, whether
//! or not the server names it. A level that holds one subdirectory and nothing else is split again one
//! level down; subdirectories beside others are listed as one stream each, which keeps the pages
//! held to about `fanout` + 2 whatever the tree.

use std::pin::Pin;

use futures_util::{stream, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::client::{Client, Request};
use crate::envelope::Envelope;
use crate::error::Error;

type Pages = Pin<Box<dyn Stream<Item = Result<Envelope, Error>> + Send>>;

/// Subdirectories listed at once by the commands that walk prefixes: with 25 ms of round trip,
/// 100 subdirectories take 7 rounds instead of 13 with 8; each holds at most a page (1,000 keys).
pub const LISTINGS_IN_FLIGHT: usize = 16;

/// Every ListObjectsV2 page under `prefix` in `bucket`, in key order (pages the scan made from a
/// delimiter listing hold only `Contents`), with up to `fanout` subdirectories listed at once. The
/// stream ends after an error.
pub fn objects_in_key_order(
    client: &Client,
    bucket: &str,
    prefix: &str,
    fanout: usize,
) -> impl Stream<Item = Result<Envelope, Error>> + Send + 'static {
    let at = Place {
        client: client.clone(),
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
    };
    scan(at, None, fanout).scan(false, |failed, page| {
        if *failed {
            return std::future::ready(None);
        }
        *failed = page.is_err();
        std::future::ready(Some(page))
    })
}

/// A prefix of a bucket, and the client that lists it.
#[derive(Clone)]
struct Place {
    client: Client,
    bucket: String,
    prefix: String,
}

impl Place {
    fn under(&self, prefix: String) -> Place {
        Place {
            prefix,
            ..self.clone()
        }
    }

    /// ListObjectsV2 under the prefix after `start_after`, with `delimiter` when given.
    fn listing(&self, start_after: Option<&str>, delimiter: Option<&str>) -> Request {
        let mut request = self.client.list_objects_v2().bucket(&self.bucket);
        if !self.prefix.is_empty() {
            request = request.prefix(&self.prefix);
        }
        if let Some(after) = start_after {
            request = request.start_after(after);
        }
        if let Some(delimiter) = delimiter {
            request = request.delimiter(delimiter);
        }
        request.request()
    }

    /// Every page under the prefix after `start_after`, one after the other.
    fn one_stream(&self, start_after: Option<&str>) -> Pages {
        Box::pin(self.listing(start_after, None).pages())
    }

    /// One page under the prefix after `start_after`.
    async fn first_page(&self, start_after: Option<&str>) -> Result<Envelope, Error> {
        self.listing(start_after, None).send().await
    }

    /// The next level after `last`: delimiter `/`, every page.
    fn next_level(&self, last: &str) -> Pages {
        Box::pin(self.listing(Some(last), Some("/")).pages())
    }
}

/// The pages under `at` after `start_after`: the first page, then (when there is more and
/// `fanout` allows) the rest split at the next level.
fn scan(at: Place, start_after: Option<String>, fanout: usize) -> Pages {
    if fanout <= 1 {
        return at.one_stream(start_after.as_deref());
    }
    let first = {
        let at = at.clone();
        async move { at.first_page(start_after.as_deref()).await }
    };
    Box::pin(stream::once(first).flat_map(move |first| -> Pages {
        let page = match first {
            Err(e) => return Box::pin(stream::iter([Err(e)])),
            Ok(page) => page,
        };
        let more = page.response["IsTruncated"] == true;
        let last = last_key(&page);
        let head = stream::iter([Ok(page)]);
        match last {
            Some(last) if more => Box::pin(head.chain(split(at.clone(), last, fanout))),
            _ => Box::pin(head),
        }
    }))
}

/// What the next level after the first page holds, in key order.
enum Piece {
    /// Keys at this level, as the delimiter listing gave them (a page of `Contents` only).
    Keys(Envelope),
    /// A subdirectory, listed after `start_after` when the first page ended inside it; `alone`
    /// when the level holds nothing else (it is split again).
    Under {
        prefix: String,
        start_after: Option<String>,
        alone: bool,
    },
}

/// The keys after `last` under `at`, listed a level down: the rest of the subdirectory the first
/// page ended in, then the delimiter listing's pages turned into pieces, `fanout` of them listed at
/// once, handed on in order.
fn split(at: Place, last: String, fanout: usize) -> Pages {
    let listing = at.next_level(&last);
    let partial = subdirectory_of(&at.prefix, &last);
    let pieces = listing.enumerate().flat_map(move |(n, page)| {
        let pieces: Vec<Result<Piece, Error>> = match page {
            Err(e) => vec![Err(e)],
            Ok(page) => pieces_of(page, &last, partial.as_deref(), n == 0)
                .into_iter()
                .map(Ok)
                .collect(),
        };
        stream::iter(pieces)
    });
    Box::pin(
        pieces
            .map(move |piece| {
                let pages = match piece {
                    Err(e) => Box::pin(stream::iter([Err(e)])) as Pages,
                    Ok(Piece::Keys(page)) => Box::pin(stream::iter([Ok(page)])),
                    Ok(Piece::Under {
                        prefix,
                        start_after,
                        alone,
                    }) => {
                        let fanout = if alone { fanout } else { 1 };
                        in_background(scan(at.under(prefix), start_after, fanout))
                    }
                };
                std::future::ready(pages)
            })
            .buffered(fanout)
            .flatten(),
    )
}

/// The subdirectory of `prefix` that `key` is in (`p/a/` for `p/a/b/c` under `p/`), if any.
fn subdirectory_of(prefix: &str, key: &str) -> Option<String> {
    let rest = key.strip_prefix(prefix)?;
    let end = rest.find('/')?;
    Some(format!("{prefix}{}", &rest[..=end]))
}

/// One delimiter page (after `last`) as pieces in key order: runs of keys, and subdirectories. A
/// key at this level cannot start with a subdirectory's prefix, so comparing the two orders them.
/// `partial`: the subdirectory `last` is in, whose rest is the level's first piece (servers differ
/// on whether they name it: AWS does, s3s-fs 0.14.1 leaves out prefixes that sort before
/// `start-after`). `first`: the first page of the level (a subdirectory is `alone` when the level
/// holds nothing else).
fn pieces_of(mut page: Envelope, last: &str, partial: Option<&str>, first: bool) -> Vec<Piece> {
    let keys: Vec<serde_json::Value> = match page.response["Contents"].take() {
        serde_json::Value::Array(items) => items,
        _ => Vec::new(),
    };
    // A subdirectory at or before `last` is the partial one or (no server should name one) wholly
    // listed already.
    let prefixes: Vec<String> = page.response["CommonPrefixes"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["Prefix"].as_str())
                .filter(|prefix| *prefix > last)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let nothing_else = first && keys.is_empty() && page.response["IsTruncated"] != true;
    let mut pieces = Vec::new();
    if let (true, Some(partial)) = (first, partial) {
        pieces.push(Piece::Under {
            prefix: partial.to_string(),
            start_after: Some(last.to_string()),
            alone: nothing_else && prefixes.is_empty(),
        });
    }
    let alone = nothing_else && partial.is_none() && prefixes.len() == 1;
    let key_of = |item: &serde_json::Value| item["Key"].as_str().unwrap_or_default().to_string();
    let mut run: Vec<serde_json::Value> = Vec::new();
    let mut keys = keys.into_iter().peekable();
    for prefix in prefixes {
        while keys.peek().is_some_and(|item| key_of(item) < prefix) {
            run.extend(keys.next());
        }
        if !run.is_empty() {
            pieces.push(Piece::Keys(keys_page(&page, std::mem::take(&mut run))));
        }
        pieces.push(Piece::Under {
            prefix,
            start_after: None,
            alone,
        });
    }
    run.extend(keys);
    if !run.is_empty() {
        pieces.push(Piece::Keys(keys_page(&page, run)));
    }
    pieces
}

/// A page of `keys` in the shape of the listing's pages: `Contents`, and the listing's name and
/// prefix.
fn keys_page(page: &Envelope, keys: Vec<serde_json::Value>) -> Envelope {
    let mut response = serde_json::Map::new();
    for member in ["Name", "Prefix"] {
        if let Some(value) = page.response.get(member) {
            response.insert(member.into(), value.clone());
        }
    }
    response.insert("KeyCount".into(), keys.len().into());
    response.insert("IsTruncated".into(), false.into());
    response.insert("Contents".into(), serde_json::Value::Array(keys));
    Envelope {
        status: page.status,
        response: serde_json::Value::Object(response),
        headers: page.headers.clone(),
    }
}

/// `pages` listed on a task of their own, a page ahead of the reader.
fn in_background(mut pages: Pages) -> Pages {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        while let Some(page) = pages.next().await {
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                return;
            }
        }
    });
    Box::pin(stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|page| (page, rx))
    }))
}

/// The last key of a page.
fn last_key(page: &Envelope) -> Option<String> {
    page.response["Contents"]
        .as_array()
        .and_then(|items| items.last())
        .and_then(|item| item["Key"].as_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(keys: &[&str], prefixes: &[&str], truncated: bool) -> Envelope {
        Envelope {
            status: 200,
            response: serde_json::json!({
                "Contents": keys.iter().map(|k| serde_json::json!({"Key": k})).collect::<Vec<_>>(),
                "CommonPrefixes": prefixes.iter().map(|p| serde_json::json!({"Prefix": p})).collect::<Vec<_>>(),
                "IsTruncated": truncated,
            }),
            headers: Default::default(),
        }
    }

    fn describe(pieces: &[Piece]) -> Vec<String> {
        pieces
            .iter()
            .map(|piece| match piece {
                Piece::Keys(page) => {
                    let keys: Vec<&str> = page.response["Contents"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|item| item["Key"].as_str())
                        .collect();
                    format!("keys {}", keys.join(","))
                }
                Piece::Under {
                    prefix,
                    start_after,
                    alone,
                } => format!("under {prefix} after {start_after:?} alone {alone}"),
            })
            .collect()
    }

    #[test]
    fn keys_and_subdirectories_come_in_key_order() {
        // `b.txt` < `b/` < `b0`: the keys around a subdirectory stay on their side of it. The
        // rest of `a/`, where the first page ended, comes first whether the server names it or
        // not.
        for named in [&["a/", "b/", "d/"][..], &["b/", "d/"][..]] {
            let p = page(&["b.txt", "b0", "c"], named, false);
            assert_eq!(
                describe(&pieces_of(p, "a/5", Some("a/"), true)),
                vec![
                    "under a/ after Some(\"a/5\") alone false",
                    "keys b.txt",
                    "under b/ after None alone false",
                    "keys b0,c",
                    "under d/ after None alone false",
                ]
            );
        }
    }

    #[test]
    fn a_lone_subdirectory_is_split_again() {
        for named in [&["data/"][..], &[][..]] {
            let lone = page(&[], named, false);
            assert_eq!(
                describe(&pieces_of(lone, "data/0999", Some("data/"), true)),
                vec!["under data/ after Some(\"data/0999\") alone true"]
            );
        }
        let lone = page(&[], &["data/"], false);
        assert_eq!(
            describe(&pieces_of(lone, "a", None, true)),
            vec!["under data/ after None alone true"]
        );
        // Not alone when more pages follow.
        let more = page(&[], &["data/"], true);
        assert_eq!(
            describe(&pieces_of(more, "a", None, true)),
            vec!["under data/ after None alone false"]
        );
    }

    #[test]
    fn the_subdirectory_a_key_is_in() {
        assert_eq!(subdirectory_of("p/", "p/a/b/c").as_deref(), Some("p/a/"));
        assert_eq!(subdirectory_of("p/", "p/a.txt"), None);
        assert_eq!(subdirectory_of("", "x/y").as_deref(), Some("x/"));
        assert_eq!(subdirectory_of("p", "p-x/y").as_deref(), Some("p-x/"));
    }

    #[test]
    fn a_subdirectory_before_the_first_pages_end_is_not_listed_again() {
        let p = page(&["z"], &["a/", "m/"], false);
        assert_eq!(
            describe(&pieces_of(p, "k", None, true)),
            vec!["under m/ after None alone false", "keys z"]
        );
    }
}
