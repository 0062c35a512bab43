//! A fault-injecting HTTP/1.1 proxy for retry tests: it sits on a free loopback port in front of a
//! real server (s3s-fs), forwards every request byte for byte (the `Host` header included, so
//! SigV4 signatures still verify upstream) and streams bodies both ways in small pieces, never
//! holding a whole object. Scripted [`Rule`]s pick requests (method, path, query, `Range` start)
//! and apply a [`Fault`] to them: an S3 error answer, a body cut off by a TCP reset, a reset before
//! any answer, a stall before the headers or in the body, a throttled body, one bit flipped in a request or answer body. Every request is
//! recorded in a log ([`FaultProxy::log`]) with the fault it got, which is what tests count.
//!
//! It speaks HTTP/1.1 over `tokio::net` itself rather than through hyper, because the faults
//! need the socket: a reset is `SO_LINGER` 0 then close, and a cut must land after exactly K bytes
//! have reached the client (the proxy waits for its send queue to drain before resetting, so a
//! client that resumes asks for exactly byte K). Framing handled: `Content-Length`, chunked
//! (copied raw, trailers included), bodiless answers (HEAD, 1xx, 204, 304) and bodies that end at
//! close; keep-alive on both sides, one upstream connection per client connection. Not handled:
//! `Expect: 100-continue` (s3op does not send it) and upgrades.
//!
//! The proxy runs on a thread of its own with its own tokio runtime, so synchronous tests that run
//! the `s3op` binary and async tests that use the library can both use it; dropping the
//! [`FaultProxy`] stops it and closes every connection.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The longest request or response head accepted (S3 heads are a few KiB).
const MAX_HEAD: usize = 64 * 1024;
/// Read buffer per direction: bodies move through in pieces of at most this size.
const BUFFER: usize = 64 * 1024;
/// How long a cut waits for the bytes already written to reach the client before resetting.
const DRAIN_WAIT: Duration = Duration::from_secs(5);

/// What the proxy does to a request a [`Rule`] picked.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer `status` with an S3 XML `<Error>` body carrying `code`, without forwarding the
    /// request (its body is read and thrown away, so the connection stays usable); with
    /// `x-amz-retry-after: MS` when `retry_after_ms` is set.
    Status {
        status: u16,
        code: String,
        retry_after_ms: Option<u64>,
    },
    /// Forward the request and the answer's head, then `after` bytes of its body (halfway through
    /// a body shorter than that, so a cut always cuts), then reset the connection.
    CutBody { after: u64 },
    /// Read the request (not forwarded) and reset the connection without answering.
    ResetBeforeAnswer,
    /// Forward the request, then hold the answer this long before sending its head.
    StallBeforeHeaders(Duration),
    /// Forward the answer's head and `after` bytes of its body, then hold the rest this long.
    StallMidBody { after: u64, stall: Duration },
    /// Forward the answer's body at no more than this many bytes per second.
    Throttle { bytes_per_sec: u64 },
    /// Forward the answer with one bit flipped: the lowest bit of its body's byte `at` (a faulty
    /// NIC, proxy or disk on the way back). A body shorter than that passes unchanged.
    FlipAnswerBit { at: u64 },
    /// Forward the request with the lowest bit of its body's byte `at` flipped (on the way to the
    /// server).
    FlipRequestBit { at: u64 },
}

impl Fault {
    /// 503 `SlowDown`.
    pub fn slow_down() -> Fault {
        Fault::status(503, "SlowDown")
    }

    /// 500 `InternalError`.
    pub fn internal_error() -> Fault {
        Fault::status(500, "InternalError")
    }

    /// 429 `TooManyRequests`... as S3-compatible servers spell it: `TooManyRequestsException`.
    pub fn too_many_requests() -> Fault {
        Fault::status(429, "TooManyRequestsException")
    }

