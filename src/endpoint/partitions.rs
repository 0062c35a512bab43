//! AWS partitions (`partitions.json`): which partition a region belongs to, and the facts the rule
//! set reads from it (`dnsSuffix`, `dualStackDnsSuffix`, `supportsFIPS`, …) through `aws.partition`.
//! A region is matched by name first, then by each partition's `regionRegex`, and falls back to the
//! `aws` partition, as the AWS SDKs do. The regular expressions are matched by a small backtracking
//! matcher for the subset partitions use (anchors, groups with `|`, `\w`, `\d`, escaped literals,
//! `+`, `*`, `?`); a pattern outside that subset is refused when the file is loaded, never guessed at.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value as Json;

use super::rules::Value;
use super::EndpointError;

/// Every partition of `partitions.json`, parsed once.
#[derive(Debug)]
pub(crate) struct Partitions {
    partitions: Vec<Partition>,
    /// Index of the partition used when no other matches (`aws`, or the first one).
    fallback: usize,
}

#[derive(Debug)]
struct Partition {
    region_regex: RegionPattern,
    /// Regions listed by name; `Some` when a region overrides some of the partition's outputs.
    regions: HashMap<String, Option<Value<'static>>>,
    /// The partition's outputs as the rule set sees them (`name` is the partition's id).
    outputs: Value<'static>,
}

fn invalid(message: impl Into<String>) -> EndpointError {
    EndpointError::InvalidPartitions(message.into())
}

impl Partitions {
    /// Parses `partitions.json`.
    pub(crate) fn parse(text: &str) -> Result<Self, EndpointError> {
        let json: Json = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let list = json
            .get("partitions")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid("no `partitions` array"))?;
        let mut partitions = Vec::with_capacity(list.len());
        let mut fallback = None;
        for (i, p) in list.iter().enumerate() {
            let id = p
                .get("id")
                .and_then(Json::as_str)
                .ok_or_else(|| invalid(format!("partitions[{i}] has no string `id`")))?;
            let regex = p
                .get("regionRegex")
                .and_then(Json::as_str)
                .ok_or_else(|| invalid(format!("partition {id} has no string `regionRegex`")))?;
            let region_regex = RegionPattern::compile(regex)
                .map_err(|e| invalid(format!("partition {id}: regionRegex `{regex}`: {e}")))?;
            let outputs = p
                .get("outputs")
                .and_then(Json::as_object)
                .ok_or_else(|| invalid(format!("partition {id} has no `outputs` object")))?;
            let mut fields = Vec::with_capacity(outputs.len() + 1);
            for (key, value) in outputs {
                fields.push((Cow::Owned(key.clone()), output_value(id, key, value)?));
            }
            // The rule set reads the partition's id as `name`; botocore sets it the same way.
            match fields.iter_mut().find(|(k, _)| k == "name") {
                Some((_, v)) => *v = Value::Str(Cow::Owned(id.to_owned())),
                None => fields.push((Cow::Borrowed("name"), Value::Str(Cow::Owned(id.to_owned())))),
            }
            let mut regions = HashMap::new();
            if let Some(map) = p.get("regions").and_then(Json::as_object) {
                for (region, facts) in map {
                    let overrides = facts.get("outputs").and_then(Json::as_object);
                    let merged = match overrides {
                        None => None,
                        Some(o) => {
                            let mut merged = fields.clone();
                            for (key, value) in o {
                                let value = output_value(id, key, value)?;
                                match merged.iter_mut().find(|(k, _)| k == key) {
                                    Some((_, v)) => *v = value,
                                    None => merged.push((Cow::Owned(key.clone()), value)),
                                }
                            }
                            Some(Value::Object(merged))
                        }
                    };
                    regions.insert(region.clone(), merged);
                }
            }
            if id == "aws" {
                fallback = Some(i);
            }
            partitions.push(Partition {
                region_regex,
                regions,
                outputs: Value::Object(fields),
            });
        }
        if partitions.is_empty() {
            return Err(invalid("the `partitions` array is empty"));
        }
        Ok(Partitions {
            partitions,
            fallback: fallback.unwrap_or(0),
        })
    }

    /// The outputs of the partition `region` belongs to (`aws.partition`).
    pub(crate) fn lookup(&self, region: &str) -> &Value<'static> {
        for p in &self.partitions {
            if let Some(found) = p.regions.get(region) {
                return found.as_ref().unwrap_or(&p.outputs);
            }
        }
        for p in &self.partitions {
            if p.region_regex.is_match(region) {
                return &p.outputs;
            }
        }
        &self.partitions[self.fallback].outputs
    }
}

fn output_value(id: &str, key: &str, value: &Json) -> Result<Value<'static>, EndpointError> {
    match value {
        Json::String(s) => Ok(Value::Str(Cow::Owned(s.clone()))),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        _ => Err(invalid(format!(
            "partition {id}: output `{key}` is neither a string nor a boolean"
        ))),
    }
}

/// A compiled `regionRegex`: the subset of regular expressions partitions use.
#[derive(Debug)]
pub(crate) struct RegionPattern {
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Start,
    End,
    Literal(char),
    Any,
    Word,
    Digit,
    Space,
    /// A group of alternatives, each a sequence.
    Group(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: usize,
        max: Option<usize>,
    },
}

impl RegionPattern {
    /// Compiles `pattern`, refusing anything outside the supported subset.
    pub(crate) fn compile(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alternatives = parse_alternatives(&chars, &mut pos)?;
        if pos != chars.len() {
            return Err(format!("unbalanced `)` at {pos}"));
        }
        Ok(RegionPattern {
            nodes: vec![Node::Group(alternatives)],
        })
    }

