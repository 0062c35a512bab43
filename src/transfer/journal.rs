//! Resume journals: what a resumable transfer (`TransferConfig::journal_dir` set) has finished,
//! kept on disk so that the same transfer run again sends only what is missing. A journal is a
//! JSON Lines file: a header line saying what the transfer is (the source's identity, the
//! upload id or the object's ETag, the part or range size), then one line per finished part or
//! range, appended as it finishes. Appends are not fsynced: a line torn by a crash is ignored when
//! the journal is read, and so is anything that does not parse. This module owns the file format,
//! the journals' names and the comparison of a journal with the transfer asked for; what to do
//! about a difference (abort, start over) is the transfers' business.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::error::Error;

/// A message for the user about a resumable transfer (why it starts over); the CLI prints it on
/// stderr.
pub type Notice = Arc<dyn Fn(String) + Send + Sync>;

/// What a multipart upload's journal starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UploadHeader {
    /// The source file's absolute path, its size and its modification time (ns since 1970).
    pub source: String,
    pub size: u64,
    pub mtime_ns: u64,
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub part_size: u64,
    /// The checksum algorithm's S3 name, none when parts carry no checksum.
    pub algorithm: Option<String>,
}

impl UploadHeader {
    /// Why an upload journaled as `self` cannot be continued as `wanted` (whose upload id is not
    /// known yet), or `None` when it can.
    pub fn differs_from(&self, wanted: &UploadHeader) -> Option<String> {
        if self.source != wanted.source || self.bucket != wanted.bucket || self.key != wanted.key {
            return Some("the journal is of another transfer".into());
        }
        if self.size != wanted.size || self.mtime_ns != wanted.mtime_ns {
            return Some(format!(
                "{} changed since the interrupted upload (size {} → {}, modified {} → {})",
                self.source,
                self.size,
                wanted.size,
                describe_time(self.mtime_ns),
                describe_time(wanted.mtime_ns)
            ));
        }
        if self.part_size != wanted.part_size {
            return Some(format!(
                "the part size changed ({} → {} bytes)",
                self.part_size, wanted.part_size
            ));
        }
        if self.algorithm != wanted.algorithm {
            return Some(format!(
                "the checksum algorithm changed ({} → {})",
                self.algorithm.as_deref().unwrap_or("none"),
                wanted.algorithm.as_deref().unwrap_or("none")
            ));
        }
        None
    }
}

/// A part the server took, as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartRecord {
    pub number: u64,
    pub etag: String,
    pub checksum: Option<String>,
    pub len: u64,
}

/// What a download's journal starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DownloadHeader {
    pub bucket: String,
    pub key: String,
    /// The object's ETag and size when the download started.
    pub etag: String,
    pub size: u64,
    pub range_size: u64,
    /// The algorithm ranges were hashed with as they were written, if any.
    pub algorithm: Option<String>,
}

impl DownloadHeader {
    /// Why a download journaled as `self` cannot be continued as `wanted`, or `None`.
    pub fn differs_from(&self, wanted: &DownloadHeader) -> Option<String> {
        if self.bucket != wanted.bucket || self.key != wanted.key {
            return Some(format!(
                "the partial file is of s3://{}/{}",
                self.bucket, self.key
            ));
        }
        if self.etag != wanted.etag || self.size != wanted.size {
            return Some(format!(
                "s3://{}/{} changed since the interrupted download (ETag {} → {}, size {} → {})",
                self.bucket, self.key, self.etag, wanted.etag, self.size, wanted.size
            ));
        }
        if self.range_size != wanted.range_size {
            return Some(format!(
                "the range size changed ({} → {} bytes)",
                self.range_size, wanted.range_size
            ));
        }
        None
    }
}

/// A range written into the partial file, as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RangeRecord {
    pub offset: u64,
    pub len: u64,
    /// Its checksum (base64) under the header's algorithm, when it was hashed as it was written.
    pub checksum: Option<String>,
}

/// An open journal, appended to as parts or ranges finish. Clones of the handle are not needed:
/// parts share it by reference.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Start a journal at `path` (replacing any there) with its header line.
    pub fn create<H: Serialize>(path: &Path, header: &H) -> Result<Journal, Error> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(dir)?;
        }
        let file = std::fs::File::create(path).map_err(|e| file_error(path, e))?;
        let journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        journal.append(header)?;
        Ok(journal)
    }

    /// Continue the journal at `path`. A torn last line (no newline) is ended first, so the next
    /// record starts on a line of its own.
    pub fn reopen(path: &Path) -> Result<Journal, Error> {
        let torn = std::fs::read(path)
            .map_err(|e| file_error(path, e))?
            .last()
            .is_some_and(|b| *b != b'\n');
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| file_error(path, e))?;
        if torn {
            file.write_all(b"\n").map_err(|e| file_error(path, e))?;
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Append one record as one line, in one write.
    pub fn append<R: Serialize>(&self, record: &R) -> Result<(), Error> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::InvalidInput(format!("a journal record: {e}")))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line).map_err(|e| file_error(&self.path, e))
    }

    /// The transfer finished (or will start over): the journal goes.
    pub fn remove(self) {
        remove(&self.path);
    }
}

