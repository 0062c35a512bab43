//! S3 endpoint resolution as every AWS SDK does it: from AWS's endpoint rule set
//! (`endpoint-rule-set-1.json`, with `partitions.json`), interpreted at run time. Given the
//! rule set's parameters ([`EndpointParams`]: region, bucket, FIPS, dual-stack, acceleration,
//! a custom endpoint, …) a [`Resolver`] gives the URL to send to, the headers to add and the
//! auth schemes to sign with ([`ResolvedEndpoint`]), or the rule set's own error message
//! ([`EndpointError::Rule`]). It covers virtual-hosted and path style, partitions, FIPS,
//! dual-stack, Transfer Acceleration, access point, Object Lambda and Outposts ARNs, S3 Express
//! directory buckets and Multi-Region Access Points, because the rule set does.
//!
//! This module knows nothing of requests, signing or configuration: it maps parameters to an
//! endpoint. The rule set and partitions are bundled (copied from botocore, Apache-2.0,
//! `LICENSE.txt` beside them; stored minified, with the same content, by
//! `json.dump(d, separators=(",", ":"))`) and parsed once per [`Resolver`], which the caller
//! keeps and clones cheaply; there is no process-wide state.
//!
//! ```
//! use s3op::endpoint::{EndpointParams, Resolver};
//!
//! let resolver = Resolver::new()?;
//! let params = EndpointParams::new().region("eu-west-1").bucket("my-bucket");
//! let endpoint = resolver.resolve(&params)?;
//! assert_eq!(endpoint.url, "https://my-bucket.s3.eu-west-1.amazonaws.com");
//! assert_eq!(endpoint.auth_schemes[0].signing_region.as_deref(), Some("eu-west-1"));
//! # Ok::<(), s3op::endpoint::EndpointError>(())
//! ```

mod functions;
mod partitions;
mod rules;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use partitions::Partitions;
use rules::{RuleSet, Value};

/// AWS's S3 endpoint rule set, as bundled.
pub const RULE_SET_JSON: &str = include_str!("endpoint-rule-set-1.json");
/// AWS's partitions, as bundled.
pub const PARTITIONS_JSON: &str = include_str!("partitions.json");

/// Why an endpoint could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The rule set's own answer for these parameters, word for word (for example
    /// `Invalid region: region was not a valid DNS name.`).
    #[error("{0}")]
    Rule(String),
    /// A parameter the rule set requires has no value and no default.
    #[error("endpoint parameter {name} is required")]
    MissingParameter { name: String },
    /// No rule matched (a rule set is meant never to let this happen).
    #[error("no endpoint rule matched these parameters")]
    NoMatch,
    /// The rule set used a value against its type (a fault in the rule set, not the input).
    #[error("endpoint rule set evaluation failed: {0}")]
    Evaluation(String),
    /// The rule set's JSON is not a rule set this interpreter understands.
    #[error("endpoint rule set is invalid at {path}: {message}")]
    InvalidRuleSet { path: String, message: String },
    /// The partitions JSON is not one this interpreter understands.
    #[error("partitions file is invalid: {0}")]
    InvalidPartitions(String),
}

/// The rule set's parameters. Unset values take the rule set's defaults (`false` for the
/// booleans that have one). Field names follow the rule set's parameter names; deserialising
/// takes those names as written (`{"Region": "us-east-1", "UseFIPS": true}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointParams {
    /// `Bucket`: the bucket of the request; a bucket name or an access point, Object Lambda,
    /// Outposts or Multi-Region Access Point ARN.
    #[serde(rename = "Bucket")]
    pub bucket: Option<String>,
    /// `Region` (built-in `AWS::Region`).
    #[serde(rename = "Region")]
    pub region: Option<String>,
    /// `UseFIPS` (built-in `AWS::UseFIPS`).
    #[serde(rename = "UseFIPS")]
    pub use_fips: Option<bool>,
    /// `UseDualStack` (built-in `AWS::UseDualStack`).
    #[serde(rename = "UseDualStack")]
    pub use_dual_stack: Option<bool>,
    /// `Endpoint`: a custom endpoint URL (built-in `SDK::Endpoint`).
    #[serde(rename = "Endpoint")]
    pub endpoint: Option<String>,
    /// `ForcePathStyle` (built-in `AWS::S3::ForcePathStyle`).
    #[serde(rename = "ForcePathStyle")]
    pub force_path_style: Option<bool>,
    /// `Accelerate`: Transfer Acceleration (built-in `AWS::S3::Accelerate`).
    #[serde(rename = "Accelerate")]
    pub accelerate: Option<bool>,
    /// `UseGlobalEndpoint`: `s3.amazonaws.com` for us-east-1 (built-in `AWS::S3::UseGlobalEndpoint`).
    #[serde(rename = "UseGlobalEndpoint")]
    pub use_global_endpoint: Option<bool>,
    /// `UseObjectLambdaEndpoint`: set for operations served by Object Lambda (WriteGetObjectResponse).
    #[serde(rename = "UseObjectLambdaEndpoint")]
    pub use_object_lambda_endpoint: Option<bool>,
    /// `Key`: the object key of the request.
    #[serde(rename = "Key")]
    pub key: Option<String>,
    /// `Prefix`: the listing prefix of the request.
    #[serde(rename = "Prefix")]
    pub prefix: Option<String>,
    /// `CopySource`: the copy source of CopyObject / UploadPartCopy.
    #[serde(rename = "CopySource")]
    pub copy_source: Option<String>,
    /// `DisableAccessPoints`: set for operations that refuse access points.
    #[serde(rename = "DisableAccessPoints")]
    pub disable_access_points: Option<bool>,
    /// `DisableMultiRegionAccessPoints` (built-in `AWS::S3::DisableMultiRegionAccessPoints`).
    #[serde(rename = "DisableMultiRegionAccessPoints")]
    pub disable_multi_region_access_points: Option<bool>,
    /// `UseArnRegion`: take the region from an ARN bucket (built-in `AWS::S3::UseArnRegion`).
    #[serde(rename = "UseArnRegion")]
    pub use_arn_region: Option<bool>,
    /// `UseS3ExpressControlEndpoint`: set for S3 Express control-plane operations (CreateBucket, …).
    #[serde(rename = "UseS3ExpressControlEndpoint")]
    pub use_s3_express_control_endpoint: Option<bool>,
    /// `DisableS3ExpressSessionAuth`: sign S3 Express requests with SigV4 instead of a session.
    #[serde(rename = "DisableS3ExpressSessionAuth")]
    pub disable_s3_express_session_auth: Option<bool>,
}