    /// `status` with an `<Error><Code>code</Code>…` body.
    pub fn status(status: u16, code: &str) -> Fault {
        Fault::Status {
            status,
            code: code.to_string(),
            retry_after_ms: None,
        }
    }

    /// The same error answer, with `x-amz-retry-after: ms`.
    pub fn retry_after(self, ms: u64) -> Fault {
        match self {
            Fault::Status { status, code, .. } => Fault::Status {
                status,
                code,
                retry_after_ms: Some(ms),
            },
            other => other,
        }
    }
}

/// Which requests a rule is applied to, among those its matcher accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Apply {
    /// The first N matching requests.
    First(u64),
    /// Every matching request.
    Always,
    /// The first answer of each distinct range: requests are told apart by method, path and the
    /// *last* byte of their `Range` (none for an open range or no `Range`), so a resume of a
    /// range (same end, later start) is not that range's first answer.
    EachRangeOnce,
    /// Each matching request with this probability, drawn from the proxy's seeded generator.
    Probability(f64),
}

/// A scripted fault: which requests, which fault, how often. Rules are tried in order and the
/// first one that fires decides; a request no rule fires on is forwarded untouched.
#[derive(Clone, Debug)]
pub struct Rule {
    pub fault: Fault,
    pub apply: Apply,
    /// Only requests with this method (`GET`, `PUT`...).
    pub method: Option<String>,
    /// Only requests whose path contains this.
    pub path_contains: Option<String>,
    /// Only requests whose query string contains this (`uploadId=`, `partNumber=2`).
    pub query_contains: Option<String>,
    /// Only requests whose `Range` starts at this byte (a request without `Range` starts at 0).
    pub range_start: Option<u64>,
}

impl Rule {
    /// `fault` on every request, until narrowed by the other methods.
    pub fn new(fault: Fault) -> Rule {
        Rule {
            fault,
            apply: Apply::Always,
            method: None,
            path_contains: None,
            query_contains: None,
            range_start: None,
        }
    }

    pub fn method(mut self, method: &str) -> Rule {
        self.method = Some(method.to_string());
        self
    }

    pub fn path_contains(mut self, part: &str) -> Rule {
        self.path_contains = Some(part.to_string());
        self
    }

    pub fn query_contains(mut self, part: &str) -> Rule {
        self.query_contains = Some(part.to_string());
        self
    }

    pub fn range_start(mut self, start: u64) -> Rule {
        self.range_start = Some(start);
        self
    }

    /// Apply to the first `n` matching requests only.
    pub fn first(mut self, n: u64) -> Rule {
        self.apply = Apply::First(n);
        self
    }

    /// Apply to the first answer of each distinct range (see [`Apply::EachRangeOnce`]).
    pub fn each_range_once(mut self) -> Rule {
        self.apply = Apply::EachRangeOnce;
        self
    }

    /// Apply to each matching request with probability `p`.
    pub fn probability(mut self, p: f64) -> Rule {
        self.apply = Apply::Probability(p);
        self
    }

    fn matches(&self, request: &Logged) -> bool {
        self.method
            .as_deref()
            .is_none_or(|method| request.method.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|part| request.path.contains(part))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|part| request.query.contains(part))
            && self
                .range_start
                .is_none_or(|start| request.range_start() == start)
    }
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    /// When its head arrived, since the proxy started.
    pub at: Duration,
    /// Which client connection it came on (numbered from 1).
    pub connection: u64,
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The query string without `?` (empty when none).
    pub query: String,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `If-Match` header.
    pub if_match: Option<String>,
    /// The fault applied, if any.
    pub fault: Option<Fault>,
    /// The status of the answer the client got the head of (none when reset before answering).
    pub status: Option<u16>,
}

impl Logged {
    /// The first byte of `Range: bytes=S-E` (0 when there is no `Range`).
    pub fn range_start(&self) -> u64 {
        self.range_bounds().0
    }

