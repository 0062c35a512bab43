//! Static key pairs: the basic data's `AccessKey` + `SecretKey`, the environment's
//! `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ session token), and a profile's keys, file by
//! file. Half a pair is an error that names the missing half and never the secret. Which source
//! is asked when is the `chain` module's business.

use crate::credentials::Source;
use crate::secret::Secret;
use crate::signer::Credentials;

use super::chain::CredentialPlan;
use super::ini::{IniValue, Profile};
use super::{non_empty, BasicData, ConfigError, Environment};

/// The basic data's key pair.
pub(super) fn basic_data_keys(basic: &BasicData) -> Result<Option<CredentialPlan>, ConfigError> {
    let secret = basic
        .secret_key
        .as_ref()
        .map(Secret::expose)
        .filter(|s| !s.trim().is_empty());
    let pair = key_pair(
        non_empty(basic.access_key.as_deref()),
        secret,
        None,
        ("AccessKey", "SecretKey"),
        "basic data",
    )?;
    Ok(pair.map(|credentials| CredentialPlan::Static {
        credentials,
        source: Source::BasicData,
    }))
}

/// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`, with `AWS_SESSION_TOKEN` (or the older
/// `AWS_SECURITY_TOKEN`).
pub(super) fn environment_keys(env: &Environment) -> Result<Option<CredentialPlan>, ConfigError> {
    let token = env
        .var("AWS_SESSION_TOKEN")
        .or_else(|| env.var("AWS_SECURITY_TOKEN"));
    let pair = key_pair(
        env.var("AWS_ACCESS_KEY_ID"),
        env.var("AWS_SECRET_ACCESS_KEY"),
        token,
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        "the environment",
    )?;
    Ok(pair.map(|credentials| CredentialPlan::Static {
        credentials,
        source: Source::Environment,
    }))
}

/// A profile's keys, each file on its own, the credentials file first (as botocore's
/// SharedCredentialProvider comes before its ConfigProvider).
pub(super) fn profile_keys(profile: &Profile) -> Result<Option<CredentialPlan>, ConfigError> {
    match profile_keys_in(profile, true)? {
        Some(keys) => Ok(Some(keys)),
        None => profile_keys_in(profile, false),
    }
}

/// A profile's keys in the credentials file (`credentials_file`) or in the config file.
pub(super) fn profile_keys_in(
    profile: &Profile,
    credentials_file: bool,
) -> Result<Option<CredentialPlan>, ConfigError> {
    for source in profile
        .sources
        .iter()
        .filter(|s| s.credentials_file == credentials_file)
    {
        let text = |key: &str| match source.section.get(key) {
            Some(IniValue::Text(v)) if !v.is_empty() => Some(v.as_str()),
            _ => None,
        };
        let origin = profile.origin(&source.path);
        let pair = key_pair(
            text("aws_access_key_id"),
            text("aws_secret_access_key"),
            text("aws_session_token").or_else(|| text("aws_security_token")),
            ("aws_access_key_id", "aws_secret_access_key"),
            &origin,
        )?;
        if let Some(credentials) = pair {
            return Ok(Some(CredentialPlan::Static {
                credentials,
                source: Source::Profile(origin),
            }));
        }
    }
    Ok(None)
}

fn key_pair(
    access: Option<&str>,
    secret: Option<&str>,
    token: Option<&str>,
    (access_name, secret_name): (&str, &str),
    origin: &str,
) -> Result<Option<Credentials>, ConfigError> {
    let incomplete = |present: &str, missing: &str| ConfigError::IncompleteCredentials {
        origin: origin.to_owned(),
        present: present.to_owned(),
        missing: missing.to_owned(),
    };
    match (access, secret) {
        (Some(access), Some(secret)) => Ok(Some(Credentials {
            access_key_id: access.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        })),
        (Some(_), None) => Err(incomplete(access_name, secret_name)),
        (None, Some(_)) => Err(incomplete(secret_name, access_name)),
        (None, None) => Ok(None),
    }
}
