//! Which source a client's keys come from, decided in the AWS CLI's order from the basic data, the
//! environment and the profile files: static keys (basic data, then `AWS_ACCESS_KEY_ID`), a
//! profile's `role_arn` (with `source_profile` chains or `credential_source`), web identity
//! (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, or a profile's `web_identity_token_file`), SSO
//! (`sso_session` or the legacy `sso_start_url`), the profile's keys in the credentials file,
//! `credential_process`, its keys in the config file, a container endpoint, and last EC2 instance
//! metadata. Nothing is fetched here: the answer is a
//! [`CredentialPlan`], which `crate::credentials` turns into providers and `configure list` shows.

use std::path::PathBuf;

use url::Url;

use super::credentials::{environment_keys, profile_keys, profile_keys_in};
use super::endpoint::{aws_domain, service_endpoint};
use super::ini::{Profile, ProfileFiles};
use super::{ConfigError, Environment};
use crate::credentials::Source;
use crate::secret::Secret;
use crate::signer::Credentials;

/// Where a client's keys will come from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CredentialPlan {
    /// Keys that never change.
    Static {
        credentials: Credentials,
        source: Source,
    },
    /// STS AssumeRole, signed with the keys of another plan.
    AssumeRole(Box<AssumeRolePlan>),
    /// STS AssumeRoleWithWebIdentity, with a token read from a file each time.
    WebIdentity(WebIdentityPlan),
    /// A program that prints the keys as JSON.
    Process(ProcessPlan),
    /// The SSO portal, with the token `aws sso login` cached.
    Sso(SsoPlan),
    /// A container credentials endpoint (ECS, EKS Pod Identity).
    Container(ContainerPlan),
    /// EC2 instance metadata (IMDSv2).
    InstanceMetadata(InstanceMetadataPlan),
}

#[derive(Clone, Debug)]
pub struct AssumeRolePlan {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    /// The MFA device; its code is asked for when the role is assumed.
    pub mfa_serial: Option<String>,
    /// Where the keys that sign AssumeRole come from.
    pub source: CredentialPlan,
    /// The profile that names the role, for messages.
    pub profile: String,
    pub sts_endpoint: Url,
    pub region: String,
}

#[derive(Clone, Debug)]
pub struct WebIdentityPlan {
    pub role_arn: String,
    pub session_name: String,
    pub token_file: PathBuf,
    /// The environment or the profile that set it, for messages.
    pub origin: String,
    pub sts_endpoint: Url,
    pub region: String,
}

#[derive(Clone, Debug)]
pub struct ProcessPlan {
    /// The command line, run by the shell.
    pub command: String,
    pub origin: String,
}

#[derive(Clone, Debug)]
pub struct SsoPlan {
    /// The profile (for the `aws sso login --profile` hint).
    pub profile: String,
    /// The `sso_session` section's name; `None` for the legacy form.
    pub session: Option<String>,
    pub start_url: String,
    pub sso_region: String,
    pub account_id: String,
    pub role_name: String,
    /// The portal (GetRoleCredentials) and OIDC (CreateToken) endpoints.
    pub portal_endpoint: Url,
    pub oidc_endpoint: Url,
    /// `~/.aws/sso/cache`, where `aws sso login` leaves its token.
    pub cache_dir: PathBuf,
}

#[derive(Clone, Debug)]
pub struct ContainerPlan {
    pub url: String,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (a secret: `Debug` shows `***`).
    pub token: Option<Secret>,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read at each fetch (it is rotated).
    pub token_file: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct InstanceMetadataPlan {
    pub endpoint: Url,
    /// Seconds each call may take (`AWS_METADATA_SERVICE_TIMEOUT`, default 1).
    pub timeout_seconds: f64,
    /// Attempts per call (`AWS_METADATA_SERVICE_NUM_ATTEMPTS`, default 1).
    pub attempts: u32,
    /// Reached only because no other source had keys: its failure then says so.
    pub fallback: bool,
}

impl CredentialPlan {
    /// The source, as `configure list` names it.
    pub fn describe(&self) -> String {
        match self {
            CredentialPlan::Static { source, .. } => source.to_string(),
            CredentialPlan::AssumeRole(plan) => format!(
                "role {} of profile `{}` (signed with keys from {})",
                plan.role_arn,
                plan.profile,
                plan.source.describe()
            ),
            CredentialPlan::WebIdentity(plan) => {
                format!("web identity for role {} ({})", plan.role_arn, plan.origin)
            }
            CredentialPlan::Process(plan) => format!("credential_process ({})", plan.origin),
            CredentialPlan::Sso(plan) => format!(
                "SSO, account {} role {} (profile `{}`)",
                plan.account_id, plan.role_name, plan.profile
            ),
            CredentialPlan::Container(plan) => format!("container endpoint {}", plan.url),
            CredentialPlan::InstanceMetadata(plan) => {
                format!("EC2 instance metadata at {}", plan.endpoint)
            }
        }
    }

