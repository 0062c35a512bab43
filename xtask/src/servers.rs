//! The real S3 servers the integration tests run against (docs/design.md, "Real servers for tests and
//! benchmarks"): installs s3s-fs, moto, Garage and Ceph's RADOS Gateway, cached across runs, and
//! tells where they are. It does not start them: each test binary starts its own through
//! `tests/support/mod.rs`, which finds them through the environment variables named here.
//!
//! - s3s-fs: `cargo install s3s-fs@VERSION --locked --features binary --root <target>/tools`, skipped
//!   when `<target>/tools/bin/s3s-fs --version` already reports that version.
//! - moto: `python3 -m venv <target>/venv`, then `pip install 'moto[server]==VERSION'` into it,
//!   skipped when `<target>/venv/.s3op-moto` records that same requirement (written only after pip
//!   succeeded, so a half-finished install is retried).
//! - Garage: `cargo install garage@VERSION --locked --root <target>/tools`, skipped when
//!   `<target>/tools/bin/garage --version` already reports that version. The slow one (a large
//!   Rust build, about 10 minutes on two cores), so all four installs run at once.
//! - Ceph: the system's packages, not the target directory's. Nothing is done when `radosgw` is on
//!   `PATH`; otherwise, as root, `apt-get install -y ceph-mon ceph-osd ceph-mgr radosgw
//!   ceph-common` (after `apt-get update` if the first try fails), and as anyone else an error that
//!   names that command. The tests find the other Ceph programs beside `radosgw`.
//!
//! `S3OP_S3S_FS_BIN` / `S3OP_MOTO_SERVER_BIN` / `S3OP_GARAGE_BIN` / `S3OP_RADOSGW_BIN`, when set,
//! name binaries to use instead: nothing is installed for that server then.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::Result;

/// The s3s-fs release the tests are written against.
pub const S3S_FS_VERSION: &str = "0.14.1";
/// The moto release the tests are written against (its quirks are documented in docs/design.md and docs/compat.md).
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";
/// Environment variable that names the s3s-fs binary, read by `tests/support/mod.rs`.
pub const S3S_FS_ENV: &str = "S3OP_S3S_FS_BIN";
/// Environment variable that names the moto_server script, read by `tests/support/mod.rs`.
pub const MOTO_ENV: &str = "S3OP_MOTO_SERVER_BIN";
/// The Garage release docs/design.md describes.
pub const GARAGE_VERSION: &str = "2.5.0";
/// Environment variable that names the garage binary, read by `tests/support/mod.rs`.
pub const GARAGE_ENV: &str = "S3OP_GARAGE_BIN";
/// Environment variable that names the radosgw binary, read by `tests/support/mod.rs`.
pub const RADOSGW_ENV: &str = "S3OP_RADOSGW_BIN";
/// The Debian packages of a single-node Ceph with its S3 gateway (docs/design.md).
const CEPH_PACKAGES: &[&str] = &["ceph-mon", "ceph-osd", "ceph-mgr", "radosgw", "ceph-common"];

/// Absolute paths of the installed servers.
pub struct Servers {
    pub s3s_fs: PathBuf,
    pub moto_server: PathBuf,
    pub garage: PathBuf,
    pub radosgw: PathBuf,
}

impl Servers {
    /// The environment variables that hand these paths to the tests.
    pub fn env(&self) -> [(&'static str, &Path); 4] {
        [
            (S3S_FS_ENV, &self.s3s_fs),
            (MOTO_ENV, &self.moto_server),
            (GARAGE_ENV, &self.garage),
            (RADOSGW_ENV, &self.radosgw),
        ]
    }
}

/// `cargo xtask servers`: install every server, then print `export` lines on stdout (progress goes to
/// stderr), so `eval "$(cargo xtask servers)"` lets a plain `cargo test` find them.
pub fn run(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(format!("`cargo xtask servers` takes no arguments (got `{arg}`)").into());
    }
    let servers = ensure_installed()?;
    for (name, path) in servers.env() {
        println!("export {name}={}", shell_quote(path));
    }
    Ok(())
}

