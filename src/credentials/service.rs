//! What the providers that call a service share: a [`Client`] for that service's endpoint with the
//! calling client's timeouts and retry policy (so STS, SSO, container and metadata calls retry and
//! time out like S3 requests, through the same pipeline), the expiry formats they answer with, and
//! their failures turned into [`CredentialsError`]s that name the source and carry no secret.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;

use super::{CredentialsError, ProvideCredentials};
use crate::client::{Client, Timeouts};
use crate::config::Environment;
use crate::error::Error;
use crate::retry::RetryPolicy;

/// How the calling client talks to services: its timeouts, retry policy and MFA code source.
#[derive(Clone, Debug, Default)]
pub struct ServiceSettings {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// Gives the MFA code for a device (`mfa_serial`) when a role needs one.
    pub mfa_code: Option<MfaCode>,
    /// The calling client's trusted roots and proxies, so STS and SSO are reached the way S3 is.
    pub network: crate::config::Network,
}

/// The function behind [`MfaCode`].
pub type AskMfaCode = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Asked for the current code of an MFA device (its serial or ARN); `None` when there is none.
#[derive(Clone)]
pub struct MfaCode(pub Arc<AskMfaCode>);

impl MfaCode {
    pub fn code(&self, serial: &str) -> Option<String> {
        (self.0)(serial)
    }
}

impl std::fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaCode(..)")
    }
}

/// A client for `endpoint` in `region`, signing with `keys` (or with none: every request of such a
/// client is sent anonymously by its caller), isolated from the process's AWS settings.
pub(super) fn service_client(
    endpoint: &Url,
    region: &str,
    settings: &ServiceSettings,
    keys: Option<Arc<dyn ProvideCredentials>>,
) -> Result<Client, Error> {
    let builder = Client::builder()
        .endpoint_url(endpoint.as_str())
        .region(region)
        .path_style(true)
        // Its own keys come from `keys` alone: no chain, and no instance metadata behind it.
        .environment(Environment::from_vars(
            [("AWS_EC2_METADATA_DISABLED", "true")],
            None,
        ))
        .network(settings.network.clone())
        .retry_policy(settings.retry.clone())
        .connect_timeout(settings.timeouts.connect)
        .read_timeout(settings.timeouts.read);
    match keys {
        Some(keys) => builder.credentials_provider(keys).build(),
        None => builder.build(),
    }
}

/// A client for a link-local or loopback credentials endpoint (instance metadata, a container
/// agent): unsigned, and never through a proxy.
pub(super) fn local_client(endpoint: &Url, settings: &ServiceSettings) -> Result<Client, Error> {
    Client::builder()
        .endpoint_url(endpoint.as_str())
        .path_style(true)
        .direct(true)
        .network(settings.network.clone())
        .unsigned(true)
        .environment(Environment::from_vars(Vec::<(String, String)>::new(), None))
        .retry_policy(settings.retry.clone())
        .connect_timeout(settings.timeouts.connect)
        .read_timeout(settings.timeouts.read)
        .build()
}

/// A failure of the service call, named after its source; an S3-style error envelope becomes its
/// code and message.
pub(super) fn unavailable(source_name: &str, err: &Error) -> CredentialsError {
    let message = match err.envelope() {
        Some(envelope) => {
            let code = err.code().unwrap_or("error");
            match err.message().filter(|m| !m.is_empty()) {
                Some(message) => format!("{} {code}: {message}", envelope.status),
                None => format!("{} {code}", envelope.status),
            }
        }
        None => err.to_string(),
    };
    CredentialsError::Unavailable {
        source_name: source_name.to_owned(),
        message,
    }
}

pub(super) fn invalid(source_name: &str, message: impl Into<String>) -> CredentialsError {
    CredentialsError::Invalid {
        source_name: source_name.to_owned(),
        message: message.into(),
    }
}

/// An ISO 8601 / RFC 3339 expiry (`2026-12-06T06:48:08Z`), as STS, containers and processes give.
pub(super) fn parse_expiry(source_name: &str, text: &str) -> Result<SystemTime, CredentialsError> {
    let parsed = crate::timestamp::parse_timestamp(text)
        .map_err(|e| invalid(source_name, format!("Expiration `{text}`: {e}")))?;
    Ok(SystemTime::from(parsed))
}

/// Milliseconds since the epoch, as the SSO portal gives its expiry.
pub(super) fn expiry_from_millis(millis: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(millis)
}
