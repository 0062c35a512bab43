//! The sync planner alone, on synthetic listings: 1,000,000 entries a side (or
//! `S3OP_PLANNER_ENTRIES`), in key order, merged as two streams ([`s3op::sync::merge_sorted`]) and
//! each pair decided by size and time ([`s3op::sync::differs`]), with no network and no disk.
//! Prints the time and the process's peak resident memory (VmHWM) after the streaming planner, then
//! the same decisions made the old way (both listings in a `HashMap`) for comparison. Run with
//! `cargo bench --bench sync_planner`.

use std::collections::HashMap;
use std::time::Instant;

use futures_util::{stream, StreamExt};
use s3op::sync::{differs, merge_sorted, Compare, Entry};

/// Source entry `i`: keys spread over 1,000 "directories", every 100th entry newer.
fn source(i: u64) -> (String, Entry) {
    let entry = Entry {
        size: 1000 + i % 7,
        modified: Some(1_700_000_000 + if i % 100 == 0 { 60 } else { 0 }),
        etag: None,
        path: None,
        key: Some(format!("prefix/d{:03}/f{:07}", i % 1000, i)),
    };
    (format!("d{:03}/f{:07}", i % 1000, i), entry)
}

/// The destination: the source's entries but every 50th missing, every 1,000th of another size,
/// and one extra entry in every 500.
fn destination(i: u64) -> Vec<(String, Entry)> {
    let mut out = Vec::new();
    if i % 50 != 0 {
        let (rel, mut entry) = source(i);
        entry.modified = Some(1_700_000_000);
        if i % 1000 == 1 {
            entry.size += 1;
        }
        out.push((rel, entry));
    }
    if i % 500 == 0 {
        let (rel, entry) = source(i);
        out.push((format!("{rel}.old"), entry));
    }
    out
}

/// Both sides in key order, generated as they are consumed (as listings arrive page by page).
fn sorted_indices(n: u64) -> Vec<u64> {
    let mut indices: Vec<u64> = (0..n).collect();
    indices.sort_by_key(|&i| (i % 1000, i));
    indices
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    copy: u64,
    delete: u64,
    same: u64,
}

fn main() {
    let n: u64 = std::env::var("S3OP_PLANNER_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // The key order: the indices sorted as their keys sort (computed once; 8 bytes an entry, the
    // stand-in for the order a listing arrives in).
    let order = std::sync::Arc::new(sorted_indices(n));
    let before = peak_rss_mib();

    let started = Instant::now();
    let streamed = runtime.block_on(async {
        let src_order = std::sync::Arc::clone(&order);
        let dst_order = std::sync::Arc::clone(&order);
        let sources = stream::iter((0..n as usize).map(move |k| source(src_order[k])));
        let destinations =
            stream::iter((0..n as usize).flat_map(move |k| destination(dst_order[k])));
        let mut tally = Tally::default();
        let pairs = merge_sorted(Box::pin(sources), Box::pin(destinations));
        futures_util::pin_mut!(pairs);
        while let Some((_, here, there)) = pairs.next().await {
            match (here, there) {
                (Some(_), None) => tally.copy += 1,
                (Some(a), Some(b)) => {
                    if differs(Compare::SizeAndTime, &a, &b, false) == Some(true) {
                        tally.copy += 1;
                    } else {
                        tally.same += 1;
                    }
                }
                (None, Some(_)) => tally.delete += 1,
                (None, None) => {}
            }
        }
        tally
    });
    let streamed_time = started.elapsed();
    let streamed_peak = peak_rss_mib();
    println!(
        "streaming planner: {n} entries a side in {:.2} s, peak RSS {:.1} MiB ({:.1} MiB before: the key-order index); {:?}",
        streamed_time.as_secs_f64(),
        streamed_peak,
        before,
        streamed
    );

    // The old way: both listings held in maps first.
    let started = Instant::now();
    let sources: Vec<(String, Entry)> = order.iter().map(|&i| source(i)).collect();
    let destinations: HashMap<String, Entry> = order.iter().flat_map(|&i| destination(i)).collect();
    let mut tally = Tally::default();
    let names: std::collections::HashSet<&String> = sources.iter().map(|(rel, _)| rel).collect();
    for (rel, entry) in &sources {
        match destinations.get(rel) {
            None => tally.copy += 1,
            Some(existing) => {
                if differs(Compare::SizeAndTime, entry, existing, false) == Some(true) {
                    tally.copy += 1;
                } else {
                    tally.same += 1;
                }
            }
        }
    }
    tally.delete = destinations.keys().filter(|k| !names.contains(k)).count() as u64;
    println!(
        "both listings in maps: {n} entries a side in {:.2} s, peak RSS {:.1} MiB; {:?}",
        started.elapsed().as_secs_f64(),
        peak_rss_mib(),
        tally
    );
    assert_eq!(streamed, tally, "the two planners decide alike");
}
