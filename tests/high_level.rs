//! The high-level commands (`cp`, `ls`, `rm`, `mb`, `rb`, `sync`) run as a user runs them: against
//! s3s-fs (which checks signatures) for behaviour, moto for keys s3s-fs cannot store (keys that try
//! to climb out of the destination directory), and wiremock where a request count or a hand-made
//! answer is the point (bad usage sends nothing; DeleteObjects' per-key `Errors`).

mod clirun;
mod support;

#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};

use clirun::Run;
use wiremock::matchers::{header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use cli::{keys, s3op as on};

fn s3(args: &[&str]) -> Run {
    on(support::s3s_fs(), args)
}

fn s3_stdin(args: &[&str], stdin: &[u8]) -> Run {
    cli::s3op_with_stdin(support::s3s_fs(), args, stdin)
}

/// A fresh, empty directory for one test, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("s3op-high-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    Scratch(dir)
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent dir");
    }
    std::fs::write(path, bytes).expect("write file");
}

fn text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

fn new_bucket(prefix: &str) -> String {
    cli::bucket(support::s3s_fs(), prefix)
}

fn json_lines(r: &Run) -> Vec<serde_json::Value> {
    r.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{r}"))
        })
        .collect()
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A tree with nested directories and awkward names.
const TREE: [&str; 6] = [
    "top.txt",
    "with space/inner file.txt",
    "plus+sign/a+b.log",
    "ünïcödé/ключ.bin",
    "deep/er/est/leaf.log",
    "deep/er/x.txt",
];

fn make_tree(dir: &Path) {
    for (i, rel) in TREE.iter().enumerate() {
        write(&dir.join(rel), format!("file {i}: {rel}\n").as_bytes());
    }
}

#[test]
fn cp_one_file_up_and_down() {
    let bucket = new_bucket("cp-one");
    let dir = temp_dir("cp-one");
    let source = dir.join("hello world.txt");
    write(&source, b"hello, s3op\n");

    // To an explicit key, and to a prefix (the name is kept).
    let up = s3(&[
        "cp",
        &text(&source),
        &format!("s3://{bucket}/docs/greeting.txt"),
    ]);
    up.expect_code(0);
    assert!(
        up.stdout.contains(&format!(
            "upload: {} to s3://{bucket}/docs/greeting.txt",
            text(&source)
        )),
        "{up}"
    );
    s3(&["cp", &text(&source), &format!("s3://{bucket}/docs/")]).expect_code(0);
    assert_eq!(
        keys(support::s3s_fs(), &bucket, ""),
        ["docs/greeting.txt", "docs/hello world.txt"]
    );

    // The Content-Type is guessed from the extension, or given.
    let head = s3(&[
        "head-object",
        "--bucket",
        &bucket,
        "--key",
        "docs/greeting.txt",
    ]);
    assert_eq!(
        head.json()["headers"]["content-type"],
        "text/plain",
        "{head}"
    );
    s3(&[
        "cp",
        "--content-type",
        "application/x-s3op",
        &text(&source),
        &format!("s3://{bucket}/typed"),
    ])
    .expect_code(0);
    let head = s3(&["head-object", "--bucket", &bucket, "--key", "typed"]);
    assert_eq!(
        head.json()["headers"]["content-type"],
        "application/x-s3op",
        "{head}"
    );
    s3(&["rm", &format!("s3://{bucket}/typed")]).expect_code(0);

    // Back to a file, and into an existing directory (the key's last segment is the name).
    let back = dir.join("back.txt");
    s3(&[
        "cp",
        &format!("s3://{bucket}/docs/greeting.txt"),
        &text(&back),
    ])
    .expect_code(0);
    assert_eq!(std::fs::read(&back).expect("downloaded"), b"hello, s3op\n");
    let into = dir.join("into");
    std::fs::create_dir_all(&into).expect("dir");
    s3(&[
        "cp",
        &format!("s3://{bucket}/docs/hello world.txt"),
        &text(&into),
    ])
    .expect_code(0);
    assert_eq!(
        std::fs::read(into.join("hello world.txt")).expect("downloaded"),
        b"hello, s3op\n"
    );

    // A missing object: exit 1, S3's code named.
    let missing = s3(&[
        "cp",
        &format!("s3://{bucket}/nope"),
        &text(&dir.join("nope")),
    ]);
    missing.expect_code(1);
    assert!(missing.stderr.contains("NoSuchKey"), "{missing}");
    assert!(!dir.join("nope").exists());
}

