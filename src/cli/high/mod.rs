//! The high-level commands people know from `aws s3` and s5cmd: `cp`, `ls`, `rm`, `mb`, `rb` and
//! `sync`, and `check`, which compares two trees. They combine the generated operations and the
//! library's transfers (`s3op::transfer`): this module defines their flags, plans each command into
//! jobs (one file or object each) and runs many jobs at once on one shared [`Client`], each job
//! using the library's part concurrency. It owns no S3 wire detail; output and exit codes go
//! through [`progress::Reporter`].

mod bucket;
mod check;
mod cp;
mod ls;
mod objects;
pub(crate) mod paths;
mod progress;
mod rm;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command};
use futures_util::{Stream, StreamExt};
use tokio::sync::Semaphore;

use s3op::transfer::{
    DownloadOptions, TransferConfig, UploadOptions, UploadTracker, MAX_PART_SIZE, MIN_PART_SIZE,
};
use s3op::types::GetObjectOutput;
use s3op::{Client, Envelope, Error};

use super::Failure;
use paths::S3Url;
use progress::{Problem, Reporter, Tally};

/// The names of the high-level commands.
const NAMES: [&str; 8] = ["cp", "mv", "ls", "rm", "mb", "rb", "sync", "check"];

/// Files (or objects) in flight at once unless `--jobs` says otherwise.
const DEFAULT_JOBS: usize = 64;

