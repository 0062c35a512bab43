//! Where the keys a request is signed with come from, and how long they last. A source of keys is a
//! [`ProvideCredentials`] (static keys, or a service that hands out temporary ones; callers can plug
//! their own with [`crate::ClientBuilder::credentials_provider`]); a [`CredentialsCache`] in front of
//! it keeps what it gave until five minutes before expiry and fetches anew once for every request in
//! flight. The client asks the cache on every attempt, so a transfer of hours re-signs with fresh keys.

mod cache;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

pub use crate::signer::Credentials;
pub use cache::CredentialsCache;

/// Keys as a provider hands them out: the keys, when they stop working, and where they came from.
#[derive(Clone, Debug)]
pub struct Provided {
    pub credentials: Credentials,
    /// `None` for keys that do not expire (static keys).
    pub expires_at: Option<SystemTime>,
    /// Where they came from, for `configure list` and errors (never a secret).
    pub source: Source,
}

/// Where a client's keys came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Given to the builder (`ClientBuilder::credentials`, `--access-key`-style flags).
    Explicit,
    /// The seed library's basic data.
    BasicData,
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// Keys written in a profile file; the text names the profile and its file.
    Profile(String),
    /// A provider of the caller's own; the text is its name.
    Custom(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Explicit => f.write_str("explicit"),
            Source::BasicData => f.write_str("basic data"),
            Source::Environment => f.write_str("environment"),
            Source::Profile(origin) => f.write_str(origin),
            Source::Custom(name) => f.write_str(name),
        }
    }
}

/// Why no keys could be had. Messages say what to do and never carry a secret or a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The source was found but cannot be used as it stands (a malformed answer, a file that
    /// cannot be read, a loop of profiles): the caller must fix it.
    #[error("credentials from {source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
    /// The service that hands out the keys refused or could not be reached.
    #[error("credentials from {source_name}: {message}")]
    Unavailable {
        source_name: String,
        message: String,
    },
}

/// A boxed future, as [`ProvideCredentials::provide`] returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Provided, CredentialsError>> + Send + 'a>>;

/// A source of keys. `provide` is called when the cache has nothing usable: at the first request,
/// and again whenever the last keys are within five minutes of their expiry.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    fn provide(&self) -> ProvideFuture<'_>;
}

/// Keys that never change: the explicit, basic-data, environment and profile-file sources.
#[derive(Clone, Debug)]
pub struct StaticCredentials(pub Provided);

impl ProvideCredentials for StaticCredentials {
    fn provide(&self) -> ProvideFuture<'_> {
        let provided = self.0.clone();
        Box::pin(async move { Ok(provided) })
    }
}
