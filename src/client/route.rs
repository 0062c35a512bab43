//! Where a prepared request goes and how it is signed. A [`Route`] holds the endpoint rule set's
//! parameters for one request (the client's endpoint settings, the members the spec marks as
//! context parameters — bucket, key, prefix, copy source — and the operation's fixed parameters)
//! with the rest of the URL (the operation's path after the bucket, the query, a host prefix).
//! [`Route::resolve`] asks the client's [`Resolver`] for a region and joins the answer into the
//! URL to send to, the headers the endpoint asks for and the scheme to sign with. The route stays
//! with the request, so a bucket found in another region is resolved again, by the same rules,
//! for that region.

use url::Url;

use crate::config::ResolvedConfig;
use crate::endpoint::{EndpointParams, ResolvedEndpoint, Resolver};
use crate::error::Error;

/// How a request is signed, as its endpoint asks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// SigV4 for one region.
    #[default]
    V4,
    /// SigV4a for a set of regions (`*`): Multi-Region Access Points.
    V4a { region_set: String },
    /// SigV4 with the bucket's S3 Express session keys (`CreateSession`), the token sent as
    /// `x-amz-s3session-token`: directory buckets.
    S3Express,
}

/// The endpoint rule set's parameters for one request, and the URL's parts after the endpoint.
#[derive(Debug, Clone)]
pub struct Route {
    /// Every parameter but `Region`, which [`Route::resolve`] is given.
    params: EndpointParams,
    /// The operation's path without its leading `/{Bucket}`, percent-encoded (`/photos/cat.jpg`,
    /// `/` or empty).
    path: String,
    /// The query string, encoded, without `?`.
    query: String,
    /// Put in front of the endpoint's host (`{RequestRoute}.` filled in), for the operation that
    /// has one.
    host_prefix: Option<String>,
    /// The service name to sign for when the configuration names one (basic data `Service`).
    service: Option<String>,
}

/// What a route resolves to for one region.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub url: Url,
    /// Headers the endpoint asks for (lower-case names).
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    /// The region (SigV4) to sign for.
    pub signing_region: String,
    /// The service name to sign for (`s3`, `s3express`, `s3-outposts`, `s3-object-lambda`).
    pub signing_name: String,
}

impl Route {
    /// A route with the client's settings from `config`; the request's own parameters are added
    /// with [`Route::set_string`] and [`Route::set_bool`].
    pub fn new(
        config: &ResolvedConfig,
        path: String,
        query: String,
        host_prefix: Option<String>,
    ) -> Route {
        let settings = &config.endpoint_settings;
        let mut params = EndpointParams::new()
            .use_fips(settings.use_fips)
            .use_dual_stack(settings.use_dual_stack)
            .accelerate(settings.accelerate)
            .use_arn_region(settings.use_arn_region)
            .force_path_style(config.addressing == crate::config::Addressing::Path);
        params.use_global_endpoint = Some(settings.use_global_endpoint);
        params.disable_multi_region_access_points =
            Some(settings.disable_multi_region_access_points);
        params.disable_s3_express_session_auth = Some(settings.disable_s3_express_session_auth);
        if settings.custom_endpoint {
            params.endpoint = Some(endpoint_text(&config.endpoint));
        }
        let service = (config.service != "s3").then(|| config.service.clone());
        Route {
            params,
            path,
            query,
            host_prefix,
            service,
        }
    }

    /// Sets a string parameter by the rule set's name; `false` when there is none of that name.
    pub fn set_string(&mut self, name: &str, value: &str) -> bool {
        self.params.set_string(name, value)
    }

    /// Sets a boolean parameter by the rule set's name; `false` when there is none of that name.
    pub fn set_bool(&mut self, name: &str, on: bool) -> bool {
        self.params.set_bool(name, on)
    }

    /// The bucket (a name or an ARN) the request addresses.
    pub fn bucket(&self) -> Option<&str> {
        self.params.bucket.as_deref()
    }

