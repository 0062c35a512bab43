//! The rules language's functions, standard (`substring`, `uriEncode`, `parseURL`,
//! `isValidHostLabel`) and AWS (`aws.parseArn`, `aws.isVirtualHostableS3Bucket`; `aws.partition`
//! is in `partitions.rs`). Each is a plain function over strings: no scope, no rule set. Where the
//! AWS SDKs disagree on an edge, the choice follows Smithy's reference implementation and is said
//! beside the function. A function that "returns nothing" (an unparsable URL or ARN, an
//! out-of-range substring) gives `None`, which fails the condition that called it.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::rules::Value;

/// A slice of a string that stays borrowed when the string was.
fn slice<'a>(s: &Cow<'a, str>, range: Range<usize>) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[range]),
        Cow::Owned(o) => Cow::Owned(o[range].to_owned()),
    }
}

/// `substring(input, start, stop, reverse)`: characters `start..stop` (counted from the end when
/// `reverse`), or `None` when the input is not ASCII, too short, or `start >= stop`.
pub(crate) fn substring(
    input: Cow<'_, str>,
    start: usize,
    stop: usize,
    reverse: bool,
) -> Option<Cow<'_, str>> {
    if start >= stop || !input.is_ascii() || input.len() < stop {
        return None;
    }
    let len = input.len();
    let range = if reverse {
        len - stop..len - start
    } else {
        start..stop
    };
    Some(slice(&input, range))
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `uriEncode(input)`: percent-encodes `input` (UTF-8 bytes) but for unreserved characters.
pub(crate) fn uri_encode(input: Cow<'_, str>) -> Cow<'_, str> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if input.bytes().all(unreserved) {
        input
    } else {
        Cow::Owned(utf8_percent_encode(&input, URI_ENCODE).to_string())
    }
}

/// `isValidHostLabel(input, allowSubDomains)`: an RFC 1123 label (1–63 ASCII letters, digits and
/// `-`, not starting with `-`); with `allowSubDomains`, every dot-separated label must be one.
/// A trailing `-` is accepted, as Smithy's reference implementation and aws-sdk-rust accept it.
pub(crate) fn is_valid_host_label(input: &str, allow_subdomains: bool) -> bool {
    if allow_subdomains {
        input.split('.').all(is_host_label)
    } else {
        is_host_label(input)
    }
}

fn is_host_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `aws.isVirtualHostableS3Bucket(input, allowSubDomains)`: a bucket name that can be a host
/// label: 3–63 lower-case letters, digits and `-`, starting and ending with a letter or digit.
/// With `allowSubDomains`, dots are allowed too, but not next to another dot or dash, and not in
/// the shape of an IPv4 address. This follows Smithy's reference implementation (where the AWS
/// SDKs differ on dotted names: aws-sdk-rust and the JS SDK also want each label 3 long).
pub(crate) fn is_virtual_hostable_s3_bucket(input: &str, allow_subdomains: bool) -> bool {
    let bytes = input.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let end_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let inner_char = |b: u8| end_char(b) || b == b'-' || (allow_subdomains && b == b'.');
    if !(3..=63).contains(&bytes.len())
        || !end_char(first)
        || !end_char(last)
        || !bytes.iter().all(|&b| inner_char(b))
    {
        return false;
    }
    if !allow_subdomains {
        return true;
    }
    let separator = |b: &u8| *b == b'.' || *b == b'-';
    let doubled = bytes
        .windows(2)
        .any(|w| separator(&w[0]) && separator(&w[1]));
    !doubled && !looks_like_ipv4(input)
}