    /// The last byte of `Range: bytes=S-E` (none for `bytes=S-` or no `Range`).
    pub fn range_end(&self) -> Option<u64> {
        self.range_bounds().1
    }

    fn range_bounds(&self) -> (u64, Option<u64>) {
        let Some(spec) = self
            .range
            .as_deref()
            .and_then(|range| range.trim().strip_prefix("bytes="))
        else {
            return (0, None);
        };
        let (start, end) = spec.split_once('-').unwrap_or((spec, ""));
        (start.trim().parse().unwrap_or(0), end.trim().parse().ok())
    }

    /// The value of query parameter `name` (raw, undecoded), if present.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// What makes two sends "the same request" for attempt counting: method, path, the query
    /// (which carries `partNumber` and `uploadId`) and the range's last byte, so a resume of a
    /// range counts as another attempt at that range. A GET without a Range reads to the end, as
    /// its resumes do (`bytes=N-`, or `bytes=N-LAST` once the object's `size` is known: see
    /// [`FaultProxy::identity`]).
    pub fn identity_with_size(&self, size: Option<u64>) -> String {
        let end = match (&self.range, self.method.as_str(), self.range_end()) {
            (None, "GET", _) => "end".to_string(),
            (None, _, _) => "-".to_string(),
            (Some(_), "GET", Some(last)) if size.is_some_and(|size| last + 1 == size) => {
                "end".to_string()
            }
            (Some(_), _, Some(last)) => last.to_string(),
            (Some(_), _, None) => "end".to_string(),
        };
        format!(
            "{} {}?{} range-end={end}",
            self.method, self.path, self.query
        )
    }
}

struct RuleState {
    rule: Rule,
    seen: u64,
    ranges: HashSet<(String, String, Option<u64>)>,
}

struct Shared {
    upstream: SocketAddr,
    started: Instant,
    rules: Mutex<Vec<RuleState>>,
    rng: Mutex<fastrand::Rng>,
    log: Mutex<Vec<Logged>>,
    connections: AtomicU64,
    /// At most this many faults per request identity ([`Logged::identity`]), when set.
    fault_limit: Mutex<Option<u64>>,
    faulted: Mutex<HashMap<String, u64>>,
    /// Each path's object size, from the GET answers that passed (for [`Shared::identity`]).
    sizes: Mutex<HashMap<String, u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// `request`'s identity, its object's size known from the answers that passed.
    fn identity(&self, request: &Logged) -> String {
        let size = lock(&self.sizes).get(&request.path).copied();
        request.identity_with_size(size)
    }

    fn decide(&self, request: &Logged) -> Option<Fault> {
        let fault = self.pick(request)?;
        if let Some(limit) = *lock(&self.fault_limit) {
            let identity = self.identity(request);
            let mut faulted = lock(&self.faulted);
            let count = faulted.entry(identity).or_insert(0);
            if *count >= limit {
                return None;
            }
            *count += 1;
        }
        Some(fault)
    }

    fn pick(&self, request: &Logged) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        for state in rules.iter_mut() {
            if !state.rule.matches(request) {
                continue;
            }
            let fire = match state.rule.apply {
                Apply::Always => true,
                Apply::First(n) => {
                    state.seen += 1;
                    state.seen <= n
                }
                Apply::EachRangeOnce => state.ranges.insert((
                    request.method.clone(),
                    request.path.clone(),
                    request.range_end(),
                )),
                Apply::Probability(p) => lock(&self.rng).f64() < p,
            };
            if fire {
                return Some(state.rule.fault.clone());
            }
        }
        None
    }

    fn record(&self, entry: Logged) -> usize {
        let mut log = lock(&self.log);
        log.push(entry);
        log.len() - 1
    }

    /// The object's size at `path`, from a GET answer: a 200's length or a 206's total.
    fn learn_size(&self, path: &str, method: &str, status: u16, answer: &Head) {
        if method != "GET" {
            return;
        }
        let size = match status {
            200 => answer.content_length().ok().flatten(),
            206 => answer
                .header("content-range")
                .and_then(|range| range.rsplit_once('/'))
                .and_then(|(_, total)| total.trim().parse().ok()),
            _ => None,
        };
        if let Some(size) = size {
            lock(&self.sizes).insert(path.to_string(), size);
        }
    }

    fn set_status(&self, index: usize, status: u16) {
        if let Some(entry) = lock(&self.log).get_mut(index) {
            entry.status = Some(status);
        }
    }
}

