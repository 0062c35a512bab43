//! Many transfers at once: the runner behind `cp --recursive`, `mv` and [`crate::sync`]. A plan is
//! a stream of [`Planned`] items (a [`Job`] moving one file or object, or something to report and
//! skip); [`run_jobs_with`] runs `jobs` of them at a time on one client, each on its own task and each
//! with the transfer's part concurrency, within one budget of requests in flight, and tells what
//! happened as [`Event`]s: the same events `--json` prints, one JSON object each
//! ([`Event::to_json`]). When moving, a source is deleted only after its copy finished and was
//! checked. A failure is an event; the others go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::{mpsc, Semaphore};

use super::{CopyOptions, DownloadOptions, SseCustomerKey, TransferConfig, UploadOptions};
use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::tree::{guess_content_type, S3Url};
use crate::types::{Delete, DeleteObjectsOutput, GetObjectOutput, ObjectIdentifier};

/// One file or object to move.
#[derive(Debug, Clone)]
pub enum Job {
    Upload {
        path: PathBuf,
        size: u64,
        dst: S3Url,
    },
    /// `size` 0: not known from a listing (the download finds it out).
    Download {
        src: S3Url,
        size: u64,
        path: PathBuf,
    },
    /// `size` 0: not known from a listing (the copy asks with a HEAD).
    Copy { src: S3Url, size: u64, dst: S3Url },
}

impl Job {
    /// The bytes the job moves (as planned).
    pub fn size(&self) -> u64 {
        match self {
            Job::Upload { size, .. } | Job::Download { size, .. } | Job::Copy { size, .. } => *size,
        }
    }

    fn action(&self) -> Action {
        match self {
            Job::Upload { .. } => Action::Upload,
            Job::Download { .. } => Action::Download,
            Job::Copy { .. } => Action::Copy,
        }
    }

    fn ends(&self) -> (String, String) {
        match self {
            Job::Upload { path, dst, .. } => (path.display().to_string(), dst.to_string()),
            Job::Download { src, path, .. } => (src.to_string(), path.display().to_string()),
            Job::Copy { src, dst, .. } => (src.to_string(), dst.to_string()),
        }
    }
}

/// An item of a plan: a job, or something reported without running anything.
#[derive(Debug)]
pub enum Planned {
    Job(Job),
    /// A file or key that is not transferred (an unsafe key, an unreadable file): reported failed.
    Skip {
        action: Action,
        source: String,
        problem: Problem,
    },
    /// A listing or walk that failed, or anything else that belongs to no one job.
    Error(String),
    /// Something that went as asked but is worth telling (a filter excluded everything).
    Note(String),
}

impl Planned {
    /// The report for a key that is not downloaded because it is not a safe local path (see
    /// [`crate::tree::local_path_for_key`]).
    pub fn refused_key(src: &S3Url, why: &str) -> Planned {
        Planned::Skip {
            action: Action::Download,
            source: src.to_string(),
            problem: Problem::text(format!(
                "refused: the key {:?} is not a safe local path ({why}); nothing written",
                src.key
            )),
        }
    }
}

/// What was done to one file or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Upload,
    Download,
    Copy,
    Move,
    Delete,
}

impl Action {
    /// The word the AWS CLI prints (`upload: a.txt to s3://b/a.txt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upload => "upload",
            Action::Download => "download",
            Action::Copy => "copy",
            Action::Move => "move",
            Action::Delete => "delete",
        }
    }
}

/// Why something failed: the whole message, and S3's error code and request id when there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub code: Option<String>,
    pub request_id: Option<String>,
}

impl Problem {
    pub fn text(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            code: None,
            request_id: None,
        }
    }
}

impl From<&Error> for Problem {
    fn from(e: &Error) -> Self {
        // The error's own text names the status, code and message, and the request id when it came
        // in a header; `request_id` also finds one only in the error's body.
        let mut message = e.to_string();
        let request_id = e.request_id().map(str::to_string);
        if let Some(id) = &request_id {
            if !message.contains(id.as_str()) {
                message.push_str(&format!(" (request id {id})"));
            }
        }
        Problem {
            message,
            code: e.code().map(str::to_string),
            request_id,
        }
    }
}

