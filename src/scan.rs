//! Listing a large prefix in parallel, still in key order: every object under a prefix as
//! ListObjectsV2 pages, for the commands that walk whole prefixes (`sync`, `ls --recursive`, `du`,
//! `rm --recursive`, `cp --recursive`). The first page is asked for as usual; a prefix that fits
//! in it costs one request. When there is more, one listing with delimiter `/` finds the prefix's
//! "subdirectories", and the keys after the first page are split at them into contiguous ranges
//! (`(b1, b2]`: ListObjectsV2 with `start-after` b1, stopped past b2), listed `fanout` at a time,
//! each into a small buffer, and handed on in key order. A prefix with fewer than two
//! subdirectories after the first page is listed as one stream. Memory: about `fanout` × 3 pages.

use futures_util::{stream, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;

/// Ranges per listing in flight, at most (more ranges than that keep the work even).
const RANGES_PER_LISTING: usize = 4;

/// Every ListObjectsV2 page under `prefix` in `bucket`, in key order (each page's `Contents` cut
/// to its range), with up to `fanout` ranges listed at once. The stream ends after an error.
pub fn objects_in_key_order(
    client: &Client,
    bucket: &str,
    prefix: &str,
    fanout: usize,
) -> impl Stream<Item = Result<Envelope, Error>> + Send + 'static {
    let (client, bucket, prefix) = (client.clone(), bucket.to_string(), prefix.to_string());
    let first = {
        let (client, bucket, prefix) = (client.clone(), bucket.clone(), prefix.clone());
        async move { list_page(&client, &bucket, &prefix, None, None).await }
    };
    stream::once(first).flat_map(move |first| {
        let rest: std::pin::Pin<Box<dyn Stream<Item = Result<Envelope, Error>> + Send>> =
            match first {
                Err(e) => Box::pin(stream::iter([Err(e)])),
                Ok(page) => {
                    let last = last_key(&page);
                    let more = page.response["IsTruncated"] == true;
                    let head = stream::iter([Ok(page)]);
                    match (more, last) {
                        (true, Some(last)) => Box::pin(head.chain(after(
                            client.clone(),
                            bucket.clone(),
                            prefix.clone(),
                            last,
                            fanout,
                        ))),
                        _ => Box::pin(head),
                    }
                }
            };
        rest
    })
}

/// The pages after the key `last`: split at the subdirectories when there are two or more.
fn after(
    client: Client,
    bucket: String,
    prefix: String,
    last: String,
    fanout: usize,
) -> impl Stream<Item = Result<Envelope, Error>> + Send + 'static {
    let plan = {
        let (client, bucket, prefix, last) =
            (client.clone(), bucket.clone(), prefix.clone(), last.clone());
        async move {
            if fanout <= 1 {
                return Ok(vec![(last, None)]);
            }
            let subdirectories = common_prefixes(&client, &bucket, &prefix, &last).await?;
            Ok(ranges(last, subdirectories, fanout * RANGES_PER_LISTING))
        }
    };
    stream::once(plan).flat_map(move |ranges| {
        let pages: std::pin::Pin<Box<dyn Stream<Item = Result<Envelope, Error>> + Send>> =
            match ranges {
                Err(e) => Box::pin(stream::iter([Err(e)])),
                Ok(ranges) => {
                    let (client, bucket, prefix) = (client.clone(), bucket.clone(), prefix.clone());
                    Box::pin(
                        stream::iter(ranges)
                            .map(move |(low, high)| {
                                let receiver = spawn_range(
                                    client.clone(),
                                    bucket.clone(),
                                    prefix.clone(),
                                    low,
                                    high,
                                );
                                async move { receiver }
                            })
                            .buffered(fanout.max(1))
                            .flat_map(|receiver| {
                                stream::unfold(receiver, |mut rx| async move {
                                    rx.recv().await.map(|page| (page, rx))
                                })
                            }),
                    )
                }
            };
        pages
    })
}

