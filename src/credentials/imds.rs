//! EC2 instance metadata, IMDSv2 only: a `PUT /latest/api/token` for a session token, then the
//! role's name from `/latest/meta-data/iam/security-credentials/` and its keys from that path plus
//! the name. Each call waits 1 s and is made once (`AWS_METADATA_SERVICE_TIMEOUT`,
//! `AWS_METADATA_SERVICE_NUM_ATTEMPTS` change that), so a machine that is not on EC2 learns so at
//! once.

use std::time::Duration;

use super::container::read_json_credentials;
use super::service::{local_client, unavailable, ServiceSettings};
use super::{CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source};
use crate::client::Timeouts;
use crate::config::InstanceMetadataPlan;

const TOKEN_TTL_SECONDS: &str = "21600";

#[derive(Debug)]
pub struct InstanceMetadata {
    plan: InstanceMetadataPlan,
    settings: ServiceSettings,
}

impl InstanceMetadata {
    /// `timeout` and `attempts` for each call (1 s and 1 unless the environment says otherwise).
    pub fn new(plan: InstanceMetadataPlan, timeout: Duration, attempts: u32) -> Self {
        let mut settings = ServiceSettings {
            timeouts: Timeouts {
                connect: timeout,
                read: timeout,
            },
            ..ServiceSettings::default()
        };
        settings.retry.max_attempts = attempts.max(1);
        InstanceMetadata { plan, settings }
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let name = format!("EC2 instance metadata at {}", self.plan.endpoint);
        let fail = |e: &crate::Error| {
            let err = unavailable(&name, e);
            if self.plan.fallback {
                // Reached only because nothing else had keys: say what else could have.
                CredentialsError::NotFound {
                    message: format!("{err}"),
                }
            } else {
                err
            }
        };
        let client = local_client(&self.plan.endpoint, &self.settings).map_err(|e| fail(&e))?;
        let token = client
            .request("PUT", "/latest/api/token")
            .anonymous()
            .header("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let token = text_of(&token.response);
        let roles = client
            .request("GET", "/latest/meta-data/iam/security-credentials/")
            .anonymous()
            .header("x-aws-ec2-metadata-token", token.clone())
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let roles = text_of(&roles.response);
        let Some(role) = roles.lines().map(str::trim).find(|l| !l.is_empty()) else {
            return Err(CredentialsError::Unavailable {
                source_name: name,
                message: "the instance has no IAM role".to_owned(),
            });
        };
        let keys = client
            .request(
                "GET",
                &format!("/latest/meta-data/iam/security-credentials/{role}"),
            )
            .anonymous()
            .header("x-aws-ec2-metadata-token", token)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        read_json_credentials(&name, &keys.response, Source::InstanceMetadata)
    }
}

impl ProvideCredentials for InstanceMetadata {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// A text answer (the plain rules keep non-JSON, non-XML text as a string).
fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}