macro_rules! params {
    ($( $field:ident : $name:literal : $kind:ident ),* $(,)?) => {
        /// A field of [`EndpointParams`], named by the rule set's parameter name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub(crate) enum ParamField { $( $field ),* }

        impl ParamField {
            pub(crate) fn from_name(name: &str) -> Option<ParamField> {
                match name {
                    $( $name => Some(ParamField::$field), )*
                    _ => None,
                }
            }

            pub(crate) fn is_bool(self) -> bool {
                match self { $( ParamField::$field => params!(@is_bool $kind), )* }
            }
        }

        impl EndpointParams {
            pub(crate) fn value(&self, field: ParamField) -> Option<Value<'_>> {
                match field {
                    $( ParamField::$field => params!(@value self.$field, $kind), )*
                }
            }

            /// Sets the boolean parameter the rule set calls `name` (`UseS3ExpressControlEndpoint`);
            /// `false` when the rule set has no boolean parameter of that name.
            pub fn set_bool(&mut self, name: &str, on: bool) -> bool {
                match name {
                    $( $name => params!(@set_bool self.$field, on, $kind), )*
                    _ => false,
                }
            }

            /// Sets the string parameter the rule set calls `name` (`Bucket`, `Key`); `false` when
            /// the rule set has no string parameter of that name.
            pub fn set_string(&mut self, name: &str, value: impl Into<String>) -> bool {
                match name {
                    $( $name => params!(@set_string self.$field, value, $kind), )*
                    _ => false,
                }
            }
        }
    };
    (@set_bool $f:expr, $v:ident, bool) => {{ $f = Some($v); true }};
    (@set_bool $f:expr, $v:ident, string) => {{ let _ = $v; false }};
    (@set_string $f:expr, $v:ident, string) => {{ $f = Some($v.into()); true }};
    (@set_string $f:expr, $v:ident, bool) => {{ let _ = $v; false }};
    (@is_bool bool) => { true };
    (@is_bool string) => { false };
    (@value $e:expr, bool) => { $e.map(Value::Bool) };
    (@value $e:expr, string) => { $e.as_deref().map(|s| Value::Str(Cow::Borrowed(s))) };
}

params! {
    bucket: "Bucket": string,
    region: "Region": string,
    use_fips: "UseFIPS": bool,
    use_dual_stack: "UseDualStack": bool,
    endpoint: "Endpoint": string,
    force_path_style: "ForcePathStyle": bool,
    accelerate: "Accelerate": bool,
    use_global_endpoint: "UseGlobalEndpoint": bool,
    use_object_lambda_endpoint: "UseObjectLambdaEndpoint": bool,
    key: "Key": string,
    prefix: "Prefix": string,
    copy_source: "CopySource": string,
    disable_access_points: "DisableAccessPoints": bool,
    disable_multi_region_access_points: "DisableMultiRegionAccessPoints": bool,
    use_arn_region: "UseArnRegion": bool,
    use_s3_express_control_endpoint: "UseS3ExpressControlEndpoint": bool,
    disable_s3_express_session_auth: "DisableS3ExpressSessionAuth": bool,
}

