//! A bucket's own region, learnt from S3's answers. A request signed for the wrong region is
//! answered 301 (PermanentRedirect), 307 or 400 (AuthorizationHeaderMalformed) with the bucket's
//! region in `x-amz-bucket-region`; the pipeline then sends it once more, signed for that region
//! (and, on AWS's own endpoints, to that region's host), and the client remembers the region for
//! the bucket, so the next request goes there directly: a `cp` of 1,000 files pays the redirect
//! once. The memory belongs to one client and its clones.

use std::collections::HashMap;
use std::sync::Mutex;

use url::Url;

use super::prepare::Prepared;
use crate::config::is_aws_endpoint;
use crate::endpoint::Resolver;
use crate::error::Error;

/// Bucket name → region, as learnt by one client.
#[derive(Debug, Default)]
pub(crate) struct BucketRegions(Mutex<HashMap<String, String>>);

impl BucketRegions {
    pub(crate) fn get(&self, bucket: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(bucket)
            .cloned()
    }

    pub(crate) fn remember(&self, bucket: &str, region: &str) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(bucket.to_string(), region.to_string());
    }
}

/// The region S3 says the bucket is in, when `error` is its answer to a request signed for
/// `signed_for` in another region.
pub(crate) fn redirected_region(error: &Error, signed_for: &str) -> Option<String> {
    let envelope = error.envelope()?;
    if !matches!(envelope.status, 301 | 307 | 400) {
        return None;
    }
    let region = envelope.headers.get("x-amz-bucket-region")?.trim();
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (valid && region != signed_for).then(|| region.to_string())
}

/// `prepared` for the region `to` instead of `from`: an operation's route resolved again by the
/// endpoint rules for `to` (URL, signing region and scheme); a request to a URL given whole signed
/// for `to`, and sent to `to`'s host when it goes to one of AWS's regional S3 hosts
/// (`…s3.<from>.amazonaws.com`, or the global `s3.amazonaws.com`).
pub(crate) fn retarget(
    prepared: &Prepared,
    from: &str,
    to: &str,
    resolver: &Resolver,
) -> Result<Prepared, Error> {
    let mut moved = prepared.clone();
    if let Some(route) = &prepared.route {
        let resolved = route.resolve(to, resolver)?;
        moved.url = resolved.url;
        moved.region = Some(resolved.signing_region);
        moved.service = Some(resolved.signing_name);
        moved.auth = resolved.auth;
        return Ok(moved);
    }
    moved.region = Some(to.to_string());
    if is_aws_endpoint(&prepared.url) {
        if let Some(url) = regional_url(&prepared.url, from, to) {
            moved.url = url;
        }
    }
    Ok(moved)
}

fn regional_url(url: &Url, from: &str, to: &str) -> Option<Url> {
    let host = url.host_str()?.to_ascii_lowercase();
    let new_host = if let Some(prefix) = host.strip_suffix(&format!(".{from}.amazonaws.com")) {
        format!("{prefix}.{to}.amazonaws.com")
    } else if let Some(prefix) = host.strip_suffix(&format!(".{from}.amazonaws.com.cn")) {
        format!("{prefix}.{to}.amazonaws.com.cn")
    } else if let Some(prefix) = host.strip_suffix("s3.amazonaws.com") {
        format!("{prefix}s3.{to}.amazonaws.com")
    } else {
        return None;
    };
    let mut url = url.clone();
    url.set_host(Some(&new_host)).ok()?;
    Some(url)
}