/// True when `name` is one of the commands this module runs.
pub(super) fn handles(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The high-level subcommands, to add beside the operations.
pub(super) fn commands() -> Vec<Command> {
    vec![
        cp_command(),
        mv_command(),
        sync_command(),
        ls_command(),
        rm_command(),
        check_command(),
        Command::new("mb")
            .about("Make a bucket: s3op mb s3://bucket")
            .display_order(1)
            .arg(Arg::new("url").value_name("s3://BUCKET").required(true))
            .args(output_args()),
        Command::new("rb")
            .about("Remove a bucket; --force deletes its objects first")
            .display_order(1)
            .arg(Arg::new("url").value_name("s3://BUCKET").required(true))
            .arg(flag(
                "force",
                "Delete every object in the bucket, then the bucket",
            ))
            .args(output_args()),
    ]
}

/// Run the high-level command `name`.
pub(super) async fn dispatch(
    name: &str,
    sub: &ArgMatches,
    global: &ArgMatches,
    tracker: &UploadTracker,
) -> Result<i32, Failure> {
    let dry_run = global.get_flag("dry-run");
    match name {
        "cp" => cp::run(sub, global, dry_run, tracker, false).await,
        "mv" => cp::run(sub, global, dry_run, tracker, true).await,
        "sync" => sync::run(sub, global, dry_run, tracker).await,
        "ls" => ls::run(sub, global, dry_run).await,
        "rm" => rm::run(sub, global, dry_run).await,
        "mb" => bucket::make(sub, global, dry_run).await,
        "rb" => bucket::remove(sub, global, dry_run).await,
        // Changes nothing, so --dry-run has nothing to hold back.
        "check" => check::run(sub, global).await,
        other => Err(Failure::Usage(format!("unknown command {other}"))),
    }
}

fn flag(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .action(ArgAction::SetTrue)
        .help(help)
}

fn recursive_arg() -> Arg {
    flag(
        "recursive",
        "Every object under the prefix, every file under the directory",
    )
    .short('r')
}

/// `--quiet` and `--json`, shared by every command that reports per file.
fn output_args() -> Vec<Arg> {
    vec![
        flag(
            "quiet",
            "Print nothing but errors (no per-file lines, no progress bar)",
        )
        .short('q'),
        flag("json", "One JSON object per line instead of text lines"),
    ]
}

/// `--stat`, for the commands that end with a summary.
fn stat_arg() -> Arg {
    flag(
        "stat",
        "End with a summary on stderr: files, bytes, time, rate, failures (a JSON object with --json); shown anyway when stderr is a terminal",
    )
}

/// Flags of the commands that move bytes.
fn transfer_args() -> Vec<Arg> {
    let mut args = vec![
        Arg::new("concurrency")
            .long("concurrency")
            .value_name("N")
            .value_parser(clap::value_parser!(u32).range(1..=1024))
            .help("Parts or ranges of one file in flight at once (default 8)"),
        Arg::new("part-size")
            .long("part-size")
            .value_name("BYTES")
            .help("Part size for multipart uploads, copies and ranged downloads: 8MiB, 16M, 1048576 (default 16MiB; files above it go in parts)"),
        Arg::new("jobs")
            .long("jobs")
            .value_name("N")
            .value_parser(clap::value_parser!(u32).range(1..=4096))
            .help("Files in flight at once (default 64)"),
        Arg::new("checksum-algorithm")
            .long("checksum-algorithm")
            .value_name("ALGORITHM")
            .value_parser(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
            .ignore_case(true)
            .help("Checksum every upload sends as a header (default CRC64NVME, unless request_checksum_calculation is when_required)"),
        Arg::new("content-type")
            .long("content-type")
            .value_name("TYPE")
            .help("Content-Type of every upload (default: guessed from the file's extension)"),
        flag(
            "no-guess-mime-type",
            "Do not guess uploads' Content-Type from their extension",
        ),
        flag(
            "resume",
            "Make file transfers resumable: an interrupted one keeps what it finished (a journal under $XDG_STATE_HOME/s3op or ~/.local/state/s3op, a .NAME.s3op-resume.part file beside a download) and the same command run again sends only what is missing",
        ),
        stat_arg(),
    ];
    args.extend(output_args());
    args
}

fn cp_command() -> Command {
    Command::new("cp")
        .about("Copy files and objects: local to S3, S3 to local, S3 to S3; - is stdin or stdout")
        .display_order(1)
        .arg(
            Arg::new("source")
                .value_name("SRC")
                .required(true)
                .help("A local file or directory, s3://bucket/key or prefix/, a wildcard, or - for stdin"),
        )
        .arg(
            Arg::new("destination")
                .value_name("DST")
                .required(true)
                .help("A local file or directory, s3://bucket/key or prefix/, or - for stdout"),
        )
        .arg(recursive_arg())
        .arg(flag("raw", "Take * and ? literally (no wildcard expansion)"))
        .args(transfer_args())
        .after_help(
            "Wildcards: 'dir/*.log' and 's3://bucket/prefix/*.log' (quote them); * matches any run of characters, / included, and ? one character. \
             Matches keep their path relative to the part before the first wildcard. Global --dry-run lists what would be copied.",
        )
}

/// SRC and DST of the commands that take two trees (`sync`, `check`).
fn tree_args() -> [Arg; 2] {
    let tree = |name: &'static str, value: &'static str| {
        Arg::new(name)
            .value_name(value)
            .required(true)
            .help("A local directory or s3://bucket/prefix/")
    };
    [tree("source", "SRC"), tree("destination", "DST")]
}

fn mv_command() -> Command {
    Command::new("mv")
        .about("Move files and objects: copied as cp copies them, each source deleted once its copy is complete and checked")
        .display_order(1)
        .arg(
            Arg::new("source")
                .value_name("SRC")
                .required(true)
                .help("A local file or directory, s3://bucket/key or prefix/, or a wildcard"),
        )
        .arg(
            Arg::new("destination")
                .value_name("DST")
                .required(true)
                .help("A local file or directory, or s3://bucket/key or prefix/"),
        )
        .arg(recursive_arg())
        .arg(flag("raw", "Take * and ? literally (no wildcard expansion)"))
        .args(transfer_args())
        .after_help(
            "A source is deleted only after its copy succeeded and was checked (the object's size \
             and, where it has one, its checksum); a failed copy keeps its source. Global --dry-run \
             lists what would be moved.",
        )
}

fn sync_command() -> Command {
    Command::new("sync")
        .about("Copy what is missing or changed: local directory to S3 prefix, back, or S3 to S3")
        .display_order(1)
        .args(tree_args())
        .arg(flag(
            "delete",
            "Delete destination files or objects the source does not have",
        ))
        .arg(flag(
            "checksum",
            "Compare content instead of size and modification time: stored checksums when both sides have one, else MD5 against the ETag",
        ))
        .args(transfer_args())
        .after_help("Global --dry-run lists what would be copied and deleted, and changes nothing.")
}

fn ls_command() -> Command {
    Command::new("ls")
        .about("List buckets, or the objects and prefixes under s3://bucket[/prefix]")
        .display_order(1)
        .arg(Arg::new("url").value_name("s3://BUCKET[/PREFIX]"))
        .arg(recursive_arg())
        .arg(flag(
            "json",
            "One JSON object per line: the S3 listing items as they are in the envelope",
        ))
        .arg(flag("human-readable", "Sizes in KiB, MiB, GiB"))
        .arg(flag(
            "summarize",
            "End with the number of objects and their total size",
        ))
        .arg(flag(
            "raw",
            "Take * and ? literally (no wildcard expansion)",
        ))
}

fn check_command() -> Command {
    Command::new("check")
        .about("Compare two trees (local directory or s3:// prefix each): what is missing or differs")
        .display_order(1)
        .args(tree_args())
        .arg(flag(
            "json",
            "JSON Lines: one object per difference (and per file only the size could check), then a summary object",
        ))
        .after_help(
            "Copies are compared by size, then by stored full-object checksums (HeadObject with checksum mode; \
             the same algorithm computed over a local file), then by MD5 ETags (multipart ETags recomputed); \
             when nothing else can tell, equal sizes count as identical. Exit 0 when identical, 1 when not.",
        )
}

fn rm_command() -> Command {
    Command::new("rm")
        .about(
            "Delete an object, or with --recursive every object under a prefix (1,000 a request)",
        )
        .display_order(1)
        .arg(
            Arg::new("url")
                .value_name("s3://BUCKET/KEY")
                .required(true)
                .num_args(1..),
        )
        .arg(recursive_arg())
        .arg(flag(
            "raw",
            "Take * and ? literally (no wildcard expansion)",
        ))
        .arg(
            flag(
                "incomplete",
                "Abort the multipart uploads left unfinished under s3://BUCKET[/PREFIX] instead of deleting objects",
            )
            .conflicts_with_all(["recursive", "raw"]),
        )
        .arg(
            Arg::new("older-than")
                .long("older-than")
                .value_name("DURATION")
                .requires("incomplete")
                .help("With --incomplete: only uploads started longer ago than this: 30s, 90m, 24h, 7d"),
        )
        .arg(
            Arg::new("jobs")
                .long("jobs")
                .value_name("N")
                .value_parser(clap::value_parser!(u32).range(1..=256))
                .help("DeleteObjects requests in flight at once (default 8)"),
        )
        .arg(stat_arg())
        .args(output_args())
}

/// What every job of one command shares: the client, the transfer settings and the reporter.
pub(crate) struct Ctx {
    pub client: Client,
    pub config: TransferConfig,
    pub report: Reporter,
    /// Jobs in flight at once.
    pub jobs: usize,
    /// `--content-type`, and whether to guess one from the extension when it is not given.
    content_type: Option<String>,
    guess_content_type: bool,
    /// Requests in flight across all jobs: a small file takes one permit, a large one as many as
    /// its parts in flight, so 64 large files do not open 64 × 8 connections (and file handles).
    budget: Arc<Semaphore>,
    /// `mv`: each source is deleted once its copy is complete and checked.
    pub moving: bool,
}

impl Ctx {
    /// Settings from a command's flags; `--part-size` and `--concurrency` are checked here, before
    /// anything is sent.
    pub fn new(
        sub: &ArgMatches,
        global: &ArgMatches,
        dry_run: bool,
        tracker: &UploadTracker,
    ) -> Result<Ctx, Failure> {
        let get_u32 = |name: &str| sub.try_get_one::<u32>(name).ok().flatten().copied();
        let get_flag = |name: &str| {
            sub.try_get_one::<bool>(name)
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false)
        };
        let client = super::client(global)?;
        let mut config = TransferConfig {
            tracker: Some(tracker.clone()),
            ..TransferConfig::default()
        };
        // The basic data's ChunkSize (or the profile's multipart_chunksize) sets the part size and
        // the multipart threshold, as OPI_S3 uses it; --part-size wins over it.
        if let Some(size) = client.config().chunk_size {
            config.part_size = size.clamp(MIN_PART_SIZE, MAX_PART_SIZE);
            config.multipart_threshold = size;
        }
        if let Some(text) = sub.try_get_one::<String>("part-size").ok().flatten() {
            let size = s3op::config::parse_size(text)
                .map_err(|e| Failure::Usage(format!("--part-size: {e}")))?;
            if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) {
                return Err(Failure::Usage(format!(
                    "--part-size {text}: S3 parts are 5 MiB to 5 GiB"
                )));
            }
            config.part_size = size;
            // Files larger than one part go in parts.
            config.multipart_threshold = size;
        }
        if let Some(n) = get_u32("concurrency") {
            config.concurrency = n as usize;
        }
        if get_flag("resume") {
            let env = s3op::config::Environment::from_process();
            config.journal_dir = Some(state_dir(&env).ok_or_else(|| {
                Failure::Usage(
                    "--resume keeps its journals under $XDG_STATE_HOME/s3op or ~/.local/state/s3op: set HOME or XDG_STATE_HOME".into(),
                )
            })?);
            config.notice = Some(Arc::new(|message: String| {
                eprintln!("s3op: resume: {message}")
            }));
        }
        if let Some(name) = sub
            .try_get_one::<String>("checksum-algorithm")
            .ok()
            .flatten()
        {
            config.checksum_algorithm = s3op::checksum::Algorithm::parse(name);
        }
        let jobs = get_u32("jobs").map_or(DEFAULT_JOBS, |n| n as usize);
        let report = Reporter::new(get_flag("quiet"), get_flag("json"), dry_run)
            .with_summary(get_flag("stat"), Tally::Transfers);
        config.progress = report.progress();
        let budget = Arc::new(Semaphore::new(jobs.max(config.concurrency)));
        Ok(Ctx {
            client,
            config,
            report,
            jobs,
            content_type: sub
                .try_get_one::<String>("content-type")
                .ok()
                .flatten()
                .cloned(),
            guess_content_type: !get_flag("no-guess-mime-type"),
            budget,
            moving: false,
        })
    }

    /// The members an upload of `name` carries: its Content-Type, given or guessed.
    pub fn upload_options(&self, name: Option<&str>) -> UploadOptions {
        let guessed = || {
            name.filter(|_| self.guess_content_type)
                .and_then(paths::guess_content_type)
                .map(str::to_string)
        };
        let mut options = UploadOptions::default();
        if let Some(t) = self.content_type.clone().or_else(guessed) {
            options.values.push(("ContentType", s3op::Value::String(t)));
        }
        options
    }

    /// Requests a job of `size` bytes keeps in flight.
    fn weight(&self, size: u64) -> u32 {
        if size <= self.config.multipart_threshold {
            return 1;
        }
        let parts = size.div_ceil(self.config.part_size.max(1));
        parts.min(self.config.concurrency as u64).max(1) as u32
    }
}

