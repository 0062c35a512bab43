//! Runs the scenario list on one server and judges it. A scenario is an async function of a
//! [`Ctx`] (the server, a client for it, and the S3 operations it got answers from) returning
//! `Ok(())` or a [`Problem`]. Every S3 call goes through [`Ctx::send`] (or its siblings), which
//! classifies a refusal: a 501 or `NotImplemented` (or 405 `MethodNotAllowed`, or the server
//! failing with a 5xx other than 503) is `unsupported`
//! in the server's own words; any other S3 error, a transport error or an error s3op raises itself
//! is `failed`. A check on the answer that does not hold is `unsupported` as a wrong result, with
//! what the server gave. The outcomes go to `target/compat/<server>.json` and are compared with
//! `expected.toml`: any difference, either way, fails the server's test.

use std::collections::BTreeSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt;
use s3op::{Client, Envelope, Error, Request};

use crate::expect::Expectations;
use crate::render::{ScenarioResult, ServerResults};
use crate::support::TestServer;

/// Why a scenario did not pass.
#[derive(Debug, Clone)]
pub enum Problem {
    /// The server does not do it: a "not implemented" refusal, or a wrong result.
    Unsupported(String),
    /// Anything else: an S3 error that is not "not implemented", a transport or s3op error.
    Failed(String),
}

impl Problem {
    fn outcome(&self) -> &'static str {
        match self {
            Problem::Unsupported(_) => "unsupported",
            Problem::Failed(_) => "failed",
        }
    }

    /// What happened, in the server's words.
    pub fn detail(&self) -> &str {
        match self {
            Problem::Unsupported(d) | Problem::Failed(d) => d,
        }
    }
}

pub type Outcome = Result<(), Problem>;
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One scenario, written once and run on every server.
pub struct Scenario {
    /// Its name: the key in `expected.toml` and in the results.
    pub name: &'static str,
    /// The feature it needs, as the README row names it.
    pub feature: &'static str,
    /// What s3op does about a server without it.
    pub copes: &'static str,
    /// The S3 operations (CLI names) it sends through the library; checked against what it sent.
    pub operations: &'static [&'static str],
    pub run: for<'a> fn(&'a Ctx) -> BoxFuture<'a>,
}

/// What a scenario gets: its server, a client for it, and a record of the operations answered.
pub struct Ctx {
    pub server: &'static TestServer,
    pub client: Client,
    /// The server's name (`s3s_fs`), for bucket and file names.
    pub name: &'static str,
    answered: Mutex<BTreeSet<&'static str>>,
    sent: Mutex<BTreeSet<&'static str>>,
}

/// A wrong result: the check `what` did not hold; `got` is what the server gave.
pub fn wrong(what: &str, got: impl std::fmt::Debug) -> Problem {
    Problem::Unsupported(format!("wrong result: {what}; the server gave {got:?}"))
}

/// `Ok` when `got == want`, else a wrong result naming `what`.
pub fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(Problem::Unsupported(format!(
            "wrong result: {what}: expected {want:?}, the server gave {got:?}"
        )))
    }
}

/// A check of s3op's own doing (a local file, the CLI's exit code): failing it is `failed`.
/// `read()` until it gives `want`, for up to 5 s, then whatever it gave last: for listings a
/// Garage cluster serves from a replica that has not yet seen a delete or an abort (src/compat.rs).
pub async fn settled<T, F, Fut>(want: &T, mut read: F) -> Result<T, Problem>
where
    T: PartialEq,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Problem>>,
{
    let mut got = read().await?;
    for _ in 0..20 {
        if got == *want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        got = read().await?;
    }
    Ok(got)
}

pub fn ours(what: impl Into<String>) -> Problem {
    Problem::Failed(what.into())
}