#[test]
fn cp_multipart_sized_file_with_part_size() {
    let bucket = new_bucket("cp-big");
    let dir = temp_dir("cp-big");
    let big = dir.join("big.bin");
    let bytes: Vec<u8> = (0..40u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    write(&big, &bytes);
    s3(&[
        "cp",
        "--part-size",
        "5MiB",
        "--concurrency",
        "4",
        &text(&big),
        &format!("s3://{bucket}/big.bin"),
    ])
    .expect_code(0);
    let head = s3(&["head-object", "--bucket", &bucket, "--key", "big.bin"]);
    head.expect_code(0);
    let etag = head.json()["headers"]["etag"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        etag.trim_matches('"').ends_with("-8"),
        "40 MiB in 5 MiB parts is 8 parts: {etag}"
    );
    let back = dir.join("back.bin");
    s3(&[
        "cp",
        "--part-size",
        "5MiB",
        &format!("s3://{bucket}/big.bin"),
        &text(&back),
    ])
    .expect_code(0);
    assert!(
        std::fs::read(&back).expect("downloaded") == bytes,
        "the bytes differ"
    );
    // A part size S3 cannot take is bad usage.
    let small = s3(&[
        "cp",
        "--part-size",
        "1MiB",
        &text(&big),
        &format!("s3://{bucket}/x"),
    ]);
    small.expect_code(2);
    assert!(small.stderr.contains("--part-size"), "{small}");
}

#[test]
fn cp_recursive_tree_round_trip_with_awkward_names() {
    let bucket = new_bucket("cp-tree");
    let dir = temp_dir("cp-tree");
    let src = dir.join("src");
    make_tree(&src);
    let up = s3(&[
        "cp",
        "--recursive",
        &text(&src),
        &format!("s3://{bucket}/tree"),
    ]);
    up.expect_code(0);
    assert_eq!(up.stdout.lines().count(), TREE.len(), "{up}");
    let mut want: Vec<String> = TREE.iter().map(|rel| format!("tree/{rel}")).collect();
    want.sort();
    assert_eq!(keys(support::s3s_fs(), &bucket, ""), want);

    let dst = dir.join("dst");
    let down = s3(&["cp", "-r", &format!("s3://{bucket}/tree/"), &text(&dst)]);
    down.expect_code(0);
    assert_eq!(files_under(&dst), files_under(&src));
    for rel in TREE {
        assert_eq!(
            std::fs::read(dst.join(rel)).ok(),
            std::fs::read(src.join(rel)).ok(),
            "{rel}"
        );
    }
    // S3 to S3, a whole prefix, then one object to a prefix.
    let copied = s3(&[
        "cp",
        "-r",
        &format!("s3://{bucket}/tree/"),
        &format!("s3://{bucket}/copy/"),
    ]);
    copied.expect_code(0);
    assert!(copied.stdout.contains("copy: s3://"), "{copied}");
    assert_eq!(keys(support::s3s_fs(), &bucket, "copy/").len(), TREE.len());
    let other = new_bucket("cp-tree-other");
    s3(&[
        "cp",
        &format!("s3://{bucket}/tree/ünïcödé/ключ.bin"),
        &format!("s3://{other}/x/"),
    ])
    .expect_code(0);
    assert_eq!(keys(support::s3s_fs(), &other, ""), ["x/ключ.bin"]);
    let got = dir.join("got.bin");
    s3(&["cp", &format!("s3://{other}/x/ключ.bin"), &text(&got)]).expect_code(0);
    assert_eq!(
        std::fs::read(got).ok(),
        std::fs::read(src.join("ünïcödé/ключ.bin")).ok()
    );
}

#[test]
fn cp_wildcards_on_both_sides() {
    let bucket = new_bucket("cp-wild");
    let dir = temp_dir("cp-wild");
    let src = dir.join("src");
    make_tree(&src);
    // Local: * reaches into subdirectories; paths stay relative to the part before the wildcard.
    let pattern = format!("{}/*.log", text(&src));
    s3(&["cp", &pattern, &format!("s3://{bucket}/logs/")]).expect_code(0);
    assert_eq!(
        keys(support::s3s_fs(), &bucket, ""),
        ["logs/deep/er/est/leaf.log", "logs/plus+sign/a+b.log"]
    );
    s3(&["cp", "-r", &text(&src), &format!("s3://{bucket}/all/")]).expect_code(0);
    // S3: list the literal prefix, keep what matches.
    let dst = dir.join("dst");
    let down = s3(&["cp", &format!("s3://{bucket}/all/deep/*.txt"), &text(&dst)]);
    down.expect_code(0);
    assert_eq!(files_under(&dst), ["er/x.txt"]);
    let star = dir.join("star");
    s3(&["cp", &format!("s3://{bucket}/all/*"), &text(&star)]).expect_code(0);
    assert_eq!(files_under(&star), files_under(&src));
    // Nothing matches: exit 1, said so.
    let none = s3(&["cp", &format!("s3://{bucket}/all/*.zip"), &text(&dst)]);
    none.expect_code(1);
    assert!(none.stderr.contains("no object matches"), "{none}");
    // ls and rm take wildcards too.
    let ls = s3(&["ls", "--json", &format!("s3://{bucket}/all/*.log")]);
    ls.expect_code(0);
    assert_eq!(json_lines(&ls).len(), 2, "{ls}");
    s3(&["rm", &format!("s3://{bucket}/all/*.log")]).expect_code(0);
    assert_eq!(
        keys(support::s3s_fs(), &bucket, "all/").len(),
        TREE.len() - 2
    );
}

#[test]
fn cp_stdin_and_stdout() {
    let bucket = new_bucket("cp-stdio");
    let payload = b"from standard input\n\x00\xff binary too";
    s3_stdin(&["cp", "-", &format!("s3://{bucket}/piped.bin")], payload).expect_code(0);
    let out = s3(&["cp", &format!("s3://{bucket}/piped.bin"), "-"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout.as_bytes(),
        String::from_utf8_lossy(payload).as_bytes()
    );
    // stdin to a prefix has no key: bad usage.
    s3_stdin(&["cp", "-", &format!("s3://{bucket}/dir/")], b"x").expect_code(2);
}

#[test]
fn ls_prints_prefixes_and_objects_as_text_and_json() {
    let bucket = new_bucket("ls");
    let dir = temp_dir("ls");
    write(&dir.join("a.txt"), b"12345");
    write(&dir.join("photos/2026/b.jpg"), b"123");
    write(&dir.join("photos/c.jpg"), b"1");
    s3(&["cp", "-r", &text(&dir), &format!("s3://{bucket}/")]).expect_code(0);

    let top = s3(&["ls", &format!("s3://{bucket}")]);
    top.expect_code(0);
    let lines: Vec<&str> = top.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{top}");
    assert_eq!(lines[0], "                           PRE photos/");
    let object_line = lines[1];
    assert!(
        object_line.ends_with("          5 a.txt"),
        "{object_line:?}"
    );
    let (date, time) = (&object_line[..10], &object_line[11..19]);
    assert!(
        date.as_bytes()[4] == b'-' && time.as_bytes()[2] == b':',
        "{object_line:?}"
    );

    // Inside a prefix: names relative to it.
    let inner = s3(&["ls", &format!("s3://{bucket}/photos/")]);
    inner.expect_code(0);
    assert!(
        inner.stdout.contains("PRE 2026/\n") && inner.stdout.contains(" 1 c.jpg\n"),
        "{inner}"
    );

    let json = s3(&["ls", "--json", &format!("s3://{bucket}/photos/")]);
    json.expect_code(0);
    let items = json_lines(&json);
    assert_eq!(items[0]["Prefix"], "photos/2026/");
    assert_eq!(items[1]["Key"], "photos/c.jpg");
    assert_eq!(items[1]["Size"], 1);

    let all = s3(&[
        "ls",
        "--recursive",
        "--summarize",
        &format!("s3://{bucket}"),
    ]);
    all.expect_code(0);
    assert!(
        all.stdout.contains("photos/2026/b.jpg") && all.stdout.contains("Total Objects: 3"),
        "{all}"
    );

    let buckets = s3(&["ls", "--json"]);
    buckets.expect_code(0);
    assert!(
        json_lines(&buckets)
            .iter()
            .any(|b| b["Name"] == bucket.as_str()),
        "{buckets}"
    );
    let missing = s3(&["ls", &format!("s3://{}", support::unique_bucket("no-such"))]);
    missing.expect_code(1);
    assert!(missing.stderr.contains("NoSuchBucket"), "{missing}");
}

#[test]
fn rm_recursive_deletes_in_batches_of_a_thousand() {
    let bucket = new_bucket("rm-many");
    let dir = temp_dir("rm-many");
    for i in 0..1234 {
        write(&dir.join(format!("d{}/f{i:04}", i % 7)), b"x");
    }
    s3(&[
        "cp",
        "-r",
        "--quiet",
        &text(&dir),
        &format!("s3://{bucket}/many/"),
    ])
    .expect_code(0);
    write(&dir.join("keep"), b"k");
    s3(&[
        "cp",
        &text(&dir.join("keep")),
        &format!("s3://{bucket}/keep"),
    ])
    .expect_code(0);
    assert_eq!(keys(support::s3s_fs(), &bucket, "many/").len(), 1234);

    // Dry run: lists, deletes nothing.
    let dry = s3(&["--dry-run", "rm", "-r", &format!("s3://{bucket}/many/")]);
    dry.expect_code(0);
    assert_eq!(
        dry.stdout
            .lines()
            .filter(|l| l.starts_with("(dryrun) delete: "))
            .count(),
        1234
    );
    assert_eq!(keys(support::s3s_fs(), &bucket, "many/").len(), 1234);

    let rm = s3(&[
        "rm",
        "--recursive",
        "--json",
        &format!("s3://{bucket}/many"),
    ]);
    rm.expect_code(0);
    let lines = json_lines(&rm);
    assert_eq!(lines.len(), 1234);
    let mut batches: Vec<u64> = lines.iter().filter_map(|l| l["batch"].as_u64()).collect();
    batches.sort();
    batches.dedup();
    assert_eq!(
        batches,
        [1, 2],
        "1,234 keys take two DeleteObjects requests"
    );
    assert!(keys(support::s3s_fs(), &bucket, "many/").is_empty());
    assert_eq!(keys(support::s3s_fs(), &bucket, ""), ["keep"]);
}

#[test]
fn mb_rb_and_rb_force() {
    let bucket = support::unique_bucket("mb");
    let made = s3(&["mb", &format!("s3://{bucket}")]);
    made.expect_code(0);
    assert_eq!(made.stdout.trim(), format!("make_bucket: {bucket}"));
    s3(&["head-bucket", "--bucket", &bucket]).expect_code(0);
    s3(&["mb", &format!("s3://{bucket}")]).expect_code(1);
    s3(&["rb", &format!("s3://{bucket}")]).expect_code(0);
    s3(&["head-bucket", "--bucket", &bucket]).expect_code(1);

    let full = new_bucket("rb-force");
    let dir = temp_dir("rb-force");
    make_tree(&dir);
    s3(&["cp", "-r", &text(&dir), &format!("s3://{full}/")]).expect_code(0);
    let forced = s3(&["rb", "--force", &format!("s3://{full}")]);
    forced.expect_code(0);
    assert_eq!(
        forced.stdout.matches("delete: ").count(),
        TREE.len(),
        "{forced}"
    );
    assert!(
        forced.stdout.contains(&format!("remove_bucket: {full}")),
        "{forced}"
    );
    s3(&["head-bucket", "--bucket", &full]).expect_code(1);
}

/// s3s-fs deletes a bucket with objects in it; moto refuses, as S3 does, until `--force`.
#[test]
fn rb_without_force_keeps_a_bucket_with_objects() {
    let moto = support::moto();
    let bucket = support::unique_bucket("rb-full");
    on(moto, &["mb", &format!("s3://{bucket}")]).expect_code(0);
    let dir = temp_dir("rb-full");
    make_tree(&dir);
    on(moto, &["cp", "-r", &text(&dir), &format!("s3://{bucket}/")]).expect_code(0);
    let refused = on(moto, &["rb", &format!("s3://{bucket}")]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("remove_bucket failed")
            && refused.stderr.contains("BucketNotEmpty"),
        "{refused}"
    );
    on(moto, &["rb", "--force", &format!("s3://{bucket}")]).expect_code(0);
    on(moto, &["head-bucket", "--bucket", &bucket]).expect_code(1);
}

#[test]
fn sync_both_ways_with_delete_and_dry_run() {
    let bucket = new_bucket("sync");
    let dir = temp_dir("sync");
    let src = dir.join("src");
    make_tree(&src);
    let url = format!("s3://{bucket}/mirror/");
    let up = s3(&["sync", &text(&src), &url]);
    up.expect_code(0);
    assert_eq!(up.stdout.lines().count(), TREE.len(), "{up}");
    // Nothing changed: nothing to do.
    let again = s3(&["sync", &text(&src), &url]);
    again.expect_code(0);
    assert_eq!(again.stdout, "", "{again}");

    // Change one file's size, add one, remove one.
    write(&src.join("top.txt"), b"a longer top file\n");
    write(&src.join("new/file.txt"), b"new\n");
    std::fs::remove_file(src.join("deep/er/x.txt")).expect("rm");
    let before = keys(support::s3s_fs(), &bucket, "");
    let dry = s3(&["--dry-run", "sync", "--delete", &text(&src), &url]);
    dry.expect_code(0);
    let mut planned: Vec<&str> = dry.stdout.lines().collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            format!("(dryrun) delete: s3://{bucket}/mirror/deep/er/x.txt"),
            format!(
                "(dryrun) upload: {} to s3://{bucket}/mirror/new/file.txt",
                text(&src.join("new/file.txt"))
            ),
            format!(
                "(dryrun) upload: {} to s3://{bucket}/mirror/top.txt",
                text(&src.join("top.txt"))
            ),
        ]
    );
    assert_eq!(
        keys(support::s3s_fs(), &bucket, ""),
        before,
        "a dry run changes nothing"
    );

    s3(&["sync", "--delete", &text(&src), &url]).expect_code(0);
    let mut want: Vec<String> = files_under(&src)
        .iter()
        .map(|rel| format!("mirror/{rel}"))
        .collect();
    want.sort();
    assert_eq!(keys(support::s3s_fs(), &bucket, ""), want);

    // Down: into a fresh directory, then again (nothing to do), then with --delete of a stray file.
    let dst = dir.join("dst");
    s3(&["sync", &url, &text(&dst)]).expect_code(0);
    assert_eq!(files_under(&dst), files_under(&src));
    assert_eq!(
        std::fs::read(dst.join("top.txt")).ok(),
        Some(b"a longer top file\n".to_vec())
    );
    let again = s3(&["sync", &url, &text(&dst)]);
    again.expect_code(0);
    assert_eq!(again.stdout, "", "{again}");
    // Downloads carry S3's modification time, so syncing them back up uploads nothing.
    let back_up = s3(&["sync", &text(&dst), &url]);
    back_up.expect_code(0);
    assert_eq!(back_up.stdout, "", "{back_up}");

    write(&dst.join("stray.txt"), b"stray");
    let dry = s3(&["--dry-run", "sync", "--delete", &url, &text(&dst)]);
    dry.expect_code(0);
    assert_eq!(
        dry.stdout.trim(),
        format!("(dryrun) delete: {}", text(&dst.join("stray.txt")))
    );
    assert!(dst.join("stray.txt").exists(), "a dry run changes nothing");
    s3(&["sync", "--delete", &url, &text(&dst)]).expect_code(0);
    assert!(!dst.join("stray.txt").exists());
    assert_eq!(files_under(&dst), files_under(&src));

    // --checksum: same size, different bytes, an older time: only --checksum sees the change.
    let top = dst.join("top.txt");
    write(&top, b"A LONGER TOP FILE\n");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&top)
        .and_then(|f| f.set_modified(old))
        .expect("set mtime");
    let by_time = s3(&["sync", &text(&dst), &url]);
    by_time.expect_code(0);
    assert_eq!(by_time.stdout, "", "{by_time}");
    let by_content = s3(&["sync", "--checksum", &text(&dst), &url]);
    by_content.expect_code(0);
    assert_eq!(
        by_content.stdout.trim(),
        format!("upload: {} to {url}top.txt", text(&top))
    );
    let again = s3(&["sync", "--checksum", &text(&dst), &url]);
    again.expect_code(0);
    assert_eq!(again.stdout, "", "{again}");

    // S3 to S3.
    let copied = s3(&["sync", &url, &format!("s3://{bucket}/second/")]);
    copied.expect_code(0);
    assert_eq!(
        keys(support::s3s_fs(), &bucket, "second/").len(),
        want.len()
    );
}

