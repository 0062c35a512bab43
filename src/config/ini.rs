//! The AWS shared profile files (`~/.aws/credentials`, `~/.aws/config`, or where
//! `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` point): reading them, a forgiving parser for
//! their INI dialect (nested `s3 =` blocks, inline comments), `[name]`, `[profile name]`,
//! `[default]` and `[services name]` sections, repeated sections merged and the credentials file
//! before the config file. It does not decide which setting wins over which source; the parent
//! module does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ConfigError, Environment};

/// One `key = value` of a section: plain text, or the indented block under `key =`.
#[derive(Clone)]
pub(super) enum IniValue {
    Text(String),
    Nested(BTreeMap<String, String>),
}

pub(super) type Section = BTreeMap<String, IniValue>;

pub(super) struct IniFile {
    pub(super) path: PathBuf,
    /// Sections in file order; a repeated header is a second entry (later keys win on lookup).
    sections: Vec<(String, Section)>,
}

pub(super) struct ProfileFiles {
    credentials: Option<IniFile>,
    pub(super) config: Option<IniFile>,
    /// The files looked in, whether they exist or not.
    pub(super) searched: Vec<PathBuf>,
}

/// One file's view of a profile.
pub(super) struct ProfileSource {
    pub(super) path: PathBuf,
    pub(super) section: Section,
    /// From the credentials file (else the config file).
    pub(super) credentials_file: bool,
}

/// A profile as found in the files: its credentials-file section first, then its config-file
/// section; `sources` is empty when neither file has it.
pub(super) struct Profile {
    pub(super) name: String,
    pub(super) sources: Vec<ProfileSource>,
}

