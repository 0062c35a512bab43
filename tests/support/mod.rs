//! Real S3 servers for integration tests (docs/design.md, "Real servers for tests and benchmarks").
//! A test file says `mod support;` and calls [`s3s_fs()`] or [`moto()`]: the first call in a test
//! binary starts that server on a free loopback port with a fresh temporary directory, and every
//! test in the binary shares it (so each test makes its own bucket with [`unique_bucket`]). A test
//! that needs a server of its own (to stop it, say) calls [`TestServer::start`].
//!
//! The binaries are found through `S3OP_S3S_FS_BIN` / `S3OP_MOTO_SERVER_BIN`, which
//! `cargo xtask test` sets after installing them; failing that, under `target/tools/bin/` and
//! `target/venv/bin/` (where the xtask installs them), then on `PATH`.
//!
//! **How the servers die.** A shared server sits in a `static`, and statics are never dropped, so
//! cleanup cannot rely on `Drop`. Each server is started through a small `sh` watchdog instead: the
//! test process holds the write end of a pipe that is the watchdog's standard input, and the
//! watchdog waits for end-of-file on it, then kills the server and removes its temporary
//! directory. The kernel closes that pipe whenever the test process ends, however it ends (normal
//! exit, panic, `SIGKILL`), so no server outlives its test binary; `Drop` on an owned
//! [`TestServer`] closes the pipe early to the same effect. This needs no crate and works on any
//! Unix; `PR_SET_PDEATHSIG` was rejected because it is Linux-only and fires when the *thread* that
//! spawned the child exits, which for a lazily started server is whichever test thread came first.
//! Server output goes to a log file in the temporary directory (never to the test's own stdout or
//! stderr, which would keep `cargo test`'s pipes open after the test exits); a server that does not
//! come up panics with that log in the message.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server may take to answer its first HTTP request.
const START_TIMEOUT: Duration = Duration::from_secs(20);
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
}

impl ServerKind {
    /// The server's name in messages and directory names.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Moto => "moto",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "S3OP_S3S_FS_BIN",
            ServerKind::Moto => "S3OP_MOTO_SERVER_BIN",
        }
    }

    fn program(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Moto => "moto_server",
        }
    }

    /// Where `cargo xtask test` installs it, relative to the target directory.
    fn installed_at(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "tools/bin/s3s-fs",
            ServerKind::Moto => "venv/bin/moto_server",
        }
    }

    /// The status an unsigned `GET /` gets once the server is up: telling the two apart guards
    /// against taking another server that grabbed the port for this one.
    fn ready_status(self) -> u16 {
        match self {
            ServerKind::S3sFs => 403,
            ServerKind::Moto => 200,
        }
    }
}

/// A running server. Dropping it stops the server and removes its temporary directory.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, for path-style requests.
    pub endpoint: String,
    /// The access key the server accepts (s3s-fs checks it and the signature; moto takes any).
    pub access_key: String,
    /// The secret key that goes with `access_key`.
    pub secret_key: String,
    /// The region to sign for: `us-east-1`.
    pub region: String,
    kind: ServerKind,
    addr: SocketAddr,
    dir: PathBuf,
    watchdog: Child,
    /// The watchdog's stdin: closing it (drop, or the test process ending) stops the server.
    lifeline: Option<ChildStdin>,
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
    /// Start a server of one's own (most tests want the shared [`s3s_fs()`] or [`moto()`]).
    /// Panics, with the server's output in the message, if it does not come up.
    pub fn start(kind: ServerKind) -> TestServer {
        TestServer::try_start(kind).unwrap_or_else(|message| panic!("{message}"))
    }

    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The loopback address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's temporary directory: s3s-fs keeps its buckets under `data/` in it, and the
    /// server's output is in `server.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the server has printed so far, to put in a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn try_start(kind: ServerKind) -> Result<TestServer, String> {
        // One start at a time in this process: a port is only chosen once the previous server holds
        // its own, so two servers starting together cannot be handed the same one.
        static STARTING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = STARTING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let program = locate(kind)?;
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match launch(kind, &program)? {
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
        // End-of-file on the watchdog's stdin: it kills the server and removes the directory.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.watchdog.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                _ => break,
            }
        }
        if let Ok(None) = self.watchdog.try_wait() {
            let _ = self.watchdog.kill();
            let _ = self.watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Find the server's binary: the environment variable, then the xtask's install, then `PATH`.
fn locate(kind: ServerKind) -> Result<PathBuf, String> {
    let var = kind.env_var();
    if let Some(value) = std::env::var_os(var).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(&value);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{var}={} is not a file; {HINT}", path.display()))
        };
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => manifest_dir.join(dir),
        _ => manifest_dir.join("target"),
    };
    let installed = target.join(kind.installed_at());
    if installed.is_file() {
        return Ok(installed);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(kind.program()))
        .find(|candidate| candidate.is_file());
    on_path.ok_or_else(|| {
        format!(
            "cannot find {}: {var} is not set, {} does not exist and `{}` is not on PATH; {HINT}",
            kind.name(),
            installed.display(),
            kind.program()
        )
    })
}