/// A running proxy. Dropping it stops it.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: give it to s3op as the endpoint.
    pub endpoint: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy in front of `upstream` applying `rules`, its random draws seeded with 0.
    pub fn start(upstream: SocketAddr, rules: Vec<Rule>) -> FaultProxy {
        FaultProxy::start_seeded(upstream, rules, 0)
    }

    /// A proxy whose probabilistic rules draw from a generator seeded with `seed`.
    pub fn start_seeded(upstream: SocketAddr, rules: Vec<Rule>, seed: u64) -> FaultProxy {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .unwrap_or_else(|err| panic!("fault proxy: cannot bind a loopback port: {err}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|err| panic!("fault proxy: no local address: {err}"));
        let shared = Arc::new(Shared {
            upstream,
            started: Instant::now(),
            rules: Mutex::new(Vec::new()),
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            log: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
            fault_limit: Mutex::new(None),
            faulted: Mutex::new(HashMap::new()),
            sizes: Mutex::new(HashMap::new()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fault-proxy")
            .enable_all()
            .build()
            .unwrap_or_else(|err| panic!("fault proxy: no tokio runtime: {err}"));
        let accepting = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(err) => panic!("fault proxy: cannot listen: {err}"),
                    };
                    tokio::select! {
                        () = accept_loop(listener, accepting) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels every connection task, closing its sockets.
                drop(runtime);
            })
            .unwrap_or_else(|err| panic!("fault proxy: cannot start its thread: {err}"));
        let proxy = FaultProxy {
            endpoint: format!("http://{addr}"),
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        };
        proxy.set_rules(rules);
        proxy
    }

    /// The loopback address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the rules (their counters start again from zero).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *lock(&self.shared.rules) = rules
            .into_iter()
            .map(|rule| RuleState {
                rule,
                seen: 0,
                ranges: HashSet::new(),
            })
            .collect();
    }

    /// Fault no request identity ([`Logged::identity`]) more than `n` times: random faults at a
    /// fixed rate then never exhaust a client's attempts by chance, so a test of many requests
    /// can demand success and still count every send.
    pub fn limit_faults_per_request(&self, n: u64) {
        *lock(&self.shared.fault_limit) = Some(n);
    }

    /// Every request so far, in the order their heads arrived.
    /// `entry`'s identity for attempt counting ([`Logged::identity_with_size`]), with the size
    /// of its object as the proxy has seen it.
    pub fn identity(&self, entry: &Logged) -> String {
        self.shared.identity(entry)
    }

    pub fn log(&self) -> Vec<Logged> {
        lock(&self.shared.log).clone()
    }

    /// Forget the requests so far.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// The log as one line per request, for failure messages.
    pub fn log_text(&self) -> String {
        self.log()
            .iter()
            .map(|entry| {
                format!(
                    "{:>8.3}s conn {:<3} {} {}{}{} range={:?} if-match={:?} -> {:?} fault={:?}",
                    entry.at.as_secs_f64(),
                    entry.connection,
                    entry.method,
                    entry.path,
                    if entry.query.is_empty() { "" } else { "?" },
                    entry.query,
                    entry.range,
                    entry.if_match,
                    entry.status,
                    entry.fault
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                let connection = shared.connections.fetch_add(1, Ordering::Relaxed) + 1;
                tokio::spawn(serve(stream, connection, Arc::clone(&shared)));
            }
            // Out of file descriptors, say: wait for some to close.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// A request or response head: the raw bytes (forwarded unchanged) and what was parsed of them.
struct Head {
    raw: Vec<u8>,
    start_line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| value.split(','))
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    }

    fn chunked(&self) -> bool {
        self.has_token("transfer-encoding", "chunked")
    }

    fn content_length(&self) -> io::Result<Option<u64>> {
        self.header("content-length")
            .map(|value| {
                value
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("bad Content-Length {value:?}")))
            })
            .transpose()
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Read one head; `Ok(None)` when the peer closed cleanly before sending anything.
async fn read_head(from: &mut BufReader<TcpStream>) -> io::Result<Option<Head>> {
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    loop {
        let before = raw.len();
        let read = from.read_until(b'\n', &mut raw).await?;
        if read == 0 {
            return if raw.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if raw.len() > MAX_HEAD {
            return Err(invalid("head too long".into()));
        }
        let line = String::from_utf8_lossy(&raw[before..])
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if line.is_empty() {
            if lines.is_empty() {
                // Stray CRLF between messages.
                raw.clear();
                continue;
            }
            break;
        }
        lines.push(line);
    }
    let mut lines = lines.into_iter();
    let start_line = lines.next().unwrap_or_default();
    let headers = lines
        .filter_map(|line| {
            line.split_once(':')
                .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        })
        .collect();
    Ok(Some(Head {
        raw,
        start_line,
        headers,
    }))
}

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

fn request_framing(head: &Head) -> io::Result<Framing> {
    if head.chunked() {
        Ok(Framing::Chunked)
    } else {
        Ok(Framing::Length(head.content_length()?.unwrap_or(0)))
    }
}

fn response_framing(head: &Head, method: &str, status: u16) -> io::Result<Framing> {
    if method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304 {
        Ok(Framing::Length(0))
    } else if head.chunked() {
        Ok(Framing::Chunked)
    } else {
        Ok(head
            .content_length()?
            .map_or(Framing::UntilClose, Framing::Length))
    }
}

fn status_of(head: &Head) -> io::Result<u16> {
    // `HTTP/1.1 200 OK`
    head.start_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("not a status line: {:?}", head.start_line)))
}

/// What happens to a body as it passes: a cut, a stall, a rate.
#[derive(Default)]
struct Pace {
    cut_at: Option<u64>,
    /// The body byte whose lowest bit is flipped on the way.
    flip_at: Option<u64>,
    stall: Option<(u64, Duration)>,
    bytes_per_sec: Option<u64>,
    sent: u64,
    started: Option<Instant>,
}

impl Pace {
    fn for_fault(fault: Option<&Fault>, framing: Framing) -> Pace {
        let mut pace = Pace::default();
        match fault {
            Some(Fault::CutBody { after }) => {
                pace.cut_at = Some(match framing {
                    Framing::Length(len) if len <= *after => len / 2,
                    _ => *after,
                });
            }
            Some(Fault::StallMidBody { after, stall }) => pace.stall = Some((*after, *stall)),
            Some(Fault::Throttle { bytes_per_sec }) => pace.bytes_per_sec = Some(*bytes_per_sec),
            Some(Fault::FlipAnswerBit { at }) => pace.flip_at = Some(*at),
            _ => {}
        }
        pace
    }

    /// `data`, about to go out at the current position, with the flip applied when it falls in
    /// it (a copy only then).
    fn flipped<'d>(&mut self, data: &'d [u8]) -> std::borrow::Cow<'d, [u8]> {
        match self.flip_at {
            Some(at) if at >= self.sent && at < self.sent + data.len() as u64 => {
                self.flip_at = None;
                let mut owned = data.to_vec();
                owned[(at - self.sent) as usize] ^= 1;
                std::borrow::Cow::Owned(owned)
            }
            _ => std::borrow::Cow::Borrowed(data),
        }
    }

    /// Before sending more: stall if the stall point is reached; then how many of `want` bytes
    /// may go now (0 means the cut point is reached).
    async fn allow(&mut self, want: usize) -> usize {
        if let Some((at, stall)) = self.stall {
            if self.sent >= at {
                self.stall = None;
                tokio::time::sleep(stall).await;
            }
        }
        let mut allowed = want as u64;
        if let Some(cut) = self.cut_at {
            allowed = allowed.min(cut.saturating_sub(self.sent));
        }
        if let Some((at, _)) = self.stall {
            allowed = allowed.min(at - self.sent);
        }
        if let Some(rate) = self.bytes_per_sec {
            allowed = allowed.min((rate / 20).max(1));
        }
        allowed as usize
    }

    /// After sending `n` bytes: wait as long as the rate asks.
    async fn sent(&mut self, n: usize) {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.sent += n as u64;
        if let Some(rate) = self.bytes_per_sec.filter(|rate| *rate > 0) {
            let due = Duration::from_secs_f64(self.sent as f64 / rate as f64);
            let elapsed = started.elapsed();
            if due > elapsed {
                tokio::time::sleep(due - elapsed).await;
            }
        }
    }
}

