//! IAM Identity Center (SSO): the token `aws sso login` leaves in `~/.aws/sso/cache/<sha1>.json`
//! (named by the `sso_session`'s name, or by the start URL in the legacy form), then the role's keys
//! from the portal's `GetRoleCredentials`. With an `sso_session`, a token within 15 minutes of its
//! end is refreshed through SSO OIDC `CreateToken` when the cache holds a refresh token and a live
//! client registration, and written back (owner-only, as the AWS CLI does); the legacy form is
//! never refreshed. Without a usable token the error is the `aws sso login` command to run.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sha1::{Digest as _, Sha1};

use super::service::{
    expiry_from_millis, invalid, parse_expiry, service_client, unavailable, ServiceSettings,
};
use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture, Provided, Source};
use crate::config::SsoPlan;
use crate::secret::Secret;

/// How long before its end a refreshable token is refreshed (botocore's SSOTokenProvider).
const TOKEN_REFRESH_AHEAD: Duration = Duration::from_secs(15 * 60);
/// The longest token lifetime believed from CreateToken (a bigger `expiresIn` is taken as this).
const MAX_TOKEN_LIFETIME: u64 = 7 * 24 * 3600;

#[derive(Debug)]
pub struct Sso {
    plan: SsoPlan,
    settings: ServiceSettings,
}

impl Sso {
    pub fn new(plan: SsoPlan, settings: ServiceSettings) -> Self {
        Sso { plan, settings }
    }

    fn name(&self) -> String {
        format!("SSO (profile `{}`)", self.plan.profile)
    }

    /// The one-line error that says how to log in again.
    fn login_needed(&self, why: &str) -> CredentialsError {
        CredentialsError::Invalid {
            source_name: self.name(),
            message: format!("{why}: run `aws sso login --profile {}`", self.plan.profile),
        }
    }

    fn cache_file(&self) -> PathBuf {
        let key = self.plan.session.as_deref().unwrap_or(&self.plan.start_url);
        let digest = Sha1::digest(key.as_bytes());
        self.plan
            .cache_dir
            .join(format!("{}.json", hex::encode(digest)))
    }

