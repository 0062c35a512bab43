//! Where the transfer commands read and write: parsing `s3://bucket/key` and local arguments,
//! wildcards (`*` and `?`), walking local trees, and the one rule that turns an S3
//! key into a local path ([`local_path_for_key`]). Keys are not paths: a key is arbitrary UTF-8, and
//! nothing here lets one name a place outside the destination directory. No network, no S3 calls.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// One side of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// `-`: standard input as a source, standard output as a destination.
    Stdio,
    Local(PathBuf),
    S3(S3Url),
    /// An `http://` or `https://` URL: a source only (uploads from a link).
    Http(String),
}

/// `s3://bucket/key`; `key` may be empty (the whole bucket) or end in `/` (a prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Url {
    pub bucket: String,
    pub key: String,
}

impl S3Url {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        S3Url {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// The key as a prefix that names a "directory": empty, or ending in `/`.
    pub fn dir_prefix(&self) -> String {
        as_dir_prefix(&self.key)
    }

    /// True when the URL names a prefix rather than one object (no key, or a key ending in `/`).
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// `p` as a directory-like prefix: unchanged when empty or already ending in `/`, else with `/` added.
pub(crate) fn as_dir_prefix(p: &str) -> String {
    if p.is_empty() || p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

/// Parse a command-line location: `-`, `s3://bucket[/key]`, or a local path. Anything that starts
/// like an S3 URL but is not one (`s3:/b`, `s3:b`, `s3://`, a bad bucket name) is refused, so a typo
/// never turns into a local file named `s3:`.
pub(crate) fn parse_location(arg: &str) -> Result<Location, String> {
    if arg == "-" {
        return Ok(Location::Stdio);
    }
    if arg.len() >= 3 && arg[..3].eq_ignore_ascii_case("s3:") {
        return parse_s3_url(arg).map(Location::S3);
    }
    let lower = arg.get(..8).unwrap_or(arg).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return url::Url::parse(arg)
            .map(|_| Location::Http(arg.to_string()))
            .map_err(|e| format!("{arg:?} is not a URL: {e}"));
    }
    if arg.is_empty() {
        return Err("an empty path".into());
    }
    Ok(Location::Local(PathBuf::from(arg)))
}

/// Parse `s3://bucket[/key]`, where the bucket may be an access point ARN as the AWS CLI takes
/// it: `s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/key` (a Multi-Region Access Point has no
/// region; Object Lambda access points are `s3-object-lambda`), or an Outposts access point
/// `s3://arn:aws:s3-outposts:REGION:ACCOUNT:outpost/ID/accesspoint/NAME/key`.
pub(crate) fn parse_s3_url(arg: &str) -> Result<S3Url, String> {
    let bad = |why: &str| format!("{arg:?} is not an S3 URL ({why}); write s3://bucket/key");
    let rest = match arg.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("s3://") => &arg[5..],
        _ => return Err(bad("it must start with s3://")),
    };
    if rest.starts_with("arn:") {
        let (bucket, key) = split_access_point_arn(rest).ok_or_else(|| {
            bad("an ARN here must be an access point's: \
                 arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME")
        })?;
        return Ok(S3Url::new(bucket, key));
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(bad("no bucket name"));
    }
    if let Some(c) = bucket
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(bad(&format!("{c:?} cannot be in a bucket name")));
    }
    Ok(S3Url::new(bucket, key))
}

