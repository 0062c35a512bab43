//! The expectations kept in the repo (`tests/compat/expected.toml`): for each server, which
//! scenarios are `unsupported` or `failed` there, and why; every other scenario is expected to
//! pass. The file uses a small subset of TOML, read here without a TOML crate (the package has
//! none among its dependencies): `[server.unsupported]` / `[server.failed]` headers, then
//! `scenario = "reason"` lines with basic-string escapes (`\"`, `\\`, `\n`, `\t`), and `#`
//! comments. Anything else is an error naming the line, so a typo cannot quietly expect nothing.

use std::collections::BTreeMap;

/// What a scenario is expected to do on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// `unsupported` or `failed` (scenarios not listed are expected to pass).
    pub outcome: &'static str,
    pub reason: String,
}

/// server → scenario → expectation.
pub type Expectations = BTreeMap<String, BTreeMap<String, Expected>>;

/// The committed file, parsed.
pub fn load() -> Result<Expectations, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat/expected.toml");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse(&text).map_err(|e| format!("{path}: {e}"))
}

pub fn parse(text: &str) -> Result<Expectations, String> {
    let mut all = Expectations::new();
    let mut current: Option<(String, &'static str)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header
                .strip_suffix(']')
                .ok_or_else(|| format!("line {line_no}: unclosed table header"))?;
            let (server, outcome) = header.trim().split_once('.').ok_or_else(|| {
                format!("line {line_no}: expected [server.unsupported] or [server.failed]")
            })?;
            let outcome = match outcome {
                "unsupported" => "unsupported",
                "failed" => "failed",
                other => return Err(format!("line {line_no}: unknown outcome `{other}`")),
            };
            all.entry(server.to_string()).or_default();
            current = Some((server.to_string(), outcome));
            continue;
        }
        let (server, outcome) = current.as_ref().ok_or_else(|| {
            format!("line {line_no}: an entry before any [server.outcome] header")
        })?;
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {line_no}: expected `scenario = \"reason\"`"))?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("line {line_no}: `{key}` is not a scenario name"));
        }
        let reason = basic_string(value.trim()).map_err(|e| format!("line {line_no}: {e}"))?;
        let scenarios = all.entry(server.clone()).or_default();
        let expected = Expected { outcome, reason };
        if scenarios.insert(key.to_string(), expected).is_some() {
            return Err(format!(
                "line {line_no}: `{key}` is listed twice for {server}"
            ));
        }
    }
    Ok(all)
}

/// A TOML basic string (`"…"`), optionally followed by a comment.
fn basic_string(text: &str) -> Result<String, String> {
    let mut chars = text.chars();
    if chars.next() != Some('"') {
        return Err("the reason must be a \"quoted string\"".into());
    }
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let rest = chars.as_str().trim();
                if rest.is_empty() || rest.starts_with('#') {
                    return Ok(out);
                }
                return Err(format!("unexpected `{rest}` after the string"));
            }
            '\\' => match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                other => return Err(format!("unsupported escape \\{}", other.unwrap_or(' '))),
            },
            c => out.push(c),
        }
    }
    Err("unterminated string".into())
}
