//! Container credentials (ECS task roles, EKS Pod Identity): a GET to the endpoint the environment
//! names, with the authorization token from `AWS_CONTAINER_AUTHORIZATION_TOKEN` or read afresh from
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (it is rotated). A full URI over plain http must point
//! at loopback or at the ECS and EKS agents' link-local addresses, as the SDKs require.

use url::{Host, Url};

use super::service::{invalid, local_client, parse_expiry, unavailable, ServiceSettings};
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source};
use crate::config::ContainerPlan;
use crate::secret::Secret;

#[derive(Debug)]
pub struct Container {
    plan: ContainerPlan,
    settings: ServiceSettings,
}

impl Container {
    pub fn new(plan: ContainerPlan, settings: ServiceSettings) -> Self {
        Container { plan, settings }
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let name = format!("the container endpoint {}", self.plan.url);
        let url = Url::parse(&self.plan.url).map_err(|e| invalid(&name, e.to_string()))?;
        if url.scheme() == "http" && !allowed_http_host(&url) {
            return Err(invalid(
                &name,
                "over plain http only loopback, 169.254.170.2 and 169.254.170.23 are allowed",
            ));
        }
        let token = match (&self.plan.token_file, &self.plan.token) {
            (Some(path), _) => Some(
                tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| {
                        invalid(
                            &name,
                            format!(
                                "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {e}",
                                path.display()
                            ),
                        )
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, token) => token.as_ref().map(|t| t.expose().to_owned()),
        };
        if token.as_deref().is_some_and(|t| t.contains(['\r', '\n'])) {
            return Err(invalid(&name, "the authorization token holds a line break"));
        }
        let mut base = url.clone();
        base.set_path("");
        base.set_query(None);
        let client = local_client(&base, &self.settings).map_err(|e| unavailable(&name, &e))?;
        let mut request = client.request("GET", url.as_str()).anonymous();
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            request = request.header("authorization", token);
        }
        let answer = request.send().await.map_err(|e| unavailable(&name, &e))?;
        read_json_credentials(&name, &answer.response, Source::Container)
    }
}

impl ProvideCredentials for Container {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

fn allowed_http_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => {
            ip.is_loopback()
                || ip.octets() == [169, 254, 170, 2]
                || ip.octets() == [169, 254, 170, 23]
        }
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23]
        }
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The JSON the container and instance-metadata endpoints answer: `AccessKeyId`,
/// `SecretAccessKey`, `Token`, `Expiration` (and, from metadata, `Code`: `Success`).
pub(super) fn read_json_credentials(
    name: &str,
    answer: &serde_json::Value,
    source: Source,
) -> Result<Provided, CredentialsError> {
    if let Some(code) = answer["Code"].as_str().filter(|c| *c != "Success") {
        return Err(CredentialsError::Unavailable {
            source_name: name.to_owned(),
            message: format!("it answered Code {code}"),
        });
    }
    let field = |key: &str| {
        answer[key]
            .as_str()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(name, format!("its answer has no {key}")))
    };
    let expires_at = match answer["Expiration"].as_str() {
        Some(text) => Some(parse_expiry(name, text)?),
        None => None,
    };
    Ok(Provided {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?.to_owned(),
            secret_access_key: Secret::new(field("SecretAccessKey")?),
            session_token: answer["Token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(Secret::new),
        },
        expires_at,
        source,
    })
}
