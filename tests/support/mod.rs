//! Real S3 servers for integration tests (docs/design.md, "Real servers for tests and benchmarks").
//! A test file says `mod support;` and calls [`s3s_fs()`], [`moto()`], [`garage()`],
//! [`garage_cluster()`] or [`ceph()`]: the first call in a test binary starts that server on free
//! loopback ports with fresh temporary directories, and every test in the binary shares it (so each
//! test makes its own bucket with [`unique_bucket`]). A test that needs a server of its own (to stop
//! a node, say) calls [`TestServer::start`]. Servers of different kinds start in parallel when
//! different tests ask for them at once: ports are never handed out twice within a process.
//!
//! The binaries are found through `S3OP_S3S_FS_BIN` / `S3OP_MOTO_SERVER_BIN` / `S3OP_GARAGE_BIN` /
//! `S3OP_RADOSGW_BIN`, which `cargo xtask test` sets after installing them; failing that, under
//! `target/tools/bin/` and `target/venv/bin/` (where the xtask installs them), then on `PATH`. A
//! missing binary makes the start panic with how to install it: never a silent skip.
//!
//! - s3s-fs and moto: one process each.
//! - Garage (`garage.rs`): one node, or a cluster of three (`replication_factor = 3`, zones
//!   dc1..dc3, one S3 endpoint per node) that [`TestServer::stop_node`] and
//!   [`TestServer::start_node`] take down and bring back with the same data and ports. Its key may
//!   create buckets, so S3 CreateBucket works as on any other server.
//! - Ceph RGW (`ceph.rs`, `ceph-rgw.sh`): one monitor, one memstore OSD and radosgw, about 13 s.
//!
//! **How the servers die.** A shared server sits in a `static`, and statics are never dropped, so
//! cleanup cannot rely on `Drop`. Each server process is started through a small `sh` watchdog
//! instead: the test process holds the write end of a pipe that is the watchdog's standard input,
//! and the watchdog waits for end-of-file on it, then kills the server and removes its temporary
//! directory. The kernel closes that pipe whenever the test process ends, however it ends (normal
//! exit, panic, `SIGKILL`), so no server outlives its test binary; `Drop` on an owned
//! [`TestServer`] closes the pipe early to the same effect, and [`TestServer::stop_node`] writes
//! `keep` down the pipe before closing it, so that the directory stays for the restart. Ceph's
//! daemons fork into the background, where no watchdog can wait for them: `ceph-rgw.sh` is its own
//! watchdog and kills them by their pid files, and it runs in a process group of its own so that a
//! Ctrl-C meant for the tests does not kill it before it has cleaned up. This needs no crate and
//! works on any Unix; `PR_SET_PDEATHSIG` was rejected because it is Linux-only and fires when the
//! *thread* that spawned the child exits, which for a lazily started server is whichever test thread
//! came first. Server output goes to a log file in the temporary directory (never to the test's own
//! stdout or stderr, which would keep `cargo test`'s pipes open after the test exits); a server that
//! does not come up panics with that log in the message.

#![allow(dead_code)] // each test binary uses its own part of this module

mod ceph;
mod garage;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How many free ports to try when a server exits right after starting (its port was taken).
const START_ATTEMPTS: usize = 3;
const HINT: &str = "run `cargo xtask test` (it installs the test servers)";

/// Which server to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// s3s-fs: file-system backed, checks SigV4 signatures; objects, multipart, listing.
    S3sFs,
    /// moto: the widest S3 API coverage (tagging, versioning, lifecycle...); ignores signatures.
    Moto,
    /// Garage 2.5, one node: a production store that checks signatures; no tagging/ACL/policy.
    Garage,
    /// Garage 2.5, three nodes on loopback with `replication_factor = 3`, one S3 endpoint each.
    GarageCluster,
    /// Ceph RADOS Gateway 16.2, one node: versioning, object lock, lifecycle, tagging, CORS,
    /// policies; checks signatures.
    Ceph,
}