    /// Whether the pattern matches somewhere in `input` (anchors make it a whole match).
    pub(crate) fn is_match(&self, input: &str) -> bool {
        let chars: Vec<char> = input.chars().collect();
        (0..=chars.len()).any(|start| match_seq(&self.nodes, &chars, start, &|_| true))
    }
}

fn parse_alternatives(chars: &[char], pos: &mut usize) -> Result<Vec<Vec<Node>>, String> {
    let mut alternatives = vec![Vec::new()];
    while let Some(&c) = chars.get(*pos) {
        *pos += 1;
        let node = match c {
            '|' => {
                alternatives.push(Vec::new());
                continue;
            }
            ')' => {
                *pos -= 1;
                break;
            }
            '(' => {
                let inner = parse_alternatives(chars, pos)?;
                if chars.get(*pos) != Some(&')') {
                    return Err("unclosed `(`".into());
                }
                *pos += 1;
                Node::Group(inner)
            }
            '^' => Node::Start,
            '$' => Node::End,
            '.' => Node::Any,
            '\\' => {
                let escaped = chars.get(*pos).copied().ok_or("trailing `\\`")?;
                *pos += 1;
                match escaped {
                    'w' => Node::Word,
                    'd' => Node::Digit,
                    's' => Node::Space,
                    c if c.is_ascii_alphanumeric() => {
                        return Err(format!("unsupported escape `\\{c}`"));
                    }
                    c => Node::Literal(c),
                }
            }
            '+' | '*' | '?' => {
                let (min, max) = match c {
                    '+' => (1, None),
                    '*' => (0, None),
                    _ => (0, Some(1)),
                };
                let current = alternatives.last_mut().ok_or("empty pattern")?;
                let node = match current.pop() {
                    Some(Node::Start | Node::End | Node::Repeat { .. }) | None => {
                        return Err(format!("`{c}` has nothing to repeat"));
                    }
                    Some(n) => n,
                };
                if chars.get(*pos) == Some(&'?') || chars.get(*pos) == Some(&'+') {
                    return Err("lazy and possessive quantifiers are not supported".into());
                }
                Node::Repeat {
                    node: Box::new(node),
                    min,
                    max,
                }
            }
            '[' | ']' | '{' | '}' => return Err(format!("`{c}` is not supported")),
            c => Node::Literal(c),
        };
        if let Some(current) = alternatives.last_mut() {
            current.push(node);
        }
    }
    Ok(alternatives)
}

/// Matches `nodes` at `at`, then asks `rest` whether the remainder matches (backtracking).
fn match_seq(nodes: &[Node], input: &[char], at: usize, rest: &dyn Fn(usize) -> bool) -> bool {
    match nodes.split_first() {
        None => rest(at),
        Some((first, tail)) => {
            match_node(first, input, at, &|next| match_seq(tail, input, next, rest))
        }
    }
}

fn match_node(node: &Node, input: &[char], at: usize, rest: &dyn Fn(usize) -> bool) -> bool {
    let one = |test: &dyn Fn(char) -> bool| match input.get(at) {
        Some(&c) if test(c) => rest(at + 1),
        _ => false,
    };
    match node {
        Node::Start => at == 0 && rest(at),
        Node::End => at == input.len() && rest(at),
        Node::Literal(l) => one(&|c| c == *l),
        Node::Any => one(&|c| c != '\n'),
        Node::Word => one(&|c| c.is_alphanumeric() || c == '_'),
        Node::Digit => one(&|c| c.is_ascii_digit()),
        Node::Space => one(&char::is_whitespace),
        Node::Group(alternatives) => alternatives
            .iter()
            .any(|seq| match_seq(seq, input, at, rest)),
        Node::Repeat { node, min, max } => match_repeat(node, *min, *max, 0, input, at, rest),
    }
}

/// Greedy repetition: one more match first, then what follows.
fn match_repeat(
    node: &Node,
    min: usize,
    max: Option<usize>,
    count: usize,
    input: &[char],
    at: usize,
    rest: &dyn Fn(usize) -> bool,
) -> bool {
    let may_take_more = max.is_none_or(|m| count < m);
    if may_take_more
        && match_node(node, input, at, &|next| {
            // An empty match would loop for ever; it adds nothing.
            next != at && match_repeat(node, min, max, count + 1, input, next, rest)
        })
    {
        return true;
    }
    count >= min && rest(at)
}

#[cfg(test)]
mod tests {
    use super::RegionPattern;

    #[test]
    fn region_patterns_match_as_a_regex_engine_would() {
        let aws = RegionPattern::compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$").unwrap();
        assert!(aws.is_match("us-east-1"));
        assert!(aws.is_match("eu-central-2"));
        assert!(!aws.is_match("us-gov-west-1"));
        assert!(!aws.is_match("cn-north-1"));
        assert!(!aws.is_match("us-east-1x"));
        assert!(!aws.is_match("xus-east-1"));
        let eusc = RegionPattern::compile(r"^eusc\-(de)\-\w+\-\d+$").unwrap();
        assert!(eusc.is_match("eusc-de-east-1"));
        assert!(!eusc.is_match("eusc-fr-east-1"));
        let unanchored = RegionPattern::compile(r"b+c?").unwrap();
        assert!(unanchored.is_match("abbbd"));
        assert!(!unanchored.is_match("ac"));
    }

    #[test]
    fn patterns_outside_the_subset_are_refused() {
        for p in [r"[a-z]+", r"a{2}", r"(ab", r"ab)", r"+a", r"\bword", r"a+?"] {
            assert!(RegionPattern::compile(p).is_err(), "{p} should be refused");
        }
    }
}