    /// The short name of the source's kind, for `configure list`'s type column.
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialPlan::Static { source, .. } => source.kind(),
            CredentialPlan::AssumeRole(_) => "assume-role",
            CredentialPlan::WebIdentity(_) => "assume-role-with-web-identity",
            CredentialPlan::Process(_) => "custom-process",
            CredentialPlan::Sso(_) => "sso",
            CredentialPlan::Container(_) => "container-role",
            CredentialPlan::InstanceMetadata(_) => "iam-role",
        }
    }
}

/// What the planner needs besides the profile files.
pub(super) struct PlanInputs<'a> {
    pub env: &'a Environment,
    pub files: &'a ProfileFiles,
    /// The profile in use.
    pub profile: &'a Profile,
    /// `--profile` was given (the environment's keys are then not used).
    pub explicit_profile: bool,
    /// The client's region: STS is called there.
    pub region: &'a str,
}

/// The plan for the profile in use, after the basic data and the environment's keys (which the
/// caller checks first). `None` only when instance metadata is switched off and nothing else is set.
pub(super) fn plan(inputs: &PlanInputs<'_>) -> Result<Option<CredentialPlan>, ConfigError> {
    let PlanInputs { env, profile, .. } = *inputs;
    if !inputs.explicit_profile {
        if let Some(keys) = environment_keys(env)? {
            return Ok(Some(keys));
        }
    }
    if profile.text("role_arn").is_some() {
        let mut visited = Vec::new();
        return role_plan(inputs, profile, &mut visited).map(Some);
    }
    if let (Some(token_file), Some(role_arn)) = (
        env.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
        env.var("AWS_ROLE_ARN"),
    ) {
        return Ok(Some(CredentialPlan::WebIdentity(WebIdentityPlan {
            role_arn: role_arn.to_owned(),
            session_name: env
                .var("AWS_ROLE_SESSION_NAME")
                .map_or_else(default_session_name, str::to_owned),
            token_file: PathBuf::from(token_file),
            origin: "AWS_WEB_IDENTITY_TOKEN_FILE".to_owned(),
            sts_endpoint: sts_endpoint(inputs)?,
            region: inputs.region.to_owned(),
        })));
    }
    if let Some(sso) = sso_plan(inputs, profile)? {
        return Ok(Some(CredentialPlan::Sso(sso)));
    }
    // botocore's order: the credentials file's keys, credential_process, the config file's keys.
    if let Some(keys) = profile_keys_in(profile, true)? {
        return Ok(Some(keys));
    }
    if let Some((command, path)) = profile.text("credential_process") {
        return Ok(Some(CredentialPlan::Process(ProcessPlan {
            command: command.to_owned(),
            origin: profile.origin(path),
        })));
    }
    if let Some(keys) = profile_keys_in(profile, false)? {
        return Ok(Some(keys));
    }
    if let Some(container) = container_plan(env)? {
        return Ok(Some(CredentialPlan::Container(container)));
    }
    Ok(instance_metadata_plan(env, profile, true)?.map(CredentialPlan::InstanceMetadata))
}