/// The watchdog, run as `sh -c WATCHDOG s3op-watchdog DIR PROGRAM ARGS...`. fd 3 keeps the pipe
/// from the test process and only the background reader holds it (the server gets `3<&-`), so
/// end-of-file comes exactly when the test process closes its end: the reader then kills the
/// server unless it has already exited. A server that exits on its own leaves `DIR/exit-status`
/// (how an early exit is noticed) and its log in place until the test process lets go of the pipe;
/// then the directory goes.
const WATCHDOG: &str = r#"
dir=$1; shift
exec 3<&0 </dev/null
"$@" 3<&- &
server=$!
{ read -r _ <&3; [ -e "$dir/exit-status" ] || kill "$server" 2>/dev/null; } &
reader=$!
exec 3<&-
wait "$server"; echo "$?" > "$dir/exit-status"
wait "$reader"
rm -rf -- "$dir"
"#;

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// One attempt on one free port. `Ok(Err(log))`: the server exited at once (worth another port);
/// `Err`: something no other port will fix.
fn launch(kind: ServerKind, program: &Path) -> Result<Result<TestServer, String>, String> {
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "s3op-test-{}-{}-{}-{nanos}",
        kind.name(),
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::Relaxed)
    ));
    let data = dir.join("data");
    std::fs::create_dir_all(&data)
        .map_err(|err| format!("cannot create {}: {err}", data.display()))?;
    let log_path = dir.join("server.log");
    let log = File::create(&log_path)
        .and_then(|log| Ok((log.try_clone()?, log)))
        .map_err(|err| format!("cannot create {}: {err}", log_path.display()))?;

    let (access_key, secret_key, region) = match kind {
        ServerKind::S3sFs => ("s3op-test-access-key", "s3op-test-secret-key", "us-east-1"),
        ServerKind::Moto => ("testing", "testing", "us-east-1"),
    };
    let port_arg = port.to_string();
    let server_args: Vec<&std::ffi::OsStr> = match kind {
        ServerKind::S3sFs => vec![
            "--host".as_ref(),
            "127.0.0.1".as_ref(),
            "--port".as_ref(),
            port_arg.as_ref(),
            "--access-key".as_ref(),
            access_key.as_ref(),
            "--secret-key".as_ref(),
            secret_key.as_ref(),
            data.as_os_str(),
        ],
        ServerKind::Moto => vec![
            "-H".as_ref(),
            "127.0.0.1".as_ref(),
            "-p".as_ref(),
            port_arg.as_ref(),
        ],
    };
    let mut command = if cfg!(unix) {
        let mut command = Command::new("sh");
        command
            .args(["-c", WATCHDOG, "s3op-watchdog"])
            .arg(&dir)
            .arg(program);
        command
    } else {
        // No watchdog without a POSIX shell: the server outlives the tests unless dropped.
        Command::new(program)
    };
    command
        .args(&server_args)
        .current_dir(&dir)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(log.0)
        .stderr(log.1);
    let mut watchdog = command.spawn().map_err(|err| {
        let _ = std::fs::remove_dir_all(&dir);
        format!(
            "cannot start {} ({}): {err}",
            kind.name(),
            program.display()
        )
    })?;
    let lifeline = watchdog.stdin.take();
    let server = TestServer {
        endpoint: format!("http://{addr}"),
        access_key: access_key.into(),
        secret_key: secret_key.into(),
        region: region.into(),
        kind,
        addr,
        dir,
        watchdog,
        lifeline,
    };
    server.wait_until_ready()
}

impl TestServer {
    fn wait_until_ready(mut self) -> Result<Result<TestServer, String>, String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let exit_status = std::fs::read_to_string(self.dir.join("exit-status"));
            let watchdog_status = self.watchdog.try_wait();
            if exit_status.is_ok() || matches!(watchdog_status, Ok(Some(_))) {
                let status = match (exit_status, watchdog_status) {
                    (Ok(code), _) => format!("status {}", code.trim()),
                    (_, Ok(Some(status))) => status.to_string(),
                    _ => "an unknown status".into(),
                };
                return Ok(Err(format!(
                    "  port {}: exited with {status}; its output:\n{}",
                    self.addr.port(),
                    indent(&self.log())
                )));
            }
            let last_answer = match probe(self.addr) {
                Ok(status) if status == self.kind.ready_status() => return Ok(Ok(self)),
                Ok(status) => format!("answered {status}, not {}", self.kind.ready_status()),
                Err(err) => err,
            };
            if Instant::now() > deadline {
                let log = self.log();
                let message = format!(
                    "{} did not come up on {} within {}s (last probe: {last_answer}); its output:\n{}",
                    self.kind.name(),
                    self.endpoint,
                    START_TIMEOUT.as_secs(),
                    indent(&log)
                );
                drop(self);
                return Err(message);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A port the kernel just called free. Released before the server binds it: a server that finds it
/// taken after all exits, and the caller tries another.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("cannot find a free loopback port: {err}"))
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
        s3op::Client::builder()
            .endpoint_url(&self.endpoint)
            .region(&self.region)
            .credentials(&self.access_key, &self.secret_key, None)
            .environment(s3op::config::Environment::from_vars(
                Vec::<(String, String)>::new(),
                None,
            ))
            .build()
            .expect("a client for a test server")
    }
}