/// How a body copy ended.
#[derive(Debug, PartialEq)]
enum Flow {
    Done,
    Cut,
}

/// Copy exactly `n` bytes from `from` to `to` under `pace`.
async fn copy_exact(
    from: &mut BufReader<TcpStream>,
    to: &mut TcpStream,
    mut n: u64,
    pace: &mut Pace,
) -> io::Result<Flow> {
    while n > 0 {
        let available = from.fill_buf().await?;
        if available.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let want = available
            .len()
            .min(usize::try_from(n).unwrap_or(usize::MAX));
        let allowed = pace.allow(want).await;
        if allowed == 0 {
            return Ok(Flow::Cut);
        }
        // `allow` may have slept, but the buffer is untouched: read it again without awaiting.
        let available = from.buffer();
        let take = allowed.min(available.len());
        let out = pace.flipped(&available[..take]);
        to.write_all(&out).await?;
        from.consume(take);
        n -= take as u64;
        pace.sent(take).await;
    }
    Ok(Flow::Done)
}

/// Copy bytes until `from` closes.
async fn copy_to_close(
    from: &mut BufReader<TcpStream>,
    to: &mut TcpStream,
    pace: &mut Pace,
) -> io::Result<Flow> {
    loop {
        let available = from.fill_buf().await?;
        if available.is_empty() {
            return Ok(Flow::Done);
        }
        let want = available.len();
        let allowed = pace.allow(want).await;
        if allowed == 0 {
            return Ok(Flow::Cut);
        }
        let available = from.buffer();
        let take = allowed.min(available.len());
        let out = pace.flipped(&available[..take]);
        to.write_all(&out).await?;
        from.consume(take);
        pace.sent(take).await;
    }
}

