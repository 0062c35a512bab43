//! The high-level commands through the `s3op` binary, as a user runs them. A non-zero exit is
//! classified by the S3 error it prints (`NotImplemented` is unsupported, anything else failed);
//! what the commands did is checked through the library (keys, bytes) or on disk.

use std::path::Path;

use crate::clirun::{self, Run};
use crate::harness::{ours, same, settled, wrong, Ctx, Problem};

/// Run `s3op --endpoint-url … ARGS` against the scenario's server, off the async threads.
pub(super) async fn s3op(ctx: &Ctx, args: &[&str]) -> Result<Run, Problem> {
    let server = ctx.server;
    let mut full = vec!["--endpoint-url".to_string(), server.endpoint.clone()];
    full.extend(args.iter().map(|a| a.to_string()));
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("AWS_REGION", server.region.clone()),
    ];
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args: Vec<&str> = full.iter().map(String::as_str).collect();
        clirun::run(&env, &args)
    })
    .await
    .map_err(|e| ours(format!("s3op did not run: {e}")))
}

/// Run and require exit 0; a failure is classified by what s3op printed.
pub(super) async fn ok(ctx: &Ctx, args: &[&str]) -> Result<Run, Problem> {
    let run = s3op(ctx, args).await?;
    if run.code == 0 && !run.stderr.contains("panicked") {
        return Ok(run);
    }
    let said = format!(
        "`s3op {}` exited {}: {}",
        args.join(" "),
        run.code,
        run.stderr.trim()
    );
    if run.stderr.contains("NotImplemented") || run.stderr.contains(" 501") {
        Err(Problem::Unsupported(said))
    } else {
        Err(Problem::Failed(said))
    }
}

/// Every key in `bucket`, through the library (one page: the scenarios stay small).
async fn all_keys(ctx: &Ctx, bucket: &str) -> Result<Vec<String>, Problem> {
    let answer = ctx
        .client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| crate::harness::classify("list-objects-v2", &e))?;
    let mut keys = super::keys(&answer.response);
    keys.sort();
    Ok(keys)
}

pub(super) fn write(path: &Path, bytes: &[u8]) -> Result<(), Problem> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ours(e.to_string()))?;
    }
    std::fs::write(path, bytes).map_err(|e| ours(format!("{}: {e}", path.display())))
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>, Problem> {
    std::fs::read(path).map_err(|e| ours(format!("{}: {e}", path.display())))
}

pub(super) fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A bucket made with `s3op mb`.
pub(super) async fn mb(ctx: &Ctx, scenario: &str) -> Result<String, Problem> {
    let bucket = crate::support::unique_bucket(&format!("c-{scenario}"));
    ok(ctx, &["mb", &format!("s3://{bucket}")]).await?;
    Ok(bucket)
}

