//! Where the transfer commands read and write: parsing `s3://bucket/key` and local arguments,
//! wildcards (`*` and `?`), walking local trees, and the one rule that turns an S3
//! key into a local path ([`local_path_for_key`]). Keys are not paths: a key is arbitrary UTF-8, and
//! nothing here lets one name a place outside the destination directory. No network, no S3 calls.

use std::path::PathBuf;

pub(crate) use s3op::tree::{
    is_directory_marker, local_path_for_key, slash_path, walk_local, S3Url,
};

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

/// The last segment of a key (`a/b/c.txt` → `c.txt`).
pub(crate) fn key_basename(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use s3op::tree::guess_content_type;
    use std::path::{Component, Path};

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