impl ServerKind {
    /// The server's name in messages and directory names.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Moto => "moto",
            ServerKind::Garage => "garage",
            ServerKind::GarageCluster => "garage-cluster",
            ServerKind::Ceph => "ceph",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "S3OP_S3S_FS_BIN",
            ServerKind::Moto => "S3OP_MOTO_SERVER_BIN",
            ServerKind::Garage | ServerKind::GarageCluster => "S3OP_GARAGE_BIN",
            ServerKind::Ceph => "S3OP_RADOSGW_BIN",
        }
    }

    fn program(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Moto => "moto_server",
            ServerKind::Garage | ServerKind::GarageCluster => "garage",
            ServerKind::Ceph => "radosgw",
        }
    }

    /// Where `cargo xtask test` installs it, relative to the target directory (Ceph comes from
    /// the system's packages).
    fn installed_at(self) -> Option<&'static str> {
        match self {
            ServerKind::S3sFs => Some("tools/bin/s3s-fs"),
            ServerKind::Moto => Some("venv/bin/moto_server"),
            ServerKind::Garage | ServerKind::GarageCluster => Some("tools/bin/garage"),
            ServerKind::Ceph => None,
        }
    }

    /// How to get the binary when it cannot be found.
    fn hint(self) -> &'static str {
        match self {
            ServerKind::Ceph => {
                "install Ceph (`apt-get install -y ceph-mon ceph-osd ceph-mgr radosgw ceph-common` \
                 as root) or run `cargo xtask test` as root (it installs the test servers)"
            }
            _ => HINT,
        }
    }

    /// The status an unsigned `GET /` gets once the server is up: telling servers apart guards
    /// against taking another server that grabbed the port for this one.
    fn ready_status(self) -> u16 {
        match self {
            ServerKind::S3sFs => 403,
            ServerKind::Moto | ServerKind::Ceph => 200,
            ServerKind::Garage | ServerKind::GarageCluster => garage::READY_STATUS,
        }
    }

    /// How long the server may take to come up, setup included.
    fn start_timeout(self) -> Duration {
        match self {
            ServerKind::S3sFs | ServerKind::Moto => Duration::from_secs(20),
            ServerKind::Garage | ServerKind::GarageCluster => Duration::from_secs(60),
            // Its own steps have their own limits (ceph-rgw.sh); this only catches a hang.
            ServerKind::Ceph => Duration::from_secs(420),
        }
    }
}

/// A running server: one node, or several for a cluster. Dropping it stops every node and removes
/// their temporary directories.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, for path-style requests (the first node's, for a cluster).
    pub endpoint: String,
    /// The access key the server accepts (moto takes any).
    pub access_key: String,
    /// The secret key that goes with `access_key`.
    pub secret_key: String,
    /// The region to sign for: `us-east-1`.
    pub region: String,
    kind: ServerKind,
    nodes: Vec<Node>,
}

/// The s3s-fs server shared by every test in this binary, started on first use.
pub fn s3s_fs() -> &'static TestServer {
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    shared(&SERVER, ServerKind::S3sFs)
}

/// The moto server shared by every test in this binary, started on first use.
pub fn moto() -> &'static TestServer {
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    shared(&SERVER, ServerKind::Moto)
}

/// The single-node Garage shared by every test in this binary, started on first use.
pub fn garage() -> &'static TestServer {
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    shared(&SERVER, ServerKind::Garage)
}

/// The three-node Garage cluster shared by every test in this binary, started on first use. A test
/// that stops nodes should start a cluster of its own ([`TestServer::start`]): the other tests
/// share this one.
pub fn garage_cluster() -> &'static TestServer {
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    shared(&SERVER, ServerKind::GarageCluster)
}

/// The single-node Ceph RGW shared by every test in this binary, started on first use (about 13 s).
pub fn ceph() -> &'static TestServer {
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    shared(&SERVER, ServerKind::Ceph)
}

fn shared(
    cell: &'static OnceLock<Result<TestServer, String>>,
    kind: ServerKind,
) -> &'static TestServer {
    // The error is kept too, so the tests after the first fail at once with the same message
    // instead of each waiting for the start timeout again.
    match cell.get_or_init(|| TestServer::try_start(kind)) {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// A bucket name no other call in any process will produce: `prefix` (lowercased, other characters
/// turned into `-`, shortened to fit) followed by the time, the process id and a counter. Always a
/// valid S3 bucket name: 3–63 characters of `a-z0-9-`, starting and ending with a letter or digit.
pub fn unique_bucket(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let suffix = format!(
        "{}-{}-{}",
        base36(millis),
        base36(u64::from(std::process::id())),
        base36(count)
    );
    let mut prefix: String = prefix
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    // Names S3 reserves for itself.
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|reserved| prefix.starts_with(reserved))
    {
        prefix.insert_str(0, "b-");
    }
    prefix.truncate(63 - 1 - suffix.len());
    let prefix = prefix.trim_matches('-');
    if prefix.is_empty() {
        suffix
    } else {
        format!("{prefix}-{suffix}")
    }
}

