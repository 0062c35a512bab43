//! `s3op cat s3://bucket/key`: the object on standard output. An object of one part or less comes
//! in one GET; a larger one in ranges (`--part-size`, default 16 MiB) fetched `--concurrency` at a
//! time and written in order (the library's `download_to_writer`), so memory stays bounded by part
//! size × concurrency. A reader that goes away (`| head -c 10`) ends it quietly with exit 0, as
//! `cat` does; a failed GET prints S3's error envelope on stderr and exits 1.

use clap::ArgMatches;

use s3op::transfer::DownloadOptions;
use s3op::{Error, Value};

use super::paths;
use super::{sized_config, usage};
use crate::cli::Failure;

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
) -> Result<i32, Failure> {
    let arg = sub.get_one::<String>("url").cloned().unwrap_or_default();
    let url = paths::parse_s3_url(&arg).map_err(usage)?;
    if url.key.is_empty() || url.is_prefix() {
        return Err(usage(format!(
            "{arg} names a bucket or a prefix: cat prints one object, like s3://bucket/key"
        )));
    }
    let client = crate::cli::client(global)?;
    // Standard output is the object's, and no progress bar is drawn on stderr.
    let config = sized_config(sub, &client)?;
    let keys = super::attributes::Attributes::from_matches(sub)?;
    let mut options = DownloadOptions {
        sse_customer_key: keys.sse_customer_key.clone(),
        request_payer: keys.request_payer.clone(),
        ..DownloadOptions::default()
    };
    if let Some(v) = sub.get_one::<String>("version-id") {
        options.values.push(("VersionId", Value::String(v.clone())));
    }
    if dry_run {
        let mut request = client
            .get_object()
            .bucket(&url.bucket)
            .key(&url.key)
            .request();
        for (name, value) in &options.values {
            request.set(name, value.clone());
        }
        if let Some(key) = &options.sse_customer_key {
            key.set_on(&mut request);
        }
        if let Some(payer) = &options.request_payer {
            request.set("RequestPayer", Value::String(payer.as_str().into()));
        }
        let dry = request.dry_run().await?;
        crate::cli::say(&serde_json::to_string_pretty(&dry).unwrap_or_default());
        return Ok(0);
    }
    let mut stdout = tokio::io::stdout();
    let answer = client
        .download_to_writer(&url.bucket, &url.key, &mut stdout, &options, &config)
        .await;
    match answer {
        Ok(_) => Ok(0),
        Err(e) if reader_gone(&e) => Ok(0),
        Err(Error::Service(envelope)) => {
            eprintln!("{}", envelope.to_json_pretty());
            Ok(1)
        }
        Err(e) => {
            eprintln!("s3op: error: cat {url}: {e}");
            Ok(1)
        }
    }
}

/// Whether the error is standard output closed by its reader.
pub(super) fn reader_gone(e: &Error) -> bool {
    match e {
        Error::File { path, source } => {
            path.as_os_str() == "-" && source.kind() == std::io::ErrorKind::BrokenPipe
        }
        Error::Part { source, .. } => reader_gone(source),
        _ => false,
    }
}