impl EndpointParams {
    /// No parameter set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `Region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets `Bucket`.
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// Sets `Endpoint`, a custom endpoint URL.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sets `UseFIPS`.
    pub fn use_fips(mut self, on: bool) -> Self {
        self.use_fips = Some(on);
        self
    }

    /// Sets `UseDualStack`.
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.use_dual_stack = Some(on);
        self
    }

    /// Sets `ForcePathStyle`.
    pub fn force_path_style(mut self, on: bool) -> Self {
        self.force_path_style = Some(on);
        self
    }

    /// Sets `Accelerate`.
    pub fn accelerate(mut self, on: bool) -> Self {
        self.accelerate = Some(on);
        self
    }

    /// Sets `UseArnRegion`.
    pub fn use_arn_region(mut self, on: bool) -> Self {
        self.use_arn_region = Some(on);
        self
    }
}

/// How a request to the endpoint is to be signed (one entry of the `authSchemes` property).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthScheme {
    /// `sigv4`, `sigv4a` (Multi-Region Access Points) or `sigv4-s3express` (directory buckets).
    pub name: String,
    /// The service name to sign for (`s3`, `s3-outposts`, `s3-object-lambda`, `s3express`).
    pub signing_name: Option<String>,
    /// The region to sign for (SigV4).
    pub signing_region: Option<String>,
    /// The regions to sign for (SigV4a; `*` for every region).
    pub signing_region_set: Vec<String>,
    /// Whether the path is encoded once only (always so for S3).
    pub disable_double_encoding: bool,
}

/// Where to send a request and how to sign it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEndpoint {
    /// The URL: scheme, host, and a path prefix (path style puts the bucket here).
    pub url: String,
    /// Headers to add to the request, each with its values.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The auth schemes of the `authSchemes` property, in the rule set's order of preference.
    pub auth_schemes: Vec<AuthScheme>,
    /// Every property, as the rule set gave it (`authSchemes`, `backend`, …).
    pub properties: serde_json::Map<String, serde_json::Value>,
}

impl ResolvedEndpoint {
    pub(crate) fn new(
        url: String,
        headers: BTreeMap<String, Vec<String>>,
        properties: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, EndpointError> {
        let auth_schemes = match properties.get("authSchemes") {
            None => Vec::new(),
            Some(serde_json::Value::Array(list)) => {
                list.iter().map(auth_scheme).collect::<Result<_, _>>()?
            }
            Some(_) => return Err(bad_scheme("`authSchemes` is not an array")),
        };
        Ok(ResolvedEndpoint {
            url,
            headers,
            auth_schemes,
            properties,
        })
    }

    /// The `backend` property (`S3Express` for directory buckets), if any.
    pub fn backend(&self) -> Option<&str> {
        self.properties.get("backend").and_then(|v| v.as_str())
    }
}

fn bad_scheme(message: &str) -> EndpointError {
    EndpointError::Evaluation(format!("authSchemes: {message}"))
}

fn auth_scheme(value: &serde_json::Value) -> Result<AuthScheme, EndpointError> {
    let string = |key: &str| -> Result<Option<String>, EndpointError> {
        match value.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad_scheme(&format!("`{key}` is not a string"))),
        }
    };
    let name = string("name")?.ok_or_else(|| bad_scheme("a scheme without a `name`"))?;
    let signing_region_set = match value.get("signingRegionSet") {
        None => Vec::new(),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_scheme("`signingRegionSet` holds a non-string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad_scheme("`signingRegionSet` is not an array")),
    };
    let disable_double_encoding = match value.get("disableDoubleEncoding") {
        None => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err(bad_scheme("`disableDoubleEncoding` is not a boolean")),
    };
    Ok(AuthScheme {
        name,
        signing_name: string("signingName")?,
        signing_region: string("signingRegion")?,
        signing_region_set,
        disable_double_encoding,
    })
}

struct Inner {
    rules: RuleSet,
    partitions: Partitions,
}

/// A parsed rule set and partitions, ready to resolve endpoints. Parse once and keep it (in a
/// client, say); clones share the parsed rules.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("rules", &self.inner.rules.rule_count())
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver for the bundled S3 rule set and partitions.
    pub fn new() -> Result<Self, EndpointError> {
        Self::from_json(RULE_SET_JSON, PARTITIONS_JSON)
    }

    /// A resolver for a rule set and partitions given as JSON text (a newer copy, say).
    pub fn from_json(rule_set: &str, partitions: &str) -> Result<Self, EndpointError> {
        Ok(Resolver {
            inner: Arc::new(Inner {
                rules: RuleSet::parse(rule_set)?,
                partitions: Partitions::parse(partitions)?,
            }),
        })
    }

    /// Resolves the endpoint for `params`.
    pub fn resolve(&self, params: &EndpointParams) -> Result<ResolvedEndpoint, EndpointError> {
        self.inner.rules.evaluate(params, &self.inner.partitions)
    }
}
