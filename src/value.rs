//! Member values as the request builder takes them, and the two ways they arrive untyped: a CLI
//! argument string and a JSON value (the request oracle's inputs, a script's JSON). Both are parsed by
//! the member's shape, so a malformed value is refused here, before anything is sent.

use std::path::PathBuf;

use bytes::Bytes;

use crate::shape::Shape;
use crate::timestamp::parse_timestamp;

/// A request body: bytes in memory, a file (streamed, never read whole), or standard input.
///
/// ```no_run
/// # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
/// use s3op::Body;
/// client.put_object().bucket("b").key("hello.txt").body("hello").send().await?;
/// client.put_object().bucket("b").key("big.iso").body(Body::File("big.iso".into())).send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Bytes),
    File(PathBuf),
    /// `len` bytes of a file from `offset` (one part of a multipart upload), streamed.
    FileRange {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    Stdin,
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Bytes(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body::Bytes(Bytes::from(b))
    }
}

impl From<&'static [u8]> for Body {
    fn from(b: &'static [u8]) -> Self {
        Body::Bytes(Bytes::from_static(b))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Bytes(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::Bytes(Bytes::from_static(s.as_bytes()))
    }
}

impl From<PathBuf> for Body {
    fn from(p: PathBuf) -> Self {
        Body::File(p)
    }
}

impl From<&std::path::Path> for Body {
    fn from(p: &std::path::Path) -> Self {
        Body::File(p.to_path_buf())
    }
}

/// One member's value.
#[derive(Debug, Clone)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Timestamp(time::OffsetDateTime),
    /// A structure, list or map, in the S3 API's member names; checked against the shape when sent.
    Json(serde_json::Value),
    Body(Body),
}

impl Value {
    /// Parse a CLI argument by the member's shape: strings as given, integers, `true`/`false`, ISO 8601
    /// timestamps, JSON for structures/lists/maps, a file path (`-` for stdin) for blobs.
    pub fn parse_arg(shape: &'static Shape, arg: &str) -> Result<Value, String> {
        match shape {
            Shape::String => Ok(Value::String(arg.to_string())),
            Shape::Integer | Shape::Long => arg
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| format!("expected an integer, got {arg:?}")),
            Shape::Float | Shape::Double => arg
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::Float)
                .ok_or_else(|| format!("expected a number, got {arg:?}")),
            Shape::Boolean => match arg.trim() {
                "true" => Ok(Value::Boolean(true)),
                "false" => Ok(Value::Boolean(false)),
                _ => Err(format!("expected true or false, got {arg:?}")),
            },
            Shape::Timestamp(_) => parse_timestamp(arg).map(Value::Timestamp).map_err(|e| {
                format!("expected an ISO 8601 timestamp such as 2026-01-02T03:04:05Z: {e}")
            }),
            Shape::Blob => {
                if arg == "-" {
                    Ok(Value::Body(Body::Stdin))
                } else {
                    let path = PathBuf::from(arg);
                    match std::fs::metadata(&path) {
                        Ok(m) if m.is_file() => Ok(Value::Body(Body::File(path))),
                        Ok(_) => Err(format!("{arg} is not a regular file")),
                        Err(e) => Err(format!("cannot read file {arg}: {e}")),
                    }
                }
            }
            Shape::Structure(_) | Shape::List(_) | Shape::Map(_) => {
                let json: serde_json::Value = serde_json::from_str(arg).map_err(|e| {
                    format!(
                        "expected JSON ({}) in the S3 API's member names: {e}",
                        shape.kind_name()
                    )
                })?;
                Value::from_json(shape, &json)
            }
        }
    }

    /// Convert a JSON value by the member's shape (the request oracle's inputs; a script's JSON).
    /// Blobs are `{"base64": "..."}` or a string taken as UTF-8 bytes.
    pub fn from_json(shape: &'static Shape, json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        match (shape, json) {
            (Shape::String, J::String(s)) => Ok(Value::String(s.clone())),
            (Shape::Integer | Shape::Long, J::Number(n)) => n
                .as_i64()
                .map(Value::Integer)
                .ok_or_else(|| format!("expected an integer, got {n}")),
            (
                Shape::Integer | Shape::Long | Shape::Float | Shape::Double | Shape::Boolean,
                J::String(s),
            ) => Value::parse_arg(shape, s),
            (Shape::Float | Shape::Double, J::Number(n)) => n
                .as_f64()
                .map(Value::Float)
                .ok_or_else(|| format!("expected a number, got {n}")),
            (Shape::Boolean, J::Bool(b)) => Ok(Value::Boolean(*b)),
            (Shape::Timestamp(_), J::String(s)) => Value::parse_arg(shape, s),
            (Shape::Timestamp(_), J::Number(n)) => n
                .as_i64()
                .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
                .map(Value::Timestamp)
                .ok_or_else(|| format!("expected a timestamp, got {n}")),
            (Shape::Blob, J::String(s)) => Ok(Value::Body(Body::Bytes(Bytes::from(
                s.clone().into_bytes(),
            )))),
            (Shape::Blob, J::Object(map)) => match map.get("base64").and_then(|b| b.as_str()) {
                Some(b64) => {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map(|b| Value::Body(Body::Bytes(Bytes::from(b))))
                        .map_err(|e| format!("invalid base64: {e}"))
                }
                None => Err("expected a string or {\"base64\": ...}".to_string()),
            },
            (Shape::Structure(_) | Shape::List(_) | Shape::Map(_), _) => {
                crate::xml::check_json(json, shape).map_err(|e| e.to_string())?;
                Ok(Value::Json(json.clone()))
            }
            (_, other) => Err(format!(
                "expected {}, got {}",
                article(shape.kind_name()),
                json_kind(other)
            )),
        }
    }
}

fn article(kind: &str) -> String {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

/// A JSON value's kind, for error messages.
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_arguments_parse_by_shape() {
        assert!(matches!(
            Value::parse_arg(&Shape::Integer, "7"),
            Ok(Value::Integer(7))
        ));
        assert!(Value::parse_arg(&Shape::Integer, "seven").is_err());
        assert!(matches!(
            Value::parse_arg(&Shape::Boolean, "true"),
            Ok(Value::Boolean(true))
        ));
        assert!(Value::parse_arg(&Shape::Boolean, "yes").is_err());
        assert!(Value::parse_arg(&Shape::Blob, "/definitely/not/here").is_err());
        assert!(matches!(
            Value::parse_arg(&Shape::Blob, "-"),
            Ok(Value::Body(Body::Stdin))
        ));
    }
}