/// What happened, as a transfer command reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A job of `size` bytes is about to start (for progress totals; not printed).
    Planned { size: u64 },
    /// `action` succeeded or, in a dry run, would be done.
    Done {
        action: Action,
        source: String,
        destination: Option<String>,
        size: Option<u64>,
        dry_run: bool,
        /// Deletions: which DeleteObjects request (from 1) deleted it.
        batch: Option<usize>,
    },
    Failed {
        action: Action,
        source: String,
        destination: Option<String>,
        problem: Problem,
    },
    /// A failure that belongs to no one file (a listing that broke off).
    Error { message: String },
    /// Worth telling, not a failure.
    Note { message: String },
}

impl Event {
    /// The JSON line `--json` prints for the event (`None` for [`Event::Planned`]).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Event::Planned { .. } => return None,
            Event::Done {
                action,
                source,
                destination,
                size,
                dry_run,
                batch,
            } => {
                let mut object = json!({ "action": action.as_str(), "source": source });
                if let Some(b) = batch {
                    object["batch"] = json!(b);
                }
                if let Some(d) = destination {
                    object["destination"] = json!(d);
                }
                if let Some(s) = size {
                    object["size"] = json!(s);
                }
                if *dry_run {
                    object["dryrun"] = json!(true);
                }
                object
            }
            Event::Failed {
                action,
                source,
                destination,
                problem,
            } => {
                let mut object = json!({
                    "action": action.as_str(),
                    "source": source,
                    "error": { "message": problem.message, "code": problem.code, "request_id": problem.request_id },
                });
                if let Some(d) = destination {
                    object["destination"] = json!(d);
                }
                object
            }
            Event::Error { message } => json!({ "error": { "message": message } }),
            Event::Note { message } => json!({ "note": message }),
        })
    }
}

/// Files (or objects) in flight at once by default: as many as s5cmd's workers. Small objects cost
/// a request each, so on a server that answers in parallel (Garage: 400 × 16 KiB downloaded in
/// 0.32 s with 64, 0.24 s with 256) and over a link with latency, more in flight is faster; a
/// large file takes as many of them as its parts in flight, so memory stays bounded by the
/// number of requests, not of files.
pub const DEFAULT_JOBS: usize = 256;

/// How [`run_jobs_with`] runs a plan.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Files or objects in flight at once.
    pub jobs: usize,
    /// Part size, concurrency, checksums, progress, tracker and journal of every transfer.
    pub transfer: TransferConfig,
    /// The members every upload carries.
    pub upload: UploadOptions,
    /// Guess an upload's Content-Type from its file's extension when `upload` sets none.
    pub guess_content_type: bool,
    /// The members every download's GETs and HEADs carry.
    pub download: DownloadOptions,
    /// How server-side copies treat metadata, tags and keys.
    pub copy: CopyOptions,
    /// Delete each source once its copy is complete and checked (`mv`).
    pub moving: bool,
    /// Report what would be done, do nothing.
    pub dry_run: bool,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            jobs: DEFAULT_JOBS,
            transfer: TransferConfig::default(),
            upload: UploadOptions::default(),
            guess_content_type: true,
            download: DownloadOptions::default(),
            copy: CopyOptions::default(),
            moving: false,
            dry_run: false,
        }
    }
}

impl JobSettings {
    /// The options an upload of the file `name` carries: the settings', and a Content-Type
    /// guessed from its extension when they set none.
    pub fn upload_options(&self, name: Option<&str>) -> UploadOptions {
        let mut options = self.upload.clone();
        if options.attributes.content_type.is_none() && self.guess_content_type {
            options.attributes.content_type = name.and_then(guess_content_type).map(str::to_string);
        }
        options
    }
}

/// A receiver as a stream.
pub(crate) fn events_of(
    receiver: mpsc::UnboundedReceiver<Event>,
) -> impl Stream<Item = Event> + Send {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (event, receiver))
    })
}

/// Run every job of `plan`, `settings.jobs` at a time, on the caller's task, telling `tell` of
/// every event as it happens.
pub async fn run_jobs_with(
    client: &Client,
    settings: JobSettings,
    plan: impl Stream<Item = Planned>,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    let jobs = settings.jobs.max(1);
    let worker = Arc::new(Worker::new(client.clone(), settings));
    plan.map(|item| {
        let worker = Arc::clone(&worker);
        async move {
            match item {
                Planned::Job(job) => worker.run_job(job, tell).await,
                Planned::Skip {
                    action,
                    source,
                    problem,
                } => tell(Event::Failed {
                    action,
                    source,
                    destination: None,
                    problem,
                }),
                Planned::Error(message) => tell(Event::Error { message }),
                Planned::Note(message) => tell(Event::Note { message }),
            }
        }
    })
    .buffer_unordered(jobs)
    .for_each(|()| async {})
    .await;
}