#[test]
fn failures_name_s3s_error_and_request_id_and_the_rest_go_on() {
    let dir = temp_dir("fail");
    make_tree(&dir);
    // moto answers NoSuchBucket for a bucket that does not exist (s3s-fs creates it on the fly).
    let missing = support::unique_bucket("missing");
    let r = on(
        support::moto(),
        &["cp", "-r", &text(&dir), &format!("s3://{missing}/")],
    );
    r.expect_code(1);
    assert_eq!(
        r.stderr.matches("upload failed: ").count(),
        TREE.len(),
        "{r}"
    );
    assert!(
        r.stderr.contains("NoSuchBucket") && r.stderr.contains("request id"),
        "{r}"
    );

    // One download that cannot be written (a directory holds its name); the others arrive.
    let bucket = new_bucket("fail-one");
    s3(&["cp", "-r", &text(&dir), &format!("s3://{bucket}/")]).expect_code(0);
    let dst = temp_dir("fail-dst");
    std::fs::create_dir_all(dst.join("top.txt")).expect("dir in the way");
    let r = s3(&["cp", "-r", &format!("s3://{bucket}/"), &text(&dst)]);
    r.expect_code(1);
    assert!(
        r.stderr
            .contains(&format!("download failed: s3://{bucket}/top.txt")),
        "{r}"
    );
    assert_eq!(r.stdout.lines().count(), TREE.len() - 1, "{r}");
}

