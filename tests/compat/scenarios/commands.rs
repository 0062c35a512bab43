//! The commands and flags issue 15 added to the `s3op` binary, run as a user runs them on every
//! server: `mv`, the `--exclude`/`--include` filters, `sync --no-overwrite`, object attributes on
//! uploads and copies, SSE-C, versions (`ls`/`rm --all-versions`, `cp --version-id`, `rb --force`),
//! `du` and `cat`. A non-zero exit is classified as `cli` does (by the S3 error s3op prints); what
//! the commands did is checked on disk, through the CLI's own output, or through the library (the
//! operations each scenario declares: keys, heads, versions, bytes).

use std::path::Path;

use super::cli::{mb, ok, read, s3op, text, write};
use crate::clirun::Run;
use crate::harness::{ours, same, settled, wrong, Ctx, Problem};

/// The keys under `prefix` in `bucket`, sorted, through ListObjectsV2 (one page).
async fn keys(ctx: &Ctx, bucket: &str, prefix: &str) -> Result<Vec<String>, Problem> {
    let answer = ctx
        .send(
            ctx.client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .request(),
        )
        .await?;
    let mut keys = super::keys(&answer.response);
    keys.sort();
    Ok(keys)
}

/// The keys under `prefix` once they are `want` (a Garage cluster may list a key moved or deleted
/// a moment ago until the third replica has seen it), or what they were last.
async fn keys_now(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
    want: &[&str],
) -> Result<Vec<String>, Problem> {
    let want: Vec<String> = want.iter().map(|k| k.to_string()).collect();
    let got = settled(&want, || keys(ctx, bucket, prefix)).await?;
    Ok(got)
}

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// The JSON lines of a `--json` run's stdout.
fn json_lines(run: &Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Run s3op and keep its stdout as bytes (for `cat`): `(exit code, stdout, stderr)`.
async fn raw(ctx: &Ctx, args: &[&str]) -> Result<(i32, Vec<u8>, String), Problem> {
    let server = ctx.server;
    let mut full = vec!["--endpoint-url".to_string(), server.endpoint.clone()];
    full.extend(args.iter().map(|a| a.to_string()));
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::clirun::command(&env)
            .args(&full)
            .stdin(std::process::Stdio::null())
            .output()
    })
    .await
    .map_err(|e| ours(format!("s3op did not run: {e}")))?
    .map_err(|e| ours(format!("s3op did not run: {e}")))?;
    Ok((
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `raw`, requiring exit 0 (a failure classified as `ok` classifies it): the bytes written.
async fn raw_ok(ctx: &Ctx, args: &[&str]) -> Result<Vec<u8>, Problem> {
    let (code, stdout, stderr) = raw(ctx, args).await?;
    if code == 0 && !stderr.contains("panicked") {
        return Ok(stdout);
    }
    let said = format!("`s3op {}` exited {code}: {}", args.join(" "), stderr.trim());
    if stderr.contains("NotImplemented") || stderr.contains(" 501") {
        Err(Problem::Unsupported(said))
    } else {
        Err(Problem::Failed(said))
    }
}

fn gone(path: &Path) -> bool {
    !path.exists()
}

scenario!(mv, |ctx| {
    let bucket = mb(ctx, "mv").await?;
    let dir = ctx.scratch("mv")?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    // One file up, S3 to S3, and down again: each source is gone once its copy is there.
    write(&dir.join("a.txt"), b"alpha")?;
    ok(ctx, &["mv", &text(&dir.join("a.txt")), &s3("m/a.txt")]).await?;
    same("`mv` up removed the file", gone(&dir.join("a.txt")), true)?;
    same(
        "keys after `mv` up",
        keys(ctx, &bucket, "").await?,
        strings(&["m/a.txt"]),
    )?;
    ok(ctx, &["mv", &s3("m/a.txt"), &s3("n/a.txt")]).await?;
    same(
        "keys after `mv` S3 to S3",
        keys_now(ctx, &bucket, "", &["n/a.txt"]).await?,
        strings(&["n/a.txt"]),
    )?;
    ok(ctx, &["mv", &s3("n/a.txt"), &text(&dir.join("down/a.txt"))]).await?;
    same(
        "`mv` down: the bytes",
        read(&dir.join("down/a.txt"))?,
        b"alpha".to_vec(),
    )?;
    same(
        "keys after `mv` down",
        keys_now(ctx, &bucket, "", &[]).await?,
        Vec::<String>::new(),
    )?;
    // A tree, recursively: up, S3 to S3, down.
    let tree = dir.join("tree");
    write(&tree.join("x.txt"), b"ex")?;
    write(&tree.join("sub/y.txt"), b"why")?;
    ok(ctx, &["mv", "--recursive", &text(&tree), &s3("r/")]).await?;
    same(
        "`mv --recursive` up removed the files",
        (gone(&tree.join("x.txt")), gone(&tree.join("sub/y.txt"))),
        (true, true),
    )?;
    same(
        "keys after `mv --recursive` up",
        keys(ctx, &bucket, "").await?,
        strings(&["r/sub/y.txt", "r/x.txt"]),
    )?;
    ok(ctx, &["mv", "--recursive", &s3("r/"), &s3("s/")]).await?;
    let want = ["s/sub/y.txt", "s/x.txt"];
    same(
        "keys after `mv --recursive` S3 to S3",
        keys_now(ctx, &bucket, "", &want).await?,
        strings(&want),
    )?;
    let back = dir.join("back");
    ok(ctx, &["mv", "--recursive", &s3("s/"), &text(&back)]).await?;
    same(
        "`mv --recursive` down: the bytes",
        (read(&back.join("x.txt"))?, read(&back.join("sub/y.txt"))?),
        (b"ex".to_vec(), b"why".to_vec()),
    )?;
    let left = keys_now(ctx, &bucket, "", &[]).await?;
    let _ = std::fs::remove_dir_all(&dir);
    same("keys after `mv --recursive` down", left, Vec::new())
});

scenario!(filters, |ctx| {
    let bucket = mb(ctx, "filters").await?;
    let dir = ctx.scratch("filters")?;
    let tree = dir.join("tree");
    write(&tree.join("a.txt"), b"aaa")?;
    write(&tree.join("b.log"), b"bb")?;
    write(&tree.join("keep.log"), b"kkkkk")?;
    write(&tree.join("sub/c.txt"), b"c")?;
    write(&tree.join("sub/d.log"), b"dddd")?;
    let url = format!("s3://{bucket}/f/");
    // The last matching filter decides: logs are left out, except keep.log.
    let cp = ok(
        ctx,
        &[
            "cp",
            "--recursive",
            "--exclude",
            "*.log",
            "--include",
            "keep.log",
            "--stat",
            "--json",
            &text(&tree),
            &url,
        ],
    )
    .await?;
    same(
        "keys after `cp --recursive --exclude '*.log' --include keep.log`",
        keys(ctx, &bucket, "").await?,
        strings(&["f/a.txt", "f/keep.log", "f/sub/c.txt"]),
    )?;
    // --stat --json: one summary object on stderr, counting what was sent.
    let summary = cp
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.get("summary").is_some());
    let counted = summary.map(|s| {
        (
            s["summary"]["files"].as_u64(),
            s["summary"]["failed"].as_u64(),
        )
    });
    if counted != Some((Some(3), Some(0))) {
        return Err(ours(format!(
            "`cp --stat --json` summarises 3 files, 0 failed; stderr was {:?}",
            cp.stderr
        )));
    }
    // ls and du take the same filters.
    let listed = ok(
        ctx,
        &["ls", "--recursive", "--json", "--exclude", "*.txt", &url],
    )
    .await?;
    let listed: Vec<String> = json_lines(&listed)
        .iter()
        .filter_map(|i| i["Key"].as_str().map(str::to_string))
        .collect();
    same(
        "`ls --exclude '*.txt'` keys",
        listed,
        strings(&["f/keep.log"]),
    )?;
    let du = ok(ctx, &["du", "--json", "--exclude", "sub/*", &url]).await?;
    let du: serde_json::Value =
        serde_json::from_str(du.stdout.trim()).map_err(|e| ours(format!("du --json: {e}")))?;
    same(
        "`du --exclude 'sub/*'` objects and bytes",
        (du["Objects"].as_u64(), du["Size"].as_u64()),
        (Some(2), Some(8)),
    )?;
    // sync --delete deletes what the source lacks, but never what is excluded.
    write(&dir.join("extra.tmp"), b"tmp")?;
    write(&dir.join("gone.txt"), b"gone")?;
    ok(
        ctx,
        &[
            "cp",
            &text(&dir.join("extra.tmp")),
            &format!("{url}extra.tmp"),
        ],
    )
    .await?;
    ok(
        ctx,
        &[
            "cp",
            &text(&dir.join("gone.txt")),
            &format!("{url}gone.txt"),
        ],
    )
    .await?;
    ok(
        ctx,
        &[
            "sync",
            "--delete",
            "--exclude",
            "*.tmp",
            "--exclude",
            "*.log",
            &text(&tree),
            &url,
        ],
    )
    .await?;
    let want = ["f/a.txt", "f/extra.tmp", "f/keep.log", "f/sub/c.txt"];
    same(
        "keys after `sync --delete --exclude '*.tmp' --exclude '*.log'`",
        keys_now(ctx, &bucket, "", &want).await?,
        strings(&want),
    )?;
    // rm --recursive spares what is excluded.
    ok(ctx, &["rm", "--recursive", "--exclude", "*.tmp", &url]).await?;
    let left = keys_now(ctx, &bucket, "", &["f/extra.tmp"]).await?;
    let _ = std::fs::remove_dir_all(&dir);
    same(
        "keys after `rm --recursive --exclude '*.tmp'`",
        left,
        strings(&["f/extra.tmp"]),
    )
});

scenario!(sync_no_overwrite, |ctx| {
    let bucket = mb(ctx, "noover").await?;
    let dir = ctx.scratch("noover")?;
    let src = dir.join("src");
    write(&src.join("a.txt"), b"first")?;
    write(&src.join("b.txt"), b"bee")?;
    let url = format!("s3://{bucket}/n/");
    ok(ctx, &["sync", &text(&src), &url]).await?;
    // A changed file (another size) is not replaced; a new one is uploaded.
    write(&src.join("a.txt"), b"second, and longer")?;
    write(&src.join("c.txt"), b"sea")?;
    ok(ctx, &["sync", "--no-overwrite", &text(&src), &url]).await?;
    same(
        "keys after `sync --no-overwrite` up",
        keys(ctx, &bucket, "").await?,
        strings(&["n/a.txt", "n/b.txt", "n/c.txt"]),
    )?;
    let (_, kept) = ctx
        .bytes(
            ctx.client
                .get_object()
                .bucket(&bucket)
                .key("n/a.txt")
                .request(),
        )
        .await?;
    same(
        "the object `sync --no-overwrite` must not replace",
        kept,
        b"first".to_vec(),
    )?;
    // Down: an existing local file is kept, a missing one is written.
    let down = dir.join("down");
    write(&down.join("a.txt"), b"local")?;
    ok(ctx, &["sync", "--no-overwrite", &url, &text(&down)]).await?;
    let got = (read(&down.join("a.txt"))?, read(&down.join("c.txt"))?);
    let _ = std::fs::remove_dir_all(&dir);
    if got != (b"local".to_vec(), b"sea".to_vec()) {
        return Err(ours(format!(
            "`sync --no-overwrite` down keeps a.txt and writes c.txt; they hold {got:?}"
        )));
    }
    Ok(())
});

/// A response header of a HeadObject answer.
fn header(head: &s3op::Envelope, name: &str) -> Option<String> {
    head.headers.get(name).cloned()
}

scenario!(attributes, |ctx| {
    let bucket = mb(ctx, "attrs").await?;
    let dir = ctx.scratch("attrs")?;
    write(&dir.join("a.bin"), b"attributes")?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    ok(
        ctx,
        &[
            "cp",
            "--metadata",
            "colour=blue,size=big",
            "--cache-control",
            "max-age=60",
            "--content-type",
            "application/x-compat",
            "--content-disposition",
            "attachment; filename=\"a.bin\"",
            "--storage-class",
            "STANDARD",
            &text(&dir.join("a.bin")),
            &s3("a.bin"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let head = |key: &'static str| {
        let request = ctx.client.head_object().bucket(&bucket).key(key).request();
        ctx.send(request)
    };
    let up = head("a.bin").await?;
    same(
        "an upload's metadata, Cache-Control, Content-Type, Content-Disposition",
        (
            header(&up, "x-amz-meta-colour"),
            header(&up, "x-amz-meta-size"),
            header(&up, "cache-control"),
            header(&up, "content-type"),
            header(&up, "content-disposition"),
        ),
        (
            Some("blue".into()),
            Some("big".into()),
            Some("max-age=60".into()),
            Some("application/x-compat".into()),
            Some("attachment; filename=\"a.bin\"".into()),
        ),
    )?;
    // S3 answers no x-amz-storage-class for STANDARD; any other class is wrong.
    let class = header(&up, "x-amz-storage-class");
    if !matches!(class.as_deref(), None | Some("STANDARD")) {
        return Err(wrong(
            "the storage class of `--storage-class STANDARD`",
            class,
        ));
    }
    // S3 to S3: by default the copy keeps the source's headers and metadata.
    ok(ctx, &["cp", &s3("a.bin"), &s3("copied.bin")]).await?;
    let copied = head("copied.bin").await?;
    same(
        "a copy's metadata, Cache-Control, Content-Type",
        (
            header(&copied, "x-amz-meta-colour"),
            header(&copied, "cache-control"),
            header(&copied, "content-type"),
        ),
        (
            Some("blue".into()),
            Some("max-age=60".into()),
            Some("application/x-compat".into()),
        ),
    )?;
    // --metadata-directive REPLACE: the copy has only what was given.
    ok(
        ctx,
        &[
            "cp",
            "--metadata-directive",
            "REPLACE",
            "--metadata",
            "colour=red",
            "--content-type",
            "text/plain",
            &s3("a.bin"),
            &s3("replaced.bin"),
        ],
    )
    .await?;
    let replaced = head("replaced.bin").await?;
    same(
        "a REPLACE copy's metadata, Cache-Control, Content-Type",
        (
            header(&replaced, "x-amz-meta-colour"),
            header(&replaced, "x-amz-meta-size"),
            header(&replaced, "cache-control"),
            header(&replaced, "content-type"),
        ),
        (Some("red".into()), None, None, Some("text/plain".into())),
    )
});

/// 32 raw bytes, the SSE-C key as `--sse-c-key` takes it.
const SSE_C_KEY: &str = "compat-sse-c-key-of-32-bytes-abc";

scenario!(sse_c, |ctx| {
    let bucket = mb(ctx, "ssec").await?;
    let dir = ctx.scratch("ssec")?;
    // Two parts up, two ranges down: the key goes on every part, range and HEAD.
    let payload = super::data(6 * 1024 * 1024 + 11, 21);
    write(&dir.join("secret.bin"), &payload)?;
    let url = format!("s3://{bucket}/secret.bin");
    let key = ["--sse-c", "AES256", "--sse-c-key", SSE_C_KEY];
    let mut up = vec!["cp", "--part-size", "5MiB"];
    up.extend(key);
    let file = text(&dir.join("secret.bin"));
    up.extend([file.as_str(), url.as_str()]);
    let put = s3op(ctx, &up).await?;
    if put.code != 0 {
        let _ = std::fs::remove_dir_all(&dir);
        // A server that refuses SSE-C says so in its answer: unsupported, in its words.
        let said = format!(
            "`s3op cp --sse-c` exited {}: {}",
            put.code,
            put.stderr.trim()
        );
        return Err(if put.stderr.contains("S3 answered") {
            Problem::Unsupported(said)
        } else {
            Problem::Failed(said)
        });
    }
    let down = text(&dir.join("down.bin"));
    let mut get = vec!["cp", "--part-size", "5MiB"];
    get.extend(key);
    get.extend([url.as_str(), down.as_str()]);
    ok(ctx, &get).await?;
    same(
        "`cp` down with the key: the bytes",
        read(&dir.join("down.bin"))? == payload,
        true,
    )?;
    let mut stream = vec!["cp"];
    stream.extend(key);
    stream.extend([url.as_str(), "-"]);
    let streamed = raw_ok(ctx, &stream).await?;
    same(
        "`cp … -` with the key: the bytes",
        streamed == payload,
        true,
    )?;
    let mut cat = vec!["cat", "--part-size", "5MiB"];
    cat.extend(key);
    cat.push(url.as_str());
    let catted = raw_ok(ctx, &cat).await?;
    same("`cat` with the key: the bytes", catted == payload, true)?;
    // Without the key, the server must refuse to give the object.
    let (code, bytes, _) = raw(ctx, &["cat", &url]).await?;
    if code == 0 {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(wrong(
            "an SSE-C object is refused without its key (the key was not required)",
            format!(
                "`s3op cat` exited 0 with {} bytes, {} the plaintext",
                bytes.len(),
                if bytes == payload { "equal to" } else { "not" }
            ),
        ));
    }
    let plain = s3op(ctx, &["cp", &url, &text(&dir.join("nokey.bin"))]).await?;
    let _ = std::fs::remove_dir_all(&dir);
    if plain.code == 0 {
        return Err(wrong(
            "an SSE-C object is refused without its key (the key was not required)",
            "`s3op cp` down without the key exited 0",
        ));
    }
    Ok(())
});

scenario!(versions, |ctx| {
    let bucket = mb(ctx, "vers").await?;
    ctx.send(
        ctx.client
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration_json(serde_json::json!({"Status": "Enabled"}))
            .request(),
    )
    .await?;
    let dir = ctx.scratch("vers")?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    for (name, body) in [("one", "one"), ("two", "two, longer")] {
        write(&dir.join(name), body.as_bytes())?;
        ok(ctx, &["cp", &text(&dir.join(name)), &s3("doc")]).await?;
    }
    write(&dir.join("other"), b"other")?;
    ok(ctx, &["cp", &text(&dir.join("other")), &s3("other")]).await?;
    // ls --all-versions: two versions of doc, the older one not latest.
    let listed = ok(
        ctx,
        &["ls", "--all-versions", "--recursive", "--json", &s3("")],
    )
    .await?;
    let of_doc: Vec<serde_json::Value> = json_lines(&listed)
        .into_iter()
        .filter(|i| i["Key"] == "doc")
        .collect();
    let older = of_doc
        .iter()
        .find(|i| i["IsLatest"] == false && i["DeleteMarker"] == false)
        .and_then(|i| i["VersionId"].as_str())
        .map(str::to_string);
    let Some(older) = older.filter(|_| of_doc.len() == 2) else {
        return Err(wrong(
            "`ls --all-versions` lists two versions of doc, one not latest",
            listed.stdout,
        ));
    };
    // cp --version-id and cat --version-id read the older version.
    ok(
        ctx,
        &[
            "cp",
            "--version-id",
            &older,
            &s3("doc"),
            &text(&dir.join("old")),
        ],
    )
    .await?;
    same(
        "`cp --version-id` down: the older bytes",
        read(&dir.join("old"))?,
        b"one".to_vec(),
    )?;
    let cat = raw_ok(ctx, &["cat", "--version-id", &older, &s3("doc")]).await?;
    same("`cat --version-id`: the older bytes", cat, b"one".to_vec())?;
    // rm leaves a delete marker; rm --all-versions takes the versions and the marker.
    ok(ctx, &["rm", &s3("doc")]).await?;
    let versions = |prefix: &'static str| {
        let request = ctx
            .client
            .list_object_versions()
            .bucket(&bucket)
            .prefix(prefix)
            .request();
        ctx.send(request)
    };
    let after_rm = versions("doc").await?;
    same(
        "versions and delete markers of doc after `rm`",
        (
            super::strings(&after_rm.response, "Versions", "Key").len(),
            super::strings(&after_rm.response, "DeleteMarkers", "Key").len(),
        ),
        (2, 1),
    )?;
    // du --all-versions counts every version's bytes, and the delete marker apart.
    let du = ok(ctx, &["du", "--all-versions", "--json", &s3("")]).await?;
    let du: serde_json::Value =
        serde_json::from_str(du.stdout.trim()).map_err(|e| ours(format!("du --json: {e}")))?;
    same(
        "`du --all-versions` versions, bytes, delete markers",
        (
            du["Objects"].as_u64(),
            du["Size"].as_u64(),
            du["DeleteMarkers"].as_u64(),
        ),
        (Some(3), Some(3 + 11 + 5), Some(1)),
    )?;
    ok(ctx, &["rm", "--all-versions", &s3("doc")]).await?;
    let after = versions("").await?;
    same(
        "versions and delete markers after `rm --all-versions doc`",
        (
            super::strings(&after.response, "Versions", "Key"),
            super::strings(&after.response, "DeleteMarkers", "Key"),
        ),
        (strings(&["other"]), Vec::new()),
    )?;
    // rb --force empties a versioned bucket (versions and markers) and removes it.
    ok(ctx, &["cp", &text(&dir.join("one")), &s3("other")]).await?;
    ok(ctx, &["rm", &s3("other")]).await?;
    let _ = std::fs::remove_dir_all(&dir);
    ok(ctx, &["rb", "--force", &s3("")]).await?;
    let head = ctx
        .answer(ctx.client.head_bucket().bucket(&bucket).request())
        .await?;
    same("HeadBucket after `rb --force`", head.status, 404)
});

scenario!(du, |ctx| {
    let bucket = mb(ctx, "du").await?;
    let dir = ctx.scratch("du")?;
    let tree = dir.join("t");
    write(&tree.join("p/a"), &super::data(1000, 1))?;
    write(&tree.join("p/b"), &super::data(2345, 2))?;
    write(&tree.join("p/sub/empty"), b"")?;
    write(&tree.join("q/d"), b"seven!!")?;
    ok(
        ctx,
        &[
            "cp",
            "--recursive",
            &text(&tree),
            &format!("s3://{bucket}/"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let prefix = format!("s3://{bucket}/p/");
    let json = ok(ctx, &["du", "--json", &prefix]).await?;
    let json: serde_json::Value =
        serde_json::from_str(json.stdout.trim()).map_err(|e| ours(format!("du --json: {e}")))?;
    same(
        "`du --json` objects and bytes under p/",
        (json["Objects"].as_u64(), json["Size"].as_u64()),
        (Some(3), Some(3345)),
    )?;
    // The text line: bytes, count, "objects", the URL.
    let line = ok(ctx, &["du", &prefix]).await?;
    let words: Vec<&str> = line.stdout.split_whitespace().collect();
    same(
        "`du` line",
        words,
        vec!["3345", "3", "objects", prefix.as_str()],
    )?;
    let human = ok(ctx, &["du", "--human-readable", &prefix]).await?;
    if !human.stdout.contains("KiB") {
        return Err(ours(format!(
            "`du --human-readable` shows 3345 bytes in KiB: {:?}",
            human.stdout
        )));
    }
    // By storage class: the classes' counts and bytes add up to the whole bucket.
    let classes = ok(
        ctx,
        &[
            "du",
            "--json",
            "--by-storage-class",
            &format!("s3://{bucket}"),
        ],
    )
    .await?;
    let classes: serde_json::Value = serde_json::from_str(classes.stdout.trim())
        .map_err(|e| ours(format!("du --json --by-storage-class: {e}")))?;
    let sum = classes["StorageClasses"].as_object().map(|map| {
        map.values().fold((0, 0), |(n, s), c| {
            (
                n + c["Objects"].as_u64().unwrap_or(0),
                s + c["Size"].as_u64().unwrap_or(0),
            )
        })
    });
    same(
        "`du --by-storage-class` totals (objects, bytes)",
        (sum, classes["Objects"].as_u64(), classes["Size"].as_u64()),
        (Some((4, 3352)), Some(4), Some(3352)),
    )
});

scenario!(cat, |ctx| {
    let bucket = mb(ctx, "cat").await?;
    let dir = ctx.scratch("cat")?;
    write(&dir.join("small.txt"), b"hello, cat\n")?;
    let big = super::data(11 * 1024 * 1024 + 7, 33);
    write(&dir.join("big.bin"), &big)?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    ok(
        ctx,
        &["cp", &text(&dir.join("small.txt")), &s3("small.txt")],
    )
    .await?;
    ok(
        ctx,
        &[
            "cp",
            "--part-size",
            "5MiB",
            &text(&dir.join("big.bin")),
            &s3("big.bin"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let small = raw_ok(ctx, &["cat", &s3("small.txt")]).await?;
    same("`cat` of a small object", small, b"hello, cat\n".to_vec())?;
    // Three 5 MiB ranges, fetched in parallel and written in order, under a bandwidth limit.
    let got = raw_ok(
        ctx,
        &[
            "cat",
            "--part-size",
            "5MiB",
            "--bwlimit",
            "64MiB",
            &s3("big.bin"),
        ],
    )
    .await?;
    same(
        "`cat --part-size 5MiB` of an 11 MiB object: length, bytes equal",
        (got.len(), got == big),
        (big.len(), true),
    )
});

/// Set a file's modification time `seconds` from now (a future time: "the file is newer").
fn touch(path: &Path, seconds: u64) -> Result<(), Problem> {
    let when = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .map_err(|e| ours(format!("{}: {e}", path.display())))
}

scenario!(sync_modes, |ctx| {
    let bucket = mb(ctx, "syncmodes").await?;
    let dir = ctx.scratch("syncmodes")?;
    let src = dir.join("src");
    write(&src.join("a.txt"), b"aaaa")?;
    let url = format!("s3://{bucket}/m/");
    ok(ctx, &["sync", &text(&src), &url]).await?;
    let object = || async {
        let request = ctx
            .client
            .get_object()
            .bucket(&bucket)
            .key("m/a.txt")
            .request();
        ctx.bytes(request).await.map(|(_, body)| body)
    };
    // Same size, newer file: --size-only leaves the object; a plain sync then replaces it.
    write(&src.join("a.txt"), b"bbbb")?;
    touch(&src.join("a.txt"), 120)?;
    ok(ctx, &["sync", "--size-only", &text(&src), &url]).await?;
    same(
        "the object after `sync --size-only` (same size)",
        object().await?,
        b"aaaa".to_vec(),
    )?;
    ok(ctx, &["sync", &text(&src), &url]).await?;
    same(
        "the object after `sync` (newer file)",
        object().await?,
        b"bbbb".to_vec(),
    )?;
    write(&src.join("a.txt"), b"ccccc")?;
    ok(ctx, &["sync", "--size-only", &text(&src), &url]).await?;
    same(
        "the object after `sync --size-only` (another size)",
        object().await?,
        b"ccccc".to_vec(),
    )?;
    // Down: a local file of the same size and a newer time is kept by default, and replaced
    // with --exact-timestamps (its time is not the object's).
    let down = dir.join("down");
    ok(ctx, &["sync", &url, &text(&down)]).await?;
    write(&down.join("a.txt"), b"local")?;
    touch(&down.join("a.txt"), 120)?;
    ok(ctx, &["sync", &url, &text(&down)]).await?;
    let kept = read(&down.join("a.txt"))?;
    ok(ctx, &["sync", "--exact-timestamps", &url, &text(&down)]).await?;
    let replaced = read(&down.join("a.txt"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if (kept.as_slice(), replaced.as_slice()) != (b"local".as_slice(), b"ccccc".as_slice()) {
        return Err(ours(format!(
            "`sync` down keeps a newer same-size file, `--exact-timestamps` replaces it; got {:?} then {:?}",
            String::from_utf8_lossy(&kept),
            String::from_utf8_lossy(&replaced)
        )));
    }
    Ok(())
});

/// `(Key, Value)` pairs of a GetObjectTagging answer, sorted.
fn tag_pairs(answer: &s3op::Envelope) -> Vec<(String, String)> {
    let set = &answer.response["TagSet"];
    let items: Vec<&serde_json::Value> = match set {
        serde_json::Value::Array(items) => items.iter().collect(),
        serde_json::Value::Object(map) if map.contains_key("Tag") => match &map["Tag"] {
            serde_json::Value::Array(items) => items.iter().collect(),
            one => vec![one],
        },
        serde_json::Value::Object(_) => vec![set],
        _ => Vec::new(),
    };
    let mut pairs: Vec<(String, String)> = items
        .iter()
        .filter_map(|t| {
            Some((
                t["Key"].as_str()?.to_string(),
                t["Value"].as_str()?.to_string(),
            ))
        })
        .collect();
    pairs.sort();
    pairs
}

scenario!(tagging, |ctx| {
    let bucket = mb(ctx, "tagging").await?;
    let dir = ctx.scratch("tagging")?;
    write(&dir.join("t.txt"), b"tagged")?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    ok(
        ctx,
        &[
            "cp",
            "--tagging",
            "team=blue&env=test",
            &text(&dir.join("t.txt")),
            &s3("t.txt"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let tags = |key: &'static str| {
        let request = ctx
            .client
            .get_object_tagging()
            .bucket(&bucket)
            .key(key)
            .request();
        ctx.send(request)
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    same(
        "an upload's tags",
        tag_pairs(&tags("t.txt").await?),
        vec![pair("env", "test"), pair("team", "blue")],
    )?;
    // S3 to S3: the tags are copied by default, dropped with --copy-props none, replaced by --tagging.
    ok(ctx, &["cp", &s3("t.txt"), &s3("copied.txt")]).await?;
    same(
        "a copy's tags",
        tag_pairs(&tags("copied.txt").await?),
        vec![pair("env", "test"), pair("team", "blue")],
    )?;
    ok(
        ctx,
        &["cp", "--copy-props", "none", &s3("t.txt"), &s3("bare.txt")],
    )
    .await?;
    same(
        "the tags of a `--copy-props none` copy",
        tag_pairs(&tags("bare.txt").await?),
        Vec::new(),
    )?;
    ok(
        ctx,
        &[
            "cp",
            "--tagging",
            "new=1",
            &s3("t.txt"),
            &s3("retagged.txt"),
        ],
    )
    .await?;
    same(
        "the tags of a `--tagging` copy",
        tag_pairs(&tags("retagged.txt").await?),
        vec![pair("new", "1")],
    )
});

scenario!(sse_s3, |ctx| {
    let bucket = mb(ctx, "sses3").await?;
    let dir = ctx.scratch("sses3")?;
    write(&dir.join("e.txt"), b"encrypted at rest")?;
    let s3 = |key: &str| format!("s3://{bucket}/{key}");
    ok(
        ctx,
        &[
            "cp",
            "--sse",
            "AES256",
            &text(&dir.join("e.txt")),
            &s3("e.txt"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let head = ctx
        .send(
            ctx.client
                .head_object()
                .bucket(&bucket)
                .key("e.txt")
                .request(),
        )
        .await?;
    same(
        "x-amz-server-side-encryption of a `--sse AES256` upload",
        header(&head, "x-amz-server-side-encryption"),
        Some("AES256".into()),
    )?;
    let back = raw_ok(ctx, &["cat", &s3("e.txt")]).await?;
    same(
        "`cat` of an SSE-S3 object",
        back,
        b"encrypted at rest".to_vec(),
    )
});
