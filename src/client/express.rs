//! S3 Express session keys, per directory bucket. A request whose endpoint asks for the
//! `sigv4-s3express` scheme is signed with keys that `CreateSession` hands out for its bucket
//! (signed itself with the client's own keys, for the `s3express` service); they are kept per
//! bucket until a minute before they expire, fetched once however many requests wait for them,
//! and belong to one client and its clones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::Client;
use crate::error::Error;
use crate::secret::Secret;
use crate::signer::Credentials;
use crate::types::CreateSessionOutput;

/// How long before its expiry a session is replaced.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);

struct Session {
    credentials: Credentials,
    expires: SystemTime,
}

type Slot = Arc<tokio::sync::Mutex<Option<Session>>>;

/// Sessions by bucket, and how many were created (for tests and `--debug`).
#[derive(Default)]
pub(crate) struct ExpressSessions {
    slots: Mutex<HashMap<String, Slot>>,
    created: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for ExpressSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpressSessions")
            .field("created", &self.created())
            .finish_non_exhaustive()
    }
}

impl ExpressSessions {
    fn slot(&self, bucket: &str) -> Slot {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(bucket.to_string())
            .or_default()
            .clone()
    }

    pub(crate) fn created(&self) -> u64 {
        self.created.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Client {
    /// The S3 Express session keys for `bucket`: the kept ones while they have more than a minute
    /// left, else new ones from `CreateSession` (one call however many requests wait).
    ///
    /// Boxed, with its type written out: `CreateSession` goes through the pipeline, which signs
    /// through here, and the compiler needs the cycle broken to see the future is `Send`.
    pub(crate) fn express_credentials<'a>(
        &'a self,
        bucket: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Credentials, Error>> + Send + 'a>>
    {
        Box::pin(self.kept_or_new_session(bucket))
    }

    async fn kept_or_new_session(&self, bucket: &str) -> Result<Credentials, Error> {
        let slot = self.express_sessions.slot(bucket);
        let mut session = slot.lock().await;
        if let Some(kept) = session.as_ref() {
            if kept.expires > SystemTime::now() + REFRESH_AHEAD {
                return Ok(kept.credentials.clone());
            }
        }
        if self.debug {
            eprintln!("s3op: CreateSession for the directory bucket {bucket}");
        }
        let envelope = self.create_session().bucket(bucket).send().await?;
        let output: CreateSessionOutput = envelope.parse()?;
        let keys = output.credentials;
        let credentials = Credentials {
            access_key_id: keys.access_key_id,
            secret_access_key: Secret::new(keys.secret_access_key),
            session_token: Some(Secret::new(keys.session_token)),
        };
        let expires = SystemTime::from(keys.expiration);
        self.express_sessions
            .created
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *session = Some(Session {
            credentials: credentials.clone(),
            expires,
        });
        Ok(credentials)
    }

    /// How many S3 Express sessions this client (and its clones) created.
    pub fn express_sessions_created(&self) -> u64 {
        self.express_sessions.created()
    }
}