scenario!(mb_rb, |ctx| {
    let bucket = mb(ctx, "mb").await?;
    let head = ctx.client.head_bucket().bucket(&bucket).send().await;
    if head.is_err() {
        return Err(wrong("the bucket `mb` made exists", format!("{head:?}")));
    }
    ok(ctx, &["rb", &format!("s3://{bucket}")]).await?;
    let gone = ctx.client.head_bucket().bucket(&bucket).send().await;
    if gone.is_ok() {
        return Err(wrong("`rb` removed the bucket", "it is still there"));
    }
    // A bucket with objects goes with --force.
    let dir = ctx.scratch("rbforce")?;
    write(&dir.join("a.txt"), b"a")?;
    let full = mb(ctx, "rbforce").await?;
    ok(
        ctx,
        &[
            "cp",
            &text(&dir.join("a.txt")),
            &format!("s3://{full}/a.txt"),
        ],
    )
    .await?;
    ok(ctx, &["rb", "--force", &format!("s3://{full}")]).await?;
    let gone = ctx.client.head_bucket().bucket(&full).send().await;
    same("`rb --force` removed the bucket", gone.is_ok(), false)?;
    // Without --force, the server must refuse to delete a bucket that still holds objects.
    let kept = mb(ctx, "rbkept").await?;
    ok(
        ctx,
        &[
            "cp",
            &text(&dir.join("a.txt")),
            &format!("s3://{kept}/a.txt"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let refused = s3op(ctx, &["rb", &format!("s3://{kept}")]).await?;
    if refused.code == 0 {
        return Err(wrong(
            "DeleteBucket (`rb`) refuses a non-empty bucket",
            format!("exit 0: {}", refused.stdout.trim()),
        ));
    }
    if !refused.stderr.contains("BucketNotEmpty") {
        return Err(wrong(
            "`rb` of a non-empty bucket says BucketNotEmpty",
            refused.stderr,
        ));
    }
    Ok(())
});

scenario!(cp, |ctx| {
    let bucket = mb(ctx, "cp").await?;
    let dir = ctx.scratch("cp")?;
    let payload = super::data(6 * 1024 * 1024 + 5, 9);
    write(&dir.join("up/big.bin"), &payload)?;
    write(&dir.join("up/sub/small name.txt"), b"small")?;
    ok(
        ctx,
        &[
            "cp",
            &text(&dir.join("up/big.bin")),
            &format!("s3://{bucket}/one/big.bin"),
        ],
    )
    .await?;
    ok(
        ctx,
        &[
            "cp",
            &format!("s3://{bucket}/one/big.bin"),
            &text(&dir.join("down/big.bin")),
        ],
    )
    .await?;
    same(
        "`cp` down the bytes `cp` put up",
        read(&dir.join("down/big.bin"))? == payload,
        true,
    )?;
    ok(
        ctx,
        &[
            "cp",
            &format!("s3://{bucket}/one/big.bin"),
            &format!("s3://{bucket}/two/copied.bin"),
        ],
    )
    .await?;
    ok(
        ctx,
        &[
            "cp",
            "-r",
            &text(&dir.join("up")),
            &format!("s3://{bucket}/tree/"),
        ],
    )
    .await?;
    same(
        "keys after cp",
        all_keys(ctx, &bucket).await?,
        vec![
            "one/big.bin".to_string(),
            "tree/big.bin".into(),
            "tree/sub/small name.txt".into(),
            "two/copied.bin".into(),
        ],
    )?;
    ok(
        ctx,
        &[
            "cp",
            "-r",
            &format!("s3://{bucket}/tree/"),
            &text(&dir.join("back")),
        ],
    )
    .await?;
    same(
        "recursive cp down",
        read(&dir.join("back/sub/small name.txt"))?,
        b"small".to_vec(),
    )?;
    ok(
        ctx,
        &[
            "cp",
            &format!("s3://{bucket}/two/copied.bin"),
            &text(&dir.join("copied.bin")),
        ],
    )
    .await?;
    let copied = read(&dir.join("copied.bin"))? == payload;
    let _ = std::fs::remove_dir_all(&dir);
    same("the S3-to-S3 copy's bytes", copied, true)
});

scenario!(sync, |ctx| {
    let bucket = mb(ctx, "sync").await?;
    let dir = ctx.scratch("sync")?;
    let src = dir.join("src");
    write(&src.join("a.txt"), b"alpha")?;
    write(&src.join("d/b.txt"), b"beta")?;
    write(&src.join("d/c.txt"), b"gamma")?;
    let url = format!("s3://{bucket}/s/");
    ok(ctx, &["sync", &text(&src), &url]).await?;
    same(
        "keys after sync up",
        all_keys(ctx, &bucket).await?,
        vec![
            "s/a.txt".to_string(),
            "s/d/b.txt".into(),
            "s/d/c.txt".into(),
        ],
    )?;
    // Change one file, remove another: sync --delete mirrors both.
    write(&src.join("a.txt"), b"alpha, changed")?;
    std::fs::remove_file(src.join("d/c.txt")).map_err(|e| ours(e.to_string()))?;
    ok(ctx, &["sync", "--delete", &text(&src), &url]).await?;
    // A Garage cluster may list a key deleted a moment ago until the delete reaches the third
    // replica (src/compat.rs): the listing must come to the mirror within a few seconds.
    let want = vec!["s/a.txt".to_string(), "s/d/b.txt".into()];
    let listed = settled(&want, || all_keys(ctx, &bucket)).await?;
    same("keys after sync --delete", listed, want)?;
    let down = dir.join("down");
    ok(ctx, &["sync", &url, &text(&down)]).await?;
    same(
        "synced down a.txt",
        read(&down.join("a.txt"))?,
        b"alpha, changed".to_vec(),
    )?;
    same(
        "synced down d/b.txt",
        read(&down.join("d/b.txt"))?,
        b"beta".to_vec(),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
});

scenario!(ls, |ctx| {
    let bucket = mb(ctx, "ls").await?;
    let dir = ctx.scratch("ls")?;
    write(&dir.join("t/photos/a.jpg"), b"aa")?;
    write(&dir.join("t/photos/2026/b.jpg"), b"bbb")?;
    write(&dir.join("t/readme"), b"r")?;
    ok(
        ctx,
        &[
            "cp",
            "-r",
            &text(&dir.join("t")),
            &format!("s3://{bucket}/"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    let lines = |run: &Run| -> Vec<serde_json::Value> {
        run.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    let buckets = ok(ctx, &["ls", "--json"]).await?;
    if !lines(&buckets).iter().any(|b| b["Name"] == bucket.as_str()) {
        return Err(wrong("`ls` lists the bucket", buckets.stdout));
    }
    let top = ok(ctx, &["ls", "--json", &format!("s3://{bucket}/")]).await?;
    let top = lines(&top);
    let prefixes: Vec<&str> = top.iter().filter_map(|i| i["Prefix"].as_str()).collect();
    let keys: Vec<&str> = top.iter().filter_map(|i| i["Key"].as_str()).collect();
    same("`ls` prefixes", prefixes, vec!["photos/"])?;
    same("`ls` keys", keys, vec!["readme"])?;
    let all = ok(
        ctx,
        &[
            "ls",
            "--recursive",
            "--summarize",
            &format!("s3://{bucket}"),
        ],
    )
    .await?;
    if !(all.stdout.contains("photos/2026/b.jpg") && all.stdout.contains("Total Objects: 3")) {
        return Err(wrong(
            "`ls --recursive --summarize` shows 3 objects",
            all.stdout,
        ));
    }
    Ok(())
});

scenario!(rm, |ctx| {
    let bucket = mb(ctx, "rm").await?;
    let dir = ctx.scratch("rm")?;
    for name in ["x/1", "x/2", "x/3", "y"] {
        write(&dir.join("t").join(name), name.as_bytes())?;
    }
    ok(
        ctx,
        &[
            "cp",
            "-r",
            &text(&dir.join("t")),
            &format!("s3://{bucket}/"),
        ],
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    ok(ctx, &["rm", &format!("s3://{bucket}/y")]).await?;
    same(
        "keys after rm",
        all_keys(ctx, &bucket).await?,
        vec!["x/1".to_string(), "x/2".into(), "x/3".into()],
    )?;
    ok(ctx, &["rm", "--recursive", &format!("s3://{bucket}/x/")]).await?;
    same(
        "keys after rm --recursive",
        all_keys(ctx, &bucket).await?,
        Vec::<String>::new(),
    )
});