/// Where resumable transfers keep their journals: `$XDG_STATE_HOME/s3op` (an absolute path, as
/// the XDG spec requires), else `~/.local/state/s3op`. The transfers create it, 0700.
fn state_dir(env: &s3op::config::Environment) -> Option<PathBuf> {
    let base = env
        .var("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env.home().map(|home| home.join(".local").join("state")))?;
    Some(base.join("s3op"))
}

/// One file or object to move.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Upload {
        path: PathBuf,
        size: u64,
        dst: S3Url,
    },
    Download {
        src: S3Url,
        size: u64,
        path: PathBuf,
    },
    Copy {
        src: S3Url,
        size: u64,
        dst: S3Url,
    },
}

impl Job {
    fn size(&self) -> u64 {
        match self {
            Job::Upload { size, .. } | Job::Download { size, .. } | Job::Copy { size, .. } => *size,
        }
    }

    fn describe(&self) -> (&'static str, String, String) {
        match self {
            Job::Upload { path, dst, .. } => {
                ("upload", path.display().to_string(), dst.to_string())
            }
            Job::Download { src, path, .. } => {
                ("download", src.to_string(), path.display().to_string())
            }
            Job::Copy { src, dst, .. } => ("copy", src.to_string(), dst.to_string()),
        }
    }
}

