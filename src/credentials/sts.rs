//! STS: `AssumeRole` signed with the keys of another source (a profile's `role_arn`), and
//! `AssumeRoleWithWebIdentity` with a token read from a file at each fetch (EKS IRSA, CI OIDC),
//! sent unsigned. Both are form POSTs to the STS endpoint through the pipeline, so they retry and
//! time out like S3 requests; their answers' `Credentials` become [`Provided`] keys.

use std::sync::Arc;

use super::service::{invalid, parse_expiry, service_client, unavailable, ServiceSettings};
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source};
use crate::config::{AssumeRolePlan, WebIdentityPlan};
use crate::secret::Secret;

/// STS AssumeRole for a profile's `role_arn`.
#[derive(Debug)]
pub struct AssumeRole {
    plan: AssumeRolePlan,
    source: Arc<dyn ProvideCredentials>,
    settings: ServiceSettings,
}

impl AssumeRole {
    pub fn new(
        plan: AssumeRolePlan,
        source: Arc<dyn ProvideCredentials>,
        settings: ServiceSettings,
    ) -> Self {
        AssumeRole {
            plan,
            source,
            settings,
        }
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let plan = &self.plan;
        let name = format!("role {} (profile `{}`)", plan.role_arn, plan.profile);
        let mut form = vec![
            ("Action", "AssumeRole".to_owned()),
            ("Version", "2011-06-15".to_owned()),
            ("RoleArn", plan.role_arn.clone()),
            ("RoleSessionName", plan.session_name.clone()),
        ];
        if let Some(id) = &plan.external_id {
            form.push(("ExternalId", id.clone()));
        }
        if let Some(seconds) = plan.duration_seconds {
            form.push(("DurationSeconds", seconds.to_string()));
        }
        if let Some(serial) = &plan.mfa_serial {
            let code = self
                .settings
                .mfa_code
                .as_ref()
                .and_then(|ask| ask.code(serial))
                .filter(|code| !code.trim().is_empty())
                .ok_or_else(|| {
                    invalid(
                        &name,
                        format!(
                            "the role needs a code from the MFA device {serial}: pass --mfa-code"
                        ),
                    )
                })?;
            form.push(("SerialNumber", serial.clone()));
            form.push(("TokenCode", code.trim().to_owned()));
        }
        let client = service_client(
            &plan.sts_endpoint,
            &plan.region,
            &self.settings,
            Some(self.source.clone()),
        )
        .map_err(|e| unavailable(&name, &e))?;
        let answer = client
            .request("POST", "/")
            .service("sts")
            .header("content-type", "application/x-www-form-urlencoded")
            .body_bytes(encode_form(&form))
            .send()
            .await
            .map_err(|e| match e {
                crate::Error::Credentials(inner) => inner,
                other => unavailable(&name, &other),
            })?;
        read_credentials(
            &name,
            &answer.response["AssumeRoleResult"],
            Source::AssumedRole(plan.role_arn.clone()),
        )
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// STS AssumeRoleWithWebIdentity with the token in a file.
#[derive(Debug)]
pub struct WebIdentity {
    plan: WebIdentityPlan,
    settings: ServiceSettings,
}

impl WebIdentity {
    pub fn new(plan: WebIdentityPlan, settings: ServiceSettings) -> Self {
        WebIdentity { plan, settings }
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let plan = &self.plan;
        let name = format!("web identity ({})", plan.origin);
        let token = tokio::fs::read_to_string(&plan.token_file)
            .await
            .map_err(|e| {
                invalid(
                    &name,
                    format!(
                        "cannot read the token file {}: {e}",
                        plan.token_file.display()
                    ),
                )
            })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(invalid(
                &name,
                format!("the token file {} is empty", plan.token_file.display()),
            ));
        }
        let form = [
            ("Action", "AssumeRoleWithWebIdentity".to_owned()),
            ("Version", "2011-06-15".to_owned()),
            ("RoleArn", plan.role_arn.clone()),
            ("RoleSessionName", plan.session_name.clone()),
            ("WebIdentityToken", token.to_owned()),
        ];
        let client = service_client(&plan.sts_endpoint, &plan.region, &self.settings, None)
            .map_err(|e| unavailable(&name, &e))?;
        let answer = client
            .request("POST", "/")
            .anonymous()
            .header("content-type", "application/x-www-form-urlencoded")
            .body_bytes(encode_form(&form))
            .send()
            .await
            .map_err(|e| unavailable(&name, &e))?;
        read_credentials(
            &name,
            &answer.response["AssumeRoleWithWebIdentityResult"],
            Source::WebIdentity(plan.role_arn.clone()),
        )
    }
}

impl ProvideCredentials for WebIdentity {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

fn encode_form(pairs: &[(&str, String)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::signer::uri_encode(v, true)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// `<Credentials>` of an STS result, converted to JSON by the plain rules.
fn read_credentials(
    name: &str,
    result: &serde_json::Value,
    source: Source,
) -> Result<Provided, CredentialsError> {
    let credentials = &result["Credentials"];
    let field = |key: &str| {
        credentials[key]
            .as_str()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(name, format!("STS answered without Credentials.{key}")))
    };
    let expires_at = parse_expiry(name, field("Expiration")?)?;
    Ok(Provided {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?.to_owned(),
            secret_access_key: Secret::new(field("SecretAccessKey")?),
            session_token: Some(Secret::new(field("SessionToken")?)),
        },
        expires_at: Some(expires_at),
        source,
    })
}
