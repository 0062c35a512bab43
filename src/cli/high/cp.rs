//! `s3op cp SRC DST`: local → S3, S3 → local, S3 → S3, standard input → S3 and S3 → standard
//! output; one file, a whole tree (`--recursive`) or what a wildcard matches. The command line is
//! checked completely before anything is sent (bad usage exits 2); then the sources are listed or
//! walked and the jobs run many at a time (see `run_plan`). `s3op mv` is the same command with each
//! source deleted once its copy is complete and checked (`remove_moved_source`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clap::ArgMatches;
use futures_util::{stream, Stream, StreamExt};

use super::attributes::Direction;
use super::objects::{self, S3Object};
use super::paths::{self, Location, S3Url};
use super::progress::Problem;
use super::{run_plan, usage, Ctx, Job, Planned};
use crate::cli::Failure;

/// What a `cp` command line asks for, checked before anything is sent.
#[derive(Debug)]
enum Plan {
    FromStdin(S3Url),
    /// Stream what an http(s) URL serves into one object.
    FromUrl(String, S3Url),
    ToStdout(S3Url),
    One(Job),
    /// Upload every file under `base` (whose relative path matches `pattern`, when given).
    LocalTree {
        base: PathBuf,
        /// The user's pattern and the text its matches are built on (`dir/` + relative path).
        pattern: Option<(String, String)>,
        dst: S3Url,
    },
    /// Every object listed under `list_prefix` (whose key matches `pattern`, when given), placed at
    /// the destination by its key minus `base`.
    S3Tree {
        bucket: String,
        list_prefix: String,
        base: String,
        pattern: Option<String>,
        dst: Dest,
    },
}

impl Plan {
    /// Which way the plan moves bytes (which flags apply).
    fn direction(&self) -> Direction {
        match self {
            Plan::FromStdin(_) | Plan::FromUrl(..) | Plan::LocalTree { .. } => Direction::Upload,
            Plan::One(Job::Upload { .. }) => Direction::Upload,
            Plan::ToStdout(_) | Plan::One(Job::Download { .. }) => Direction::Download,
            Plan::S3Tree {
                dst: Dest::LocalDir(_),
                ..
            } => Direction::Download,
            Plan::One(Job::Copy { .. })
            | Plan::S3Tree {
                dst: Dest::S3(_), ..
            } => Direction::Copy,
        }
    }
}

#[derive(Debug, Clone)]
enum Dest {
    LocalDir(PathBuf),
    /// A bucket and a prefix that is empty or ends in `/`.
    S3(S3Url),
}

pub(super) async fn run(
    sub: &ArgMatches,
    global: &ArgMatches,
    dry_run: bool,
    tracker: &s3op::transfer::UploadTracker,
    moving: bool,
) -> Result<i32, Failure> {
    let arg = |name: &str| sub.get_one::<String>(name).cloned().unwrap_or_default();
    let (src_arg, dst_arg) = (arg("source"), arg("destination"));
    let recursive = sub.get_flag("recursive");
    let raw = sub.get_flag("raw");
    let src = paths::parse_location(&src_arg).map_err(|e| usage(format!("SRC: {e}")))?;
    let dst = paths::parse_location(&dst_arg).map_err(|e| usage(format!("DST: {e}")))?;
    let plan = classify(src, dst, &src_arg, &dst_arg, recursive, raw)?;
    let version_id = sub
        .try_get_one::<String>("version-id")
        .ok()
        .flatten()
        .cloned();
    if version_id.is_some()
        && !matches!(
            plan,
            Plan::ToStdout(_) | Plan::One(Job::Download { .. } | Job::Copy { .. })
        )
    {
        return Err(usage(format!(
            "--version-id names a version of one S3 object: SRC {src_arg} must be s3://bucket/key (a download or a copy, not an upload or several objects)"
        )));
    }
    if moving
        && matches!(
            plan,
            Plan::FromStdin(_) | Plan::FromUrl(..) | Plan::ToStdout(_)
        )
    {
        return Err(usage(
            "mv moves files and objects: SRC and DST cannot be - or an http(s) URL (use cp)",
        ));
    }
    let mut ctx = Ctx::new(sub, global, dry_run, tracker)?;
    ctx.attributes.check_direction(plan.direction())?;
    ctx.settings.moving = moving;
    if let Some(v) = version_id {
        ctx.settings
            .download
            .values
            .push(("VersionId", s3op::Value::String(v.clone())));
        ctx.settings.copy.source_version_id = Some(v);
    }
    let ctx = Arc::new(ctx);
    match plan {
        Plan::FromStdin(dst) => from_stdin(&ctx, dst).await,
        Plan::FromUrl(url, dst) => from_url(&ctx, &url, dst).await,
        Plan::ToStdout(src) => to_stdout(&ctx, src).await,
        Plan::One(job) => {
            // As the AWS CLI does, a single file is filtered by its name.
            let name = match &job {
                Job::Upload { path, .. } => path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string(),
                Job::Download { src, .. } | Job::Copy { src, .. } => {
                    paths::key_basename(&src.key).to_string()
                }
            };
            if ctx.filters.includes(&name) {
                run_plan(&ctx, stream::iter([Planned::Job(job)])).await;
            } else {
                excluded_everything(&ctx, 1);
            }
        }
        Plan::LocalTree { base, pattern, dst } => local_tree(&ctx, base, pattern, dst).await,
        Plan::S3Tree {
            bucket,
            list_prefix,
            base,
            pattern,
            dst,
        } => s3_tree(&ctx, &bucket, &list_prefix, &base, pattern.as_deref(), dst).await,
    }
    Ok(ctx.report.finish())
}