    /// The URL, headers and signing for `region`, or the rule set's refusal.
    pub fn resolve(&self, region: &str, resolver: &Resolver) -> Result<Resolved, Error> {
        let mut params = self.params.clone();
        params.region = Some(region.to_string());
        let endpoint = resolver
            .resolve(&params)
            .map_err(|source| Error::Endpoint {
                bucket: self.params.bucket.clone(),
                source,
            })?;
        let (auth, signing_region, signing_name) = signing(&endpoint, region)?;
        let url = self.join(&endpoint.url)?;
        let headers = endpoint
            .headers
            .iter()
            .flat_map(|(name, values)| {
                values
                    .iter()
                    .map(move |v| (name.to_ascii_lowercase(), v.clone()))
            })
            .collect();
        Ok(Resolved {
            url,
            headers,
            auth,
            signing_region,
            signing_name: self.service.clone().unwrap_or(signing_name),
        })
    }

    /// The endpoint's URL with the operation's path and query after it and the host prefix in
    /// front of its host, joined as botocore joins them (a path of `/` or nothing keeps the
    /// endpoint's own path, or `/` when it has none).
    fn join(&self, endpoint: &str) -> Result<Url, Error> {
        let base = Url::parse(endpoint).map_err(|e| {
            Error::InvalidInput(format!("the endpoint rule set gave {endpoint:?}: {e}"))
        })?;
        let mut host = base.host_str().unwrap_or_default().to_string();
        if let Some(prefix) = &self.host_prefix {
            if matches!(base.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
                return Err(Error::InvalidInput(format!(
                    "this operation goes to the host `{prefix}` + the endpoint's host name, and \
                     the endpoint {base} is an IP address: give an endpoint with a host name"
                )));
            }
            host = format!("{prefix}{host}");
        }
        let base_path = base.path();
        let path = if self.path.is_empty() || self.path == "/" {
            if base_path.is_empty() {
                "/".to_string()
            } else {
                base_path.to_string()
            }
        } else if let Some(trimmed) = base_path.strip_suffix('/') {
            format!("{trimmed}{}", self.path)
        } else {
            format!("{base_path}{}", self.path)
        };
        let mut text = format!("{}://{host}", base.scheme());
        if let Some(port) = base.port() {
            text.push_str(&format!(":{port}"));
        }
        text.push_str(&path);
        if !self.query.is_empty() {
            text.push('?');
            text.push_str(&self.query);
        }
        Url::parse(&text)
            .map_err(|e| Error::InvalidInput(format!("cannot build a URL from {text:?}: {e}")))
    }
}

/// The configured endpoint as the rule set's `Endpoint`: without the trailing `/` a URL with no
/// path prints (the rule set adds its own separators).
fn endpoint_text(endpoint: &Url) -> String {
    let text = endpoint.as_str();
    if endpoint.path() == "/" {
        text.trim_end_matches('/').to_string()
    } else {
        text.to_string()
    }
}

/// The first auth scheme of the endpoint that s3op signs with, as (auth, signing region, signing
/// name). An endpoint without schemes is signed with SigV4 for `region` and `s3`.
fn signing(endpoint: &ResolvedEndpoint, region: &str) -> Result<(Auth, String, String), Error> {
    if endpoint.auth_schemes.is_empty() {
        return Ok((Auth::V4, region.to_string(), "s3".to_string()));
    }
    for scheme in &endpoint.auth_schemes {
        let name = scheme.signing_name.clone().unwrap_or_else(|| "s3".into());
        let signing_region = scheme
            .signing_region
            .clone()
            .unwrap_or_else(|| region.to_string());
        match scheme.name.as_str() {
            "sigv4" => return Ok((Auth::V4, signing_region, name)),
            "sigv4-s3express" => return Ok((Auth::S3Express, signing_region, name)),
            "sigv4a" => {
                let region_set = if scheme.signing_region_set.is_empty() {
                    "*".to_string()
                } else {
                    scheme.signing_region_set.join(",")
                };
                return Ok((Auth::V4a { region_set }, signing_region, name));
            }
            _ => continue,
        }
    }
    let names: Vec<&str> = endpoint
        .auth_schemes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    Err(Error::InvalidInput(format!(
        "the endpoint {} asks for signing by {}, which s3op does not do",
        endpoint.url,
        names.join(" or ")
    )))
}
