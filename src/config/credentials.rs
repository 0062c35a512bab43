//! The static key pair: basic data `AccessKey` + `SecretKey`, else the environment's
//! `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ session token), else the profile's keys, file by
//! file; half a pair is an error that names the missing half and never the secret. It does not read
//! files (the `ini` module does) nor fetch temporary credentials from any service.

use crate::credentials::Source;
use crate::secret::Secret;
use crate::signer::Credentials;

use super::ini::{IniValue, Profile};
use super::{non_empty, BasicData, ConfigError, Environment};

pub(super) fn resolve_credentials(
    basic: Option<&BasicData>,
    env: &Environment,
    profile: &Profile,
    explicit_profile: bool,
) -> Result<Option<(Credentials, Source)>, ConfigError> {
    if let Some(basic) = basic {
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
        if let Some(pair) = pair {
            return Ok(Some((pair, Source::BasicData)));
        }
    }
    // An explicitly named profile switches the environment's keys off; AWS_PROFILE does not
    // (botocore's create_credential_resolver removes its EnvProvider only for `--profile`).
    if !explicit_profile {
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
        if let Some(pair) = pair {
            return Ok(Some((pair, Source::Environment)));
        }
    }
    // Each file on its own, the credentials file first, as botocore's SharedCredentialProvider
    // comes before its ConfigProvider.
    for source in &profile.sources {
        let text = |key: &str| match source.section.get(key) {
            Some(IniValue::Text(v)) if !v.is_empty() => Some(v.as_str()),
            _ => None,
        };
        let pair = key_pair(
            text("aws_access_key_id"),
            text("aws_secret_access_key"),
            text("aws_session_token").or_else(|| text("aws_security_token")),
            ("aws_access_key_id", "aws_secret_access_key"),
            &profile.origin(&source.path),
        )?;
        if let Some(pair) = pair {
            return Ok(Some((pair, Source::Profile(profile.origin(&source.path)))));
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
