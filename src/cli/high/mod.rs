//! The high-level commands people know from `aws s3` and s5cmd: `cp`, `ls`, `rm`, `mb`, `rb`,
//! `sync`, `du` and `cat`, and `check`, which compares two trees. They combine the generated operations and the
//! library's transfers (`s3op::transfer`): this module defines their flags, plans each command into
//! jobs (one file or object each) and runs many jobs at once on one shared [`Client`], each job
//! using the library's part concurrency. It owns no S3 wire detail; output and exit codes go
//! through [`progress::Reporter`].

mod attributes;
mod bucket;
mod cat;
mod check;
mod cp;
mod du;
mod files;
mod ls;
mod objects;
pub(crate) mod paths;
mod progress;
mod rm;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command};
use futures_util::Stream;

use s3op::transfer::jobs::{run_jobs_with, JobSettings};
pub(crate) use s3op::transfer::jobs::{Job, Planned};
use s3op::transfer::{
    DownloadOptions, TransferConfig, UploadOptions, UploadTracker, MAX_PART_SIZE, MIN_PART_SIZE,
};
use s3op::Client;

use super::Failure;
use progress::{Reporter, Tally};

/// The names of the high-level commands.
const NAMES: [&str; 10] = [
    "cp", "mv", "ls", "rm", "mb", "rb", "sync", "check", "du", "cat",
];

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
        du_command(),
        cat_command(),
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
                "Delete every object in the bucket (every version and delete marker, if it is or was versioned) and abort its unfinished uploads, then the bucket",
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
        "du" => du::run(sub, global, dry_run).await,
        "cat" => cat::run(sub, global, dry_run).await,
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
            .help("Part size for multipart uploads, copies and ranged downloads: 8MiB, 16M, 1048576 (default 16MiB; files above it go in parts; copies are one request up to 5 GiB unless it is given)"),
        Arg::new("jobs")
            .long("jobs")
            .value_name("N")
            .value_parser(clap::value_parser!(u32).range(1..=4096))
            .help("Files in flight at once (default 256)"),
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
    args.extend(attributes::attribute_args());
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
        .args(filter_args())
        .arg(
            Arg::new("version-id")
                .long("version-id")
                .value_name("ID")
                .help("Copy this version of the S3 object SRC (a download, an S3 to S3 copy or - for stdout)"),
        )
        .args(transfer_args())
        .args(attributes::copy_args())
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
        .args(filter_args())
        .args(transfer_args())
        .args(attributes::copy_args())
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
        .arg(
            flag(
                "checksum",
                "Compare content instead of size and modification time: stored checksums when both sides have one, else MD5 against the ETag",
            )
            .conflicts_with_all(["size-only", "exact-timestamps"]),
        )
        .arg(
            flag(
                "size-only",
                "Copy a file both sides have only when the sizes differ",
            )
            .conflicts_with("exact-timestamps"),
        )
        .arg(flag(
            "exact-timestamps",
            "S3 to local: copy a file of the same size unless its time equals the object's exactly (uploads and S3-to-S3 copies compare as by default)",
        ))
        .arg(
            flag(
                "no-overwrite",
                "Never replace anything the destination has; every write is conditional (If-None-Match: * on S3), so a file another writer creates meanwhile is not replaced either",
            )
            .short('n'),
        )
        .args(filter_args())
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
            "all-versions",
            "Every version and delete marker (ListObjectVersions): date, size (DELETE for a delete marker), version id, LATEST, key",
        ))
        .arg(flag(
            "summarize",
            "End with the number of objects and their total size",
        ))
        .arg(flag(
            "raw",
            "Take * and ? literally (no wildcard expansion)",
        ))
        .args(filter_args())
}

fn du_command() -> Command {
    Command::new("du")
        .about(
            "Count the objects under s3://bucket[/prefix] and their total size (always recursive)",
        )
        .display_order(1)
        .arg(
            Arg::new("url")
                .value_name("s3://BUCKET[/PREFIX]")
                .required(true),
        )
        .arg(flag("human-readable", "Sizes in KiB, MiB, GiB"))
        .arg(flag(
            "by-storage-class",
            "A line per storage class before the total (with --json: a StorageClasses map)",
        ))
        .arg(flag(
            "all-versions",
            "Count every version (ListObjectVersions); delete markers are counted apart",
        ))
        .arg(flag(
            "json",
            "One JSON object: Url, Objects, Size (and DeleteMarkers, StorageClasses)",
        ))
        .args(filter_args())
}

fn cat_command() -> Command {
    Command::new("cat")
        .about("Write an object to standard output (large ones in parallel ranges, in order)")
        .display_order(1)
        .arg(
            Arg::new("url")
                .value_name("s3://BUCKET/KEY")
                .required(true),
        )
        .arg(
            Arg::new("version-id")
                .long("version-id")
                .value_name("ID")
                .help("Print this version of the object"),
        )
        .arg(
            Arg::new("part-size")
                .long("part-size")
                .value_name("BYTES")
                .help("Range size: 8MiB, 16M, 1048576 (default 16MiB); memory is about part size × (concurrency + 1)"),
        )
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .value_name("N")
                .value_parser(clap::value_parser!(u32).range(1..=1024))
                .help("Ranges in flight at once (default 8)"),
        )
        .args(attributes::read_args())
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
        .arg(flag(
            "all-versions",
            "Delete every version and delete marker of the key (with --recursive: of every key under the prefix), 1,000 a request",
        ))
        .arg(
            flag(
                "incomplete",
                "Abort the multipart uploads left unfinished under s3://BUCKET[/PREFIX] instead of deleting objects",
            )
            .conflicts_with_all(["recursive", "raw", "all-versions"]),
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
        .args(filter_args())
        .arg(stat_arg())
        .args(output_args())
}