/// Keys that are not safe paths, stored on moto (s3s-fs keeps objects as files and refuses them),
/// then downloaded with `cp --recursive` and `sync`: nothing may appear outside the destination.
#[test]
fn keys_are_not_paths() {
    let moto = support::moto();
    let bucket = support::unique_bucket("evil");
    on(moto, &["mb", &format!("s3://{bucket}")]).expect_code(0);
    let evil = [
        "../../etc/passwd",
        "/abs",
        "a/../../b",
        "C:\\x",
        "..\\\\x",
        "..\\x",
        "a//b",
        "./x",
        "../escape.txt",
        "x/../../up.txt",
    ];
    let root = temp_dir("evil");
    let body = root.join("body");
    write(&body, b"evil");
    for key in evil.iter().chain(["safe/ok.txt"].iter()) {
        on(
            moto,
            &[
                "put-object",
                "--bucket",
                &bucket,
                "--key",
                key,
                "--body",
                &text(&body),
            ],
        )
        .expect_code(0);
    }
    // The destination sits two levels down, so a climbing key would land inside `root` where we look.
    let before = files_under(&root);
    for (command, name) in [("cp", "cp-dest"), ("sync", "sync-dest")] {
        let dest = root.join("jail").join(name);
        let args: Vec<String> = match command {
            "cp" => vec![
                "cp".into(),
                "--recursive".into(),
                format!("s3://{bucket}/"),
                text(&dest),
            ],
            _ => vec!["sync".into(), format!("s3://{bucket}/"), text(&dest)],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = on(moto, &args);
        r.expect_code(1);
        for key in evil {
            assert!(
                r.stderr.contains(&format!("refused: the key {key:?}")),
                "{command}: the refusal should name {key:?}:\n{r}"
            );
        }
        assert_eq!(files_under(&dest), ["safe/ok.txt"], "{command}:\n{r}");
    }
    let mut outside = files_under(&root);
    outside.retain(|f| !f.starts_with("jail/"));
    assert_eq!(outside, before, "nothing written beside the destinations");
    assert_eq!(
        files_under(&root.join("jail")),
        ["cp-dest/safe/ok.txt", "sync-dest/safe/ok.txt"],
        "nothing written between the destinations and their parent"
    );
    assert!(!Path::new("/abs").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_exits_2_and_sends_nothing() {
    let server = MockServer::start().await;
    let dir = temp_dir("usage");
    write(&dir.join("f.txt"), b"x");
    let file = text(&dir.join("f.txt"));
    let folder = text(&dir);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["cp", "s3:/b", "x"], "s3:/b"),
        (vec!["cp", "s3:b/k", "x"], "s3:b/k"),
        (vec!["cp", "s3://", "x"], "bucket"),
        (vec!["cp", &file], "DST"),
        (vec!["cp"], "SRC"),
        (vec!["cp", &file, "/tmp/elsewhere"], "s3://"),
        (vec!["cp", "-", "-"], "s3://"),
        (vec!["cp", &folder, "s3://bkt/p/"], "--recursive"),
        (vec!["cp", "s3://bkt/prefix/", &folder], "--recursive"),
        (vec!["cp", "s3://bkt", &folder], "--recursive"),
        (vec!["cp", "-r", "s3://bkt/p/", "-"], "standard output"),
        (
            vec!["cp", "--part-size", "8 parsecs", &file, "s3://bkt/k"],
            "--part-size",
        ),
        (
            vec!["cp", "--concurrency", "0", &file, "s3://bkt/k"],
            "--concurrency",
        ),
        (
            vec!["cp", "/definitely/not/here", "s3://bkt/k"],
            "/definitely/not/here",
        ),
        (vec!["rm", "s3://bkt/prefix/"], "--recursive"),
        (vec!["rm", "s3:/bkt/k"], "s3:/bkt/k"),
        (vec!["rm", &file], "S3 URL"),
        (vec!["ls", "s3:/bkt"], "s3:/bkt"),
        (vec!["mb", "s3://bkt/key"], "bucket only"),
        (vec!["rb"], "s3://BUCKET"),
        (vec!["sync", &file, "s3://bkt/p/"], "not a directory"),
        (vec!["sync", &folder, &folder], "s3://"),
        (vec!["sync", "s3://bkt/p/", "-"], "s3://"),
    ];
    cli::expect_usage_errors(&server.uri(), &cases);
    assert_eq!(
        server
            .received_requests()
            .await
            .map(|r| r.len())
            .unwrap_or(0),
        0,
        "bad usage must not reach the server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rm_reports_the_per_key_errors_of_delete_objects() {
    let server = MockServer::start().await;
    let listing = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>p/good</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"e1"</ETag><Size>1</Size></Contents>
<Contents><Key>p/locked</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"e2"</ETag><Size>1</Size></Contents>
</ListBucketResult>"#;
    let result = r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error><Key>p/locked</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"#;
    Mock::given(method("GET"))
        .and(query_param("list-type", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(listing))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(query_param("delete", ""))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-amz-request-id", "REQ-DEL-1")
                .set_body_string(result),
        )
        .mount(&server)
        .await;
    let uri = server.uri();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let r = clirun::run(&env, &["--endpoint-url", &uri, "rm", "-r", "s3://bkt/p/"]);
    r.expect_code(1);
    assert_eq!(r.stdout.trim(), "delete: s3://bkt/p/good", "{r}");
    assert!(
        r.stderr.contains("delete failed: s3://bkt/p/locked")
            && r.stderr.contains("AccessDenied")
            && r.stderr.contains("REQ-DEL-1"),
        "{r}"
    );
}

/// AWS and MinIO refuse any ranged GET of an empty object (416 InvalidRange); `cp` still downloads it.
#[tokio::test(flavor = "multi_thread")]
async fn empty_objects_download_where_ranges_are_refused() {
    let server = MockServer::start().await;
    let refusal = r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>"#;
    Mock::given(method("GET"))
        .and(path("/bkt/empty"))
        .and(header_exists("range"))
        .respond_with(ResponseTemplate::new(416).set_body_string(refusal))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/bkt/empty"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("last-modified", "Fri, 02 Jan 2026 03:04:05 GMT")
                .set_body_bytes(Vec::new()),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let dir = temp_dir("empty");
    let out = dir.join("empty");
    let uri = server.uri();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let r = clirun::run(
        &env,
        &["--endpoint-url", &uri, "cp", "s3://bkt/empty", &text(&out)],
    );
    r.expect_code(0);
    assert_eq!(std::fs::read(&out).ok(), Some(Vec::new()), "{r}");
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2, "a ranged GET refused, then a plain one");
}