/// Copy one line (chunk size or trailer), returning it.
async fn copy_line(
    from: &mut BufReader<TcpStream>,
    to: &mut TcpStream,
    pace: &mut Pace,
) -> io::Result<(Flow, Vec<u8>)> {
    let mut line = Vec::new();
    let read = from.read_until(b'\n', &mut line).await?;
    if read == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let mut offset = 0;
    while offset < line.len() {
        let allowed = pace.allow(line.len() - offset).await;
        if allowed == 0 {
            return Ok((Flow::Cut, line));
        }
        to.write_all(&line[offset..offset + allowed]).await?;
        offset += allowed;
        pace.sent(allowed).await;
    }
    Ok((Flow::Done, line))
}

/// Copy one body, raw, under `pace`.
async fn copy_body(
    from: &mut BufReader<TcpStream>,
    to: &mut TcpStream,
    framing: Framing,
    pace: &mut Pace,
) -> io::Result<Flow> {
    let flow = match framing {
        Framing::Length(n) => copy_exact(from, to, n, pace).await?,
        Framing::UntilClose => copy_to_close(from, to, pace).await?,
        Framing::Chunked => loop {
            let (flow, line) = copy_line(from, to, pace).await?;
            if flow == Flow::Cut {
                break Flow::Cut;
            }
            let text = String::from_utf8_lossy(&line);
            let size = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| invalid(format!("bad chunk size line {text:?}")))?;
            if size == 0 {
                // Trailers, up to an empty line.
                loop {
                    let (flow, line) = copy_line(from, to, pace).await?;
                    if flow == Flow::Cut {
                        return Ok(Flow::Cut);
                    }
                    if line == b"\r\n" || line == b"\n" {
                        break;
                    }
                }
                break Flow::Done;
            }
            // The chunk and its CRLF.
            if copy_exact(from, to, size + 2, pace).await? == Flow::Cut {
                break Flow::Cut;
            }
        },
    };
    to.flush().await?;
    Ok(flow)
}