fn base36(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

impl TestServer {
    /// Start a server of one's own (most tests want the shared ones, [`s3s_fs()`] and the rest).
    /// Panics, with the server's output in the message, if it does not come up.
    pub fn start(kind: ServerKind) -> TestServer {
        TestServer::try_start(kind).unwrap_or_else(|message| panic!("{message}"))
    }

    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The loopback address the server listens on (the first node's, for a cluster).
    pub fn addr(&self) -> SocketAddr {
        self.nodes[0].addr
    }

    /// The server's temporary directory (the first node's, for a cluster): s3s-fs keeps its
    /// buckets under `data/` in it, and the server's output is in `server.log`.
    pub fn dir(&self) -> &Path {
        &self.nodes[0].dir
    }

    /// What the server has printed so far, to put in a failing test's message (every node's, for a
    /// cluster; Ceph's setup steps and radosgw's log).
    pub fn log(&self) -> String {
        let logs: Vec<String> = self.nodes.iter().map(Node::log).collect();
        if let [one] = &logs[..] {
            return one.clone();
        }
        logs.iter()
            .enumerate()
            .map(|(index, log)| format!("--- node {index} ---\n{log}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// How many nodes: three for [`ServerKind::GarageCluster`], one for the others.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Node `index`'s S3 endpoint (`0` is the first node, the one [`TestServer::endpoint`] names).
    pub fn node_endpoint(&self, index: usize) -> String {
        format!("http://{}", self.node(index).addr)
    }

    /// Node `index`'s loopback address.
    pub fn node_addr(&self, index: usize) -> SocketAddr {
        self.node(index).addr
    }

    /// Node `index`'s temporary directory.
    pub fn node_dir(&self, index: usize) -> &Path {
        &self.node(index).dir
    }

    /// A library client for node `index`, with the server's keys.
    pub fn node_client(&self, index: usize) -> s3op::Client {
        client_for(&self.node_endpoint(index), self)
    }

    /// Stop node `index` (its process ends, its data and ports stay for [`TestServer::start_node`]).
    /// Not for Ceph, whose daemons are set up anew each time. Panics if the node is stopped.
    pub fn stop_node(&self, index: usize) {
        assert!(
            self.kind != ServerKind::Ceph,
            "stop_node is not supported for Ceph"
        );
        let node = self.node(index);
        let process = node.process().take();
        match process {
            Some(process) => process.stop(true),
            None => panic!("node {index} of {} is already stopped", self.kind.name()),
        }
    }

    /// Start node `index` again after [`TestServer::stop_node`]: same binary, configuration, data
    /// and ports. Returns once it answers HTTP on its S3 port (and, for Garage, reaches a quorum of
    /// its cluster again); panics, with its log, if it does not.
    pub fn start_node(&self, index: usize) {
        let node = self.node(index);
        let mut process = node.process();
        assert!(
            process.is_none(),
            "node {index} of {} is already running",
            self.kind.name()
        );
        for leftover in ["exit-status", "keep"] {
            let _ = std::fs::remove_file(node.dir.join(leftover));
        }
        let started = Watched::spawn(&node.launch, &node.dir).unwrap_or_else(|err| panic!("{err}"));
        *process = Some(started);
        drop(process);
        let ready = node
            .wait_until_ready(self.kind)
            .and_then(|ready| match self.kind {
                ServerKind::Garage | ServerKind::GarageCluster if ready.is_ok() => {
                    let running: Vec<&Path> = self
                        .nodes
                        .iter()
                        .filter(|other| other.process().is_some())
                        .map(|other| other.dir.as_path())
                        .collect();
                    garage::wait_until_rejoined(&node.launch.program, &node.dir, &running).map(Ok)
                }
                _ => Ok(ready),
            });
        match ready {
            Ok(Ok(())) => {}
            Ok(Err(message)) | Err(message) => panic!(
                "node {index} of {} did not come back: {message}",
                self.kind.name()
            ),
        }
    }

    fn node(&self, index: usize) -> &Node {
        self.nodes.get(index).unwrap_or_else(|| {
            panic!(
                "{} has {} node(s), not a node {index}",
                self.kind.name(),
                self.nodes.len()
            )
        })
    }

    fn try_start(kind: ServerKind) -> Result<TestServer, String> {
        let program = locate(kind)?;
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            let attempt = match kind {
                ServerKind::S3sFs | ServerKind::Moto => launch(kind, &program)?,
                ServerKind::Garage => garage::start(kind, &program, 1)?,
                ServerKind::GarageCluster => garage::start(kind, &program, 3)?,
                ServerKind::Ceph => ceph::start(&program)?,
            };
            match attempt {
                Ok(server) => return Ok(server),
                Err(exited) => failures.push(exited),
            }
        }
        Err(format!(
            "{} ({}) exited right after starting, {START_ATTEMPTS} times:\n{}",
            kind.name(),
            program.display(),
            failures.join("\n")
        ))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // End-of-file on each watchdog's stdin: it kills its server and removes the directory.
        // Every node is told first, then waited for, so that they stop together.
        let mut stopping: Vec<Watched> = self
            .nodes
            .iter()
            .filter_map(|node| node.process().take())
            .collect();
        for process in &mut stopping {
            drop(process.lifeline.take());
        }
        for mut process in stopping {
            process.wait_for_watchdog();
        }
        for node in &self.nodes {
            let _ = std::fs::remove_dir_all(&node.dir);
        }
    }
}

/// Find the server's binary: the environment variable, then the xtask's install, then `PATH`.
fn locate(kind: ServerKind) -> Result<PathBuf, String> {
    let var = kind.env_var();
    let hint = kind.hint();
    if let Some(value) = std::env::var_os(var).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(&value);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{var}={} is not a file; {hint}", path.display()))
        };
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => manifest_dir.join(dir),
        _ => manifest_dir.join("target"),
    };
    let installed = kind.installed_at().map(|relative| target.join(relative));
    if let Some(installed) = installed.as_ref().filter(|path| path.is_file()) {
        return Ok(installed.clone());
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(kind.program()))
        .find(|candidate| candidate.is_file());
    let not_installed = installed
        .map(|path| format!(", {} does not exist", path.display()))
        .unwrap_or_default();
    on_path.ok_or_else(|| {
        format!(
            "cannot find {}: {var} is not set{not_installed} and `{}` is not on PATH; {hint}",
            kind.name(),
            kind.program()
        )
    })
}

/// The watchdog, run as `sh -c WATCHDOG s3op-watchdog DIR PROGRAM ARGS...`. fd 3 keeps the pipe
/// from the test process and only the background reader holds it (the server gets `3<&-`), so
/// end-of-file comes exactly when the test process closes its end: the reader then stops the
/// server unless it has already exited, with SIGTERM, then SIGKILL if it is still there after 5 s
/// (Garage waits for its clients' idle keep-alive connections to close). A server that exits on
/// its own leaves `DIR/exit-status` (how an early exit is noticed) and its log in place until the
/// test process lets go of the pipe; then the directory goes, unless the line `keep` came down the
/// pipe first (a node stopped to be started again).
const WATCHDOG: &str = r#"
dir=$1; shift
exec 3<&0 </dev/null
"$@" 3<&- &
server=$!
{
    read -r word <&3
    [ "$word" = keep ] && : > "$dir/keep"
    if [ ! -e "$dir/exit-status" ]; then
        kill "$server" 2>/dev/null
        n=0
        while [ ! -e "$dir/exit-status" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        [ -e "$dir/exit-status" ] || kill -9 "$server" 2>/dev/null
    fi
} &
reader=$!
exec 3<&-
wait "$server"; echo "$?" > "$dir/exit-status"
wait "$reader"
[ -e "$dir/keep" ] || rm -rf -- "$dir"
"#;

/// One node of a server: where it listens, its directory, and how to (re)start its process.
struct Node {
    addr: SocketAddr,
    dir: PathBuf,
    launch: Launch,
    /// `None` while stopped by [`TestServer::stop_node`].
    process: Mutex<Option<Watched>>,
}

/// A program and its arguments and environment, run in the node's directory.
struct Launch {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    /// The program is its own watchdog (`ceph-rgw.sh`): run it directly, in a process group of
    /// its own, with the lifeline as its stdin.
    own_watchdog: bool,
}

impl Node {
    /// Start the node's process and return the node; it is not waited for.
    fn spawn(addr: SocketAddr, dir: PathBuf, launch: Launch) -> Result<Node, String> {
        let process = Watched::spawn(&launch, &dir).inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        Ok(Node {
            addr,
            dir,
            launch,
            process: Mutex::new(Some(process)),
        })
    }

    fn process(&self) -> MutexGuard<'_, Option<Watched>> {
        self.process
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn log(&self) -> String {
        if self.launch.own_watchdog {
            return ceph::log(&self.dir);
        }
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Wait until the node answers an unsigned `GET /` as its kind should. `Ok(Err(log))`: its
    /// process exited (worth another port); `Err`: it did not come up in time.
    fn wait_until_ready(&self, kind: ServerKind) -> Result<Result<(), String>, String> {
        let deadline = Instant::now() + kind.start_timeout();
        loop {
            if let Some(exited) = self.exited() {
                return Ok(Err(format!(
                    "  port {}: {exited}; its output:\n{}",
                    self.addr.port(),
                    indent(&self.log())
                )));
            }
            let last_answer = match self.launch.own_watchdog {
                true => match ceph::setup_status(&self.dir) {
                    Some(Ok(())) => probe(self.addr),
                    Some(Err((worth_other_ports, failed))) => {
                        let message = format!("{failed}; its output:\n{}", indent(&self.log()));
                        return if worth_other_ports {
                            Ok(Err(message))
                        } else {
                            Err(message)
                        };
                    }
                    None => Err("still setting up".into()),
                },
                false => probe(self.addr),
            };
            let last_answer = match last_answer {
                Ok(status) if status == kind.ready_status() => return Ok(Ok(())),
                Ok(status) => format!("answered {status}, not {}", kind.ready_status()),
                Err(err) => err,
            };
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not come up on http://{} within {}s (last probe: {last_answer}); its output:\n{}",
                    kind.name(),
                    self.addr,
                    kind.start_timeout().as_secs(),
                    indent(&self.log())
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How the node's process ended, if it has.
    fn exited(&self) -> Option<String> {
        let exit_status = std::fs::read_to_string(self.dir.join("exit-status"));
        let mut process = self.process();
        let watchdog_status = match process.as_mut() {
            Some(process) => process.watchdog.try_wait(),
            None => return Some("stopped".into()),
        };
        match (exit_status, watchdog_status) {
            (Ok(code), _) => Some(format!("exited with status {}", code.trim())),
            (_, Ok(Some(status))) => Some(format!("exited with {status}")),
            (_, Err(err)) => Some(format!("cannot be waited for: {err}")),
            _ => None,
        }
    }
}

/// A process under its watchdog: it dies when this is dropped or the test process ends.
struct Watched {
    watchdog: Child,
    /// The watchdog's stdin: closing it (drop, or the test process ending) stops the server.
    lifeline: Option<ChildStdin>,
}

impl Watched {
    fn spawn(launch: &Launch, dir: &Path) -> Result<Watched, String> {
        let log_path = dir.join("server.log");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .and_then(|log| Ok((log.try_clone()?, log)))
            .map_err(|err| format!("cannot create {}: {err}", log_path.display()))?;
        let mut command = if launch.own_watchdog {
            let mut command = Command::new(&launch.program);
            #[cfg(unix)]
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            command
        } else if cfg!(unix) {
            let mut command = Command::new("sh");
            command
                .args(["-c", WATCHDOG, "s3op-watchdog"])
                .arg(dir)
                .arg(&launch.program);
            command
        } else {
            // No watchdog without a POSIX shell: the server outlives the tests unless dropped.
            Command::new(&launch.program)
        };
        command
            .args(&launch.args)
            .envs(launch.env.iter().map(|(name, value)| (name, value)))
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(log.0)
            .stderr(log.1);
        let mut watchdog = command
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", launch.program.display()))?;
        let lifeline = watchdog.stdin.take();
        Ok(Watched { watchdog, lifeline })
    }

    /// Stop the process and wait for its watchdog; `keep` leaves the directory in place.
    fn stop(mut self, keep: bool) {
        if let Some(mut lifeline) = self.lifeline.take() {
            if keep {
                let _ = lifeline.write_all(b"keep\n");
            }
        }
        self.wait_for_watchdog();
    }

    fn wait_for_watchdog(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.watchdog.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                _ => return,
            }
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // End-of-file on the watchdog's stdin: it kills the server and removes the directory.
        if self.lifeline.take().is_some() {
            self.wait_for_watchdog();
        }
    }
}

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary directory for one node of a server.
fn node_dir(kind: ServerKind, node: &str) -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "s3op-test-{}-{}-{}-{nanos}{node}",
        kind.name(),
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    Ok(dir)
}

/// One attempt at s3s-fs or moto on one free port. `Ok(Err(log))`: the server exited at once
/// (worth another port); `Err`: something no other port will fix.
fn launch(kind: ServerKind, program: &Path) -> Result<Result<TestServer, String>, String> {
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let dir = node_dir(kind, "")?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data)
        .map_err(|err| format!("cannot create {}: {err}", data.display()))?;

    let (access_key, secret_key, region) = match kind {
        ServerKind::S3sFs => ("s3op-test-access-key", "s3op-test-secret-key", "us-east-1"),
        _ => ("testing", "testing", "us-east-1"),
    };
    let port_arg = port.to_string();
    let args: Vec<OsString> = match kind {
        ServerKind::S3sFs => vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port_arg.into(),
            "--access-key".into(),
            access_key.into(),
            "--secret-key".into(),
            secret_key.into(),
            data.into_os_string(),
        ],
        _ => vec![
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port_arg.into(),
        ],
    };
    let launch = Launch {
        program: program.to_path_buf(),
        args,
        env: vec![("PYTHONUNBUFFERED".into(), "1".into())],
        own_watchdog: false,
    };
    let node = Node::spawn(addr, dir, launch)?;
    let ready = node.wait_until_ready(kind)?;
    Ok(ready.map(|()| TestServer {
        endpoint: format!("http://{addr}"),
        access_key: access_key.into(),
        secret_key: secret_key.into(),
        region: region.into(),
        kind,
        nodes: vec![node],
    }))
}

/// Ports handed out in this process, never handed out again: two servers starting at once cannot
/// be given the same one (the kernel may offer a port again once it is released).
static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A port the kernel just called free and this process has not used. Released before the server
/// binds it: a server that finds it taken after all exits, and the caller tries another.
fn free_port() -> Result<u16, String> {
    free_ports(1)
}

/// The first of `count` consecutive free ports (Ceph's monitor takes two).
fn free_ports(count: u16) -> Result<u16, String> {
    let mut handed_out = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    for _ in 0..200 {
        let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .map_err(|err| format!("cannot find a free loopback port: {err}"))?;
        let Some(ports) = (0..count)
            .map(|offset| first.checked_add(offset))
            .collect::<Option<Vec<u16>>>()
        else {
            continue;
        };
        let usable = ports.iter().all(|port| !handed_out.contains(port))
            && ports[1..]
                .iter()
                .all(|&port| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
        if usable {
            handed_out.extend(ports);
            return Ok(first);
        }
    }
    Err(format!(
        "found no {count} free consecutive loopback port(s)"
    ))
}

/// Send an unsigned `GET /` and return the status code of the answer.
fn probe(addr: SocketAddr) -> Result<u16, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .map_err(|err| format!("connect: {err}"))?;
    let timeout = Some(Duration::from_secs(2));
    stream
        .set_read_timeout(timeout)
        .and_then(|()| stream.set_write_timeout(timeout))
        .map_err(|err| err.to_string())?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|err| format!("send: {err}"))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < 64 && !head.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(err) => return Err(format!("read: {err}")),
        }
    }
    let head = String::from_utf8_lossy(&head);
    // `HTTP/1.1 403 Forbidden`
    head.strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {head:?}"))
}

fn indent(text: &str) -> String {
    let text = text.trim_end();
    if text.is_empty() {
        return "    (nothing)".into();
    }
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl TestServer {
    /// A library client for this server with its keys, isolated from the machine's AWS settings.
    pub fn client(&self) -> s3op::Client {
        client_for(&self.endpoint, self)
    }
}

fn client_for(endpoint: &str, server: &TestServer) -> s3op::Client {
    s3op::Client::builder()
        .endpoint_url(endpoint)
        .region(&server.region)
        .credentials(&server.access_key, &server.secret_key, None)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("a client for a test server")
}
