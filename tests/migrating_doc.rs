//! `docs/migrating-from-oint.md`, the guide for users of OpenIntegrations' OPI_S3 (`oint s3 …`), run as
//! a script so that it cannot go stale.
//!
//! - The page must keep a table row for each of OPI_S3's 32 functions (the first cell is the function's
//!   name) and an example of each: a comment `# FunctionName` in a runnable block.
//! - Every fenced block tagged exactly `sh` is runnable: one command per line, each starting with
//!   `s3op `; blank lines and `#` comments are skipped; other blocks (`bash`, `rust`, …) are not run.
//!   The lines run top to bottom against moto, as one shell session would run them: each line is split
//!   shell-style by [`split`] (quotes, backslashes, `$NAME`; no pipes or redirections), the s3op binary
//!   runs with the arguments, and its exit status must be 0, or N for a line ending in `# exit N`.
//! - A trailing `# sets NAME=.a.b` stores the JSON value at `.a.b` of the command's standard output (the
//!   envelope) in `$NAME` for the lines below; a string is stored without its JSON quotes.
//! - A `presign` line's printed URL is used: a `get-object` URL is fetched, a `put-object` URL receives
//!   a small body with every header the line gave with `--header` (which the URL has signed in).
//!
//! Placeholders, and what this test puts behind them:
//! - `$ENDPOINT`: the moto server, `http://127.0.0.1:PORT` (moto does not check signatures; the signed
//!   paths are covered by the s3s-fs tests).
//! - `$BUCKET`, `$BUCKET2`: fresh bucket names from `support::unique_bucket`; the page creates them.
//! - `$DIR`: a new temporary directory, also the commands' working directory, holding the files the
//!   page reads: `photo.jpg` (64 KiB), `big.bin` (12 MiB, so that a 5 MiB ChunkSize makes three parts),
//!   `notes.txt` (a line of text). The page writes its own files there too (`s3.json`, copies).
//! - `$UPLOAD_ID`, `$ETAG1`, `$VERSION_ID`: set by the page's `# sets` comments.
//!
//! The credentials are in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`),
//! with no profile files, for the commands that do not give `--data`.

mod clirun;
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const PAGE_PATH: &str = "docs/migrating-from-oint.md";
const PAGE: &str = include_str!("../docs/migrating-from-oint.md");

/// Every public function of OPI_S3 (OpenIntegrations, `src/en/OPI/src/CommonModules/OPI_S3/Module.bsl`).
const OPI_FUNCTIONS: [&str; 32] = [
    "GetBasicDataStructure",
    "SendRequestWithoutBody",
    "SendRequestWithBody",
    "ListBuckets",
    "CreateBucket",
    "DeleteBucket",
    "HeadBucket",
    "PutBucketEncryption",
    "GetBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketTagging",
    "GetBucketTagging",
    "DeleteBucketTagging",
    "PutBucketVersioning",
    "GetBucketVersioning",
    "PutObject",
    "UploadFullObject",
    "InitPartsUpload",
    "UploadObjectPart",
    "FinishPartsUpload",
    "AbortMultipartUpload",
    "CopyObject",
    "DeleteObject",
    "GetObjectTagging",
    "PutObjectTagging",
    "DeleteObjectTagging",
    "GetObject",
    "GetObjectDownloadLink",
    "GetObjectUploadLink",
    "HeadObject",
    "ListObjects",
    "ListObjectVersions",
];

/// Placeholders this test fills in before the first command.
const GIVEN: [&str; 4] = ["ENDPOINT", "BUCKET", "BUCKET2", "DIR"];
/// Placeholders the page sets itself with `# sets NAME=…`.
const CAPTURED: [&str; 3] = ["UPLOAD_ID", "ETAG1", "VERSION_ID"];

/// Lines of the page that are known to fail because of a bug or a missing feature in s3op, by a
/// substring of the line, with the reason. They still run: one that starts passing fails the test, so
/// that it leaves this list. Keep it short.
const SKIP: &[(&str, &str)] = &[];

// ------------------------------------------------------------------------------------------------
// The page
// ------------------------------------------------------------------------------------------------

/// A line of a runnable block, with its 1-based line number in the page.
#[derive(Debug, Clone)]
struct ScriptLine {
    number: usize,
    text: String,
}