/// `(\d+\.){3}\d+`: four dot-separated runs of digits, whatever their values.
fn looks_like_ipv4(input: &str) -> bool {
    let parts: Vec<&str> = input.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `aws.parseArn(input)`: `arn:partition:service:region:account-id:resource`, with the resource
/// split on `:` and `/` into `resourceId`. `None` unless there are six parts, the first is `arn`,
/// and partition, service and resource are non-empty.
pub(crate) fn parse_arn(input: Cow<'_, str>) -> Option<Value<'_>> {
    let mut bounds = Vec::with_capacity(6);
    let mut start = 0;
    for (i, c) in input.char_indices() {
        if c == ':' && bounds.len() < 5 {
            bounds.push(start..i);
            start = i + 1;
        }
    }
    if bounds.len() < 5 {
        return None;
    }
    bounds.push(start..input.len());
    if &input[bounds[0].clone()] != "arn"
        || bounds[1].is_empty()
        || bounds[2].is_empty()
        || bounds[5].is_empty()
    {
        return None;
    }
    let resource = bounds[5].clone();
    let mut resource_id = Vec::new();
    let mut piece = resource.start;
    for (i, c) in input[resource.clone()].char_indices() {
        if c == ':' || c == '/' {
            resource_id.push(Value::Str(slice(&input, piece..resource.start + i)));
            piece = resource.start + i + 1;
        }
    }
    resource_id.push(Value::Str(slice(&input, piece..resource.end)));
    let part = |i: usize| Value::Str(slice(&input, bounds[i].clone()));
    Some(Value::Object(vec![
        (Cow::Borrowed("partition"), part(1)),
        (Cow::Borrowed("service"), part(2)),
        (Cow::Borrowed("region"), part(3)),
        (Cow::Borrowed("accountId"), part(4)),
        (Cow::Borrowed("resourceId"), Value::Array(resource_id)),
    ]))
}

/// `parseURL(input)`: `scheme`, `authority`, `path`, `normalizedPath` and `isIp` of an `http` or
/// `https` URL, or `None` for anything else, for a URL with a query or a fragment, or one the
/// `url` crate refuses (bad port, bad host). `authority` and `path` are kept as written;
/// `normalizedPath` is the path with a `/` at both ends (`/` for an empty path), left otherwise
/// untouched: S3 paths are never normalised. `isIp` is true for a dotted-quad IPv4 or a bracketed
/// IPv6 host.
pub(crate) fn parse_url(input: Cow<'_, str>) -> Option<Value<'_>> {
    let parsed = url::Url::parse(&input).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
        return None;
    }
    if input.contains(['?', '#']) {
        return None;
    }
    let scheme_end = input.find("://")?;
    let authority_start = scheme_end + 3;
    let authority_end = input[authority_start..]
        .find('/')
        .map_or(input.len(), |i| authority_start + i);
    let authority = authority_start..authority_end;
    if authority.is_empty() {
        return None;
    }
    let host = {
        let a = &input[authority.clone()];
        let a = a.rsplit_once('@').map_or(a, |(_, host)| host);
        if let Some(inner) = a.strip_prefix('[') {
            inner.split_once(']').map_or(inner, |(h, _)| h)
        } else {
            a.split_once(':').map_or(a, |(h, _)| h)
        }
    };
    let is_ip = host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok();
    let path = authority_end..input.len();
    let raw_path = &input[path.clone()];
    let normalized = match (raw_path.starts_with('/'), raw_path.ends_with('/')) {
        _ if raw_path.is_empty() => Cow::Borrowed("/"),
        (true, true) => slice(&input, path.clone()),
        (true, false) => Cow::Owned(format!("{raw_path}/")),
        (false, _) => return None,
    };
    let scheme = Cow::Owned(parsed.scheme().to_owned());
    Some(Value::Object(vec![
        (Cow::Borrowed("scheme"), Value::Str(scheme)),
        (
            Cow::Borrowed("authority"),
            Value::Str(slice(&input, authority)),
        ),
        (Cow::Borrowed("path"), Value::Str(slice(&input, path))),
        (Cow::Borrowed("normalizedPath"), Value::Str(normalized)),
        (Cow::Borrowed("isIp"), Value::Bool(is_ip)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &Value<'_>, key: &str) -> String {
        match v {
            Value::Object(fields) => match fields.iter().find(|(k, _)| k == key) {
                Some((_, Value::Str(s))) => s.to_string(),
                Some((_, Value::Bool(b))) => b.to_string(),
                other => panic!("{key}: {other:?}"),
            },
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn substring_counts_from_either_end_and_refuses_what_it_cannot_cut() {
        let s = |x: &'static str| Cow::Borrowed(x);
        assert_eq!(substring(s("abcdef"), 0, 2, false).as_deref(), Some("ab"));
        assert_eq!(substring(s("abcdef"), 0, 2, true).as_deref(), Some("ef"));
        assert_eq!(substring(s("abcdef"), 2, 2, false), None);
        assert_eq!(substring(s("abc"), 0, 4, false), None);
        assert_eq!(substring(s("abcé"), 0, 2, false), None);
    }

    #[test]
    fn uri_encode_keeps_only_unreserved_characters() {
        assert_eq!(uri_encode(Cow::Borrowed("a-b_c.d~e")), "a-b_c.d~e");
        assert_eq!(
            uri_encode(Cow::Borrowed("a b/c:d!é")),
            "a%20b%2Fc%3Ad%21%C3%A9"
        );
    }

    #[test]
    fn parse_url_keeps_authority_and_path_as_written() {
        let u = parse_url(Cow::Borrowed("https://Example.com:8443/a//b")).unwrap();
        assert_eq!(text(&u, "scheme"), "https");
        assert_eq!(text(&u, "authority"), "Example.com:8443");
        assert_eq!(text(&u, "path"), "/a//b");
        assert_eq!(text(&u, "normalizedPath"), "/a//b/");
        assert_eq!(text(&u, "isIp"), "false");
        let ip = parse_url(Cow::Borrowed("http://[::1]:9000")).unwrap();
        assert_eq!(text(&ip, "isIp"), "true");
        assert_eq!(text(&ip, "normalizedPath"), "/");
        for bad in [
            "ftp://x.com",
            "https://x.com/?a=b",
            "https://x.com#f",
            "x.com",
            "http://x.com:99999",
        ] {
            assert!(parse_url(Cow::Borrowed(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn parse_arn_splits_the_resource_on_colons_and_slashes() {
        let arn = parse_arn(Cow::Borrowed(
            "arn:aws:s3:us-west-2:123:outpost/op-1:accesspoint/ap",
        ))
        .unwrap();
        assert_eq!(text(&arn, "service"), "s3");
        assert_eq!(text(&arn, "accountId"), "123");
        let Value::Object(fields) = &arn else {
            unreachable!()
        };
        let ids: Vec<_> = match &fields[4].1 {
            Value::Array(items) => items.iter().map(|v| format!("{v:?}")).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(ids.len(), 4);
        assert!(parse_arn(Cow::Borrowed("arn:aws:s3:::")).is_none());
        assert!(parse_arn(Cow::Borrowed("arn::s3:r:a:res")).is_none());
        assert!(parse_arn(Cow::Borrowed("nope:aws:s3:r:a:res")).is_none());
        assert!(parse_arn(Cow::Borrowed("arn:aws:s3:r:a")).is_none());
    }

    #[test]
    fn virtual_hostable_buckets_are_lower_case_labels_of_three_or_more() {
        assert!(is_virtual_hostable_s3_bucket("my-bucket", false));
        assert!(is_virtual_hostable_s3_bucket("my.bucket", true));
        assert!(!is_virtual_hostable_s3_bucket("my.bucket", false));
        assert!(!is_virtual_hostable_s3_bucket("MyBucket", false));
        assert!(!is_virtual_hostable_s3_bucket("ab", false));
        assert!(!is_virtual_hostable_s3_bucket("192.168.100.200", true));
        assert!(!is_virtual_hostable_s3_bucket("999.1.2.3", true));
        assert!(!is_virtual_hostable_s3_bucket("my..bucket", true));
        assert!(!is_virtual_hostable_s3_bucket("my-.bucket", true));
        assert!(is_virtual_hostable_s3_bucket("my--bucket", false));
        assert!(!is_virtual_hostable_s3_bucket("bucket-", false));
        assert!(!is_virtual_hostable_s3_bucket("-bucket", false));
        assert!(is_valid_host_label("us-east-1", false));
        assert!(!is_valid_host_label("a..b", true));
        assert!(!is_valid_host_label(&"a".repeat(64), false));
    }
}