/// What every job of one plan shares.
pub(crate) struct Worker {
    pub client: Client,
    pub settings: JobSettings,
    /// Requests in flight across all jobs: a small file takes one permit, a large one as many as
    /// its parts in flight, so 64 large files do not open 64 × 8 connections (and file handles).
    budget: Arc<Semaphore>,
}

impl Worker {
    pub fn new(client: Client, settings: JobSettings) -> Self {
        let budget = Arc::new(Semaphore::new(
            settings.jobs.max(settings.transfer.concurrency).max(1),
        ));
        Worker {
            client,
            settings,
            budget,
        }
    }

    async fn run_job(self: Arc<Self>, job: Job, tell: &(dyn Fn(Event) + Send + Sync)) {
        let action = if self.settings.moving {
            Action::Move
        } else {
            job.action()
        };
        let (source, destination) = job.ends();
        let size = job.size();
        tell(Event::Planned { size });
        if self.settings.dry_run {
            tell(Event::Done {
                action,
                source,
                destination: Some(destination),
                size: Some(size),
                dry_run: true,
                batch: None,
            });
            return;
        }
        let weight = self.weight(&job);
        let Ok(permit) = Arc::clone(&self.budget).acquire_many_owned(weight).await else {
            return;
        };
        let worker = Arc::clone(&self);
        let handle = tokio::spawn(async move {
            let _permit = permit;
            worker.execute(job).await
        });
        let result = match handle.await {
            Ok(result) => result,
            Err(e) => Err(Problem::text(format!("the task stopped: {e}"))),
        };
        tell(match result {
            Ok(()) => Event::Done {
                action,
                source,
                destination: Some(destination),
                size: Some(size),
                dry_run: false,
                batch: None,
            },
            Err(problem) => Event::Failed {
                action,
                source,
                destination: Some(destination),
                problem,
            },
        });
    }

    /// Requests `job` keeps in flight: one, or as many parts as it sends at once.
    fn weight(&self, job: &Job) -> u32 {
        let config = &self.settings.transfer;
        let size = job.size();
        let threshold = match job {
            Job::Copy { .. } => config.copy_threshold.min(super::MAX_COPY_SIZE),
            Job::Upload { .. } | Job::Download { .. } => config.multipart_threshold,
        };
        if size <= threshold {
            return 1;
        }
        let parts = size.div_ceil(config.part_size.max(1));
        parts.min(config.concurrency as u64).max(1) as u32
    }

    async fn execute(&self, job: Job) -> Result<(), Problem> {
        let client = &self.client;
        let config = &self.settings.transfer;
        let moved = self.settings.moving.then(|| job.clone());
        match job {
            Job::Upload { path, dst, .. } => {
                let options = self
                    .settings
                    .upload_options(path.file_name().and_then(|n| n.to_str()));
                client
                    .upload_file(&path, &dst.bucket, &dst.key, &options, config)
                    .await
                    .map_err(|e| not_replaced(&e, options.no_overwrite, &dst))?;
            }
            Job::Download { src, path, size } => {
                prepare_download_target(&path).await?;
                // A single `cp` of a key plans no size (0): the download finds it out.
                let mut options = self.settings.download.clone();
                options.size = (size > 0).then_some(size);
                let envelope = client
                    .download_file_with(&src.bucket, &src.key, &path, &options, config)
                    .await
                    .map_err(|e| {
                        sse_c_problem(&e, options.sse_customer_key.is_some(), "--sse-c-key")
                    })?;
                keep_modification_time(&path, &envelope).await;
            }
            Job::Copy { src, size, dst } => {
                // A size from a listing (0: not known, or empty) spares the copy its HEAD.
                let listed;
                let options = match size {
                    0 => &self.settings.copy,
                    size => {
                        listed = CopyOptions {
                            source_size: Some(size),
                            ..self.settings.copy.clone()
                        };
                        &listed
                    }
                };
                client
                    .copy_object_managed(
                        &src.bucket,
                        &src.key,
                        &dst.bucket,
                        &dst.key,
                        options,
                        config,
                    )
                    .await
                    .map_err(|e| {
                        if options.no_overwrite && e.code() == Some("PreconditionFailed") {
                            return not_replaced(&e, true, &dst);
                        }
                        let keyed = options.copy_source_sse_customer_key.is_some();
                        sse_c_problem(&e, keyed, "--sse-c-copy-source-key")
                    })?;
            }
        }
        match moved {
            Some(job) => self.remove_moved_source(job).await,
            None => Ok(()),
        }
    }