/// `arn:…:accesspoint/NAME/key…` → (the access point's ARN, the key); the endpoint rules check the
/// ARN itself.
fn split_access_point_arn(text: &str) -> Option<(&str, &str)> {
    let mut fields = text.splitn(6, ':');
    let (_arn, _partition, service, _region, _account) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let resource = fields.next()?;
    // The resource: accesspoint/NAME (or outpost/ID/accesspoint/NAME), `/` or `:` between parts.
    let kinds: &[&str] = match service {
        "s3" | "s3-object-lambda" => &["accesspoint"],
        "s3-outposts" => &["outpost", "accesspoint"],
        _ => return None,
    };
    let mut end = 0;
    let mut kinds_left = kinds.iter();
    let mut expect_kind = true;
    let mut parts = 0;
    for (i, c) in resource.char_indices().chain([(resource.len(), '/')]) {
        if c == '/' || c == ':' {
            let part = &resource[end..i];
            if expect_kind {
                if kinds_left.next() != Some(&part) {
                    return None;
                }
            } else if part.is_empty() {
                return None;
            } else {
                parts += 1;
            }
            expect_kind = !expect_kind;
            end = i + 1;
            if parts == kinds.len() {
                let arn_end = text.len() - resource.len() + i;
                let key = text.get(arn_end + 1..).unwrap_or("");
                return Some((&text[..arn_end], key));
            }
            if i == resource.len() {
                return None;
            }
        }
    }
    None
}

/// True when `text` holds a wildcard (`*` or `?`).
pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// The part of a pattern before its first wildcard: what can be listed as an S3 prefix.
pub(crate) fn literal_prefix(pattern: &str) -> &str {
    match pattern.find(['*', '?']) {
        Some(i) => &pattern[..i],
        None => pattern,
    }
}

/// The directory part of a pattern's literal prefix (up to and including its last `/`): matches are
/// placed at the destination relative to it, so `s3://b/logs/*.gz` puts `logs/a/x.gz` at `a/x.gz`.
pub(crate) fn pattern_base(pattern: &str) -> &str {
    let literal = literal_prefix(pattern);
    match literal.rfind('/') {
        Some(i) => &literal[..=i],
        None => "",
    }
}

/// Match `text` against `pattern`: `*` is any run of characters, `/` included (as s5cmd does, so
/// `s3://b/logs/*.gz` reaches into sub-prefixes); `?` is any one character; everything else is
/// literal. Linear-time backtracking on the last `*`.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The local path an object key is written to under `dest`, or why it is refused.
///
/// `relative_key` is the key with the listed prefix already taken off. The rule, the same on every
/// platform: split the key on `/`; refuse it if it is empty, if any part is empty (a leading `/`,
/// `a//b`), `.` or `..`, if it holds a `\` (a separator on Windows, so `..\x` could climb there) or
/// a NUL, or if its first part is a drive (`C:`). Otherwise the parts are joined under `dest`, so the
/// result is always strictly inside `dest`. Refused keys are reported and skipped, never rewritten:
/// rewriting (`a//b` → `a/b`) would let two keys land on one file.
pub(crate) fn local_path_for_key(dest: &Path, relative_key: &str) -> Result<PathBuf, String> {
    if relative_key.is_empty() {
        return Err("it names the destination directory itself".into());
    }
    if relative_key.contains('\\') {
        return Err("it holds a backslash, a path separator on Windows".into());
    }
    if relative_key.contains('\0') {
        return Err("it holds a NUL character".into());
    }
    let mut path = dest.to_path_buf();
    for (i, part) in relative_key.split('/').enumerate() {
        match part {
            "" if i == 0 => return Err("it starts with /".into()),
            "" => return Err("it has an empty path segment (// or a trailing /)".into()),
            "." | ".." => return Err(format!("it has a {part:?} path segment")),
            _ => {}
        }
        let b = part.as_bytes();
        if i == 0 && b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err("it starts with a drive letter".into());
        }
        // Belt and braces: after the checks above every part must be one plain file name.
        let mut components = Path::new(part).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(_)), None) => path.push(part),
            _ => return Err(format!("{part:?} is not a plain file name")),
        }
    }
    Ok(path)
}

/// A key that only marks a "directory" (ends in `/`): nothing to write for it.
pub(crate) fn is_directory_marker(relative_key: &str) -> bool {
    relative_key.ends_with('/')
}

/// The last segment of a key (`a/b/c.txt` → `c.txt`).
pub(crate) fn key_basename(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The Content-Type for a file name, from its extension (the common web and document types; the
/// AWS CLI guesses the same way). `None` leaves it to S3 (`binary/octet-stream`).
pub(crate) fn guess_content_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/vnd.microsoft.icon",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => return None,
    })
}