/// The fenced blocks of `page`: (tag, lines with their numbers).
fn fenced_blocks(page: &str) -> Vec<(String, Vec<ScriptLine>)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<ScriptLine>)> = None;
    for (index, line) in page.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(tag) = trimmed.strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None => open = Some((tag.trim().to_string(), Vec::new())),
            }
            continue;
        }
        if let Some((_, lines)) = &mut open {
            lines.push(ScriptLine {
                number: index + 1,
                text: line.to_string(),
            });
        }
    }
    assert!(open.is_none(), "{PAGE_PATH}: a fenced block is not closed");
    blocks
}

/// The lines of every `sh` block, in page order.
fn script(page: &str) -> Vec<ScriptLine> {
    fenced_blocks(page)
        .into_iter()
        .filter(|(tag, _)| tag == "sh")
        .flat_map(|(_, lines)| lines)
        .collect()
}

/// The commands of the script: its lines minus blank lines and whole-line comments.
fn commands(page: &str) -> Vec<ScriptLine> {
    script(page)
        .into_iter()
        .filter(|line| {
            let t = line.text.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .collect()
}

/// The first cell of each table row outside code blocks, backticks removed.
fn table_first_cells(page: &str) -> Vec<String> {
    let mut in_code = false;
    let mut cells = Vec::new();
    for line in page.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || !trimmed.starts_with('|') {
            continue;
        }
        if let Some(first) = trimmed[1..].split('|').next() {
            cells.push(first.trim().trim_matches('`').trim().to_string());
        }
    }
    cells
}

// ------------------------------------------------------------------------------------------------
// A small shell-style splitter
// ------------------------------------------------------------------------------------------------

/// Split `line` as a POSIX shell would split a simple command: words separated by blanks; `'…'` keeps
/// everything literally; `"…"` keeps everything but `$NAME` / `${NAME}` (expanded) and `\` before
/// `"`, `\`, `$` or a backquote; outside quotes `\` keeps the next character and `$NAME` expands; a
/// `#` starting a word starts a comment, returned second. Expanded values are never split again.
/// Pipes, redirections, `;`, `&`, backquotes and `$(…)` are refused: a runnable line is one command.
fn split(
    line: &str,
    lookup: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(Vec<String>, String), String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    // Read `$NAME` or `${NAME}` at `i` (just after the `$`); returns the value and the next index.
    fn variable(
        chars: &[char],
        mut i: usize,
        lookup: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<(Option<String>, usize), String> {
        if chars.get(i) == Some(&'(') {
            return Err("command substitution $(…) is not supported".into());
        }
        let braced = chars.get(i) == Some(&'{');
        if braced {
            i += 1;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if braced {
            if chars.get(i) != Some(&'}') || name.is_empty() {
                return Err("unterminated ${…}".into());
            }
            i += 1;
        }
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok((None, start));
        }
        Ok((Some(lookup(&name)?), i))
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                i += 1;
            }
            '#' if !in_word => {
                let comment: String = chars[i + 1..].iter().collect();
                return Ok((words, comment.trim().to_string()));
            }
            '\'' => {
                in_word = true;
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or("unterminated single quote")?;
                word.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
            }
            '"' => {
                in_word = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated double quote".into()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => match chars.get(i + 1) {
                            Some(&next @ ('"' | '\\' | '$' | '`')) => {
                                word.push(next);
                                i += 2;
                            }
                            _ => {
                                word.push('\\');
                                i += 1;
                            }
                        },
                        Some('$') => {
                            let (value, next) = variable(&chars, i + 1, lookup)?;
                            match value {
                                Some(v) => word.push_str(&v),
                                None => word.push('$'),
                            }
                            i = next;
                        }
                        Some('`') => return Err("backquotes are not supported".into()),
                        Some(&other) => {
                            word.push(other);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.get(i + 1) {
                    Some(&next) => word.push(next),
                    None => return Err("a line may not end in a backslash".into()),
                }
                i += 2;
            }
            '$' => {
                in_word = true;
                let (value, next) = variable(&chars, i + 1, lookup)?;
                match value {
                    Some(v) => word.push_str(&v),
                    None => word.push('$'),
                }
                i = next;
            }
            '|' | '>' | '<' | ';' | '&' | '`' | '(' | ')' => {
                return Err(format!(
                    "{c:?} outside quotes: a runnable line is a single s3op command"
                ));
            }
            other => {
                in_word = true;
                word.push(other);
                i += 1;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok((words, String::new()))
}

/// What a line's trailing comment asks for: the expected exit status and the values to capture.
#[derive(Debug, Default, PartialEq)]
struct Directives {
    exit: i32,
    /// (NAME, JSON pointer).
    sets: Vec<(String, String)>,
}

/// Read `exit N` and `sets NAME=.a.b` from a comment; other words are prose.
fn directives(comment: &str) -> Result<Directives, String> {
    let mut found = Directives::default();
    let words: Vec<&str> = comment.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "exit" => {
                let code = words.get(i + 1).ok_or("`exit` without a status")?;
                found.exit = code
                    .parse()
                    .map_err(|_| format!("`exit {code}`: not a number"))?;
                i += 2;
            }
            "sets" => {
                let spec = words.get(i + 1).ok_or("`sets` without NAME=.path")?;
                let (name, path) = spec
                    .split_once('=')
                    .ok_or_else(|| format!("`sets {spec}`: expected NAME=.path"))?;
                let path = path
                    .strip_prefix('.')
                    .ok_or_else(|| format!("`sets {spec}`: the path starts with ."))?;
                let pointer: String = path
                    .split('.')
                    .map(|part| format!("/{}", part.replace('~', "~0").replace('/', "~1")))
                    .collect();
                found.sets.push((name.to_string(), pointer));
                i += 2;
            }
            _ => i += 1,
        }
    }
    Ok(found)
}

fn skip_reason(line: &str) -> Option<&'static str> {
    SKIP.iter()
        .find(|(pattern, _)| line.contains(pattern))
        .map(|(_, reason)| *reason)
}