/// Install whatever is missing (all at once: two Rust builds, a pip download and apt) and return
/// where the servers are. Every install runs to its end before the first error is returned, so one
/// run reports every server that could not be installed.
pub fn ensure_installed() -> Result<Servers> {
    let target = crate::target_dir();
    let started = Instant::now();
    let (s3s_fs, moto_server, garage, radosgw) = std::thread::scope(|scope| {
        let timed = |name: &'static str, install: fn(&Path) -> Result<PathBuf>| {
            let target = &target;
            scope.spawn(move || {
                let result = install(target);
                if result.is_ok() {
                    eprintln!("[{name}] ready after {}", elapsed(started));
                }
                result
            })
        };
        let joined = |name: &str, handle: std::thread::ScopedJoinHandle<'_, Result<PathBuf>>| {
            handle
                .join()
                .unwrap_or_else(|_| Err(format!("the {name} install thread panicked").into()))
        };
        let s3s_fs = timed("s3s-fs", ensure_s3s_fs);
        let moto_server = timed("moto", ensure_moto);
        let garage = timed("garage", ensure_garage);
        let radosgw = timed("ceph", ensure_ceph);
        (
            joined("s3s-fs", s3s_fs),
            joined("moto", moto_server),
            joined("garage", garage),
            joined("ceph", radosgw),
        )
    });
    let failures: Vec<String> = [&s3s_fs, &moto_server, &garage, &radosgw]
        .into_iter()
        .filter_map(|result| result.as_ref().err().map(ToString::to_string))
        .collect();
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    Ok(Servers {
        s3s_fs: s3s_fs?,
        moto_server: moto_server?,
        garage: garage?,
        radosgw: radosgw?,
    })
}

/// `cargo install s3s-fs@VERSION --features binary --root <target>/tools`, skipped when it is
/// there already.
pub fn ensure_s3s_fs(target: &Path) -> Result<PathBuf> {
    if let Some(path) = from_env(S3S_FS_ENV)? {
        return Ok(path);
    }
    let root = target.join("tools");
    let bin = root
        .join("bin")
        .join(format!("s3s-fs{}", std::env::consts::EXE_SUFFIX));
    let wanted = format!("s3s-fs {S3S_FS_VERSION}");
    let found = version_of(&bin);
    if found.as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    if let Some(found) = &found {
        eprintln!(
            "[s3s-fs] {} reports `{found}`, want `{wanted}`: reinstalling",
            bin.display()
        );
    }
    let mut install = Command::new(crate::cargo());
    install
        .args(["install", &format!("s3s-fs@{S3S_FS_VERSION}")])
        .args(["--locked", "--features", "binary", "--root"])
        .arg(&root);
    if found.is_some() {
        install.arg("--force");
    }
    let started = Instant::now();
    run_logged("s3s-fs", &mut install)?;
    match version_of(&bin) {
        Some(version) if version == wanted => {
            eprintln!("[s3s-fs] installed {wanted} in {}", elapsed(started));
            Ok(bin)
        }
        other => Err(format!(
            "`{}` succeeded but {} reports {other:?}, not `{wanted}`",
            display_command(&install),
            bin.display()
        )
        .into()),
    }
}