/// A profile with `role_arn`: its web identity, or AssumeRole signed by its source.
fn role_plan(
    inputs: &PlanInputs<'_>,
    profile: &Profile,
    visited: &mut Vec<String>,
) -> Result<CredentialPlan, ConfigError> {
    let origin = |key: &str| {
        profile
            .text(key)
            .map_or_else(|| profile.name.clone(), |(_, path)| profile.origin(path))
    };
    let invalid = |message: String| ConfigError::InvalidCredentialSource {
        origin: origin("role_arn"),
        message,
    };
    visited.push(profile.name.clone());
    let role_arn = profile.text("role_arn").map(|(v, _)| v).unwrap_or_default();
    let session_name = profile
        .text("role_session_name")
        .map_or_else(default_session_name, |(v, _)| v.to_owned());
    if let Some((token_file, path)) = profile.text("web_identity_token_file") {
        return Ok(CredentialPlan::WebIdentity(WebIdentityPlan {
            role_arn: role_arn.to_owned(),
            session_name,
            token_file: PathBuf::from(token_file),
            origin: profile.origin(path),
            sts_endpoint: sts_endpoint(inputs)?,
            region: inputs.region.to_owned(),
        }));
    }
    let source = match (
        profile.text("source_profile"),
        profile.text("credential_source"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "both source_profile and credential_source are set: keep one".to_owned(),
            ))
        }
        (None, None) => {
            return Err(invalid(
                "role_arn needs source_profile, credential_source or web_identity_token_file"
                    .to_owned(),
            ))
        }
        (Some((name, _)), None) => {
            if name == profile.name {
                // A profile may be its own source: its keys sign the AssumeRole.
                profile_keys(profile)?.ok_or_else(|| {
                    invalid(format!(
                        "source_profile `{name}` is the profile itself, which has no keys"
                    ))
                })?
            } else if visited.iter().any(|seen| seen == name) {
                let mut path = visited.clone();
                path.push(name.to_owned());
                return Err(invalid(format!(
                    "the source_profile chain loops: {}",
                    path.join(" → ")
                )));
            } else {
                let source = inputs.files.profile(name);
                if source.sources.is_empty() {
                    return Err(invalid(format!(
                        "source_profile `{name}` is in none of the profile files"
                    )));
                }
                // As botocore: a source profile's own keys win over its role.
                if let Some(keys) = profile_keys(&source)? {
                    keys
                } else if source.text("role_arn").is_some() {
                    role_plan(inputs, &source, visited)?
                } else if let Some((command, path)) = source.text("credential_process") {
                    CredentialPlan::Process(ProcessPlan {
                        command: command.to_owned(),
                        origin: source.origin(path),
                    })
                } else if let Some(sso) = sso_plan(inputs, &source)? {
                    CredentialPlan::Sso(sso)
                } else {
                    return Err(invalid(format!(
                        "source_profile `{name}` has no keys, role, credential_process or SSO"
                    )));
                }
            }
        }
        (None, Some((kind, _))) => match kind {
            "Environment" => environment_keys(inputs.env)?.ok_or_else(|| {
                invalid(
                    "credential_source Environment, but AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY are not set"
                        .to_owned(),
                )
            })?,
            "Ec2InstanceMetadata" => instance_metadata_plan(inputs.env, profile, false)?
                .map(CredentialPlan::InstanceMetadata)
                .ok_or_else(|| {
                    invalid(
                        "credential_source Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED \
                         is true"
                            .to_owned(),
                    )
                })?,
            "EcsContainer" => container_plan(inputs.env)?
                .map(CredentialPlan::Container)
                .ok_or_else(|| {
                    invalid(
                        "credential_source EcsContainer, but neither \
                         AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor \
                         AWS_CONTAINER_CREDENTIALS_FULL_URI is set"
                            .to_owned(),
                    )
                })?,
            other => {
                return Err(invalid(format!(
                    "credential_source `{other}`: expected Environment, Ec2InstanceMetadata or \
                     EcsContainer"
                )))
            }
        },
    };
    let duration_seconds = match profile.text("duration_seconds") {
        None => None,
        Some((text, _)) => Some(text.parse::<u32>().map_err(|_| {
            invalid(format!(
                "duration_seconds `{text}`: expected a number of seconds"
            ))
        })?),
    };
    Ok(CredentialPlan::AssumeRole(Box::new(AssumeRolePlan {
        role_arn: role_arn.to_owned(),
        session_name,
        external_id: profile.text("external_id").map(|(v, _)| v.to_owned()),
        duration_seconds,
        mfa_serial: profile.text("mfa_serial").map(|(v, _)| v.to_owned()),
        source,
        profile: profile.name.clone(),
        sts_endpoint: sts_endpoint(inputs)?,
        region: inputs.region.to_owned(),
    })))
}

/// SSO for a profile that has `sso_session` (with its `[sso-session NAME]` section) or the legacy
/// `sso_start_url`; `None` when it has neither.
fn sso_plan(inputs: &PlanInputs<'_>, profile: &Profile) -> Result<Option<SsoPlan>, ConfigError> {
    let session = profile.text("sso_session").map(|(v, _)| v.to_owned());
    let legacy_url = profile.text("sso_start_url").map(|(v, _)| v.to_owned());
    if session.is_none() && legacy_url.is_none() {
        return Ok(None);
    }
    let origin = profile
        .text("sso_session")
        .or_else(|| profile.text("sso_start_url"))
        .map_or_else(|| profile.name.clone(), |(_, path)| profile.origin(path));
    let invalid = |message: String| ConfigError::InvalidCredentialSource {
        origin: origin.clone(),
        message,
    };
    let (start_url, sso_region) = match &session {
        Some(name) => {
            let section = inputs.files.sso_session(name).ok_or_else(|| {
                invalid(format!(
                    "sso_session `{name}` has no [sso-session {name}] section"
                ))
            })?;
            let get = |key: &str| {
                section
                    .text(key)
                    .map(|(v, _)| v.to_owned())
                    .ok_or_else(|| invalid(format!("[sso-session {name}] has no {key}")))
            };
            (get("sso_start_url")?, get("sso_region")?)
        }
        None => (
            legacy_url.clone().unwrap_or_default(),
            profile
                .text("sso_region")
                .map(|(v, _)| v.to_owned())
                .ok_or_else(|| invalid("sso_start_url without sso_region".to_owned()))?,
        ),
    };
    let need = |key: &str| {
        profile
            .text(key)
            .map(|(v, _)| v.to_owned())
            .ok_or_else(|| invalid(format!("SSO needs {key} in the profile")))
    };
    let account_id = need("sso_account_id")?;
    let role_name = need("sso_role_name")?;
    let domain = aws_domain(&sso_region);
    let portal_default = format!("https://portal.sso.{sso_region}.{domain}");
    let oidc_default = format!("https://oidc.{sso_region}.{domain}");
    let (env, files) = (inputs.env, inputs.files);
    let cache_dir = inputs
        .env
        .home()
        .map(|home| home.join(".aws").join("sso").join("cache"))
        .ok_or_else(|| invalid("no home directory, so no SSO token cache".to_owned()))?;
    Ok(Some(SsoPlan {
        profile: profile.name.clone(),
        session,
        start_url,
        sso_region,
        account_id,
        role_name,
        portal_endpoint: service_endpoint("SSO", "sso", env, profile, files, &portal_default)?,
        oidc_endpoint: service_endpoint(
            "SSO_OIDC",
            "sso_oidc",
            env,
            profile,
            files,
            &oidc_default,
        )?,
        cache_dir,
    }))
}