    /// Delete the source of a finished job once its copy is checked. A download was checked as
    /// it finished (length, and the object's checksum where it has one); an upload or a copy is
    /// checked here by the destination's size (the server checked the upload's checksum). A copy
    /// that does not check out keeps its source.
    async fn remove_moved_source(&self, job: Job) -> Result<(), Problem> {
        let client = &self.client;
        let keep = |why: String| Problem::text(format!("{why}: the source is kept"));
        // An object encrypted with SSE-C answers a HEAD only with its key.
        let object_size = |url: S3Url, key: Option<SseCustomerKey>| async move {
            let mut head = client
                .head_object()
                .bucket(&url.bucket)
                .key(&url.key)
                .request();
            if let Some(key) = &key {
                key.set_on(&mut head);
            }
            head.send()
                .await
                .and_then(|answer| answer.parse::<crate::types::HeadObjectOutput>())
                .map(|head| head.content_length.map(|n| n.max(0) as u64))
        };
        let dst_key = self.settings.upload.sse_customer_key.clone();
        let src_key = self.settings.copy.copy_source_sse_customer_key.clone();
        match job {
            Job::Upload { path, dst, size } => {
                let stored = object_size(dst.clone(), dst_key.clone())
                    .await
                    .map_err(|e| keep(format!("{dst} cannot be checked: {e}")))?;
                if stored != Some(size) {
                    return Err(keep(format!("{dst} holds {stored:?} bytes, not {size}")));
                }
                tokio::fs::remove_file(&path).await.map_err(|e| {
                    Problem::text(format!(
                        "moved, but {} cannot be removed: {e}",
                        path.display()
                    ))
                })
            }
            Job::Download { src, path, .. } => {
                self.delete_moved_object(&src, &format!("{}", path.display()))
                    .await
            }
            Job::Copy { src, dst, size } => {
                let stored = object_size(dst.clone(), dst_key)
                    .await
                    .map_err(|e| keep(format!("{dst} cannot be checked: {e}")))?;
                let source = object_size(src.clone(), src_key)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(size);
                if stored != Some(source) {
                    return Err(keep(format!("{dst} holds {stored:?} bytes, not {source}")));
                }
                self.delete_moved_object(&src, &dst.to_string()).await
            }
        }
    }

    async fn delete_moved_object(&self, src: &S3Url, copy: &str) -> Result<(), Problem> {
        self.client
            .delete_object()
            .bucket(&src.bucket)
            .key(&src.key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                Problem::text(format!(
                    "copied to {copy}, but {src} could not be deleted: {e}"
                ))
            })
    }
}

/// A failure; a write that must not replace anything and found its key taken (412
/// PreconditionFailed to `If-None-Match: *`) says so.
fn not_replaced(e: &Error, no_overwrite: bool, dst: &S3Url) -> Problem {
    let mut problem = Problem::from(e);
    if no_overwrite && e.code() == Some("PreconditionFailed") {
        problem.message = format!(
            "{dst} exists (another writer made it since the listing): not replaced; {}",
            problem.message
        );
    }
    problem
}

/// A failure, with a hint when S3 refused an SSE-C key: it answers a key that is not the
/// object's with a bare 403.
fn sse_c_problem(e: &Error, keyed: bool, flag: &str) -> Problem {
    let mut problem = Problem::from(e);
    if keyed && e.envelope().is_some_and(|answer| answer.status == 403) {
        problem.message.push_str(&format!(
            " (S3 answers 403 to an SSE-C key that is not the object's: check {flag})"
        ));
    }
    problem
}

/// Make the directories a download goes into; refuse to replace a directory with a file.
pub async fn prepare_download_target(path: &Path) -> Result<(), Problem> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Problem::text(format!("cannot create {}: {e}", parent.display())))?;
    }
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()) {
        return Err(Problem::text(format!("{} is a directory", path.display())));
    }
    Ok(())
}

