//! OpenIntegrations' basic data (OPI_S3's `GetBasicDataStructure`): reading it from inline JSON or
//! a file, in strict JSON or the single-quoted form OpenIntegrations' documentation prints, and
//! writing it back as `oint` does. Errors name the key and never echo a value. It does not decide
//! precedence: the parent module's [`super::resolve`] puts basic data below flags and above the
//! environment.

use std::path::Path;

use serde::Serialize;

use crate::secret::Secret;

use super::{non_empty, ConfigError, DEFAULT_SERVICE};

/// OpenIntegrations' "basic data" for its S3 module (`OPI_S3.GetBasicDataStructure`, in Russian
/// `ПолучитьСтруктуруДанных`; `oint s3 GetBasicDataStructure --url --access --secret --region
/// [--service]`): a JSON object with the keys `URL`, `AccessKey`, `SecretKey`, `Region`, `Service`
/// (default `s3`) and, optionally, `ChunkSize` (bytes, as a number or a numeric string). OPI_S3
/// requires all of the first five; here each one that is missing falls back to the next source.
/// `URL` is a host with or without scheme (none means https), optionally with a port and a path
/// prefix. Keys are matched exactly first, then ignoring case; other keys are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasicData {
    /// `URL`.
    pub url: Option<String>,
    /// `AccessKey`.
    pub access_key: Option<String>,
    /// `SecretKey`.
    pub secret_key: Option<Secret>,
    /// `Region`.
    pub region: Option<String>,
    /// `Service`; `None` means `s3`.
    pub service: Option<String>,
    /// `ChunkSize`: in OPI_S3 both the size above which an object is sent or fetched in parts and
    /// the part size (its default there is 20971520, 20 MiB).
    pub chunk_size: Option<u64>,
}

impl BasicData {
    /// The structure `GetBasicDataStructure(URL, AccessKey, SecretKey, Region, Service)` builds.
    pub fn new(
        url: impl Into<String>,
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        let some = |s: String| (!s.is_empty()).then_some(s);
        let secret_key: Secret = secret_key.into();
        BasicData {
            url: some(url.into()),
            access_key: some(access_key.into()),
            secret_key: (!secret_key.expose().is_empty()).then_some(secret_key),
            region: some(region.into()),
            service: some(service.into()),
            chunk_size: None,
        }
    }

    /// The same with `ChunkSize` set.
    pub fn with_chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Reads basic data the way `oint`'s `--basic` takes it: text starting with `{` (or `[`) is the
    /// JSON itself, anything else is the path of a JSON file. Both may use the single-quoted form that
    /// OpenIntegrations' documentation prints (`{'URL':'...','AccessKey':'...'}`).
    pub fn load(arg: &str) -> Result<BasicData, ConfigError> {
        let text = arg.trim_start_matches('\u{feff}').trim();
        if text.starts_with(['{', '[']) {
            return parse_basic_data(text, "inline JSON");
        }
        let path = Path::new(text);
        match std::fs::read(path) {
            Ok(bytes) => parse_basic_data(
                &String::from_utf8_lossy(&bytes),
                &format!("file {}", path.display()),
            ),
            Err(e) => Err(ConfigError::ReadFile {
                path: path.to_path_buf(),
                reason: if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file (basic data is the path of a JSON file, or the JSON itself)"
                        .to_owned()
                } else {
                    e.to_string()
                },
            }),
        }
    }

    /// Parses basic data from JSON text (or its single-quoted form).
    pub fn parse(text: &str) -> Result<BasicData, ConfigError> {
        parse_basic_data(text, "inline JSON")
    }

    /// The JSON `oint s3 GetBasicDataStructure` prints, keys in its order; `Service` is always
    /// written. The secret key is written in clear: this is the user's own credentials file, like
    /// `~/.aws/credentials`, and the only place this module prints a secret.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
            url: Option<&'a str>,
            #[serde(rename = "AccessKey", skip_serializing_if = "Option::is_none")]
            access_key: Option<&'a str>,
            #[serde(rename = "SecretKey", skip_serializing_if = "Option::is_none")]
            secret_key: Option<&'a str>,
            #[serde(rename = "Region", skip_serializing_if = "Option::is_none")]
            region: Option<&'a str>,
            #[serde(rename = "Service")]
            service: &'a str,
            #[serde(rename = "ChunkSize", skip_serializing_if = "Option::is_none")]
            chunk_size: Option<u64>,
        }
        let json = Json {
            url: self.url.as_deref(),
            access_key: self.access_key.as_deref(),
            secret_key: self.secret_key.as_ref().map(Secret::expose),
            region: self.region.as_deref(),
            service: self.service.as_deref().unwrap_or(DEFAULT_SERVICE),
            chunk_size: self.chunk_size,
        };
        // Serialising a struct of strings and integers into a String cannot fail.
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }
}

