use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Mutex;

use super::{CredentialsError, ProvideCredentials, ProvideFuture, Provided};

/// How long before their expiry keys are fetched anew, as the AWS SDKs do.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// After a failed fetch, callers within this long get the same error instead of asking again
/// (64 requests waiting on a source that is down ask it once).
const FAILURE_HOLD: Duration = Duration::from_secs(1);

/// Keys from a provider, kept until five minutes before they expire. Requests in flight share
/// one fetch: the first to find the keys stale fetches while the others wait for its result. A
/// failed refresh keeps the old keys while they still work.
#[derive(Debug)]
pub struct CredentialsCache {
    provider: Arc<dyn ProvideCredentials>,
    state: Mutex<State>,
    fetches: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Provided>,
    failure: Option<(Instant, CredentialsError)>,
}

impl CredentialsCache {
    pub fn new(provider: Arc<dyn ProvideCredentials>) -> CredentialsCache {
        CredentialsCache {
            provider,
            state: Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        }
    }

    /// Usable keys: the cached ones while they are fresh, else new ones from the provider.
    pub async fn get(&self) -> Result<Provided, CredentialsError> {
        let mut state = self.state.lock().await;
        let now = SystemTime::now();
        let usable = state.current.clone().filter(|p| !is_expired(p, now));
        if let Some(provided) = usable.clone().filter(|p| is_fresh(p, now)) {
            return Ok(provided);
        }
        if let Some((at, error)) = &state.failure {
            if at.elapsed() < FAILURE_HOLD {
                return usable.ok_or_else(|| error.clone());
            }
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match self.provider.provide().await {
            Ok(provided) => {
                state.current = Some(provided.clone());
                state.failure = None;
                // Keys that arrive already inside the refresh window are used, and asked for
                // again at the next request (as botocore does).
                Ok(provided)
            }
            Err(error) => {
                state.failure = Some((Instant::now(), error.clone()));
                // Keys that still work are better than none.
                usable.ok_or(error)
            }
        }
    }

    /// How many times the provider has been asked (for tests and `--debug`).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

/// Keys without an expiry, or whose expiry is more than [`REFRESH_AHEAD`] away.
fn is_fresh(provided: &Provided, now: SystemTime) -> bool {
    provided
        .expires_at
        .is_none_or(|expiry| expiry > now + REFRESH_AHEAD)
}

/// Keys past their expiry.
fn is_expired(provided: &Provided, now: SystemTime) -> bool {
    provided.expires_at.is_some_and(|expiry| expiry <= now)
}

/// A cache is a provider too: a role's source keys are cached on their own.
impl ProvideCredentials for CredentialsCache {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.get())
    }
}
