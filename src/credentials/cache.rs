use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::{CredentialsError, ProvideCredentials, ProvideFuture, Provided};

/// How long before their expiry keys are fetched anew, as the AWS SDKs do.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// Keys from a provider, kept until five minutes before they expire. Requests in flight share
/// one fetch: the first to find the keys stale fetches while the others wait for its result.
#[derive(Debug)]
pub struct CredentialsCache {
    provider: Arc<dyn ProvideCredentials>,
    current: Mutex<Option<Provided>>,
    fetches: AtomicU64,
}

impl CredentialsCache {
    pub fn new(provider: Arc<dyn ProvideCredentials>) -> CredentialsCache {
        CredentialsCache {
            provider,
            current: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// Usable keys: the cached ones while they are fresh, else new ones from the provider.
    pub async fn get(&self) -> Result<Provided, CredentialsError> {
        let mut current = self.current.lock().await;
        if let Some(provided) = current.as_ref().filter(|p| is_fresh(p, SystemTime::now())) {
            return Ok(provided.clone());
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let provided = self.provider.provide().await?;
        *current = Some(provided.clone());
        // Keys that arrive already inside the refresh window are used for this request: they
        // still work, and the next request asks again.
        Ok(provided)
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

/// A cache is a provider too: a role's source keys are cached on their own.
impl ProvideCredentials for CredentialsCache {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.get())
    }
}