// ------------------------------------------------------------------------------------------------
// Checks that need no server
// ------------------------------------------------------------------------------------------------

#[test]
fn every_opi_function_has_a_table_row_and_an_example() {
    let cells = table_first_cells(PAGE);
    let comments: Vec<String> = script(PAGE)
        .into_iter()
        .filter_map(|line| line.text.trim().strip_prefix('#').map(str::to_string))
        .collect();
    let mut missing = Vec::new();
    for function in OPI_FUNCTIONS {
        if !cells.iter().any(|cell| cell == function) {
            missing.push(format!(
                "{function}: no table row whose first cell is `{function}`"
            ));
        }
        let example = comments.iter().any(|comment| {
            comment
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == function)
        });
        if !example {
            missing.push(format!(
                "{function}: no `# {function}` comment in a ```sh block (its example)"
            ));
        }
    }
    assert!(missing.is_empty(), "{PAGE_PATH}:\n{}", missing.join("\n"));
}

#[test]
fn every_runnable_line_is_one_s3op_command_with_known_placeholders() {
    let mut set: Vec<String> = GIVEN.iter().map(|s| s.to_string()).collect();
    let mut problems = Vec::new();
    for line in script(PAGE) {
        let text = line.text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let here = format!("{PAGE_PATH}:{}: {text}", line.number);
        if !text.starts_with("s3op ") {
            problems.push(format!("{here}\n  does not start with `s3op `"));
            continue;
        }
        let mut unknown = Vec::new();
        let result = split(text, &mut |name| {
            if !set.iter().any(|s| s == name) {
                unknown.push(name.to_string());
            }
            Ok(format!("<{name}>"))
        });
        match result {
            Err(e) => problems.push(format!("{here}\n  {e}")),
            Ok((_, comment)) => match directives(&comment) {
                Err(e) => problems.push(format!("{here}\n  {e}")),
                Ok(found) => {
                    for (name, _) in found.sets {
                        if !CAPTURED.contains(&name.as_str()) {
                            problems.push(format!(
                                "{here}\n  sets {name}, which is not one of {CAPTURED:?}"
                            ));
                        }
                        set.push(name);
                    }
                }
            },
        }
        for name in unknown {
            problems.push(format!(
                "{here}\n  ${name} is not a placeholder here (given: {GIVEN:?}; set by the page: {CAPTURED:?}, after their `# sets` line)"
            ));
        }
    }
    for (pattern, _) in SKIP {
        if !commands(PAGE)
            .iter()
            .any(|line| line.text.contains(pattern))
        {
            problems.push(format!(
                "SKIP entry {pattern:?} matches no line of the page: remove it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_splitter_reads_lines_as_a_shell_does() {
    let vars: HashMap<&str, &str> = [("B", "my bucket"), ("E", "\"abc\"")].into();
    let mut lookup = |name: &str| {
        vars.get(name)
            .map(|v| v.to_string())
            .ok_or_else(|| format!("${name} is not set"))
    };
    let (words, comment) = split(
        r#"s3op --data "{'URL':'h'}" x '$B "q"' "a $B" \$B ${B}x "{\"ETag\":$E}" # sets X=.a"#,
        &mut lookup,
    )
    .unwrap();
    assert_eq!(
        words,
        [
            "s3op",
            "--data",
            "{'URL':'h'}",
            "x",
            "$B \"q\"",
            "a my bucket",
            "$B",
            "my bucketx",
            "{\"ETag\":\"abc\"}",
        ]
    );
    assert_eq!(comment, "sets X=.a");
    assert_eq!(
        directives("sets ETAG1=.headers.etag and exit 1").unwrap(),
        Directives {
            exit: 1,
            sets: vec![("ETAG1".into(), "/headers/etag".into())],
        }
    );
    assert_eq!(split("a '' b", &mut lookup).unwrap().0, ["a", "", "b"]);
    assert!(split("s3op ls | jq .", &mut lookup).is_err());
    assert!(split("s3op ls > out", &mut lookup).is_err());
    assert!(split("s3op 'open", &mut lookup).is_err());
    assert!(split("s3op $NOPE", &mut lookup).is_err());
}

// ------------------------------------------------------------------------------------------------
// The page, run against moto
// ------------------------------------------------------------------------------------------------

/// A pseudo-random, reproducible byte pattern (xorshift), so the test files do not compress away.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The directory behind `$DIR`, with the files the page reads.
fn prepare_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("s3op-migrating-doc-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create $DIR");
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
    photo.extend(pattern(64 * 1024 - 4, 7));
    std::fs::write(dir.join("photo.jpg"), photo).expect("photo.jpg");
    std::fs::write(dir.join("big.bin"), pattern(12 * 1024 * 1024, 11)).expect("big.bin");
    std::fs::write(
        dir.join("notes.txt"),
        "notes sent with s3op request PUT, as with OPI_S3.SendRequestWithBody\n",
    )
    .expect("notes.txt");
    dir
}

/// The `--header 'Name: value'` pairs given before `presign`.
fn presign_headers(args: &[String]) -> Vec<(String, String)> {
    let presign = args
        .iter()
        .position(|a| a == "presign")
        .unwrap_or(args.len());
    args[..presign]
        .windows(2)
        .filter(|pair| pair[0] == "--header")
        .filter_map(|pair| {
            pair[1]
                .split_once(':')
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Use a presigned URL as whoever receives it would; `Err` says what went wrong.
fn use_presigned_url(
    runtime: &tokio::runtime::Runtime,
    operation: &str,
    url: &str,
    headers: &[(String, String)],
) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e}): {url:?}"))?;
    let signed: Vec<String> = parsed
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-SignedHeaders")
        .map(|(_, v)| v.split(';').map(str::to_string).collect())
        .ok_or_else(|| format!("no X-Amz-SignedHeaders in {url}"))?;
    for name in signed.iter().filter(|n| *n != "host") {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "the URL has {name} signed in, but the line gives no --header for it"
            ));
        }
    }
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let request = match operation {
            "get-object" => http.get(url),
            "put-object" => {
                let mut put = http
                    .put(url)
                    .body("uploaded through a presigned URL from the migration guide\n");
                for (name, value) in headers {
                    put = put.header(name.as_str(), value.as_str());
                }
                put
            }
            other => return Err(format!("the test does not know how to use a {other} URL")),
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            Ok(format!("{operation} URL answered {status}"))
        } else {
            Err(format!("{operation} URL answered {status}: {body}"))
        }
    })
}

