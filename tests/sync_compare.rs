//! `s3op::sync::local_etag_matches`: a local file against plain and multipart ETags, the
//! multipart ones recomputed for the likely part sizes (the comparison `sync --checksum` and
//! `s3op check` fall back to when no stored checksum can tell).

use std::path::PathBuf;

use md5::{Digest, Md5};
use s3op::sync::local_etag_matches;

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3op-sync-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or(());
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or(());
    path
}

#[test]
fn plain_and_multipart_etags() {
    let bytes: Vec<u8> = (0..(11 * 1024 * 1024 + 5))
        .map(|i| (i % 251) as u8)
        .collect();
    let path = temp_file("etag.bin", &bytes);
    let md5 = hex::encode(Md5::digest(&bytes));
    let size = bytes.len() as u64;
    assert_eq!(
        local_etag_matches(&path, size, &md5, 16 << 20).ok(),
        Some(Some(true))
    );
    assert_eq!(
        local_etag_matches(&path, size, &"0".repeat(32), 16 << 20).ok(),
        Some(Some(false))
    );
    // Three parts of 5 MiB: md5 of the three part md5s, then -3.
    let mut digests = Vec::new();
    for chunk in bytes.chunks(5 << 20) {
        digests.extend_from_slice(&Md5::digest(chunk));
    }
    let multipart = format!("{}-3", hex::encode(Md5::digest(&digests)));
    assert_eq!(
        local_etag_matches(&path, size, &multipart, 16 << 20).ok(),
        Some(Some(true))
    );
    // Two parts: 8 MiB is a likely size, and the content differs from this made-up digest.
    assert_eq!(
        local_etag_matches(&path, size, &format!("{}-2", "0".repeat(32)), 16 << 20).ok(),
        Some(Some(false))
    );
    // No likely part size gives 7 parts of 11 MiB: cannot tell.
    assert_eq!(
        local_etag_matches(&path, size, &format!("{}-7", "0".repeat(32)), 16 << 20).ok(),
        Some(None)
    );
    assert_eq!(
        local_etag_matches(&path, size, "not-an-md5", 16 << 20).ok(),
        Some(None)
    );
    let _ = std::fs::remove_file(path);
}