/// Give a downloaded file the object's Last-Modified time, as the AWS CLI does, so that a later
/// `sync` sees the two as the same age. Best effort: a file system that refuses keeps "now".
pub async fn keep_modification_time(path: &Path, envelope: &Envelope) {
    let Some(modified) = envelope
        .parse::<GetObjectOutput>()
        .ok()
        .and_then(|answer| answer.last_modified)
    else {
        return;
    };
    let path = path.to_path_buf();
    let _ = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::options().write(true).open(&path)?;
        file.set_modified(std::time::SystemTime::from(modified))
    })
    .await;
}

/// S3's limit on keys per DeleteObjects request.
pub const DELETE_BATCH: usize = 1000;

/// Delete `objects` from `bucket` in DeleteObjects batches of 1,000, `in_flight` batches at once,
/// as the stream arrives (a listing that feeds it may still be going on), telling of every object:
/// deleted unless the answer lists it under `Errors` or the whole request failed. An `Err` item is
/// a listing that failed on the way: told as an error. In a dry run nothing is sent.
pub async fn delete_objects(
    client: &Client,
    bucket: &str,
    objects: impl Stream<Item = Result<ObjectIdentifier, String>>,
    in_flight: usize,
    dry_run: bool,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    objects
        .chunks(DELETE_BATCH)
        .enumerate()
        .map(|(index, items)| async move {
            let mut batch = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Ok(object) => batch.push(object),
                    Err(message) => tell(Event::Error { message }),
                }
            }
            if !batch.is_empty() {
                delete_batch(client, bucket, batch, index + 1, dry_run, tell).await;
            }
        })
        .buffer_unordered(in_flight.max(1))
        .for_each(|()| async {})
        .await;
}

/// How a deleted object is named: `s3://bucket/key`, and a version as CopySource writes it,
/// `s3://bucket/key?versionId=ID`.
pub fn object_name(bucket: &str, object: &ObjectIdentifier) -> String {
    let url = S3Url::new(bucket, object.key.as_str());
    match &object.version_id {
        Some(version) => format!("{url}?versionId={version}"),
        None => url.to_string(),
    }
}

async fn delete_batch(
    client: &Client,
    bucket: &str,
    objects: Vec<ObjectIdentifier>,
    number: usize,
    dry_run: bool,
    tell: &(dyn Fn(Event) + Send + Sync),
) {
    let done = |object: &ObjectIdentifier| Event::Done {
        action: Action::Delete,
        source: object_name(bucket, object),
        destination: None,
        size: None,
        dry_run,
        batch: Some(number),
    };
    let failed = |object: &ObjectIdentifier, problem: Problem| Event::Failed {
        action: Action::Delete,
        source: object_name(bucket, object),
        destination: None,
        problem,
    };
    if dry_run {
        objects.iter().for_each(|o| tell(done(o)));
        return;
    }
    let answer = client
        .delete_objects()
        .bucket(bucket)
        .delete(Delete {
            objects: objects.clone(),
            quiet: Some(true),
        })
        .send()
        .await
        .and_then(|envelope| {
            let request_id = crate::compat::request_id(&envelope.headers).map(str::to_string);
            envelope
                .parse::<DeleteObjectsOutput>()
                .map(|answer| (answer, request_id))
        });
    let (answer, request_id) = match answer {
        Ok(answer) => answer,
        Err(e) => {
            let problem = Problem::from(&e);
            objects
                .iter()
                .for_each(|o| tell(failed(o, problem.clone())));
            return;
        }
    };
    let mut refused = std::collections::HashSet::new();
    for error in answer.errors() {
        let key = error.key().unwrap_or("");
        let version = error.version_id().map(str::to_string);
        let code = error.code().unwrap_or("").to_string();
        let message = error.message().unwrap_or("");
        let mut text = format!("S3 could not delete it: {code}");
        if !message.is_empty() {
            text.push_str(&format!(": {message}"));
        }
        if let Some(id) = &request_id {
            text.push_str(&format!(" (request id {id})"));
        }
        let object = ObjectIdentifier {
            key: key.to_string(),
            version_id: version.clone(),
            ..ObjectIdentifier::default()
        };
        tell(failed(
            &object,
            Problem {
                message: text,
                code: Some(code),
                request_id: request_id.clone(),
            },
        ));
        refused.insert((key.to_string(), version));
    }
    objects
        .iter()
        .filter(|o| !refused.contains(&(o.key.clone(), o.version_id.clone())))
        .for_each(|o| tell(done(o)));
}