/// Read and discard a body (a request the proxy answers itself).
async fn drain_body(from: &mut BufReader<TcpStream>, framing: Framing) -> io::Result<()> {
    match framing {
        Framing::Length(mut n) => {
            while n > 0 {
                let available = from.fill_buf().await?;
                if available.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                let take = available
                    .len()
                    .min(usize::try_from(n).unwrap_or(usize::MAX));
                from.consume(take);
                n -= take as u64;
            }
            Ok(())
        }
        Framing::Chunked => loop {
            let mut line = Vec::new();
            if from.read_until(b'\n', &mut line).await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let text = String::from_utf8_lossy(&line);
            let size = u64::from_str_radix(text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid(format!("bad chunk size line {text:?}")))?;
            if size == 0 {
                loop {
                    line.clear();
                    if from.read_until(b'\n', &mut line).await? == 0 || line.trim_ascii().is_empty()
                    {
                        return Ok(());
                    }
                }
            }
            let mut n = size + 2;
            while n > 0 {
                let available = from.fill_buf().await?;
                if available.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                let take = available
                    .len()
                    .min(usize::try_from(n).unwrap_or(usize::MAX));
                from.consume(take);
                n -= take as u64;
            }
        },
        Framing::UntilClose => Ok(()),
    }
}

/// Whether an idle connection is still open: nothing to read (no EOF, no stray bytes) right now.
async fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    // `timeout` polls the peek once before looking at the clock: a zero timeout is a poll.
    tokio::time::timeout(Duration::ZERO, stream.peek(&mut byte))
        .await
        .is_err()
}

/// Close with a TCP reset (`SO_LINGER` 0), after waiting for what was written to reach the peer.
async fn reset(stream: TcpStream) {
    wait_for_send_queue(&stream).await;
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Wait until the kernel has no unacknowledged bytes for this socket (or [`DRAIN_WAIT`] passes):
/// without this, a reset would throw away the tail of what the proxy wrote and a cut would land
/// short of its byte.
async fn wait_for_send_queue(stream: &TcpStream) {
    let deadline = Instant::now() + DRAIN_WAIT;
    while unsent(stream) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[cfg(target_os = "linux")]
fn unsent(stream: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer, to a live local.
    let result = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut queued) };
    if result == 0 {
        i64::from(queued)
    } else {
        0
    }
}

#[cfg(not(target_os = "linux"))]
fn unsent(_stream: &TcpStream) -> i64 {
    0
}