/// The server's words in an error envelope: `status Code: Message`.
pub fn words(envelope: &Envelope) -> String {
    let code = envelope.error_code().unwrap_or("");
    let message = envelope
        .response
        .pointer("/Error/Message")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let mut text = format!("{} {code}", envelope.status);
    if !message.is_empty() {
        text.push_str(&format!(": {message}"));
    }
    if code.is_empty() {
        if let Some(body) = envelope.response.as_str() {
            text.push_str(&format!(": {}", body.chars().take(200).collect::<String>()));
        }
    }
    text.trim().to_string()
}

/// Whether an error envelope means "this server does not implement that".
pub fn not_implemented(envelope: &Envelope) -> bool {
    let code = envelope.error_code().unwrap_or("");
    // A 5xx other than 503 (SlowDown) is the server failing at the request, not a refusal of it.
    envelope.status == 501
        || (envelope.status >= 500 && envelope.status != 503)
        || code == "NotImplemented"
        || (envelope.status == 405 && code == "MethodNotAllowed")
}

/// Classify an error from the library for the operation `op`.
pub fn classify(op: &str, err: &Error) -> Problem {
    match err.envelope() {
        Some(envelope) if not_implemented(envelope) => {
            Problem::Unsupported(format!("{op} refused: {}", words(envelope)))
        }
        Some(envelope) => Problem::Failed(format!("{op}: {}", words(envelope))),
        None => Problem::Failed(format!("{op}: s3op error: {err}")),
    }
}

impl Ctx {
    pub fn new(server: &'static TestServer, name: &'static str) -> Ctx {
        Ctx {
            server,
            client: server.client(),
            name,
            answered: Mutex::new(BTreeSet::new()),
            sent: Mutex::new(BTreeSet::new()),
        }
    }

    fn note(&self, op: &'static str, success: bool) {
        let lock = |m: &Mutex<BTreeSet<&'static str>>| {
            m.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(op);
        };
        lock(&self.sent);
        if success {
            lock(&self.answered);
        }
    }

    /// Send `request`; an S3 error is classified (see the module doc).
    pub async fn send(&self, request: Request) -> Result<Envelope, Problem> {
        let op = request.operation().cli_name;
        let result = request.send().await;
        self.note(op, result.is_ok());
        result.map_err(|e| classify(op, &e))
    }

    /// Send `request` and return the answer whether it is a success or an S3 error: for scenarios
    /// where a refusal is the point (a wrong signature, a failed precondition).
    pub async fn answer(&self, request: Request) -> Result<Envelope, Problem> {
        let op = request.operation().cli_name;
        let result = match request.send().await {
            Ok(envelope) => Ok(envelope),
            Err(e) => match e.envelope() {
                Some(envelope) if !not_implemented(envelope) => Ok(envelope.clone()),
                _ => Err(classify(op, &e)),
            },
        };
        // An error answer is still an answer here: the operation ran.
        self.note(op, result.is_ok());
        result
    }

    /// Send a request whose answer is a body (GetObject and the like) and return the body's bytes.
    pub async fn bytes(&self, request: Request) -> Result<(Envelope, Vec<u8>), Problem> {
        let op = request.operation().cli_name;
        let mut body = Vec::new();
        let result = request.send_to_writer(&mut body).await;
        self.note(op, result.is_ok());
        result.map(|e| (e, body)).map_err(|e| classify(op, &e))
    }

    /// Record that `op` was answered by a means other than [`Ctx::send`] (a presigned URL).
    pub fn answered_by_other_means(&self, op: &'static str) {
        self.note(op, true);
    }

    /// A fresh bucket, created; its name says which scenario made it.
    pub async fn bucket(&self, scenario: &str) -> Result<String, Problem> {
        let bucket = crate::support::unique_bucket(&format!("c-{scenario}"));
        self.send(self.client.create_bucket().bucket(&bucket).request())
            .await?;
        Ok(bucket)
    }

    /// A scratch directory for this scenario, emptied first.
    pub fn scratch(&self, scenario: &str) -> Result<PathBuf, Problem> {
        let dir = std::env::temp_dir().join(format!(
            "s3op-compat-{}-{}-{scenario}",
            std::process::id(),
            self.name
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| ours(format!("{}: {e}", dir.display())))?;
        Ok(dir)
    }
}

