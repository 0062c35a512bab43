//! Guards that make an interrupted or failed transfer leave nothing behind, owned by whoever runs the
//! transfer, never by the process: [`TempFile`] removes a download's temporary file when dropped
//! unless it was renamed into place; [`UploadTracker`] holds the multipart uploads in flight so that
//! its owner (the CLI's Ctrl-C handler) can abort them after dropping the transfers' futures. A
//! resumable upload's registration is the exception: it is kept open on purpose, for the next run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::client::Client;
use crate::error::Error;

/// A hidden temporary file beside a target, removed on drop unless [`persist`](Self::persist)ed.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl TempFile {
    /// Create an empty temporary file beside `target`: `.name.s3op-<pid>-<n>.part`, in the same
    /// directory so the final rename never crosses file systems.
    pub async fn create_beside(target: &Path) -> Result<TempFile, Error> {
        let path = temp_path_for(target);
        tokio::fs::File::create(&path)
            .await
            .map_err(|source| Error::File {
                path: path.clone(),
                source,
            })?;
        Ok(TempFile { path, kept: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rename the file to `target` (with `no_overwrite`, only if nothing is there: see
    /// `place`); from then on it is the caller's.
    pub async fn persist(mut self, target: &Path, no_overwrite: bool) -> Result<(), Error> {
        place(&self.path, target, no_overwrite).await?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The temporary name a download is written under: hidden, beside the target, unique in the process.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    let n = fastrand::u64(..);
    dir.join(format!(".{name}.s3op-{}-{n:016x}.part", std::process::id()))
}

/// One multipart upload in flight.
#[derive(Debug, Clone)]
struct InFlightUpload {
    id: u64,
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
}

/// The multipart uploads a caller has in flight. Give one to the transfers (`TransferConfig::tracker`);
/// after cancelling them (dropping their futures), [`abort_all`](Self::abort_all) aborts what they
/// left open. Clones share the list; separate trackers never do.
#[derive(Debug, Clone, Default)]
pub struct UploadTracker {
    uploads: Arc<Mutex<(u64, Vec<InFlightUpload>)>>,
}

impl UploadTracker {
    pub fn new() -> Self {
        UploadTracker::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut (u64, Vec<InFlightUpload>)) -> T) -> T {
        // A panic while holding the lock leaves plain data behind: keep using it.
        let mut state = self
            .uploads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }

    /// Uploads started and neither completed nor aborted yet.
    pub fn len(&self) -> usize {
        self.with(|s| s.1.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn register(
        &self,
        client: &Client,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> u64 {
        self.with(|(next, uploads)| {
            *next += 1;
            uploads.push(InFlightUpload {
                id: *next,
                client: client.clone(),
                bucket: bucket.to_string(),
                key: key.to_string(),
                upload_id: upload_id.to_string(),
            });
            *next
        })
    }

    pub(crate) fn finished(&self, id: u64) {
        self.with(|(_, uploads)| uploads.retain(|u| u.id != id));
    }

    /// Abort every upload still in flight; returns how many are gone. One whose abort fails again
    /// stays in the tracker.
    pub async fn abort_all(&self) -> usize {
        let uploads = self.with(|(_, uploads)| std::mem::take(uploads));
        let aborts = uploads.into_iter().map(|u| async move {
            let gone = u.client.abort_upload(&u.bucket, &u.key, &u.upload_id).await;
            (u, gone)
        });
        let mut aborted = 0;
        for (upload, gone) in futures_util::future::join_all(aborts).await {
            if gone {
                aborted += 1;
            } else {
                self.with(|(_, uploads)| uploads.push(upload));
            }
        }
        aborted
    }
}

/// A multipart upload's registration, ended when the upload completes or is aborted. If the
/// transfer's future is dropped mid-way, the upload stays in the caller's tracker for its owner to
/// abort; without a tracker, dropping it starts the abort on the runtime, best effort.
pub(crate) struct Registration {
    tracker: Option<UploadTracker>,
    id: u64,
    upload: Option<InFlightUpload>,
    /// An abort was tried and failed: the upload is still open on the server.
    left_open: std::sync::atomic::AtomicBool,
    /// A resumable upload: never tracked, never aborted when dropped (its journal resumes it).
    resumable: bool,
}

impl Registration {
    pub fn new(
        tracker: Option<&UploadTracker>,
        client: &Client,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Self {
        let id = tracker.map_or(0, |t| t.register(client, bucket, key, upload_id));
        Registration {
            tracker: tracker.cloned(),
            id,
            upload: Some(InFlightUpload {
                id,
                client: client.clone(),
                bucket: bucket.to_string(),
                key: key.to_string(),
                upload_id: upload_id.to_string(),
            }),
            left_open: std::sync::atomic::AtomicBool::new(false),
            resumable: false,
        }
    }

    /// The registration of a resumable upload: kept out of any tracker (so an interrupt does not
    /// abort it) and left open when dropped.
    pub fn resumable(client: &Client, bucket: &str, key: &str, upload_id: &str) -> Self {
        let mut registration = Registration::new(None, client, bucket, key, upload_id);
        registration.resumable = true;
        registration
    }

    /// The bucket, key and upload id.
    pub fn target(&self) -> (&str, &str, &str) {
        match &self.upload {
            Some(u) => (&u.bucket, &u.key, &u.upload_id),
            None => ("", "", ""),
        }
    }

    /// An abort of the upload failed (a server that could not reach quorum, say): it stays open.
    pub fn abort_failed(&self) {
        self.left_open
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The transfer is over. A completed or aborted upload leaves the tracker; one whose abort
    /// failed stays in it for its owner's `abort_all` (or, without a tracker, is aborted again on
    /// the runtime when this is dropped).
    pub fn ended(mut self) {
        if self.left_open.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        self.upload = None;
        if let Some(t) = &self.tracker {
            t.finished(self.id);
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.resumable {
            return;
        }
        let (None, Some(upload)) = (&self.tracker, self.upload.take()) else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                upload
                    .client
                    .abort_upload(&upload.bucket, &upload.key, &upload.upload_id)
                    .await;
            });
        }
    }
}

/// Move a finished file to `target`. With `no_overwrite` it is hard-linked there, which fails
/// when the name is taken (atomically, so a file that appeared since the plan is not replaced),
/// and the temporary name removed; a file system without hard links falls back to a rename after
/// checking the name is free.
pub(crate) async fn place(from: &Path, target: &Path, no_overwrite: bool) -> Result<(), Error> {
    let file_error = |source| Error::File {
        path: target.to_path_buf(),
        source,
    };
    if !no_overwrite {
        return tokio::fs::rename(from, target).await.map_err(file_error);
    }
    match tokio::fs::hard_link(from, target).await {
        Ok(()) => {
            let _ = tokio::fs::remove_file(from).await;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = tokio::fs::remove_file(from).await;
            Err(Error::DestinationExists(target.display().to_string()))
        }
        Err(_) if tokio::fs::symlink_metadata(target).await.is_err() => {
            tokio::fs::rename(from, target).await.map_err(file_error)
        }
        Err(_) => {
            let _ = tokio::fs::remove_file(from).await;
            Err(Error::DestinationExists(target.display().to_string()))
        }
    }
}