fn classify(
    src: Location,
    dst: Location,
    src_arg: &str,
    dst_arg: &str,
    recursive: bool,
    raw: bool,
) -> Result<Plan, Failure> {
    let wild = |text: &str| !raw && paths::has_wildcard(text);
    if !matches!(src, Location::S3(_)) && !matches!(dst, Location::S3(_)) {
        return Err(usage(
            "cp copies to, from or within S3: SRC or DST must be an s3:// URL",
        ));
    }
    match src {
        Location::Http(url) => {
            let Location::S3(dst) = dst else {
                return Err(usage(
                    "an http(s) source can only be copied to an s3:// URL",
                ));
            };
            if recursive || wild(&dst.key) {
                return Err(usage(format!(
                    "SRC {src_arg}: a URL is one object; drop --recursive and wildcards"
                )));
            }
            // To a prefix, the object keeps the URL's last path segment as its name.
            let dst = if dst.is_prefix() {
                let name = url::Url::parse(&url)
                    .ok()
                    .and_then(|u| {
                        u.path_segments()
                            .and_then(|mut s| s.next_back().map(str::to_string))
                    })
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        usage(format!(
                            "DST {dst_arg}: the URL has no file name to use; give a full key"
                        ))
                    })?;
                S3Url::new(dst.bucket.clone(), format!("{}{}", dst.dir_prefix(), name))
            } else {
                dst
            };
            Ok(Plan::FromUrl(url, dst))
        }
        Location::Stdio => {
            let Location::S3(dst) = dst else {
                return Err(usage("standard input can only be uploaded to an s3:// URL"));
            };
            if recursive || dst.is_prefix() || wild(&dst.key) {
                return Err(usage(format!(
                    "DST {dst_arg}: standard input needs one key to upload to, like s3://bucket/name"
                )));
            }
            Ok(Plan::FromStdin(dst))
        }
        Location::Local(path) => {
            let Location::S3(dst) = dst else {
                return Err(usage(
                    "cp copies to, from or within S3: SRC or DST must be an s3:// URL",
                ));
            };
            if wild(src_arg) {
                let pattern = paths::slash_path(&path);
                let base_text = paths::pattern_base(&pattern).to_string();
                let base = if base_text.is_empty() {
                    PathBuf::from(".")
                } else {
                    PathBuf::from(&base_text)
                };
                if !base.is_dir() {
                    return Err(usage(format!(
                        "SRC {src_arg}: {} is not a directory",
                        base.display()
                    )));
                }
                return Ok(Plan::LocalTree {
                    base,
                    pattern: Some((pattern, base_text)),
                    dst: S3Url::new(dst.bucket.clone(), dst.dir_prefix()),
                });
            }
            let meta =
                std::fs::metadata(&path).map_err(|e| usage(format!("SRC {src_arg}: {e}")))?;
            if meta.is_dir() {
                if !recursive {
                    return Err(usage(format!(
                        "SRC {src_arg} is a directory: add --recursive to copy what is in it"
                    )));
                }
                return Ok(Plan::LocalTree {
                    base: path,
                    pattern: None,
                    dst: S3Url::new(dst.bucket.clone(), dst.dir_prefix()),
                });
            }
            let key = if dst.is_prefix() {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    return Err(usage(format!(
                        "SRC {src_arg}: the file name is not UTF-8, so it cannot be a key"
                    )));
                };
                format!("{}{name}", dst.key)
            } else {
                dst.key.clone()
            };
            Ok(Plan::One(Job::Upload {
                path,
                size: meta.len(),
                dst: S3Url::new(dst.bucket, key),
            }))
        }
        Location::S3(src) => {
            let tree = if wild(&src.key) {
                Some((
                    paths::literal_prefix(&src.key).to_string(),
                    paths::pattern_base(&src.key).to_string(),
                    Some(src.key.clone()),
                ))
            } else if recursive {
                let prefix = src.dir_prefix();
                Some((prefix.clone(), prefix, None))
            } else {
                None
            };
            if let Some((list_prefix, base, pattern)) = tree {
                let dst = match dst {
                    Location::Stdio => {
                        return Err(usage("several objects cannot go to standard output: give a directory or an s3:// prefix"))
                    }
                    Location::Http(_) => return Err(usage(format!("DST {dst_arg}: cp cannot write to an http(s) URL"))),
                    Location::Local(dir) => {
                        if dir.exists() && !dir.is_dir() {
                            return Err(usage(format!("DST {dst_arg} is a file: several objects need a directory")));
                        }
                        Dest::LocalDir(dir)
                    }
                    Location::S3(d) => Dest::S3(S3Url::new(d.bucket.clone(), d.dir_prefix())),
                };
                return Ok(Plan::S3Tree {
                    bucket: src.bucket,
                    list_prefix,
                    base,
                    pattern,
                    dst,
                });
            }
            if src.is_prefix() {
                return Err(usage(format!(
                    "SRC {src_arg} names a prefix, not an object: add --recursive to copy everything under it"
                )));
            }
            let name = paths::key_basename(&src.key);
            match dst {
                Location::Stdio => Ok(Plan::ToStdout(src)),
                Location::Http(_) => Err(usage(format!(
                    "DST {dst_arg}: cp cannot write to an http(s) URL"
                ))),
                Location::Local(path) => {
                    let into_dir = path.is_dir()
                        || dst_arg.ends_with('/')
                        || dst_arg.ends_with(std::path::MAIN_SEPARATOR);
                    let path = if into_dir {
                        paths::local_path_for_key(&path, name).map_err(|why| {
                            usage(format!(
                                "the key {:?} cannot name a local file ({why}): give the file name as DST",
                                src.key
                            ))
                        })?
                    } else {
                        path
                    };
                    Ok(Plan::One(Job::Download { src, size: 0, path }))
                }
                Location::S3(d) => {
                    let key = if d.is_prefix() {
                        format!("{}{name}", d.key)
                    } else {
                        d.key.clone()
                    };
                    Ok(Plan::One(Job::Copy {
                        src,
                        size: 0,
                        dst: S3Url::new(d.bucket, key),
                    }))
                }
            }
        }
    }
}

