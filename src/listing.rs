//! What listings need beyond one request: following the continuation fields from page to page (the
//! spec's `[pagination]`), and decoding the members S3 percent-encodes when a request asks for
//! `encoding-type=url` (the spec's `url_encoded`). Works on envelopes and operation tables only.

use serde_json::Value;

use crate::operation::Pagination;

/// The request members for the page after `response`, or `None` when the listing is complete.
pub fn next_page(p: &'static Pagination, response: &Value) -> Option<Vec<(&'static str, String)>> {
    if let Some(flag) = p.more_results {
        let more = match &response[flag] {
            Value::Bool(b) => *b,
            Value::String(s) => s == "true",
            _ => false,
        };
        if !more {
            return None;
        }
    }
    let mut next = Vec::with_capacity(p.input_tokens.len());
    for (input, output) in p.input_tokens.iter().zip(p.output_tokens) {
        let token = match &response[*output] {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let Some(token) = token {
            next.push((*input, token));
        }
    }
    if next.is_empty() {
        if let Some(list) = p.last_key_fallback {
            if let Some(key) = response[list]
                .as_array()
                .and_then(|items| items.last())
                .and_then(|last| last["Key"].as_str())
            {
                next.push((p.input_tokens[0], key.to_string()));
            }
        }
    }
    (!next.is_empty()).then_some(next)
}

/// Decode the members named by `paths` (`Prefix`, `Contents[].Key`) in place: `%XX` escapes and `+`
/// for a space, as S3 writes them under `encoding-type=url`.
pub fn decode_url_encoded(response: &mut Value, paths: &[&str]) {
    for path in paths {
        match path.split_once("[].") {
            Some((list, member)) => {
                if let Some(items) = response.get_mut(list).and_then(Value::as_array_mut) {
                    for item in items {
                        decode_member(item, member);
                    }
                }
            }
            None => decode_member(response, path),
        }
    }
}

fn decode_member(object: &mut Value, member: &str) {
    if let Some(Value::String(s)) = object.get_mut(member) {
        let plus_as_space = s.replace('+', " ");
        if let Ok(decoded) = percent_encoding::percent_decode_str(&plus_as_space).decode_utf8() {
            *s = decoded.into_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static V2: Pagination = Pagination {
        input_tokens: &["ContinuationToken"],
        output_tokens: &["NextContinuationToken"],
        result_keys: &["Contents"],
        limit_key: Some("MaxKeys"),
        more_results: Some("IsTruncated"),
        last_key_fallback: None,
    };
    static V1: Pagination = Pagination {
        input_tokens: &["Marker"],
        output_tokens: &["NextMarker"],
        result_keys: &["Contents"],
        limit_key: Some("MaxKeys"),
        more_results: Some("IsTruncated"),
        last_key_fallback: Some("Contents"),
    };
    static VERSIONS: Pagination = Pagination {
        input_tokens: &["KeyMarker", "VersionIdMarker"],
        output_tokens: &["NextKeyMarker", "NextVersionIdMarker"],
        result_keys: &["Versions"],
        limit_key: None,
        more_results: Some("IsTruncated"),
        last_key_fallback: None,
    };
    static BUCKETS: Pagination = Pagination {
        input_tokens: &["ContinuationToken"],
        output_tokens: &["ContinuationToken"],
        result_keys: &["Buckets"],
        limit_key: None,
        more_results: None,
        last_key_fallback: None,
    };

    #[test]
    fn continues_while_truncated() {
        let page = json!({"IsTruncated": true, "NextContinuationToken": "t2"});
        assert_eq!(
            next_page(&V2, &page),
            Some(vec![("ContinuationToken", "t2".to_string())])
        );
        assert_eq!(
            next_page(
                &V2,
                &json!({"IsTruncated": false, "NextContinuationToken": "t2"})
            ),
            None
        );
    }

    #[test]
    fn list_objects_falls_back_to_the_last_key() {
        let page = json!({"IsTruncated": true, "Contents": [{"Key": "a"}, {"Key": "b c"}]});
        assert_eq!(
            next_page(&V1, &page),
            Some(vec![("Marker", "b c".to_string())])
        );
    }

    #[test]
    fn several_tokens_travel_together() {
        let page = json!({"IsTruncated": true, "NextKeyMarker": "k", "NextVersionIdMarker": "v"});
        assert_eq!(
            next_page(&VERSIONS, &page),
            Some(vec![
                ("KeyMarker", "k".to_string()),
                ("VersionIdMarker", "v".to_string())
            ])
        );
    }

    #[test]
    fn without_a_flag_the_token_decides() {
        assert_eq!(next_page(&BUCKETS, &json!({"Buckets": []})), None);
        assert_eq!(
            next_page(&BUCKETS, &json!({"ContinuationToken": "c"})),
            Some(vec![("ContinuationToken", "c".to_string())])
        );
    }

    #[test]
    fn url_encoded_members_are_decoded() {
        let mut v =
            json!({"Prefix": "a%2Fb+c", "Contents": [{"Key": "x%2By+z%C3%A9"}], "Other": "p%20q"});
        decode_url_encoded(&mut v, &["Prefix", "Contents[].Key", "Missing"]);
        assert_eq!(
            v,
            json!({"Prefix": "a/b c", "Contents": [{"Key": "x+y zé"}], "Other": "p%20q"})
        );
    }
}