/// What every job of one command shares: the client, the runner's settings and the reporter.
pub(crate) struct Ctx {
    pub client: Client,
    pub settings: JobSettings,
    pub report: Reporter,
    /// `--exclude`, `--include`, `--exclude-from`.
    pub filters: s3op::filter::Filters,
    /// The attribute flags (`--content-type`, `--metadata`, `--sse-c`…).
    pub(crate) attributes: attributes::Attributes,
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
        let attributes = attributes::Attributes::from_matches(sub)?;
        let client = super::client(global)?;
        let mut config = sized_config(sub, &client)?;
        config.tracker = Some(tracker.clone());
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
        let jobs = get_u32("jobs").map_or_else(files::default_jobs, |n| n as usize);
        let report = Reporter::new(get_flag("quiet"), get_flag("json"), dry_run)
            .with_summary(get_flag("stat"), Tally::Transfers);
        config.progress = report.progress();
        let settings = JobSettings {
            jobs,
            transfer: config,
            upload: UploadOptions {
                attributes: attributes.object.clone(),
                sse_customer_key: attributes.sse_customer_key.clone(),
                request_payer: attributes.request_payer.clone(),
                no_overwrite: false,
            },
            guess_content_type: !get_flag("no-guess-mime-type"),
            download: DownloadOptions {
                sse_customer_key: attributes.sse_customer_key.clone(),
                request_payer: attributes.request_payer.clone(),
                ..DownloadOptions::default()
            },
            copy: attributes.copy_options(),
            moving: false,
            dry_run,
        };
        Ok(Ctx {
            client,
            settings,
            report,
            filters: filters(sub)?,
            attributes,
        })
    }
}

/// The transfer settings of `--part-size` and `--concurrency` (checked here, before anything is
/// sent) over the basic data's ChunkSize, on the defaults.
fn sized_config(sub: &ArgMatches, client: &Client) -> Result<TransferConfig, Failure> {
    let mut config = TransferConfig::default();
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
        // Files larger than one part go in parts, and so do copies: an explicit part size asks
        // for parts (without it a copy is one CopyObject up to 5 GiB).
        config.multipart_threshold = size;
        config.copy_threshold = size;
    }
    if let Some(n) = sub.try_get_one::<u32>("concurrency").ok().flatten() {
        config.concurrency = *n as usize;
    }
    Ok(config)
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

/// Run every job of `plan` through the library's runner, showing its events as they happen.
pub(crate) async fn run_plan(ctx: &Ctx, plan: impl Stream<Item = Planned>) {
    let report = &ctx.report;
    run_jobs_with(&ctx.client, ctx.settings.clone(), plan, &|event| {
        report.event(event)
    })
    .await;
}

/// `--exclude`, `--include` and `--exclude-from`, repeatable and in any mix.
fn filter_args() -> Vec<Arg> {
    let pattern = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name("PATTERN")
            .action(ArgAction::Append)
            .help(help)
    };
    vec![
        pattern(
            "exclude",
            "Leave out paths (relative to the source) matching PATTERN: * any run of characters (/ included), ? one character, [abc], [!abc]; repeatable, the last matching filter wins",
        ),
        pattern(
            "include",
            "Take in paths matching PATTERN again after an --exclude; repeatable, the last matching filter wins",
        ),
        Arg::new("exclude-from")
            .long("exclude-from")
            .value_name("FILE")
            .action(ArgAction::Append)
            .help("Exclude every pattern in FILE, one a line (blank lines and # comments skipped)"),
    ]
}

/// The filters of a command line, in the order they were given (the last matching one wins).
/// An unreadable `--exclude-from` file is a usage error: nothing is sent.
pub(crate) fn filters(sub: &ArgMatches) -> Result<s3op::filter::Filters, Failure> {
    use s3op::filter::{Filters, RuleKind};
    let mut given: Vec<(usize, &str, &String)> = Vec::new();
    for name in ["exclude", "include", "exclude-from"] {
        let (Ok(Some(values)), Ok(Some(indices))) = (
            sub.try_get_many::<String>(name),
            sub.try_get_raw_occurrences(name)
                .map(|_| sub.indices_of(name)),
        ) else {
            continue;
        };
        given.extend(indices.zip(values).map(|(i, v)| (i, name, v)));
    }
    given.sort_by_key(|(index, _, _)| *index);
    let mut filters = Filters::new();
    for (_, name, value) in given {
        match name {
            "exclude" => filters.push(RuleKind::Exclude, value.as_str()),
            "include" => filters.push(RuleKind::Include, value.as_str()),
            _ => filters
                .exclude_from(Path::new(value))
                .map_err(|e| usage(format!("--exclude-from: {e}")))?,
        }
    }
    Ok(filters)
}

/// Which listed keys a command takes: those its wildcard matches (when it has one) and its filters
/// include, the filters seeing each key relative to `base` (the listed prefix's "directory").
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySelection {
    pub pattern: Option<String>,
    pub base: String,
    pub filters: s3op::filter::Filters,
}

impl KeySelection {
    pub fn takes(&self, key: &str) -> bool {
        self.pattern
            .as_deref()
            .is_none_or(|p| paths::wildcard_match(p, key))
            && self
                .filters
                .includes(key.strip_prefix(self.base.as_str()).unwrap_or(key))
    }

    /// Whether the wildcard takes `key` but a filter leaves it out.
    pub fn excludes(&self, key: &str) -> bool {
        self.pattern
            .as_deref()
            .is_none_or(|p| paths::wildcard_match(p, key))
            && !self.takes(key)
    }
}

/// A usage error (exit 2, nothing sent).
pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}