async fn from_stdin(ctx: &Ctx, dst: S3Url) {
    let destination = dst.to_string();
    if ctx.report.dry_run() {
        ctx.report.done("upload", "-", Some(&destination), None);
        return;
    }
    let mut stdin = tokio::io::stdin();
    match ctx
        .client
        .upload_reader(
            &mut stdin,
            &dst.bucket,
            &dst.key,
            &ctx.settings.upload_options(Some(&dst.key)),
            &ctx.settings.transfer,
        )
        .await
    {
        Ok(_) => ctx.report.done("upload", "-", Some(&destination), None),
        Err(e) => ctx
            .report
            .failed("upload", "-", Some(&destination), &Problem::from(&e)),
    }
}

async fn from_url(ctx: &Ctx, url: &str, dst: S3Url) {
    let destination = dst.to_string();
    if ctx.report.dry_run() {
        ctx.report.done("upload", url, Some(&destination), None);
        return;
    }
    match ctx
        .client
        .upload_from_url(
            url,
            &dst.bucket,
            &dst.key,
            &ctx.settings.upload_options(None),
            &ctx.settings.transfer,
        )
        .await
    {
        Ok(_) => ctx.report.done("upload", url, Some(&destination), None),
        Err(e) => ctx
            .report
            .failed("upload", url, Some(&destination), &Problem::from(&e)),
    }
}

async fn to_stdout(ctx: &Ctx, src: S3Url) {
    let source = src.to_string();
    if ctx.report.dry_run() {
        ctx.report.done("download", &source, Some("-"), None);
        return;
    }
    let options = ctx.settings.download.clone();
    let mut stdout = tokio::io::stdout();
    match ctx
        .client
        .download_to_writer(
            &src.bucket,
            &src.key,
            &mut stdout,
            &options,
            &ctx.settings.transfer,
        )
        .await
    {
        Ok(_) => {}
        // The reader went away (`| head`): as cat, nothing to report.
        Err(e) if super::cat::reader_gone(&e) => {}
        Err(e) => ctx
            .report
            .failed("download", &source, Some("-"), &Problem::from(&e)),
    }
}