/// The S3 error answer for a [`Fault::Status`].
fn error_answer(status: u16, code: &str, retry_after_ms: Option<u64>, close: bool) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>"
    );
    let mut head = format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         x-amz-request-id: fault-proxy\r\n",
        body.len()
    );
    if let Some(ms) = retry_after_ms {
        head.push_str(&format!("x-amz-retry-after: {ms}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut answer = head.into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// One client connection: requests in order, each forwarded (or faulted) and answered, until
/// either side closes or a fault ends it.
async fn serve(client: TcpStream, connection: u64, shared: Arc<Shared>) {
    let mut client = BufReader::with_capacity(BUFFER, client);
    let mut upstream: Option<BufReader<TcpStream>> = None;
    loop {
        let head = match read_head(&mut client).await {
            Ok(Some(head)) => head,
            _ => return,
        };
        let mut parts = head.start_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut entry = Logged {
            at: shared.started.elapsed(),
            connection,
            method: method.clone(),
            path: path.to_string(),
            query: query.to_string(),
            range: head.header("range").map(str::to_string),
            if_match: head.header("if-match").map(str::to_string),
            fault: None,
            status: None,
        };
        let fault = shared.decide(&entry);
        entry.fault = fault.clone();
        let index = shared.record(entry);
        let client_closes = head.has_token("connection", "close");
        let Ok(request_body) = request_framing(&head) else {
            return;
        };

        match &fault {
            Some(Fault::Status {
                status,
                code,
                retry_after_ms,
            }) => {
                if drain_body(&mut client, request_body).await.is_err() {
                    return;
                }
                let answer = error_answer(*status, code, *retry_after_ms, client_closes);
                if client.get_mut().write_all(&answer).await.is_err() {
                    return;
                }
                shared.set_status(index, *status);
                if client_closes {
                    return;
                }
                continue;
            }
            Some(Fault::ResetBeforeAnswer) => {
                let _ = drain_body(&mut client, request_body).await;
                reset(client.into_inner()).await;
                return;
            }
            _ => {}
        }

        // Forward the request on this connection's upstream connection, unless the server has
        // closed it while it sat idle: a request lost that way would look like a fault to the
        // client and add a send that no rule asked for.
        if let Some(up) = upstream.as_mut() {
            if !up.buffer().is_empty() || !still_open(up.get_ref()).await {
                upstream = None;
            }
        }
        let up = match upstream.as_mut() {
            Some(up) => up,
            None => match TcpStream::connect(shared.upstream).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    upstream.insert(BufReader::with_capacity(BUFFER, stream))
                }
                Err(_) => {
                    reset(client.into_inner()).await;
                    return;
                }
            },
        };
        if up.get_mut().write_all(&head.raw).await.is_err() {
            return;
        }
        let mut request_pace = Pace {
            flip_at: match &fault {
                Some(Fault::FlipRequestBit { at }) => Some(*at),
                _ => None,
            },
            ..Pace::default()
        };
        if copy_body(&mut client, up.get_mut(), request_body, &mut request_pace)
            .await
            .is_err()
        {
            return;
        }

        // The answer: interim 1xx heads pass through, then the final one.
        let (answer, status) = loop {
            let Ok(Some(answer)) = read_head(up).await else {
                return;
            };
            let Ok(status) = status_of(&answer) else {
                return;
            };
            if (100..200).contains(&status) && status != 101 {
                if client.get_mut().write_all(&answer.raw).await.is_err() {
                    return;
                }
                continue;
            }
            break (answer, status);
        };
        let Ok(framing) = response_framing(&answer, &method, status) else {
            return;
        };
        if let Some(Fault::StallBeforeHeaders(stall)) = &fault {
            tokio::time::sleep(*stall).await;
        }
        if client.get_mut().write_all(&answer.raw).await.is_err() {
            return;
        }
        shared.set_status(index, status);
        shared.learn_size(path, &method, status, &answer);
        let mut pace = Pace::for_fault(fault.as_ref(), framing);
        match copy_body(up, client.get_mut(), framing, &mut pace).await {
            Ok(Flow::Done) if pace.cut_at.is_none() => {}
            Ok(_) => {
                // A cut, or a cut point at or past the end of a body of unknown length: reset.
                reset(client.into_inner()).await;
                return;
            }
            Err(_) => return,
        }
        if client_closes
            || answer.has_token("connection", "close")
            || matches!(framing, Framing::UntilClose)
        {
            return;
        }
    }
}