fn parse_basic_data(text: &str, origin: &str) -> Result<BasicData, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBasicData {
        origin: origin.to_owned(),
        reason,
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => match swap_single_quotes(text).and_then(|t| serde_json::from_str(&t).ok()) {
            Some(value) => value,
            None => return Err(invalid(describe_json_error(&error))),
        },
    };
    let serde_json::Value::Object(object) = value else {
        return Err(invalid(
            "expected a JSON object with the keys URL, AccessKey, SecretKey, Region and Service"
                .to_owned(),
        ));
    };
    let field = |name: &str| {
        object.get(name).or_else(|| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    // Never echo a value: the one that is wrong may be the secret.
    let string = |name: &str| -> Result<Option<String>, ConfigError> {
        match field(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(non_empty(Some(s)).map(str::to_owned)),
            Some(_) => Err(invalid(format!("`{name}` must be a string"))),
        }
    };
    let chunk_size = match field("ChunkSize") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let bytes = match value {
                serde_json::Value::Number(n) => n.as_u64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < u64::MAX as f64)
                        .map(|f| f as u64)
                }),
                serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            match bytes {
                Some(bytes) if bytes > 0 => Some(bytes),
                _ => {
                    return Err(invalid(
                        "`ChunkSize` must be a positive whole number of bytes".to_owned(),
                    ))
                }
            }
        }
    };
    Ok(BasicData {
        url: string("URL")?,
        access_key: string("AccessKey")?,
        secret_key: string("SecretKey")?.map(Secret::new),
        region: string("Region")?,
        service: string("Service")?,
        chunk_size,
    })
}

/// Describes a JSON syntax error by position only: serde_json's own messages are position-only
/// for syntax errors too, but this keeps any future message that quotes input out of our errors.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Eof => "the text ends too early",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Io => "read error",
    };
    format!(
        "not valid JSON: {what} at line {}, column {}",
        error.line(),
        error.column()
    )
}

/// Turns the single-quoted form (`{'URL':'host','AccessKey':'AK'}`) into JSON: single quotes
/// outside double-quoted strings become double quotes, a `"` inside a single-quoted string is
/// escaped, `\'` becomes `'`, and a backslash that starts no JSON escape is doubled. Text inside
/// double-quoted strings is left alone. `None` when there is nothing to swap or the quotes do not
/// balance.
fn swap_single_quotes(text: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum State {
        Outside,
        Double,
        Single,
    }
    if !text.contains('\'') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut state = State::Outside;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Outside => {
                match c {
                    '\'' => {
                        out.push('"');
                        state = State::Single;
                        continue;
                    }
                    '"' => state = State::Double,
                    _ => {}
                }
                out.push(c);
            }
            State::Double => {
                out.push(c);
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => state = State::Outside,
                    _ => {}
                }
            }
            State::Single => match c {
                '\'' => {
                    out.push('"');
                    state = State::Outside;
                }
                '"' => out.push_str("\\\""),
                '\\' => match chars.next() {
                    Some('\'') => out.push('\''),
                    Some(n)
                        if matches!(n, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u') =>
                    {
                        out.push('\\');
                        out.push(n);
                    }
                    Some(n) => {
                        out.push_str("\\\\");
                        out.push(n);
                    }
                    None => out.push_str("\\\\"),
                },
                _ => out.push(c),
            },
        }
    }
    (state == State::Outside).then_some(out)
}
