//! Local trees and the keys they map to, for the transfers that walk many files (`cp
//! --recursive`, `mv`, [`crate::sync`]): `s3://bucket/key` locations ([`S3Url`]), walking a
//! directory ([`walk_local`]), the one rule that turns an S3 key into a local path
//! ([`local_path_for_key`]: a key is arbitrary UTF-8, and nothing lets one name a place outside the
//! destination directory), and Content-Type guesses from file names. No network.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// `s3://bucket/key`; `key` may be empty (the whole bucket) or end in `/` (a prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

impl S3Url {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        S3Url {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// The key as a prefix that names a "directory": empty, or ending in `/`.
    pub fn dir_prefix(&self) -> String {
        as_dir_prefix(&self.key)
    }

    /// True when the URL names a prefix rather than one object (no key, or a key ending in `/`).
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// `p` as a directory-like prefix: unchanged when empty or already ending in `/`, else with `/` added.
pub fn as_dir_prefix(p: &str) -> String {
    if p.is_empty() || p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

/// The local path an object key is written to under `dest`, or why it is refused.
///
/// `relative_key` is the key with the listed prefix already taken off. The rule, the same on every
/// platform: split the key on `/`; refuse it if it is empty, if any part is empty (a leading `/`,
/// `a//b`), `.` or `..`, if it holds a `\` (a separator on Windows, so `..\x` could climb there) or
/// a NUL, or if its first part is a drive (`C:`). Otherwise the parts are joined under `dest`, so the
/// result is always strictly inside `dest`. Refused keys are reported and skipped, never rewritten:
/// rewriting (`a//b` → `a/b`) would let two keys land on one file.
pub fn local_path_for_key(dest: &Path, relative_key: &str) -> Result<PathBuf, String> {
    if relative_key.is_empty() {
        return Err("it names the destination directory itself".into());
    }
    if relative_key.contains('\\') {
        return Err("it holds a backslash, a path separator on Windows".into());
    }
    if relative_key.contains('\0') {
        return Err("it holds a NUL character".into());
    }
    let mut path = dest.to_path_buf();
    for (i, part) in relative_key.split('/').enumerate() {
        match part {
            "" if i == 0 => return Err("it starts with /".into()),
            "" => return Err("it has an empty path segment (// or a trailing /)".into()),
            "." | ".." => return Err(format!("it has a {part:?} path segment")),
            _ => {}
        }
        let b = part.as_bytes();
        if i == 0 && b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err("it starts with a drive letter".into());
        }
        // Belt and braces: after the checks above every part must be one plain file name.
        let mut components = Path::new(part).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(_)), None) => path.push(part),
            _ => return Err(format!("{part:?} is not a plain file name")),
        }
    }
    Ok(path)
}

/// A key that only marks a "directory" (ends in `/`): nothing to write for it.
pub fn is_directory_marker(relative_key: &str) -> bool {
    relative_key.ends_with('/')
}

/// The Content-Type for a file name, from its extension (the common web and document types; the
/// AWS CLI guesses the same way). `None` leaves it to S3 (`binary/octet-stream`).
pub fn guess_content_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/vnd.microsoft.icon",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => return None,
    })
}

/// One regular file found under a local directory.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// Its path relative to the walked directory, `/`-separated: the key suffix it uploads to.
    pub rel: String,
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// Every regular file under `base`, sorted by relative path (see [`SortedWalk`]), and the
/// problems met on the way as messages.
pub fn walk_local(base: &Path) -> (Vec<LocalFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for item in SortedWalk::new(base) {
        match item {
            Walked::File(file) => files.push(file),
            Walked::Problem { message, .. } => problems.push(message),
        }
    }
    (files, problems)
}

/// What a [`SortedWalk`] finds.
#[derive(Debug, Clone)]
pub enum Walked {
    File(LocalFile),
    /// Something that could not be read. `incomplete` is the relative directory (`""` or ending
    /// in `/`) whose contents are not all known because of it, or `None` when the problem was one
    /// entry (a name that is not UTF-8, a file whose type could not be read).
    Problem {
        message: String,
        incomplete: Option<String>,
    },
}

/// The regular files under a directory, one at a time, in the byte order of their relative
/// paths: the order S3 lists keys in, so a local tree and a listing can be merged as two sorted
/// streams. Only the directories on the way down are held, each read whole and sorted (a
/// directory `d` sorts as `d/`, so `d.txt` comes before `d/x` as the keys do). Symbolic links to
/// files are followed; links to directories are not (no loops). Names that are not UTF-8 (they
/// cannot be keys) and entries that cannot be read are [`Walked::Problem`]s. The temporary files
/// of downloads in progress (`.NAME.s3op-….part`) are skipped.
pub struct SortedWalk {
    /// What is left, the smallest last.
    pending: Vec<Pending>,
}

enum Pending {
    Found(Walked),
    Dir { path: PathBuf, rel: String },
}

impl SortedWalk {
    pub fn new(base: &Path) -> Self {
        SortedWalk {
            pending: vec![Pending::Dir {
                path: base.to_path_buf(),
                rel: String::new(),
            }],
        }
    }

    /// Read one directory and queue what is in it, sorted.
    fn open(&mut self, dir: &Path, rel_dir: &str) -> Option<Walked> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                return Some(Walked::Problem {
                    message: format!("{}: {e}", dir.display()),
                    incomplete: Some(rel_dir.to_string()),
                })
            }
        };
        let mut found: Vec<(String, Pending)> = Vec::new();
        for entry in entries {
            let problem = |message: String, incomplete: Option<String>| {
                Pending::Found(Walked::Problem {
                    message,
                    incomplete,
                })
            };
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let message = format!("{}: {e}", dir.display());
                    found.push((String::new(), problem(message, Some(rel_dir.to_string()))));
                    continue;
                }
            };
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                let message = format!(
                    "{}: the name is not UTF-8, so it cannot be a key",
                    path.display()
                );
                found.push((String::new(), problem(message, None)));
                continue;
            };
            let rel = format!("{rel_dir}{name}");
            let file_type = match entry.file_type() {
                Ok(t) => t,
                Err(e) => {
                    found.push((rel, problem(format!("{}: {e}", path.display()), None)));
                    continue;
                }
            };
            if file_type.is_dir() {
                let rel = format!("{rel}/");
                found.push((rel.clone(), Pending::Dir { path, rel }));
                continue;
            }
            // A symlink is followed when it leads to a file.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    found.push((rel, problem(format!("{}: {e}", path.display()), None)));
                    continue;
                }
            };
            if !meta.is_file() || is_download_temp(&name) {
                continue;
            }
            let file = LocalFile {
                rel: rel.clone(),
                path,
                size: meta.len(),
                modified: meta.modified().ok(),
            };
            found.push((rel, Pending::Found(Walked::File(file))));
        }
        // Largest first, so the smallest is popped next.
        found.sort_by(|a, b| b.0.cmp(&a.0));
        self.pending.extend(found.into_iter().map(|(_, p)| p));
        None
    }
}

impl Iterator for SortedWalk {
    type Item = Walked;

    fn next(&mut self) -> Option<Walked> {
        loop {
            match self.pending.pop()? {
                Pending::Found(found) => return Some(found),
                Pending::Dir { path, rel } => {
                    if let Some(problem) = self.open(&path, &rel) {
                        return Some(problem);
                    }
                }
            }
        }
    }
}

/// The temporary name `transfer::temp_path_for` gives a download in progress.
fn is_download_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".part") && name.contains(".s3op-")
}

/// The `/`-separated form of a local path, for matching against a pattern the user typed.
pub fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}
