//! `sdk-peer`: the aws-sdk-s3 peer of `cargo xtask bench`, a small program doing what the benchmark
//! asks of every tool the way a Rust developer would with AWS's own crates: the transfer manager
//! (`aws-sdk-s3-transfer-manager`) for uploads, downloads and directory uploads, and plain `aws-sdk-s3`
//! calls for the listing and the small PUT+GET.
//!
//! ```text
//! sdk-peer upload FILE BUCKET KEY
//! sdk-peer download BUCKET KEY FILE
//! sdk-peer upload-dir DIR BUCKET PREFIX
//! sdk-peer list BUCKET                  one key per line on stdout, every page
//! sdk-peer put-get BUCKET KEY FILE      PutObject FILE, GetObject it back, fail if the bytes differ
//! ```
//!
//! Endpoint, credentials and region come from the environment as for any AWS SDK
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`...); addressing
//! is always path style. The transfer manager keeps its own defaults (on a machine it does not
//! recognise as EC2: 5 requests in flight per vCPU, at least 32; multipart above 16 MiB) except the
//! part size, pinned at its upload default of 8 MiB for downloads too
//! ([`DEFAULT_PART_SIZE`]); `SDK_PEER_CONCURRENCY` (requests in flight) and `SDK_PEER_PART_SIZE`
//! (bytes) override them.

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3_transfer_manager::io::walk::FsWalker;
use aws_sdk_s3_transfer_manager::io::InputStream;
use aws_sdk_s3_transfer_manager::types::{ConcurrencyMode, PartSize};

type BoxError = Box<dyn Error + Send + Sync>;

/// The part size for uploads and download ranges. Left to itself the transfer manager sizes
/// download ranges after the object's stored parts, which it learns from a `GetObject` with
/// `partNumber=1`; s3s-fs answers that without `Content-Range`, and the download fails ("nonempty
/// partNumber response missing content-range"). An explicit part size skips that step.
const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;

const USAGE: &str = "usage: sdk-peer upload FILE BUCKET KEY | download BUCKET KEY FILE | \
                     upload-dir DIR BUCKET PREFIX | list BUCKET | put-get BUCKET KEY FILE";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The transfer manager runs its transfers on threads of its own; the caller's runtime only
    // drives the handles, so one thread is enough (as in the crate's own `cp` example).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("sdk-peer: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sdk-peer: {err}");
            let mut source = err.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), BoxError> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["upload", file, bucket, key] => upload(file, bucket, key).await,
        ["download", bucket, key, file] => download(bucket, key, file).await,
        ["upload-dir", dir, bucket, prefix] => upload_dir(dir, bucket, prefix).await,
        ["list", bucket] => list(bucket).await,
        ["put-get", bucket, key, file] => put_get(bucket, key, file).await,
        _ => Err(USAGE.into()),
    }
}

/// The S3 client configuration every command starts from: the environment, path-style addressing.
async fn s3_config() -> aws_sdk_s3::config::Builder {
    let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
    aws_sdk_s3::config::Builder::from(&shared).force_path_style(true)
}

fn env_number(name: &str) -> Result<Option<u64>, BoxError> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .map(Some)
            .map_err(|err| format!("{name}={value}: {err}").into()),
        _ => Ok(None),
    }
}

async fn transfer_manager() -> Result<aws_sdk_s3_transfer_manager::Client, BoxError> {
    let mut config = aws_sdk_s3_transfer_manager::Config::builder().s3_config(s3_config().await);
    if let Some(concurrency) = env_number("SDK_PEER_CONCURRENCY")? {
        config = config.concurrency(ConcurrencyMode::Explicit(concurrency as usize));
    }
    let part_size = env_number("SDK_PEER_PART_SIZE")?.unwrap_or(DEFAULT_PART_SIZE);
    config = config.part_size(PartSize::Target(part_size));
    Ok(aws_sdk_s3_transfer_manager::Client::new(config.build()))
}

async fn upload(file: &str, bucket: &str, key: &str) -> Result<(), BoxError> {
    let tm = transfer_manager().await?;
    let body = InputStream::from_path(file)?;
    tm.upload()
        .bucket(bucket)
        .key(key)
        .body(body)
        .initiate()?
        .join()
        .await?;
    Ok(())
}

async fn download(bucket: &str, key: &str, file: &str) -> Result<(), BoxError> {
    let tm = transfer_manager().await?;
    let handle = tm
        .download()
        .bucket(bucket)
        .key(key)
        .write_to_path(Path::new(file))
        .await?;
    handle.join().await?;
    Ok(())
}

async fn upload_dir(dir: &str, bucket: &str, prefix: &str) -> Result<(), BoxError> {
    let tm = transfer_manager().await?;
    let output = tm
        .upload_objects()
        .bucket(bucket)
        .source(dir)
        .key_prefix(prefix)
        .walker(FsWalker::builder().recursive(true).build())
        .initiate()?
        .join()
        .await?;
    let failed = output.failed_transfers();
    if !failed.is_empty() {
        return Err(format!(
            "{} of {} uploads failed; the first: {}",
            failed.len(),
            output.objects_uploaded() + failed.len() as u64,
            failed[0].error()
        )
        .into());
    }
    Ok(())
}

async fn list(bucket: &str) -> Result<(), BoxError> {
    let client = aws_sdk_s3::Client::from_conf(s3_config().await.build());
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    let mut out = String::new();
    while let Some(page) = pages.next().await {
        for object in page?.contents() {
            out.push_str(object.key().unwrap_or_default());
            out.push('\n');
        }
    }
    print!("{out}");
    Ok(())
}

async fn put_get(bucket: &str, key: &str, file: &str) -> Result<(), BoxError> {
    let client = aws_sdk_s3::Client::from_conf(s3_config().await.build());
    let sent = tokio::fs::read(file).await?;
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(sent.clone()))
        .send()
        .await?;
    let got = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await?
        .body
        .collect()
        .await?
        .into_bytes();
    if got.as_ref() != sent.as_slice() {
        return Err(format!(
            "GetObject returned {} bytes that differ from the {} sent",
            got.len(),
            sent.len()
        )
        .into());
    }
    Ok(())
}