/// Remove the journal (or partial file) at `path`, if there is one.
pub(crate) fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// The header and the records of the journal at `path`; `None` when there is none, or its header
/// does not parse (a journal of an older format, or not a journal). Lines that do not parse (a
/// torn last line) are skipped.
pub(crate) fn read<H: DeserializeOwned, R: DeserializeOwned>(
    path: &Path,
) -> Result<Option<(H, Vec<R>)>, Error> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(path, e)),
    };
    let mut lines = text.split(|b| *b == b'\n');
    let Some(header) = lines
        .next()
        .and_then(|line| serde_json::from_slice::<H>(line).ok())
    else {
        return Ok(None);
    };
    let records = lines
        .filter_map(|line| serde_json::from_slice::<R>(line).ok())
        .collect();
    Ok(Some((header, records)))
}

/// The journal of the upload of `source` to `bucket`/`key` at `endpoint`: named by a hash of the
/// four, so the same command finds it again and two transfers never share one.
pub(crate) fn upload_journal_path(
    dir: &Path,
    endpoint: &str,
    bucket: &str,
    key: &str,
    source: &str,
) -> PathBuf {
    let mut hash = sha2::Sha256::new();
    for part in [endpoint, bucket, key, source] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    dir.join(format!("upload-{}.jsonl", &digest[..32]))
}

/// A resumable download's partial file and its journal, both beside the target:
/// `.NAME.s3op-resume.part` and `.NAME.s3op-resume.jsonl`.
pub(crate) fn download_paths(target: &Path) -> (PathBuf, PathBuf) {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    (
        dir.join(format!(".{name}.s3op-resume.part")),
        dir.join(format!(".{name}.s3op-resume.jsonl")),
    )
}

/// A source file's identity: absolute path, size and modification time in ns since 1970.
pub(crate) fn source_identity(path: &Path) -> Result<(String, u64, u64), Error> {
    let absolute = std::path::absolute(path).map_err(|e| file_error(path, e))?;
    let meta = std::fs::metadata(&absolute).map_err(|e| file_error(path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    Ok((
        absolute.to_string_lossy().into_owned(),
        meta.len(),
        mtime_ns,
    ))
}

/// Create the journal directory (and its parents) readable by the user only: journals name
/// buckets, keys and local paths.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| file_error(dir, e))
}

fn file_error(path: &Path, source: std::io::Error) -> Error {
    Error::File {
        path: path.to_path_buf(),
        source,
    }
}

/// A modification time for a message: RFC 3339 with nanoseconds.
fn describe_time(ns: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ns.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_record_starts_on_its_own_line() {
        let dir = std::env::temp_dir().join(format!("s3op-journal-{}", fastrand::u64(..)));
        let path = dir.join("j.jsonl");
        let header = RangeRecord {
            offset: 0,
            len: 0,
            checksum: None,
        };
        let journal = Journal::create(&path, &header).map_err(|e| e.to_string());
        let record = |offset| RangeRecord {
            offset,
            len: 5,
            checksum: Some("x".into()),
        };
        assert!(journal
            .and_then(|j| j.append(&record(5)).map_err(|e| e.to_string()))
            .is_ok());
        // A crash mid-write leaves half a line.
        let mut torn = std::fs::OpenOptions::new().append(true).open(&path).ok();
        if let Some(f) = &mut torn {
            let _ = f.write_all(b"{\"offset\":10,\"le");
        }
        let reopened = Journal::reopen(&path).map_err(|e| e.to_string());
        assert!(reopened
            .and_then(|j| j.append(&record(15)).map_err(|e| e.to_string()))
            .is_ok());
        let read = read::<RangeRecord, RangeRecord>(&path).ok().flatten();
        let offsets: Option<Vec<u64>> = read.map(|(_, r)| r.iter().map(|r| r.offset).collect());
        assert_eq!(offsets, Some(vec![5, 15]));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn journals_are_named_by_what_they_transfer() {
        let dir = Path::new("/state");
        let a = upload_journal_path(dir, "http://e", "b", "k", "/src");
        assert_eq!(a, upload_journal_path(dir, "http://e", "b", "k", "/src"));
        assert_ne!(a, upload_journal_path(dir, "http://e", "b", "k2", "/src"));
        assert_ne!(a, upload_journal_path(dir, "http://e", "bk", "", "/src"));
    }
}
