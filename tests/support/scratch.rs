//! Small helpers the transfer tests share: reproducible test data, a scratch directory removed when
//! the test ends, and the sorted names in a directory (what a failed transfer must not leave).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};

/// `len` pseudo-random bytes, the same for the same seed.
pub fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0u8; usize::try_from(len).expect("fits in memory")];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    bytes
}

/// A fresh, empty directory for one test, removed when the test ends.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `<temp>/s3op-<binary>-<pid>-<name>`, empty.
pub fn scratch(binary: &str, name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("s3op-{binary}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    Scratch(dir)
}

/// The names in `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