/// The contiguous ranges `(low, high]` after `last`, cut at up to `most - 1` of the
/// subdirectories (evenly spaced), the last one open.
fn ranges(last: String, subdirectories: Vec<String>, most: usize) -> Vec<(String, Option<String>)> {
    let cuts: Vec<String> = subdirectories.into_iter().filter(|p| *p > last).collect();
    if cuts.len() < 2 {
        return vec![(last, None)];
    }
    let step = cuts.len().div_ceil(most.max(2) - 1).max(1);
    let mut bounds: Vec<String> = cuts.into_iter().step_by(step).collect();
    bounds.dedup();
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut low = last;
    for high in bounds {
        out.push((low, Some(high.clone())));
        low = high;
    }
    out.push((low, None));
    out
}

/// List one range on its own task into a buffer of two pages.
fn spawn_range(
    client: Client,
    bucket: String,
    prefix: String,
    low: String,
    high: Option<String>,
) -> mpsc::Receiver<Result<Envelope, Error>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut token: Option<String> = None;
        loop {
            let page = list_page(&client, &bucket, &prefix, Some(&low), token.as_deref()).await;
            let mut page = match page {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let past_end = match &high {
                Some(high) => cut_after(&mut page, high),
                None => false,
            };
            token = page.response["NextContinuationToken"]
                .as_str()
                .map(str::to_string);
            let more = page.response["IsTruncated"] == true && token.is_some() && !past_end;
            if tx.send(Ok(page)).await.is_err() || !more {
                return;
            }
        }
    });
    rx
}

/// One ListObjectsV2 page: after `start_after` (the first page of a range) or from a
/// continuation token.
async fn list_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    start_after: Option<&str>,
    token: Option<&str>,
) -> Result<Envelope, Error> {
    let mut request = client.list_objects_v2().bucket(bucket);
    if !prefix.is_empty() {
        request = request.prefix(prefix);
    }
    match (token, start_after) {
        (Some(token), _) => request = request.continuation_token(token),
        (None, Some(after)) => request = request.start_after(after),
        (None, None) => {}
    }
    request.send().await
}

/// The common prefixes one level below `prefix` (delimiter `/`) that sort after `last`, every
/// page of them.
async fn common_prefixes(
    client: &Client,
    bucket: &str,
    prefix: &str,
    last: &str,
) -> Result<Vec<String>, Error> {
    let mut request = client.list_objects_v2().bucket(bucket).delimiter("/");
    if !prefix.is_empty() {
        request = request.prefix(prefix);
    }
    // Start where the first page ended: nothing before it is needed.
    request = request.start_after(last);
    let mut found = Vec::new();
    let pages = request.request().pages();
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = page?;
        if let Some(items) = page.response["CommonPrefixes"].as_array() {
            found.extend(
                items
                    .iter()
                    .filter_map(|item| item["Prefix"].as_str().map(str::to_string)),
            );
        }
    }
    found.sort();
    Ok(found)
}

/// The last key of a page.
fn last_key(page: &Envelope) -> Option<String> {
    page.response["Contents"]
        .as_array()
        .and_then(|items| items.last())
        .and_then(|item| item["Key"].as_str())
        .map(str::to_string)
}

/// Drop the page's keys after `high`; true when any was dropped (the range is done).
fn cut_after(page: &mut Envelope, high: &str) -> bool {
    let Some(items) = page.response["Contents"].as_array_mut() else {
        return false;
    };
    let before = items.len();
    items.retain(|item| item["Key"].as_str().is_some_and(|key| key <= high));
    items.len() < before
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_contiguous_and_cut_at_subdirectories() {
        let dirs: Vec<String> = ["a/", "b/", "c/", "d/"].map(String::from).to_vec();
        let r = ranges("a/x".into(), dirs.clone(), 16);
        assert_eq!(
            r,
            vec![
                ("a/x".into(), Some("b/".into())),
                ("b/".into(), Some("c/".into())),
                ("c/".into(), Some("d/".into())),
                ("d/".into(), None),
            ]
        );
        // Fewer than two subdirectories after the first page: one range.
        assert_eq!(
            ranges("c/9".into(), dirs.clone(), 16),
            vec![("c/9".into(), None)]
        );
        // At most `most` ranges.
        let many: Vec<String> = (0..100).map(|i| format!("d{i:03}/")).collect();
        let r = ranges(String::new(), many, 8);
        assert!(r.len() <= 9, "{}", r.len());
        for pair in r.windows(2) {
            assert_eq!(pair[0].1.as_deref(), Some(pair[1].0.as_str()));
        }
    }
}