impl ProfileFiles {
    pub(super) fn load(env: &Environment) -> Result<Self, ConfigError> {
        let locate = |var: &str, default: &str| -> Option<PathBuf> {
            match env.var(var) {
                Some(path) => Some(expand_home(path, env.home())),
                None => env.home().map(|home| home.join(".aws").join(default)),
            }
        };
        let credentials_path = locate("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let config_path = locate("AWS_CONFIG_FILE", "config");
        let searched: Vec<PathBuf> = credentials_path
            .iter()
            .chain(config_path.iter())
            .cloned()
            .collect();
        Ok(ProfileFiles {
            credentials: credentials_path.map(read_ini).transpose()?.flatten(),
            config: config_path.map(read_ini).transpose()?.flatten(),
            searched,
        })
    }

    pub(super) fn profile(&self, name: &str) -> Profile {
        let mut sources = Vec::new();
        if let Some(file) = &self.credentials {
            if let Some(section) = merged(file, |header| header == name) {
                sources.push(ProfileSource {
                    path: file.path.clone(),
                    section,
                    credentials_file: true,
                });
            }
        }
        if let Some(file) = &self.config {
            let matches = |header: &str| config_profile_name(header).as_deref() == Some(name);
            if let Some(section) = merged(file, matches) {
                sources.push(ProfileSource {
                    path: file.path.clone(),
                    section,
                    credentials_file: false,
                });
            }
        }
        Profile {
            name: name.to_owned(),
            sources,
        }
    }

    /// The `[sso-session NAME]` section of the config file, as a one-source profile.
    pub(super) fn sso_session(&self, name: &str) -> Option<Profile> {
        self.config_section("sso-session", name)
    }

    /// The `[services NAME]` section of the config file, as a one-source profile.
    pub(super) fn services(&self, name: &str) -> Option<Profile> {
        self.config_section("services", name)
    }

    /// A `[KIND NAME]` section of the config file, as a one-source profile.
    fn config_section(&self, kind: &str, name: &str) -> Option<Profile> {
        let file = self.config.as_ref()?;
        let section = merged(file, |header| {
            let mut words = header.split_whitespace();
            words.next() == Some(kind) && words.next().map(unquote) == Some(name)
        })?;
        Some(Profile {
            name: name.to_owned(),
            sources: vec![ProfileSource {
                path: file.path.clone(),
                section,
                credentials_file: false,
            }],
        })
    }
}

/// The sections whose header matches, merged in file order (later keys win).
fn merged(file: &IniFile, matches: impl Fn(&str) -> bool) -> Option<Section> {
    let mut found: Option<Section> = None;
    for (header, section) in &file.sections {
        if matches(header) {
            found
                .get_or_insert_with(Section::new)
                .extend(section.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    found
}

/// `[default]` and `[profile NAME]` (the name may be quoted) are profiles in the config file; any
/// other section there (`[services x]`, `[sso-session x]`, a bare `[x]`) is not.
fn config_profile_name(header: &str) -> Option<String> {
    if header == "default" {
        return Some("default".to_owned());
    }
    let rest = header.strip_prefix("profile")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let name = unquote(rest.trim());
    (!name.is_empty()).then(|| name.to_owned())
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

impl Profile {
    /// A plain value: from the credentials file when it has the key, else from the config file.
    pub(super) fn text(&self, key: &str) -> Option<(&str, &Path)> {
        self.sources
            .iter()
            .find_map(|source| match source.section.get(key) {
                Some(IniValue::Text(value)) if !value.is_empty() => {
                    Some((value.as_str(), source.path.as_path()))
                }
                _ => None,
            })
    }

    /// A value inside a `key =` block, such as `s3 = addressing_style`.
    pub(super) fn nested(&self, key: &str, sub_key: &str) -> Option<(&str, &Path)> {
        self.sources
            .iter()
            .find_map(|source| match source.section.get(key) {
                Some(IniValue::Nested(block)) => block
                    .get(sub_key)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v.as_str(), source.path.as_path())),
                _ => None,
            })
    }

    pub(super) fn origin(&self, path: &Path) -> String {
        format!("profile `{}` in {}", self.name, path.display())
    }
}

pub(super) fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home.to_path_buf(),
        (Some(rest), Some(home)) if rest.starts_with(['/', '\\']) => home.join(&rest[1..]),
        _ => PathBuf::from(path),
    }
}

/// Reads and parses a profile file; a missing file is `None`, an unreadable one an error.
fn read_ini(path: PathBuf) -> Result<Option<IniFile>, ConfigError> {
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(IniFile {
            sections: parse_ini(&String::from_utf8_lossy(&bytes)),
            path,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::ReadFile {
            reason: e.to_string(),
            path,
        }),
    }
}

/// A forgiving parser for the AWS shared config format: `[section]` headers, `key = value` (or
/// `key: value`) lines with keys lower-cased, full-line comments starting with `#` or `;`, inline
/// comments where `#` or `;` follows whitespace, and nested blocks: a `key =` with no value
/// followed by indented `sub_key = value` lines. Lines it cannot make sense of are skipped; it
/// never fails.
fn parse_ini(text: &str) -> Vec<(String, Section)> {
    let mut sections: Vec<(String, Section)> = Vec::new();
    // Whether the last header was well formed: keys after a broken header belong to no section.
    let mut in_section = false;
    let mut open_block: Option<String> = None;
    for raw in text.trim_start_matches('\u{feff}').lines() {
        let line = raw.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content.starts_with(';') {
            continue;
        }
        let indented = content.len() != line.len();
        if indented {
            if let (true, Some(block_key), Some((_, section))) =
                (in_section, open_block.as_ref(), sections.last_mut())
            {
                if let (Some((key, value)), Some(IniValue::Nested(block))) =
                    (split_key_value(content), section.get_mut(block_key))
                {
                    block.insert(key, value);
                }
            }
            // Other indented lines continue a value in configparser; no key read here needs that.
            continue;
        }
        open_block = None;
        if let Some(header) = content.strip_prefix('[') {
            in_section = false;
            if let Some(end) = header.find(']') {
                let name = header[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !name.is_empty() {
                    sections.push((name, Section::new()));
                    in_section = true;
                }
            }
            continue;
        }
        let (true, Some((_, section))) = (in_section, sections.last_mut()) else {
            continue;
        };
        let Some((key, value)) = split_key_value(content) else {
            continue;
        };
        if value.is_empty() {
            section.insert(key.clone(), IniValue::Nested(BTreeMap::new()));
            open_block = Some(key);
        } else {
            section.insert(key, IniValue::Text(value));
        }
    }
    sections
}

fn split_key_value(line: &str) -> Option<(String, String)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim().to_ascii_lowercase();
    if key.is_empty() {
        return None;
    }
    let value = strip_inline_comment(&line[at + 1..]).trim();
    Some((key, value.to_owned()))
}

/// Cuts the value at a `#` or `;` that follows whitespace (the whitespace after the delimiter
/// counts, so `key = ; note` is empty).
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &value[..i];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section<'a>(sections: &'a [(String, Section)], name: &str) -> &'a Section {
        &sections
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no section {name}"))
            .1
    }

    fn text<'a>(section: &'a Section, key: &str) -> Option<&'a str> {
        match section.get(key) {
            Some(IniValue::Text(v)) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn ini_comments_delimiters_case_and_whitespace() {
        let parsed = parse_ini(
            "\u{feff}# leading comment\r\n; another\r\n[default]\r\n  \r\n\
             Region = eu-west-1 # trailing comment\r\n\
             output: json\r\n\
             endpoint_url=http://host:9000/#frag\r\n\
             empty_after_comment = ; nothing\r\n\
             aws_secret_access_key = abc#def\r\n",
        );
        let default = section(&parsed, "default");
        assert_eq!(text(default, "region"), Some("eu-west-1"));
        assert_eq!(text(default, "output"), Some("json"));
        assert_eq!(
            text(default, "endpoint_url"),
            Some("http://host:9000/#frag")
        );
        assert_eq!(text(default, "aws_secret_access_key"), Some("abc#def"));
        assert!(matches!(
            default.get("empty_after_comment"),
            Some(IniValue::Nested(_))
        ));
    }

    #[test]
    fn ini_nested_blocks() {
        let parsed = parse_ini(
            "[profile dev]\n\
             s3 =\n  addressing_style = path\n\tmultipart_chunksize = 8MB\n\n  max_concurrent_requests = 4\n\
             region = us-west-2\n\
             indented_after_text = x\n   ignored = yes\n",
        );
        let dev = section(&parsed, "profile dev");
        match dev.get("s3") {
            Some(IniValue::Nested(block)) => {
                assert_eq!(
                    block.get("addressing_style").map(String::as_str),
                    Some("path")
                );
                assert_eq!(
                    block.get("multipart_chunksize").map(String::as_str),
                    Some("8MB")
                );
                assert_eq!(
                    block.get("max_concurrent_requests").map(String::as_str),
                    Some("4")
                );
            }
            _ => panic!("s3 is not a block"),
        }
        assert_eq!(text(dev, "region"), Some("us-west-2"));
        assert!(dev.get("ignored").is_none());
    }

    #[test]
    fn ini_malformed_input_never_panics() {
        let inputs: [&[u8]; 10] = [
            b"",
            b"[",
            b"]]]\n=\n==\n:\n",
            b"key = before any section\n[ok]\nkey = value\n",
            b"   indented first line = 1\n[ok]\nkey = value\n",
            b"[unterminated\nkey = lost\n[ok]\nkey = value\n",
            b"[]\nkey = lost\n[ok]\nkey = value\n",
            b"\xff\xfe\x00garbage\x80\n[ok]\nkey = value\n",
            b"[ok]\nkey = value\n s3 =\n\t= no key\n",
            b"[ok]\n\r\n\r\nkey = value\r",
        ];
        for input in inputs {
            let parsed = parse_ini(&String::from_utf8_lossy(input));
            if let Some((_, ok_section)) = parsed.iter().find(|(n, _)| n == "ok") {
                assert_eq!(text(ok_section, "key"), Some("value"));
            }
            for (name, section) in &parsed {
                assert!(!name.is_empty());
                assert!(section.get("key").is_none() || name == "ok");
            }
        }
    }

    #[test]
    fn tilde_expansion() {
        let home = Path::new("/home/u");
        assert_eq!(
            expand_home("~/x/y", Some(home)),
            PathBuf::from("/home/u/x/y")
        );
        assert_eq!(expand_home("~", Some(home)), PathBuf::from("/home/u"));
        assert_eq!(
            expand_home("~other/x", Some(home)),
            PathBuf::from("~other/x")
        );
        assert_eq!(expand_home("~/x", None), PathBuf::from("~/x"));
        assert_eq!(expand_home("/abs", Some(home)), PathBuf::from("/abs"));
    }
}