/// One regular file found under a local directory.
#[derive(Debug, Clone)]
pub(crate) struct LocalFile {
    /// Its path relative to the walked directory, `/`-separated: the key suffix it uploads to.
    pub rel: String,
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// Every regular file under `base`, sorted by relative path. Symbolic links to files are followed;
/// links to directories are not (no loops). Entries that cannot be read, or whose names are not
/// UTF-8 (they cannot be keys), come back as messages in the second list. The temporary files of
/// downloads in progress (`.NAME.s3op-….part`) are skipped.
pub(crate) fn walk_local(base: &Path) -> (Vec<LocalFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![(base.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    problems.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                problems.push(format!(
                    "{}: the name is not UTF-8, so it cannot be a key",
                    path.display()
                ));
                continue;
            };
            let rel = format!("{rel_dir}{name}");
            let file_type = match entry.file_type() {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            if file_type.is_dir() {
                stack.push((path, format!("{rel}/")));
                continue;
            }
            // A symlink is followed when it leads to a file.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(format!("{}: {e}", path.display()));
                    continue;
                }
            };
            if !meta.is_file() || is_download_temp(&name) {
                continue;
            }
            files.push(LocalFile {
                rel,
                path,
                size: meta.len(),
                modified: meta.modified().ok(),
            });
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    (files, problems)
}

/// The temporary name `transfer::temp_path_for` gives a download in progress.
fn is_download_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".part") && name.contains(".s3op-")
}

