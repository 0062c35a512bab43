//! When checksums are computed on requests and checked on answers, as AWS's settings name it:
//! `AWS_REQUEST_CHECKSUM_CALCULATION` / profile `request_checksum_calculation` and
//! `AWS_RESPONSE_CHECKSUM_VALIDATION` / profile `response_checksum_validation`, each
//! `when_supported` (the default: every upload sends a checksum, every download is checked) or
//! `when_required` (only where the operation requires one, or the caller asked).

use super::ini::Profile;
use super::{ConfigError, Environment};

/// `when_supported` or `when_required`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChecksumWhen {
    #[default]
    WhenSupported,
    WhenRequired,
}

/// Both settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChecksumSettings {
    /// Checksums on uploads (`request_checksum_calculation`).
    pub calculation: ChecksumWhen,
    /// Checks of downloads against the object's checksum (`response_checksum_validation`).
    pub validation: ChecksumWhen,
}

pub(super) fn resolve_checksums(
    env: &Environment,
    profile: &Profile,
) -> Result<ChecksumSettings, ConfigError> {
    let read = |variable: &str, key: &str| -> Result<ChecksumWhen, ConfigError> {
        let found = env
            .var(variable)
            .map(|v| (v, variable.to_owned()))
            .or_else(|| profile.text(key).map(|(v, path)| (v, profile.origin(path))));
        let Some((value, origin)) = found else {
            return Ok(ChecksumWhen::default());
        };
        match value.to_ascii_lowercase().as_str() {
            "when_supported" => Ok(ChecksumWhen::WhenSupported),
            "when_required" => Ok(ChecksumWhen::WhenRequired),
            _ => Err(ConfigError::InvalidSetting {
                key: key.to_owned(),
                value: value.to_owned(),
                origin,
                expected: "when_supported or when_required".to_owned(),
            }),
        }
    };
    Ok(ChecksumSettings {
        calculation: read(
            "AWS_REQUEST_CHECKSUM_CALCULATION",
            "request_checksum_calculation",
        )?,
        validation: read(
            "AWS_RESPONSE_CHECKSUM_VALIDATION",
            "response_checksum_validation",
        )?,
    })
}