async fn local_tree(ctx: &Arc<Ctx>, base: PathBuf, pattern: Option<(String, String)>, dst: S3Url) {
    let walked = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || paths::walk_local(&base)).await
    };
    let (files, problems) = match walked {
        Ok(found) => found,
        Err(e) => {
            ctx.report
                .error(&format!("walking {}: {e}", base.display()));
            return;
        }
    };
    let mut plan: Vec<Planned> = problems.into_iter().map(Planned::Error).collect();
    let (mut matched, mut excluded) = (0usize, 0usize);
    for file in files {
        if let Some((pattern, base_text)) = &pattern {
            if !paths::wildcard_match(pattern, &format!("{base_text}{}", file.rel)) {
                continue;
            }
        }
        matched += 1;
        if !ctx.filters.includes(&file.rel) {
            excluded += 1;
            continue;
        }
        plan.push(Planned::Job(Job::Upload {
            path: file.path,
            size: file.size,
            dst: S3Url::new(dst.bucket.clone(), format!("{}{}", dst.key, file.rel)),
        }));
    }
    if let (Some((pattern, _)), 0) = (&pattern, matched) {
        plan.push(Planned::Error(format!("no file matches {pattern}")));
    }
    run_plan(ctx, stream::iter(plan)).await;
    if matched > 0 && matched == excluded {
        excluded_everything(ctx, excluded);
    }
}

async fn s3_tree(
    ctx: &Arc<Ctx>,
    bucket: &str,
    list_prefix: &str,
    base: &str,
    pattern: Option<&str>,
    dst: Dest,
) {
    let matched = AtomicUsize::new(0);
    let excluded = AtomicUsize::new(0);
    let source = S3Url::new(bucket, list_prefix);
    let pages = objects::list_objects(&ctx.client, bucket, list_prefix);
    let plan_page = |page: Result<Vec<S3Object>, s3op::Error>| -> Vec<Planned> {
        let objects = match page {
            Ok(objects) => objects,
            Err(e) => return vec![Planned::Error(format!("listing {source}: {e}"))],
        };
        objects
            .into_iter()
            .filter(|o| pattern.is_none_or(|p| paths::wildcard_match(p, &o.key)))
            .filter_map(|o| {
                matched.fetch_add(1, Ordering::Relaxed);
                let rel = o.key.get(base.len()..).unwrap_or("");
                if !ctx.filters.includes(rel) {
                    excluded.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                plan_object(bucket, base, o, &dst)
            })
            .collect()
    };
    // Copying into the prefix being listed would list the copies too: list everything first then.
    let copies_into_source =
        matches!(&dst, Dest::S3(d) if d.bucket == bucket && d.key.starts_with(list_prefix));
    let plan: std::pin::Pin<Box<dyn Stream<Item = Planned> + Send + '_>> = if copies_into_source {
        let pages: Vec<_> = pages.collect().await;
        Box::pin(stream::iter(pages.into_iter().flat_map(plan_page)))
    } else {
        Box::pin(pages.flat_map(|page| stream::iter(plan_page(page))))
    };
    run_plan(ctx, plan).await;
    let (matched, excluded) = (matched.into_inner(), excluded.into_inner());
    if let (Some(pattern), 0) = (pattern, matched) {
        ctx.report
            .error(&format!("no object matches s3://{bucket}/{pattern}"));
    }
    if matched > 0 && matched == excluded {
        excluded_everything(ctx, excluded);
    }
}

/// The filters left nothing to do: worth a note, not a failure (exit 0).
fn excluded_everything(ctx: &Ctx, excluded: usize) {
    ctx.report.note(&format!(
        "the filters exclude all {excluded} of what SRC names: nothing copied"
    ));
}

/// The job for one listed object, or a refusal when its key cannot be a local path.
fn plan_object(bucket: &str, base: &str, object: S3Object, dst: &Dest) -> Option<Planned> {
    let rel = object.key.get(base.len()..).unwrap_or("").to_string();
    let src = S3Url::new(bucket, object.key.clone());
    match dst {
        Dest::LocalDir(dir) => {
            // A "directory" marker (`photos/`) has nothing to write.
            if rel.is_empty() || paths::is_directory_marker(&rel) {
                return None;
            }
            Some(match paths::local_path_for_key(dir, &rel) {
                Ok(path) => Planned::Job(Job::Download {
                    src,
                    size: object.size,
                    path,
                }),
                Err(why) => Planned::refused_key(&src, &why),
            })
        }
        Dest::S3(d) => {
            if rel.is_empty() {
                return None;
            }
            Some(Planned::Job(Job::Copy {
                src,
                size: object.size,
                dst: S3Url::new(d.bucket.clone(), format!("{}{rel}", d.key)),
            }))
        }
    }
}