#[test]
fn the_page_runs_against_moto() {
    let server = support::moto();
    let dir = prepare_dir();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("ENDPOINT".into(), server.endpoint.clone());
    vars.insert("BUCKET".into(), support::unique_bucket("oint-migration"));
    vars.insert("BUCKET2".into(), support::unique_bucket("oint-migration-2"));
    vars.insert("DIR".into(), dir.display().to_string());
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", server.region.as_str()),
    ];

    let mut failures = Vec::new();
    let mut known_failures = Vec::new();
    let mut now_passing = Vec::new();
    for line in commands(PAGE) {
        let text = line.text.trim();
        let here = format!("{PAGE_PATH}:{}: {text}", line.number);
        let split_line = split(text, &mut |name| {
            vars.get(name)
                .cloned()
                .ok_or_else(|| format!("${name} is not set (did the line that sets it fail?)"))
        });
        let (args, comment) = match split_line {
            Ok(parts) => parts,
            Err(e) => {
                failures.push(format!("{here}\n  {e}"));
                continue;
            }
        };
        let wanted = match directives(&comment) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{here}\n  {e}"));
                continue;
            }
        };
        let output = clirun::command(&env)
            .args(&args[1..])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("s3op runs");
        let run = clirun::Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        let mut problem = None;
        if run.code != wanted.exit || run.stderr.contains("panicked") {
            problem = Some(format!(
                "exit status {}, expected {}",
                run.code, wanted.exit
            ));
        } else if let Some(position) = args.iter().position(|a| a == "presign") {
            let operation = args.get(position + 1).map_or("", String::as_str);
            let headers = presign_headers(&args);
            if let Err(e) = use_presigned_url(&runtime, operation, run.stdout.trim(), &headers) {
                problem = Some(e);
            }
        }
        if problem.is_none() {
            for (name, pointer) in &wanted.sets {
                let envelope = serde_json::Deserializer::from_str(&run.stdout)
                    .into_iter::<serde_json::Value>()
                    .next()
                    .and_then(Result::ok);
                match envelope.as_ref().and_then(|e| e.pointer(pointer)) {
                    Some(serde_json::Value::String(s)) => {
                        vars.insert(name.clone(), s.clone());
                    }
                    Some(serde_json::Value::Null) | None => {
                        problem = Some(format!("no value at {pointer} for ${name}"));
                    }
                    Some(other) => {
                        vars.insert(name.clone(), other.to_string());
                    }
                }
            }
        }
        let report = |problem: &str| {
            format!(
                "{here}\n  {problem}\n  argv: {:?}\n{}",
                &args[1..],
                indent(&run.to_string())
            )
        };
        match (problem, skip_reason(text)) {
            (None, None) => eprintln!("ok   {}: {text}", line.number),
            (None, Some(reason)) => now_passing.push(format!(
                "{here}\n  passes now; remove it from SKIP (it was: {reason})"
            )),
            (Some(p), None) => {
                eprintln!("FAIL {}: {text}", line.number);
                failures.push(report(&p));
            }
            (Some(p), Some(reason)) => {
                eprintln!("skip {}: {text} ({reason})", line.number);
                known_failures.push(format!("{here}\n  {p} — known: {reason}"));
            }
        }
    }
    if !known_failures.is_empty() {
        eprintln!("known failures (SKIP):\n{}", known_failures.join("\n"));
    }
    failures.extend(now_passing);
    assert!(
        failures.is_empty(),
        "{} line(s) of {PAGE_PATH} failed against moto:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

// ------------------------------------------------------------------------------------------------
// The page's library calls, compiled (not run) so that a renamed method breaks this test
// ------------------------------------------------------------------------------------------------

/// The calls of the page's table and of its `rust` block, as written there.
#[allow(dead_code)]
async fn library_calls_of_the_page(path: &Path) -> Result<(), s3op::Error> {
    use s3op::config::BasicData;
    use s3op::transfer::{TransferConfig, UploadOptions};
    use s3op::{Body, Client};
    use serde_json::json;
    use std::time::Duration;

    let data = BasicData::load(&path.join("s3.json").display().to_string())?;
    let _same = BasicData::new(
        "storage.example.com",
        "MY_ACCESS_KEY",
        "MY_SECRET_KEY",
        "us-east-1",
        "s3",
    )
    .with_chunk_size(5 * 1024 * 1024);
    let client = Client::builder()
        .basic_data(data)
        .header("x-amz-meta-source", "oint")
        .path_style(true)
        .build()?;
    let chunked = TransferConfig {
        part_size: 5 * 1024 * 1024,
        multipart_threshold: 5 * 1024 * 1024,
        ..TransferConfig::default()
    };

    client.request("GET", "/B?tagging").send().await?;
    client
        .request("PUT", "/B/K")
        .header("x-amz-meta-source", "oint")
        .body_file("notes.txt")
        .send()
        .await?;
    client
        .list_buckets()
        .prefix("P")
        .bucket_region("R")
        .send()
        .await?;
    client.create_bucket().bucket("B").send().await?;
    client.delete_bucket().bucket("B").send().await?;
    client
        .head_bucket()
        .bucket("B")
        .expected_bucket_owner("ID")
        .send()
        .await?;
    client
        .put_bucket_encryption()
        .bucket("B")
        .server_side_encryption_configuration_json(
            json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}),
        )
        .send()
        .await?;
    client.get_bucket_encryption().bucket("B").send().await?;
    client.delete_bucket_encryption().bucket("B").send().await?;
    client
        .put_bucket_tagging()
        .bucket("B")
        .tagging_json(json!({"TagSet": [{"Key": "team", "Value": "web"}]}))
        .send()
        .await?;
    let tags = client.get_bucket_tagging().bucket("B").send().await?;
    println!("{}", tags.response["TagSet"][0]["Value"]);
    client.delete_bucket_tagging().bucket("B").send().await?;
    client
        .put_bucket_versioning()
        .bucket("B")
        .versioning_configuration_json(json!({"Status": "Enabled"}))
        .send()
        .await?;
    client.get_bucket_versioning().bucket("B").send().await?;
    client
        .upload_file("big.bin", "B", "K", &UploadOptions::default(), &chunked)
        .await?;
    client
        .upload_file(
            "big.bin",
            "B",
            "K",
            &UploadOptions::default(),
            &TransferConfig::default(),
        )
        .await?;
    let put = client
        .put_object()
        .bucket("B")
        .key("K")
        .body(Body::File("photo.jpg".into()))
        .request()
        .header("x-amz-meta-camera", "nikon")
        .send()
        .await?;
    println!("version {:?}", put.headers.get("x-amz-version-id"));
    let created = client
        .create_multipart_upload()
        .bucket("B")
        .key("K")
        .send()
        .await?;
    let upload_id = created.response["UploadId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let part = client
        .upload_part()
        .bucket("B")
        .key("K")
        .upload_id(&upload_id)
        .part_number(1)
        .body(Body::File("part1.bin".into()))
        .send()
        .await?;
    let etag = part.headers.get("etag").cloned().unwrap_or_default();
    client
        .complete_multipart_upload()
        .bucket("B")
        .key("K")
        .upload_id(&upload_id)
        .multipart_upload_json(json!({"Parts": [{"ETag": etag, "PartNumber": 1}]}))
        .send()
        .await?;
    client
        .abort_multipart_upload()
        .bucket("B")
        .key("K")
        .upload_id("ID")
        .send()
        .await?;
    client
        .copy_object()
        .copy_source("B/K")
        .bucket("B2")
        .key("K2")
        .send()
        .await?;
    client
        .delete_object()
        .bucket("B")
        .key("K")
        .version_id("V")
        .send()
        .await?;
    client
        .get_object_tagging()
        .bucket("B")
        .key("K")
        .version_id("V")
        .send()
        .await?;
    client
        .put_object_tagging()
        .bucket("B")
        .key("K")
        .tagging_json(json!({"TagSet": [{"Key": "kind", "Value": "photo"}]}))
        .send()
        .await?;
    client
        .delete_object_tagging()
        .bucket("B")
        .key("K")
        .send()
        .await?;
    client
        .download_file("B", "K", "copy.bin", &TransferConfig::default())
        .await?;
    client
        .download_file("B", "K", "big-copy.bin", &chunked)
        .await?;
    client
        .get_object()
        .bucket("B")
        .key("K")
        .send_to_file("copy.bin")
        .await?;
    let download = client
        .get_object()
        .bucket("B")
        .key("K")
        .request()
        .presign(Duration::from_secs(3600))
        .await?;
    let upload = client
        .put_object()
        .bucket("B")
        .key("K")
        .request()
        .header("Content-Type", "text/plain")
        .presign(Duration::from_secs(7200))
        .await?;
    println!("{download}\n{upload}");
    client
        .head_object()
        .bucket("B")
        .key("K")
        .version_id("V")
        .send()
        .await?;
    client
        .list_objects_v2()
        .bucket("B")
        .prefix("P")
        .send()
        .await?;
    let pages = client
        .list_objects_v2()
        .bucket("B")
        .prefix("P")
        .request()
        .pages();
    drop(pages);
    client
        .list_object_versions()
        .bucket("B")
        .prefix("P")
        .send()
        .await?;
    let versioning = client.request("GET", "/B?versioning").send().await?;
    println!("{}", versioning.to_json_pretty());
    match client
        .head_object()
        .bucket("B")
        .key("missing.jpg")
        .send()
        .await
    {
        Err(s3op::Error::Service(envelope)) => println!("status {}", envelope.status),
        other => println!("{other:?}"),
    }
    Ok(())
}