/// An item of a plan: a job, or something reported and skipped.
pub(crate) enum Planned {
    Job(Job),
    /// A file or key that cannot be transferred (an unsafe key, an unreadable file).
    Skip {
        action: &'static str,
        source: String,
        problem: Problem,
    },
    /// A listing or walk that failed: reported, and the command exits 1.
    Error(String),
}

/// Run every job of `plan`, `ctx.jobs` at a time, each on its own task (so the work spreads over
/// the runtime's threads). Failures are reported as they happen; the rest go on.
pub(crate) async fn run_plan(ctx: &Arc<Ctx>, plan: impl Stream<Item = Planned>) {
    plan.map(|item| {
        let ctx = Arc::clone(ctx);
        async move {
            match item {
                Planned::Job(job) => run_job(ctx, job).await,
                Planned::Skip {
                    action,
                    source,
                    problem,
                } => ctx.report.failed(action, &source, None, &problem),
                Planned::Error(message) => ctx.report.error(&message),
            }
        }
    })
    .buffer_unordered(ctx.jobs.max(1))
    .for_each(|()| async {})
    .await;
}

async fn run_job(ctx: Arc<Ctx>, job: Job) {
    let (action, source, destination) = job.describe();
    let action = if ctx.moving { "move" } else { action };
    let size = job.size();
    ctx.report.planned(size);
    if ctx.report.dry_run() {
        ctx.report
            .done(action, &source, Some(&destination), Some(size));
        return;
    }
    let weight = ctx.weight(size);
    let Ok(permit) = Arc::clone(&ctx.budget).acquire_many_owned(weight).await else {
        return;
    };
    let task_ctx = Arc::clone(&ctx);
    let handle = tokio::spawn(async move {
        let _permit = permit;
        execute(&task_ctx, job).await
    });
    let result = match handle.await {
        Ok(result) => result,
        Err(e) => Err(Problem::text(format!("the task stopped: {e}"))),
    };
    match result {
        Ok(()) => ctx
            .report
            .done(action, &source, Some(&destination), Some(size)),
        Err(problem) => ctx
            .report
            .failed(action, &source, Some(&destination), &problem),
    }
}

