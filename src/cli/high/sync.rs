//! `s3op sync SRC DST`: the command-line face of [`s3op::sync`] (local directory → S3 prefix, S3
//! prefix → local directory, S3 prefix → S3 prefix). This module turns flags into
//! [`SyncOptions`] (comparison, `--delete`, `--no-overwrite`, filters, the transfer settings every
//! copy command shares) and shows the library's events through the reporter; the listing,
//! deciding, copying and deleting are the library's.

use clap::ArgMatches;

use s3op::sync::{Compare, Location as SyncLocation, SyncOptions};

use super::paths::{self, Location};
use super::{usage, Ctx};
use crate::cli::Failure;

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
    tracker: &s3op::transfer::UploadTracker,
) -> Result<i32, Failure> {
    let arg = |name: &str| sub.get_one::<String>(name).cloned().unwrap_or_default();
    let (src_arg, dst_arg) = (arg("source"), arg("destination"));
    let side = |text: &str, name: &str| {
        match paths::parse_location(text) {
        Ok(Location::Local(dir)) => Ok(SyncLocation::Local(dir)),
        Ok(Location::S3(url)) => Ok(SyncLocation::s3(url.bucket.clone(), &url.key)),
        Ok(_) => Err(usage(
            "sync goes between a local directory and an s3:// prefix, or between two s3:// prefixes",
        )),
        Err(e) => Err(usage(format!("{name}: {e}"))),
    }
    };
    let (src, dst) = (side(&src_arg, "SRC")?, side(&dst_arg, "DST")?);
    let flag = |name: &str| sub.get_flag(name);
    let compare = match (
        flag("checksum"),
        flag("size-only"),
        flag("exact-timestamps"),
    ) {
        (true, _, _) => Compare::Checksum,
        (_, true, _) => Compare::SizeOnly,
        (_, _, true) => Compare::ExactTimestamps,
        _ => Compare::SizeAndTime,
    };
    let ctx = Ctx::new(sub, global, dry_run, tracker)?;
    let options = SyncOptions {
        delete: flag("delete"),
        compare,
        no_overwrite: flag("no-overwrite"),
        filters: super::filters(sub)?,
        jobs: ctx.settings.clone(),
    };
    let report = &ctx.report;
    ctx.client
        .sync_with(&src, &dst, &options, &|event| report.event(event))
        .await
        .map_err(|e| usage(e.to_string()))?;
    Ok(ctx.report.finish())
}