    /// A usable access token: the cached one, refreshed first when it is near its end.
    async fn access_token(&self) -> Result<Secret, CredentialsError> {
        let path = self.cache_file();
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(self.login_needed("there is no SSO login"))
            }
            Err(e) => {
                return Err(invalid(
                    &self.name(),
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        let mut cached: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(&self.name(), format!("{} is not JSON: {e}", path.display())))?;
        let token = cached["accessToken"].as_str().unwrap_or("").to_owned();
        // Older AWS CLIs wrote `2019-11-14T04:05:45UTC`.
        let expires = cached["expiresAt"]
            .as_str()
            .map(|t| parse_expiry(&self.name(), &t.replace("UTC", "Z")))
            .transpose()?;
        let now = SystemTime::now();
        let still_valid = expires.is_some_and(|at| at > now) && !token.is_empty();
        let fresh = expires.is_some_and(|at| at > now + TOKEN_REFRESH_AHEAD) && !token.is_empty();
        if fresh {
            return Ok(Secret::new(token));
        }
        let registration_live = match cached["registrationExpiresAt"].as_str() {
            Some(text) => parse_expiry(&self.name(), text)? > now,
            None => true,
        };
        let refreshable = self.plan.session.is_some()
            && registration_live
            && ["refreshToken", "clientId", "clientSecret"]
                .iter()
                .all(|k| cached[*k].as_str().is_some_and(|v| !v.is_empty()));
        let keep_or_login = |why: &str| {
            if still_valid {
                Ok(Secret::new(token.clone()))
            } else {
                Err(self.login_needed(why))
            }
        };
        if !refreshable {
            return keep_or_login("the SSO login has expired");
        }
        let body = serde_json::json!({
            "clientId": cached["clientId"],
            "clientSecret": cached["clientSecret"],
            "grantType": "refresh_token",
            "refreshToken": cached["refreshToken"],
        });
        let client = service_client(
            &self.plan.oidc_endpoint,
            &self.plan.sso_region,
            &self.settings,
            None,
        )
        .map_err(|e| unavailable(&self.name(), &e))?;
        let answer = client
            .request("POST", "/token")
            .anonymous()
            .header("content-type", "application/json")
            .body_bytes(body.to_string().into_bytes())
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer.response,
            // A refresh token that is no longer accepted: the token while it lasts, then log in.
            Err(e) if e.envelope().is_some_and(|a| (400..500).contains(&a.status)) => {
                return keep_or_login("the SSO session could not be refreshed")
            }
            Err(_) if still_valid => return Ok(Secret::new(token.clone())),
            Err(e) => return Err(unavailable(&self.name(), &e)),
        };
        let new_token = answer["accessToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid(&self.name(), "CreateToken answered without accessToken"))?
            .to_owned();
        let seconds = answer["expiresIn"]
            .as_u64()
            .unwrap_or(3600)
            .min(MAX_TOKEN_LIFETIME);
        let expires_at = time::OffsetDateTime::from(now + Duration::from_secs(seconds));
        cached["accessToken"] = new_token.clone().into();
        cached["expiresAt"] =
            crate::timestamp::format_timestamp(expires_at, crate::shape::TimestampFormat::Iso8601)
                .into();
        if let Some(refresh) = answer["refreshToken"].as_str() {
            cached["refreshToken"] = refresh.into();
        }
        write_cache(&path, &cached).await;
        Ok(Secret::new(new_token))
    }

    async fn fetch(&self) -> Result<Provided, CredentialsError> {
        let token = self.access_token().await?;
        let client = service_client(
            &self.plan.portal_endpoint,
            &self.plan.sso_region,
            &self.settings,
            None,
        )
        .map_err(|e| unavailable(&self.name(), &e))?;
        let target = format!(
            "/federation/credentials?account_id={}&role_name={}",
            crate::signer::uri_encode(&self.plan.account_id, true),
            crate::signer::uri_encode(&self.plan.role_name, true),
        );
        let answer = client
            .request("GET", &target)
            .anonymous()
            .header("x-amz-sso_bearer_token", token.expose())
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer.response,
            Err(e) if e.envelope().is_some_and(|a| a.status == 401) => {
                return Err(self.login_needed("the SSO portal refused the login"))
            }
            Err(e) => return Err(unavailable(&self.name(), &e)),
        };
        let role = &answer["roleCredentials"];
        let field = |key: &str| {
            role[key].as_str().filter(|v| !v.is_empty()).ok_or_else(|| {
                invalid(
                    &self.name(),
                    format!("GetRoleCredentials answered without {key}"),
                )
            })
        };
        Ok(Provided {
            credentials: Credentials {
                access_key_id: field("accessKeyId")?.to_owned(),
                secret_access_key: Secret::new(field("secretAccessKey")?),
                session_token: Some(Secret::new(field("sessionToken")?)),
            },
            expires_at: role["expiration"].as_u64().map(expiry_from_millis),
            source: Source::Sso {
                account_id: self.plan.account_id.clone(),
                role_name: self.plan.role_name.clone(),
            },
        })
    }
}

impl ProvideCredentials for Sso {
    fn provide(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

/// Write the refreshed token back: to a file of its own beside the cache file, readable by its
/// owner only (it holds the refresh token and client secret), then renamed over it. A failure only
/// means the next run refreshes again.
async fn write_cache(path: &std::path::Path, cached: &serde_json::Value) {
    let temporary = path.with_extension(format!(
        "json.s3op-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    let text = cached.to_string();
    let written = tokio::task::spawn_blocking({
        let temporary = temporary.clone();
        move || write_private(&temporary, text.as_bytes())
    })
    .await
    .is_ok_and(|r| r.is_ok());
    if !written || tokio::fs::rename(&temporary, path).await.is_err() {
        let _ = tokio::fs::remove_file(&temporary).await;
    }
}

/// Create `path` (it must not exist) with mode 0600 where there are modes, and write `bytes`.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