async fn execute(ctx: &Ctx, job: Job) -> Result<(), Problem> {
    let client = &ctx.client;
    let fail = |e: Error| Problem::from(&e);
    let moved = ctx.moving.then(|| job.clone());
    match job {
        Job::Upload { path, dst, .. } => {
            let options = ctx.upload_options(path.file_name().and_then(|n| n.to_str()));
            client
                .upload_file(&path, &dst.bucket, &dst.key, &options, &ctx.config)
                .await
                .map_err(fail)?;
        }
        Job::Download { src, path, size } => {
            prepare_download_target(&path).await?;
            // A single `cp` of a key plans no size (0): the download finds it out.
            let options = DownloadOptions {
                size: (size > 0).then_some(size),
                ..DownloadOptions::default()
            };
            let envelope = client
                .download_file_with(&src.bucket, &src.key, &path, &options, &ctx.config)
                .await
                .map_err(fail)?;
            keep_modification_time(&path, &envelope).await;
        }
        Job::Copy { src, dst, .. } => {
            client
                .copy_object_managed(&src.bucket, &src.key, &dst.bucket, &dst.key, &ctx.config)
                .await
                .map_err(fail)?;
        }
    }
    match moved {
        Some(job) => remove_moved_source(ctx, job).await,
        None => Ok(()),
    }
}

/// `mv`: delete the source of a finished job once its copy is checked. A download was checked as
/// it finished (length, and the object's checksum where it has one); an upload or a copy is
/// checked here by the destination's size (the server checked the upload's checksum). A copy that
/// does not check out keeps its source.
async fn remove_moved_source(ctx: &Ctx, job: Job) -> Result<(), Problem> {
    let client = &ctx.client;
    let keep = |why: String| Problem::text(format!("{why}: the source is kept"));
    let object_size = |url: S3Url| async move {
        client
            .head_object()
            .bucket(&url.bucket)
            .key(&url.key)
            .send_typed()
            .await
            .map(|head| head.content_length.map(|n| n.max(0) as u64))
    };
    match job {
        Job::Upload { path, dst, size } => {
            let stored = object_size(dst.clone())
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
            delete_moved_object(ctx, &src, &format!("{}", path.display())).await
        }
        Job::Copy { src, dst, size } => {
            let stored = object_size(dst.clone())
                .await
                .map_err(|e| keep(format!("{dst} cannot be checked: {e}")))?;
            let source = object_size(src.clone())
                .await
                .ok()
                .flatten()
                .unwrap_or(size);
            if stored != Some(source) {
                return Err(keep(format!("{dst} holds {stored:?} bytes, not {source}")));
            }
            delete_moved_object(ctx, &src, &dst.to_string()).await
        }
    }
}

async fn delete_moved_object(ctx: &Ctx, src: &S3Url, copy: &str) -> Result<(), Problem> {
    ctx.client
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

/// Make the directories a download goes into; refuse to replace a directory with a file.
pub(crate) async fn prepare_download_target(path: &Path) -> Result<(), Problem> {
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
pub(crate) async fn keep_modification_time(path: &Path, envelope: &Envelope) {
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

/// A usage error (exit 2, nothing sent).
pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}
