//! Where the keys a request is signed with come from, and how long they last. A source of keys is a
//! [`ProvideCredentials`]: static keys, or one of the providers below that fetch temporary keys
//! (STS roles and web identity, `credential_process`, SSO, containers, EC2 instance metadata);
//! callers can plug their own with [`crate::ClientBuilder::credentials_provider`]. Which one a client
//! uses is decided by `config`'s [`CredentialPlan`]; [`from_plan`] builds it. A [`CredentialsCache`]
//! in front keeps the keys until five minutes before expiry and fetches anew once for every request
//! in flight; the client asks it on every attempt, so a transfer of hours re-signs with fresh keys.

mod cache;
mod container;
mod imds;
mod process;
mod service;
mod sso;
mod sts;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

pub use crate::signer::Credentials;
pub use cache::CredentialsCache;
pub use container::Container;
pub use imds::InstanceMetadata;
pub use process::Process;
pub use service::{MfaCode, ServiceSettings};
pub use sso::Sso;
pub use sts::{AssumeRole, WebIdentity};

use std::sync::Arc;
use std::time::Duration;

use crate::config::CredentialPlan;

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
    /// STS AssumeRole; the text is the role's ARN.
    AssumedRole(String),
    /// STS AssumeRoleWithWebIdentity; the text is the role's ARN.
    WebIdentity(String),
    /// A `credential_process`; the text names the profile and its file.
    Process(String),
    /// The SSO portal.
    Sso {
        account_id: String,
        role_name: String,
    },
    /// A container credentials endpoint.
    Container,
    /// EC2 instance metadata.
    InstanceMetadata,
    /// A provider of the caller's own; the text is its name.
    Custom(String),
}

impl Source {
    /// The kind of source, named as `aws configure list` names it (`env`, `assume-role`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Explicit => "explicit",
            Source::BasicData => "basic-data",
            Source::Environment => "env",
            Source::Profile(_) => "shared-credentials-file",
            Source::AssumedRole(_) => "assume-role",
            Source::WebIdentity(_) => "assume-role-with-web-identity",
            Source::Process(_) => "custom-process",
            Source::Sso { .. } => "sso",
            Source::Container => "container-role",
            Source::InstanceMetadata => "iam-role",
            Source::Custom(_) => "custom",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Explicit => f.write_str("explicit"),
            Source::BasicData => f.write_str("basic data"),
            Source::Environment => f.write_str("environment"),
            Source::Profile(origin) => f.write_str(origin),
            Source::AssumedRole(arn) => write!(f, "assumed role {arn}"),
            Source::WebIdentity(arn) => write!(f, "web identity for role {arn}"),
            Source::Process(origin) => write!(f, "credential_process ({origin})"),
            Source::Sso {
                account_id,
                role_name,
            } => write!(f, "SSO, account {account_id} role {role_name}"),
            Source::Container => f.write_str("container endpoint"),
            Source::InstanceMetadata => f.write_str("EC2 instance metadata"),
            Source::Custom(name) => f.write_str(name),
        }
    }
}

/// Why no keys could be had. Messages say what to do and never carry a secret or a token.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The source was found but cannot be used as it stands (a malformed answer, a file that
    /// cannot be read, a loop of profiles): the caller must fix it.
    #[error("credentials from {source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
    /// No source of keys is configured, and instance metadata (tried last) did not answer.
    #[error(
        "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile or \
         --data, or pass --no-sign-request (last tried: {message})"
    )]
    NotFound { message: String },
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

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide(&self) -> ProvideFuture<'_> {
        (**self).provide()
    }
}

/// The provider for `plan`: the keys themselves, or the service that hands them out, calling it
/// with `settings` (a role's source keys are cached on their own).
pub fn from_plan(plan: &CredentialPlan, settings: &ServiceSettings) -> Arc<dyn ProvideCredentials> {
    match plan {
        CredentialPlan::Static {
            credentials,
            source,
        } => Arc::new(StaticCredentials(Provided {
            credentials: credentials.clone(),
            expires_at: None,
            source: source.clone(),
        })),
        CredentialPlan::AssumeRole(role) => {
            let source = Arc::new(CredentialsCache::new(from_plan(&role.source, settings)));
            Arc::new(AssumeRole::new((**role).clone(), source, settings.clone()))
        }
        CredentialPlan::WebIdentity(plan) => {
            Arc::new(WebIdentity::new(plan.clone(), settings.clone()))
        }
        CredentialPlan::Process(plan) => Arc::new(Process::new(plan.clone())),
        CredentialPlan::Sso(plan) => Arc::new(Sso::new(plan.clone(), settings.clone())),
        CredentialPlan::Container(plan) => Arc::new(Container::new(plan.clone(), settings.clone())),
        CredentialPlan::InstanceMetadata(plan) => Arc::new(InstanceMetadata::new(
            plan.clone(),
            Duration::from_secs_f64(plan.timeout_seconds),
            plan.attempts,
        )),
    }
}
