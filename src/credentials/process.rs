//! `credential_process`: a program the profile names, run by the shell, that prints its keys as
//! JSON (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and `Expiration`).
//! Keys without `Expiration` are kept for the client's life; with one, the program is run again five
//! minutes before it. It shares the terminal (a helper may ask for a password); a failing
//! program's exit status and the last line of its stderr make the error, and neither its command
//! line nor its stdout is ever repeated (either may hold a secret).

use std::process::Stdio;

use serde::Deserialize;

use super::service::{invalid, parse_expiry};
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source};
use crate::config::ProcessPlan;
use crate::secret::Secret;

/// Runs a profile's `credential_process`.
#[derive(Debug)]
pub struct Process {
    plan: ProcessPlan,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    version: Option<serde_json::Value>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    expiration: Option<String>,
}

impl Process {
    pub fn new(plan: ProcessPlan) -> Self {
        Process { plan }
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let name = format!("credential_process ({})", self.plan.origin);
        let mut command = shell(&self.plan.command);
        let output = command
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .await
            .map_err(|e| invalid(&name, format!("cannot run it: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(CredentialsError::Unavailable {
                source_name: name,
                message: format!(
                    "`{}` failed ({}): {}",
                    self.plan.command,
                    output.status,
                    last.trim()
                ),
            });
        }
        let answer: Answer = serde_json::from_slice(&output.stdout).map_err(|e| {
            invalid(
                &name,
                format!("its output is not the expected JSON object ({e})"),
            )
        })?;
        match &answer.version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => {}
            Some(other) => {
                return Err(invalid(
                    &name,
                    format!("Version {other} is not supported (only 1)"),
                ))
            }
            None => return Err(invalid(&name, "its output has no Version (expected 1)")),
        }
        let need = |value: Option<String>, key: &str| {
            value
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(&name, format!("its output has no {key}")))
        };
        let expires_at = answer
            .expiration
            .as_deref()
            .map(|text| parse_expiry(&name, text))
            .transpose()?;
        Ok(Provided {
            credentials: Credentials {
                access_key_id: need(answer.access_key_id, "AccessKeyId")?,
                secret_access_key: Secret::new(need(answer.secret_access_key, "SecretAccessKey")?),
                session_token: answer
                    .session_token
                    .filter(|t| !t.is_empty())
                    .map(Secret::new),
            },
            expires_at,
            source: Source::Process(self.plan.origin.clone()),
        })
    }
}

impl ProvideCredentials for Process {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(unix)]
fn shell(command: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("sh");
    c.arg("-c").arg(command);
    c
}

#[cfg(not(unix))]
fn shell(command: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("cmd");
    c.arg("/C").arg(command);
    c
}