/// ECS and EKS Pod Identity: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (under 169.254.170.2) or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with an optional authorization token or token file.
fn container_plan(env: &Environment) -> Result<Option<ContainerPlan>, ConfigError> {
    let url = if let Some(relative) = env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("http://169.254.170.2{relative}")
    } else if let Some(full) = env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        full.to_owned()
    } else {
        return Ok(None);
    };
    Url::parse(&url).map_err(|e| ConfigError::InvalidCredentialSource {
        origin: "AWS_CONTAINER_CREDENTIALS_*_URI".to_owned(),
        message: format!("`{url}` is not a URL: {e}"),
    })?;
    Ok(Some(ContainerPlan {
        url,
        token: env
            .var("AWS_CONTAINER_AUTHORIZATION_TOKEN")
            .map(Secret::new),
        token_file: env
            .var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
            .map(PathBuf::from),
    }))
}

/// EC2 instance metadata at `AWS_EC2_METADATA_SERVICE_ENDPOINT` (default `http://169.254.169.254`);
/// `None` when `AWS_EC2_METADATA_DISABLED` is true.
fn instance_metadata_plan(
    env: &Environment,
    profile: &Profile,
    fallback: bool,
) -> Result<Option<InstanceMetadataPlan>, ConfigError> {
    if env
        .var("AWS_EC2_METADATA_DISABLED")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok(None);
    }
    let setting = |var: &str, key: &str| {
        env.var(var)
            .map(|v| (v.to_owned(), var.to_owned()))
            .or_else(|| {
                profile
                    .text(key)
                    .map(|(v, path)| (v.to_owned(), profile.origin(path)))
            })
    };
    let (text, origin) = setting(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "ec2_metadata_service_endpoint",
    )
    .unwrap_or_else(|| {
        (
            "http://169.254.169.254".to_owned(),
            "the default".to_owned(),
        )
    });
    let text = text.as_str();
    let endpoint = Url::parse(text).map_err(|e| ConfigError::InvalidCredentialSource {
        origin: origin.clone(),
        message: format!("`{text}` is not a URL: {e}"),
    })?;
    let number = |var: &str, key: &str, default: f64| -> Result<f64, ConfigError> {
        match setting(var, key) {
            None => Ok(default),
            Some((text, origin)) => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0 && *n < 3600.0)
                .ok_or_else(|| ConfigError::InvalidCredentialSource {
                    origin,
                    message: format!("{key} `{text}` is not a number of seconds or attempts"),
                }),
        }
    };
    Ok(Some(InstanceMetadataPlan {
        endpoint,
        timeout_seconds: number(
            "AWS_METADATA_SERVICE_TIMEOUT",
            "metadata_service_timeout",
            1.0,
        )?,
        attempts: number(
            "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
            "metadata_service_num_attempts",
            1.0,
        )? as u32,
        fallback,
    }))
}

fn sts_endpoint(inputs: &PlanInputs<'_>) -> Result<Url, ConfigError> {
    let region = inputs.region;
    let default = format!("https://sts.{region}.{}", aws_domain(region));
    service_endpoint(
        "STS",
        "sts",
        inputs.env,
        inputs.profile,
        inputs.files,
        &default,
    )
}

/// `s3op-<unix seconds>`, as botocore names its sessions `botocore-session-<seconds>`.
fn default_session_name() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("s3op-{seconds}")
}
