//! `s3op mb s3://bucket` and `s3op rb s3://bucket [--force]`: make a bucket (in the client's region:
//! a LocationConstraint is sent for any region but us-east-1) and remove one, `--force` first
//! deleting every object in it as `rm --recursive` does — in a bucket that is or was versioned
//! (GetBucketVersioning says Enabled or Suspended) every version and delete marker, as
//! `rm --recursive --all-versions` does — and aborting its unfinished multipart uploads.

use clap::ArgMatches;
use serde_json::json;

use super::paths::{self, S3Url};
use super::progress::{Problem, Reporter};
use super::rm;
use super::usage;
use crate::cli::Failure;

fn bucket_arg(sub: &ArgMatches) -> Result<S3Url, Failure> {
    let arg = sub.get_one::<String>("url").cloned().unwrap_or_default();
    let url = paths::parse_s3_url(&arg).map_err(usage)?;
    if !url.key.is_empty() {
        return Err(usage(format!(
            "{arg}: give a bucket only, like s3://bucket"
        )));
    }
    Ok(url)
}

pub(super) async fn make(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let url = bucket_arg(sub)?;
    let report = Reporter::new(sub.get_flag("quiet"), sub.get_flag("json"), dry_run);
    let client = crate::cli::client(global)?;
    let source = url.bucket.clone();
    if dry_run {
        report.done("make_bucket", &source, None, None);
        return Ok(report.finish());
    }
    let mut create = client.create_bucket().bucket(&url.bucket);
    let region = client.config().region.clone();
    if region != "us-east-1" {
        create = create.create_bucket_configuration_json(json!({ "LocationConstraint": region }));
    }
    match create.send().await {
        Ok(_) => report.done("make_bucket", &source, None, None),
        Err(e) => report.failed("make_bucket", &source, None, &Problem::from(&e)),
    }
    Ok(report.finish())
}

pub(super) async fn remove(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let url = bucket_arg(sub)?;
    let report = Reporter::new(sub.get_flag("quiet"), sub.get_flag("json"), dry_run);
    let client = crate::cli::client(global)?;
    let source = url.bucket.clone();
    if sub.get_flag("force") {
        if versioned(&client, &url.bucket).await {
            let keys = rm::listed_versions(&client, &url.bucket, "", |_: &str| true);
            rm::delete_keys(&client, &report, &url.bucket, keys, 8).await;
        } else {
            let (everything, excluded) = (super::KeySelection::default(), Default::default());
            let keys = rm::listed_keys(&client, &url.bucket, "", &everything, &excluded);
            rm::delete_keys(&client, &report, &url.bucket, keys, 8).await;
        }
        if lists_uploads(&client, &url.bucket).await {
            let quiet_or_json = (sub.get_flag("quiet"), sub.get_flag("json"));
            rm::abort_uploads(&client, &report, quiet_or_json, &url, None).await;
        }
        if report.failures() > 0 {
            report.failed(
                "remove_bucket",
                &source,
                None,
                &Problem::text("not removed: some of its objects or uploads could not be deleted"),
            );
            return Ok(report.finish());
        }
    }
    if dry_run {
        report.done("remove_bucket", &source, None, None);
        return Ok(report.finish());
    }
    match client.delete_bucket().bucket(&url.bucket).send().await {
        Ok(_) => report.done("remove_bucket", &source, None, None),
        Err(e) => report.failed("remove_bucket", &source, None, &Problem::from(&e)),
    }
    Ok(report.finish())
}

/// Whether the bucket is or was versioned (so it may hold old versions and delete markers). A
/// server that cannot say (no GetBucketVersioning) is taken as unversioned.
async fn versioned(client: &s3op::Client, bucket: &str) -> bool {
    use s3op::types::BucketVersioningStatus;
    match client
        .get_bucket_versioning()
        .bucket(bucket)
        .send_typed()
        .await
    {
        Ok(answer) => matches!(
            answer.status,
            Some(BucketVersioningStatus::Enabled | BucketVersioningStatus::Suspended)
        ),
        Err(_) => false,
    }
}

/// Whether the server lists multipart uploads: one that answers NotImplemented (s3s-fs) has none
/// that `rb --force` could abort; any other answer is left to the listing to report.
async fn lists_uploads(client: &s3op::Client, bucket: &str) -> bool {
    match client
        .list_multipart_uploads()
        .bucket(bucket)
        .max_uploads(1)
        .send()
        .await
    {
        Err(e) => e.code() != Some("NotImplemented"),
        Ok(_) => true,
    }
}