fn ensure_moto(target: &Path) -> Result<PathBuf> {
    if let Some(path) = from_env(MOTO_ENV)? {
        return Ok(path);
    }
    let venv = target.join("venv");
    let bin_dir = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let python = bin_dir.join(format!("python{}", std::env::consts::EXE_SUFFIX));
    let bin = bin_dir.join(format!("moto_server{}", std::env::consts::EXE_SUFFIX));
    let marker = venv.join(".s3op-moto");
    let installed = std::fs::read_to_string(&marker).unwrap_or_default();
    if bin.is_file() && installed.trim() == MOTO_REQUIREMENT {
        return Ok(bin);
    }
    let started = Instant::now();
    if !python.is_file() {
        // `--clear` in case a previous venv is there but broken (its Python moved or removed).
        let mut create = Command::new("python3");
        create.args(["-m", "venv", "--clear"]).arg(&venv);
        run_logged("moto", &mut create)?;
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
        .arg(MOTO_REQUIREMENT);
    run_logged("moto", &mut install)?;
    if !bin.is_file() {
        return Err(format!(
            "`{}` succeeded but did not create {}",
            display_command(&install),
            bin.display()
        )
        .into());
    }
    std::fs::write(&marker, format!("{MOTO_REQUIREMENT}\n"))
        .map_err(|err| format!("cannot write {}: {err}", marker.display()))?;
    eprintln!(
        "[moto] installed {MOTO_REQUIREMENT} in {}",
        elapsed(started)
    );
    Ok(bin)
}

/// `cargo install garage@VERSION --locked --root <target>/tools`, skipped when it is there already.
pub fn ensure_garage(target: &Path) -> Result<PathBuf> {
    if let Some(path) = from_env(GARAGE_ENV)? {
        return Ok(path);
    }
    let root = target.join("tools");
    let bin = root
        .join("bin")
        .join(format!("garage{}", std::env::consts::EXE_SUFFIX));
    // `garage cargo:2.5.0 [features: ...]` when built by cargo install (`garage v2.5.0` from a release)
    let reports_wanted = |found: &Option<String>| {
        found.as_deref().is_some_and(|line| {
            line.split_whitespace()
                .nth(1)
                .and_then(|version| version.rsplit([':', 'v']).next())
                == Some(GARAGE_VERSION)
        })
    };
    let found = version_of(&bin);
    if reports_wanted(&found) {
        return Ok(bin);
    }
    if let Some(found) = &found {
        eprintln!(
            "[garage] {} reports `{found}`, want {GARAGE_VERSION}: reinstalling",
            bin.display()
        );
    }
    let mut install = Command::new(crate::cargo());
    install
        .args(["install", &format!("garage@{GARAGE_VERSION}"), "--locked"])
        .arg("--root")
        .arg(&root);
    if found.is_some() {
        install.arg("--force");
    }
    let started = Instant::now();
    run_logged("garage", &mut install)?;
    let found = version_of(&bin);
    if !reports_wanted(&found) {
        return Err(format!(
            "`{}` succeeded but {} reports {found:?}, not {GARAGE_VERSION}",
            display_command(&install),
            bin.display()
        )
        .into());
    }
    eprintln!(
        "[garage] installed {GARAGE_VERSION} in {}",
        elapsed(started)
    );
    Ok(bin)
}

/// `radosgw` on `PATH`, else Debian's Ceph packages installed with apt when we are root.
pub fn ensure_ceph(_target: &Path) -> Result<PathBuf> {
    if let Some(path) = from_env(RADOSGW_ENV)? {
        return Ok(path);
    }
    if let Some(path) = on_path("radosgw") {
        return Ok(path);
    }
    let install_line = format!("apt-get install -y {}", CEPH_PACKAGES.join(" "));
    if !is_root() {
        return Err(format!(
            "radosgw is not on PATH: install Ceph with `sudo apt-get update && sudo {install_line}` \
             (or set {RADOSGW_ENV}), then run this again"
        )
        .into());
    }
    let started = Instant::now();
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    let mut install = apt(&[&["install", "-y"][..], CEPH_PACKAGES].concat());
    if let Err(first) = run_logged("ceph", &mut install) {
        // Often only stale package lists: refresh them once and try again.
        eprintln!("[ceph] {first}\n[ceph] refreshing the package lists and trying again");
        run_logged("ceph", &mut apt(&["update"]))?;
        run_logged("ceph", &mut install)?;
    }
    let path = on_path("radosgw")
        .ok_or_else(|| format!("`{install_line}` succeeded but radosgw is still not on PATH"))?;
    eprintln!("[ceph] installed in {}", elapsed(started));
    Ok(path)
}

/// The first `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// The path an override variable names, made absolute; `None` when the variable is unset or empty.
fn from_env(name: &str) -> Result<Option<PathBuf>> {
    let Some(value) = std::env::var_os(name).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let path = std::path::absolute(PathBuf::from(&value))
        .map_err(|err| format!("{name}={}: {err}", value.to_string_lossy()))?;
    if !path.is_file() {
        return Err(format!("{name}={} does not name a file", path.display()).into());
    }
    eprintln!("[servers] using {name}={}", path.display());
    Ok(Some(path))
}

/// First line of `<bin> --version`, or `None` if it is missing or will not run.
fn version_of(bin: &Path) -> Option<String> {
    if !bin.is_file() {
        return None;
    }
    let output = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    output
        .status
        .success()
        .then(|| stdout.lines().next().unwrap_or_default().trim().to_string())
}

/// How many lines of a failed command's output the error repeats.
const TAIL_LINES: usize = 40;

/// Run an install command with no stdin, echo its output to stderr as it comes (each line prefixed
/// with `[label]`; stdout is kept clean for `cargo xtask servers`), and on failure return an error
/// that names the command and repeats the tail of its output.
pub fn run_logged(label: &str, command: &mut Command) -> Result {
    let shown = display_command(command);
    eprintln!("[{label}] running `{shown}`");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("could not start `{shown}`: {err}"))?;
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
    let forwarders = [
        child
            .stdout
            .take()
            .map(|out| Box::new(out) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|err| Box::new(err) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let (label, tail) = (label.to_string(), Arc::clone(&tail));
        std::thread::spawn(move || {
            for line in BufReader::new(stream)
                .split(b'\n')
                .map_while(|line| line.ok())
            {
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                eprintln!("[{label}] {line}");
                let mut tail = tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        })
    })
    .collect::<Vec<_>>();
    let status = child
        .wait()
        .map_err(|err| format!("waiting for `{shown}`: {err}"))?;
    for forwarder in forwarders {
        let _ = forwarder.join();
    }
    if status.success() {
        return Ok(());
    }
    let tail = tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
    Err(format!(
        "`{shown}` failed ({status}); the last lines of its output:\n    {}",
        tail.join("\n    ")
    )
    .into())
}

/// A command as a person would type it (program and arguments, space-separated).
pub fn display_command(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .map(|part| {
            if part.is_empty() || part.contains([' ', '[', ']', '\'', '"', '$']) {
                shell_quote(Path::new(part.as_ref()))
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Single-quote a path for a POSIX shell.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

fn elapsed(started: Instant) -> String {
    let secs = started.elapsed().as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}
