//! `--exclude` / `--include` filters with the AWS CLI's semantics, for every command that walks a
//! tree or a prefix (`cp`, `mv`, `sync`, `rm`, `ls`, `du`, and [`crate::sync`]). A filter is a
//! pattern matched against a path relative to the command's source (a file's path under the
//! directory, with `/` separators, or a key with the listed prefix taken off), as the AWS CLI's
//! `fnmatch` of the pattern joined to the source matches it: `*` is any run of characters, `/`
//! included, `?` is one character, `[abc]`, `[a-z]` and `[!abc]` are sets, anything else is
//! literal. Everything is included until a filter matches; filters are read in order and the last
//! one that matches decides, so `--exclude '*' --include '*.txt'` keeps only the text files.

use std::path::Path;

/// An ordered list of include and exclude patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    rules: Vec<Rule>,
}

/// One `--exclude` or `--include`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub kind: RuleKind,
    pub pattern: String,
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Include,
    Exclude,
}

/// Why a filter file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read filters from {path}: {source}")]
pub struct FilterFileError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

impl Filters {
    /// No filters: everything is included.
    pub fn new() -> Self {
        Filters::default()
    }

    /// Add `--exclude PATTERN` after the rules so far.
    pub fn exclude(mut self, pattern: impl Into<String>) -> Self {
        self.push(RuleKind::Exclude, pattern);
        self
    }

    /// Add `--include PATTERN` after the rules so far.
    pub fn include(mut self, pattern: impl Into<String>) -> Self {
        self.push(RuleKind::Include, pattern);
        self
    }

    /// Add a rule after the rules so far.
    pub fn push(&mut self, kind: RuleKind, pattern: impl Into<String>) {
        self.rules.push(Rule {
            kind,
            pattern: pattern.into(),
        });
    }

    /// Add an exclude rule for every pattern in `path`, one per line (`--exclude-from`); blank
    /// lines and lines starting with `#` are skipped, and a line's trailing `\r` is not part of it.
    pub fn exclude_from(&mut self, path: &Path) -> Result<(), FilterFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| FilterFileError {
            path: path.display().to_string(),
            source,
        })?;
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            self.push(RuleKind::Exclude, line);
        }
        Ok(())
    }

    /// The rules in the order they apply.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// True when there are no rules (everything is included).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `relative` (a path under the source, `/`-separated) is included: the last rule
    /// that matches it decides; with none matching, it is.
    pub fn includes(&self, relative: &str) -> bool {
        self.rules
            .iter()
            .rev()
            .find(|rule| pattern_matches(&rule.pattern, relative))
            .is_none_or(|rule| rule.kind == RuleKind::Include)
    }
}

/// Python's `fnmatch` (on POSIX: case-sensitive): `*` any run of characters (`/` included), `?` one
/// character, `[...]` a set (`[!...]` its complement, `a-z` ranges, a `]` first in the set is
/// literal), and a `[` with no closing `]` literal. Backtracks only to the last `*`, so it runs in
/// time proportional to the pattern times the text.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() {
            let step = match p[pi] {
                '?' => Some(1),
                '[' => match set_matches(&p[pi..], t[ti]) {
                    Some((true, width)) => Some(width),
                    Some((false, _)) => None,
                    // No closing `]`: the `[` is literal.
                    None => (t[ti] == '[').then_some(1),
                },
                c => (c == t[ti]).then_some(1),
            };
            if let Some(width) = step {
                pi += width;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the set that starts `p` (at its `[`): whether it matched and how many
/// pattern characters the set took, or `None` when the set never closes.
fn set_matches(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = matches!(p.get(i), Some('!'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &here = p.get(i)?;
        if here == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&end| end != ']') {
            let end = p[i + 2];
            matched |= here <= c && c <= end;
            i += 3;
        } else {
            matched |= here == c;
            i += 1;
        }
    }
}