/// How long one scenario may take before it is `failed`.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);

/// Run every scenario on `server`, write its results, and return the differences from the
/// expectations (empty: the test passes).
pub fn run_server(
    name: &'static str,
    column: usize,
    servers: &[&str],
    server: fn() -> &'static TestServer,
    scenarios: &[Scenario],
    expectations: &Expectations,
) -> Vec<String> {
    let server = server();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return vec![format!("cannot start a tokio runtime: {e}")],
    };
    let empty = Default::default();
    let expected = expectations.get(name).unwrap_or(&empty);
    let mut results = Vec::new();
    let mut differences = Vec::new();
    for scenario in scenarios {
        let ctx = Ctx::new(server, name);
        let run = AssertUnwindSafe((scenario.run)(&ctx)).catch_unwind();
        let outcome =
            match runtime.block_on(async { tokio::time::timeout(SCENARIO_TIMEOUT, run).await }) {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(panic)) => Err(Problem::Failed(format!(
                    "the scenario panicked: {}",
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                ))),
                Err(_) => Err(Problem::Failed(format!(
                    "timed out after {}s",
                    SCENARIO_TIMEOUT.as_secs()
                ))),
            };
        // A scenario that passed must have been answered by exactly the operations it declares.
        let outcome = outcome.and_then(|()| {
            let answered = ctx.answered.lock().map(|s| s.clone()).unwrap_or_default();
            let sent = ctx.sent.lock().map(|s| s.clone()).unwrap_or_default();
            let declared: BTreeSet<&str> = scenario.operations.iter().copied().collect();
            if answered == declared && sent == declared {
                Ok(())
            } else {
                Err(Problem::Failed(format!(
                    "the scenario declares operations {declared:?} but sent {sent:?}, of which {answered:?} succeeded"
                )))
            }
        });
        let (got, detail) = match &outcome {
            Ok(()) => ("passed", String::new()),
            Err(problem) => (problem.outcome(), problem.detail().to_string()),
        };
        let want = expected.get(scenario.name);
        let want_outcome = want.map_or("passed", |w| w.outcome);
        if got != want_outcome {
            let why = want.map(|w| format!(" ({})", w.reason)).unwrap_or_default();
            differences.push(format!(
                "{}: expected {want_outcome}{why}, got {got}{}",
                scenario.name,
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            ));
        }
        eprintln!(
            "[{name}] {:<24} {got}{}",
            scenario.name,
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
        results.push(ScenarioResult {
            name: scenario.name.into(),
            feature: scenario.feature.into(),
            copes: scenario.copes.into(),
            outcome: got.into(),
            detail,
            reason: want
                .filter(|w| w.outcome == got)
                .map(|w| w.reason.clone())
                .unwrap_or_default(),
            operations: scenario.operations.iter().map(|s| s.to_string()).collect(),
        });
    }
    for listed in expected.keys() {
        if !scenarios.iter().any(|s| s.name == listed) {
            differences.push(format!(
                "expected.toml lists `{listed}` for {name}, which is no scenario"
            ));
        }
    }
    let record = ServerResults {
        server: name.into(),
        column,
        servers: servers.iter().map(|s| s.to_string()).collect(),
        scenarios: results,
    };
    if let Err(e) = write_results(&record) {
        differences.push(e);
    }
    differences
}

/// `target/compat/<server>.json` (`$CARGO_TARGET_DIR` when set, as the xtask reads it).
pub fn results_dir() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => manifest_dir.join(dir).join("compat"),
        _ => manifest_dir.join("target").join("compat"),
    }
}

fn write_results(record: &ServerResults) -> Result<(), String> {
    let dir = results_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.json", record.server));
    let text = serde_json::to_string_pretty(record).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