/// The `/`-separated form of a local path, for matching against a pattern the user typed.
pub(crate) fn slash_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn locations() {
        assert_eq!(parse_location("-"), Ok(Location::Stdio));
        assert_eq!(
            parse_location("s3://b/k/x"),
            Ok(Location::S3(S3Url::new("b", "k/x")))
        );
        assert_eq!(
            parse_location("s3://bucket"),
            Ok(Location::S3(S3Url::new("bucket", "")))
        );
        assert_eq!(
            parse_location("s3://bucket/"),
            Ok(Location::S3(S3Url::new("bucket", "")))
        );
        assert_eq!(
            parse_location("./a b.txt"),
            Ok(Location::Local("./a b.txt".into()))
        );
        for bad in [
            "s3:/b",
            "s3:b",
            "s3://",
            "s3:///k",
            "S3:/x",
            "s3://b c/k",
            "s3://b*/k",
        ] {
            assert!(parse_location(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(S3Url::new("b", "a/").to_string(), "s3://b/a/");
        assert_eq!(S3Url::new("b", "a").dir_prefix(), "a/");
        assert_eq!(S3Url::new("b", "").dir_prefix(), "");
    }

    #[test]
    fn access_point_arns_as_buckets() {
        let s3 = |bucket: &str, key: &str| Ok(Location::S3(S3Url::new(bucket, key)));
        let ap = "arn:aws:s3:us-west-2:123456789012:accesspoint/myap";
        assert_eq!(
            parse_location(&format!("s3://{ap}/a/b.txt")),
            s3(ap, "a/b.txt")
        );
        assert_eq!(parse_location(&format!("s3://{ap}")), s3(ap, ""));
        assert_eq!(parse_location(&format!("s3://{ap}/")), s3(ap, ""));
        let colon = "arn:aws:s3:us-west-2:123456789012:accesspoint:myap";
        assert_eq!(parse_location(&format!("s3://{colon}/k")), s3(colon, "k"));
        let mrap = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap";
        assert_eq!(parse_location(&format!("s3://{mrap}/k")), s3(mrap, "k"));
        let outpost =
            "arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-01234567890123456/accesspoint/rp";
        assert_eq!(
            parse_location(&format!("s3://{outpost}/x/y")),
            s3(outpost, "x/y")
        );
        let lambda = "arn:aws-cn:s3-object-lambda:cn-north-1:123456789012:accesspoint/ol";
        assert_eq!(parse_location(&format!("s3://{lambda}/k")), s3(lambda, "k"));
        for bad in [
            "s3://arn:aws:s3:us-west-2:123456789012:bucket/b/k",
            "s3://arn:aws:ec2:us-west-2:123456789012:accesspoint/x/k",
            "s3://arn:aws:s3:us-west-2:123456789012:accesspoint/",
            "s3://arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-1/k",
            "s3://arn:aws:s3",
        ] {
            assert!(parse_location(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("logs/*.gz", "logs/a.gz"));
        assert!(wildcard_match("logs/*.gz", "logs/2026/01/a.gz"));
        assert!(!wildcard_match("logs/*.gz", "logs/a.gzip"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*a*b*", "xxaYYbZZ"));
        assert!(!wildcard_match("*a*b", "xxaYYbZZ"));
        assert!(wildcard_match("ünï*", "ünïcödé"));
        assert_eq!(literal_prefix("logs/20*/x"), "logs/20");
        assert_eq!(pattern_base("logs/20*/x"), "logs/");
        assert_eq!(pattern_base("*.gz"), "");
        assert!(has_wildcard("a*") && has_wildcard("a?") && !has_wildcard("a[1]"));
    }

    #[test]
    fn content_types_from_extensions() {
        assert_eq!(guess_content_type("index.HTML"), Some("text/html"));
        assert_eq!(guess_content_type("a/b.tar.gz"), Some("application/gzip"));
        assert_eq!(guess_content_type("README"), None);
        assert_eq!(guess_content_type("x.unknownext"), None);
    }

    #[test]
    fn evil_keys_are_refused() {
        let dest = Path::new("/tmp/dest");
        for key in [
            "../../etc/passwd",
            "/abs",
            "a/../../b",
            "C:\\x",
            "..\\x",
            "..\\\\x",
            "a//b",
            "./x",
            "..",
            ".",
            "",
            "a/./b",
            "a/..",
            "c:x",
            "a\0b",
            "x/",
        ] {
            assert!(
                local_path_for_key(dest, key).is_err(),
                "{key:?} should be refused, got {:?}",
                local_path_for_key(dest, key)
            );
        }
    }

    #[test]
    fn plain_keys_map_under_the_destination() {
        let dest = Path::new("/tmp/dest");
        let cases = [
            ("a.txt", "/tmp/dest/a.txt"),
            ("dir/with space.txt", "/tmp/dest/dir/with space.txt"),
            ("plus+sign", "/tmp/dest/plus+sign"),
            ("ünïcödé/ключ.bin", "/tmp/dest/ünïcödé/ключ.bin"),
            ("..hidden", "/tmp/dest/..hidden"),
            ("a..b/c", "/tmp/dest/a..b/c"),
            (
                "2026-01-02T03:04:05.log",
                "/tmp/dest/2026-01-02T03:04:05.log",
            ),
            ("CC:/x", "/tmp/dest/CC:/x"),
        ];
        for (key, want) in cases {
            assert_eq!(
                local_path_for_key(dest, key),
                Ok(PathBuf::from(want)),
                "{key}"
            );
        }
    }

    proptest! {
        /// Whatever the key, the answer is a refusal or a path strictly inside the destination,
        /// made only of plain names (no `..`, no root, no prefix) below it.
        #[test]
        fn any_key_is_refused_or_strictly_inside(key in "([a-zA-Z0-9./\\\\:~ ]|\\.\\.|//){0,24}",
                                                  any_key in any::<String>()) {
            let dest = Path::new("/srv/dest");
            for k in [&key, &any_key] {
                if let Ok(path) = local_path_for_key(dest, k) {
                    let rest = path.strip_prefix(dest);
                    prop_assert!(rest.is_ok(), "{:?} → {:?} escapes", k, path);
                    let rest = rest.unwrap_or(Path::new(""));
                    prop_assert!(!rest.as_os_str().is_empty(), "{:?} maps to the destination itself", k);
                    prop_assert!(rest.components().all(|c| matches!(c, Component::Normal(_))), "{:?} → {:?}", k, path);
                    prop_assert_eq!(rest.components().count(), k.split('/').count());
                }
            }
        }
    }
}
