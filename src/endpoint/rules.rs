//! The rules-language interpreter: parses an endpoint rule set (`endpoint-rule-set-1.json`) once
//! into a tree of rules, conditions and templates, then evaluates it for one set of parameters.
//! It owns the language (scoping, `assign`, templates `{Var}` / `{Var#path}`, `getAttr` paths,
//! rule types `endpoint` / `error` / `tree`); the functions themselves live in `functions.rs`
//! and the partitions in `partitions.rs`. Variable names are turned into slots when the rule set
//! is parsed, so evaluating does no name lookups; every reference to a name that is neither a
//! parameter nor assigned anywhere is refused at parse time.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::functions;
use super::partitions::Partitions;
use super::{EndpointError, EndpointParams, ParamField, ResolvedEndpoint};

/// A value while rules are evaluated: strings borrow from the parameters or the rule set when
/// they can.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
    /// A value that lives as long as the resolver (a partition's outputs).
    Shared(&'a Value<'a>),
}

impl<'a> Value<'a> {
    /// The value itself, through any [`Value::Shared`] indirection.
    fn get(&self) -> &Value<'a> {
        match self {
            Value::Shared(inner) => inner.get(),
            other => other,
        }
    }

    fn kind(&self) -> &'static str {
        match self.get() {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Array(_) => "an array",
            Value::Object(_) | Value::Shared(_) => "an object",
        }
    }
}

/// One step of a `getAttr` path: `name` or `[index]`.
#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// A string with `{Var}` / `{Var#path}` holes.
#[derive(Debug)]
struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Debug)]
enum TemplatePart {
    Literal(String),
    Var { slot: usize, path: Vec<PathStep> },
}

#[derive(Debug)]
enum Expr {
    /// A string, boolean or integer written in the rule set.
    Literal(Value<'static>),
    /// A string with holes.
    Template(Template),
    Ref(usize),
    Call(Box<Call>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    IsSet,
    Not,
    BooleanEquals,
    StringEquals,
    GetAttr,
    Substring,
    UriEncode,
    ParseUrl,
    IsValidHostLabel,
    AwsPartition,
    AwsParseArn,
    AwsIsVirtualHostableS3Bucket,
}

impl Function {
    fn from_name(name: &str) -> Option<(Function, usize)> {
        Some(match name {
            "isSet" => (Function::IsSet, 1),
            "not" => (Function::Not, 1),
            "booleanEquals" => (Function::BooleanEquals, 2),
            "stringEquals" => (Function::StringEquals, 2),
            "getAttr" => (Function::GetAttr, 2),
            "substring" => (Function::Substring, 4),
            "uriEncode" => (Function::UriEncode, 1),
            "parseURL" => (Function::ParseUrl, 1),
            "isValidHostLabel" => (Function::IsValidHostLabel, 2),
            "aws.partition" => (Function::AwsPartition, 1),
            "aws.parseArn" => (Function::AwsParseArn, 1),
            "aws.isVirtualHostableS3Bucket" => (Function::AwsIsVirtualHostableS3Bucket, 2),
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Function::IsSet => "isSet",
            Function::Not => "not",
            Function::BooleanEquals => "booleanEquals",
            Function::StringEquals => "stringEquals",
            Function::GetAttr => "getAttr",
            Function::Substring => "substring",
            Function::UriEncode => "uriEncode",
            Function::ParseUrl => "parseURL",
            Function::IsValidHostLabel => "isValidHostLabel",
            Function::AwsPartition => "aws.partition",
            Function::AwsParseArn => "aws.parseArn",
            Function::AwsIsVirtualHostableS3Bucket => "aws.isVirtualHostableS3Bucket",
        }
    }
}

#[derive(Debug)]
struct Call {
    function: Function,
    args: Vec<Expr>,
    /// For `getAttr`, the parsed path (its second argument).
    path: Vec<PathStep>,
    assign: Option<usize>,
}

#[derive(Debug)]
struct Rule {
    conditions: Vec<Call>,
    kind: RuleKind,
}

#[derive(Debug)]
enum RuleKind {
    Endpoint(EndpointTemplate),
    Error(Expr),
    Tree(Vec<Rule>),
}

#[derive(Debug)]
struct EndpointTemplate {
    url: Expr,
    properties: Vec<(String, Property)>,
    headers: Vec<(String, Vec<Expr>)>,
}

#[derive(Debug)]
enum Property {
    Str(Template),
    Bool(bool),
    Number(serde_json::Number),
    Null,
    Array(Vec<Property>),
    Object(Vec<(String, Property)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamType {
    String,
    Boolean,
}

#[derive(Debug)]
struct Parameter {
    name: String,
    field: ParamField,
    required: bool,
    default: Option<Value<'static>>,
}

/// A parsed rule set.
#[derive(Debug)]
pub(crate) struct RuleSet {
    /// Slot `i` holds parameter `i`; assigned names follow.
    parameters: Vec<Parameter>,
    slots: usize,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The number of rules of every kind, for diagnostics.
    pub(crate) fn rule_count(&self) -> usize {
        fn count(rules: &[Rule]) -> usize {
            rules
                .iter()
                .map(|r| match &r.kind {
                    RuleKind::Tree(sub) => 1 + count(sub),
                    _ => 1,
                })
                .sum()
        }
        count(&self.rules)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

struct Parser {
    names: HashMap<String, usize>,
    /// Names referenced before (or without) being assigned, with where: checked at the end.
    referenced: Vec<(String, String)>,
    assigned: std::collections::HashSet<String>,
}

fn invalid(path: &str, message: impl Into<String>) -> EndpointError {
    EndpointError::InvalidRuleSet {
        path: path.to_owned(),
        message: message.into(),
    }
}

impl RuleSet {
    /// Parses a rule set's JSON.
    pub(crate) fn parse(text: &str) -> Result<RuleSet, EndpointError> {
        let json: Json = serde_json::from_str(text).map_err(|e| invalid("$", e.to_string()))?;
        let params = json
            .get("parameters")
            .and_then(Json::as_object)
            .ok_or_else(|| invalid("$", "no `parameters` object"))?;
        let mut parser = Parser {
            names: HashMap::new(),
            referenced: Vec::new(),
            assigned: Default::default(),
        };
        let mut parameters = Vec::with_capacity(params.len());
        for (name, spec) in params {
            let path = format!("$.parameters.{name}");
            let declared = match spec.get("type").and_then(Json::as_str) {
                Some(t) if t.eq_ignore_ascii_case("string") => ParamType::String,
                Some(t) if t.eq_ignore_ascii_case("boolean") => ParamType::Boolean,
                other => {
                    return Err(invalid(
                        &path,
                        format!("unsupported parameter type {other:?}"),
                    ))
                }
            };
            let field = ParamField::from_name(name).ok_or_else(|| {
                invalid(
                    &path,
                    "a parameter EndpointParams does not know (update s3op)",
                )
            })?;
            let field_type = if field.is_bool() {
                ParamType::Boolean
            } else {
                ParamType::String
            };
            if field_type != declared {
                return Err(invalid(
                    &path,
                    format!("declared {declared:?}, EndpointParams has {field_type:?}"),
                ));
            }
            let default = match spec.get("default") {
                None | Some(Json::Null) => None,
                Some(Json::Bool(b)) if declared == ParamType::Boolean => Some(Value::Bool(*b)),
                Some(Json::String(s)) if declared == ParamType::String => {
                    Some(Value::Str(Cow::Owned(s.clone())))
                }
                Some(other) => {
                    return Err(invalid(
                        &path,
                        format!("default {other} does not match the type"),
                    ))
                }
            };
            let required = spec
                .get("required")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let slot = parser.names.len();
            parser.names.insert(name.clone(), slot);
            parser.assigned.insert(name.clone());
            parameters.push(Parameter {
                name: name.clone(),
                field,
                required,
                default,
            });
        }
        let rules = json
            .get("rules")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid("$", "no `rules` array"))?;
        let rules = parser.rules(rules, "$.rules")?;
        if let Some((name, path)) = parser
            .referenced
            .iter()
            .find(|(name, _)| !parser.assigned.contains(name))
        {
            return Err(invalid(
                path,
                format!("`{name}` is neither a parameter nor assigned by any condition"),
            ));
        }
        Ok(RuleSet {
            parameters,
            slots: parser.names.len(),
            rules,
        })
    }
}

impl Parser {
    fn slot(&mut self, name: &str, path: &str) -> usize {
        if !self.assigned.contains(name) {
            self.referenced.push((name.to_owned(), path.to_owned()));
        }
        let next = self.names.len();
        *self.names.entry(name.to_owned()).or_insert(next)
    }

    fn rules(&mut self, rules: &[Json], path: &str) -> Result<Vec<Rule>, EndpointError> {
        rules
            .iter()
            .enumerate()
            .map(|(i, r)| self.rule(r, &format!("{path}[{i}]")))
            .collect()
    }

    fn rule(&mut self, rule: &Json, path: &str) -> Result<Rule, EndpointError> {
        let conditions = match rule.get("conditions") {
            None => Vec::new(),
            Some(Json::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, c)| self.call(c, &format!("{path}.conditions[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid(path, "`conditions` is not an array")),
        };
        let kind = match rule.get("type").and_then(Json::as_str) {
            Some("endpoint") => {
                let endpoint = rule
                    .get("endpoint")
                    .ok_or_else(|| invalid(path, "endpoint rule without `endpoint`"))?;
                RuleKind::Endpoint(self.endpoint(endpoint, &format!("{path}.endpoint"))?)
            }
            Some("error") => {
                let error = rule
                    .get("error")
                    .ok_or_else(|| invalid(path, "error rule without `error`"))?;
                RuleKind::Error(self.expr(error, &format!("{path}.error"))?)
            }
            Some("tree") => {
                let sub = rule
                    .get("rules")
                    .and_then(Json::as_array)
                    .ok_or_else(|| invalid(path, "tree rule without a `rules` array"))?;
                RuleKind::Tree(self.rules(sub, &format!("{path}.rules"))?)
            }
            other => return Err(invalid(path, format!("unknown rule type {other:?}"))),
        };
        Ok(Rule { conditions, kind })
    }

    fn endpoint(&mut self, e: &Json, path: &str) -> Result<EndpointTemplate, EndpointError> {
        let url = e
            .get("url")
            .ok_or_else(|| invalid(path, "endpoint without `url`"))?;
        let url = self.expr(url, &format!("{path}.url"))?;
        let mut properties = Vec::new();
        if let Some(props) = e.get("properties") {
            let props = props
                .as_object()
                .ok_or_else(|| invalid(path, "`properties` is not an object"))?;
            for (key, value) in props {
                let p = self.property(value, &format!("{path}.properties.{key}"))?;
                properties.push((key.clone(), p));
            }
        }
        let mut headers = Vec::new();
        if let Some(h) = e.get("headers") {
            let h = h
                .as_object()
                .ok_or_else(|| invalid(path, "`headers` is not an object"))?;
            for (name, values) in h {
                let hpath = format!("{path}.headers.{name}");
                let values = values
                    .as_array()
                    .ok_or_else(|| invalid(&hpath, "header values are not an array"))?;
                let values = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.expr(v, &format!("{hpath}[{i}]")))
                    .collect::<Result<_, _>>()?;
                headers.push((name.clone(), values));
            }
        }
        Ok(EndpointTemplate {
            url,
            properties,
            headers,
        })
    }

    fn property(&mut self, value: &Json, path: &str) -> Result<Property, EndpointError> {
        Ok(match value {
            Json::Null => Property::Null,
            Json::Bool(b) => Property::Bool(*b),
            Json::Number(n) => Property::Number(n.clone()),
            Json::String(s) => Property::Str(self.template(s, path)?),
            Json::Array(list) => Property::Array(
                list.iter()
                    .enumerate()
                    .map(|(i, v)| self.property(v, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => Property::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.property(v, &format!("{path}.{k}"))?)))
                    .collect::<Result<_, EndpointError>>()?,
            ),
        })
    }

    fn expr(&mut self, value: &Json, path: &str) -> Result<Expr, EndpointError> {
        Ok(match value {
            Json::String(s) => {
                let template = self.template(s, path)?;
                match template.parts.as_slice() {
                    [] => Expr::Literal(Value::Str(Cow::Borrowed(""))),
                    [TemplatePart::Literal(text)] => {
                        Expr::Literal(Value::Str(Cow::Owned(text.clone())))
                    }
                    _ => Expr::Template(template),
                }
            }
            Json::Bool(b) => Expr::Literal(Value::Bool(*b)),
            Json::Number(n) => Expr::Literal(Value::Int(
                n.as_i64()
                    .ok_or_else(|| invalid(path, format!("{n} is not an integer")))?,
            )),
            Json::Object(map) if map.contains_key("ref") => {
                let name = map
                    .get("ref")
                    .and_then(Json::as_str)
                    .ok_or_else(|| invalid(path, "`ref` is not a string"))?;
                Expr::Ref(self.slot(name, path))
            }
            Json::Object(map) if map.contains_key("fn") => {
                let call = self.call(value, path)?;
                if call.assign.is_some() {
                    return Err(invalid(path, "only a condition may `assign`"));
                }
                Expr::Call(Box::new(call))
            }
            other => return Err(invalid(path, format!("not an expression: {other}"))),
        })
    }

    fn call(&mut self, value: &Json, path: &str) -> Result<Call, EndpointError> {
        let name = value
            .get("fn")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid(path, "a condition must be a function call (`fn`)"))?;
        let (function, arity) = Function::from_name(name)
            .ok_or_else(|| invalid(path, format!("unknown function `{name}`")))?;
        let argv = value
            .get("argv")
            .and_then(Json::as_array)
            .ok_or_else(|| invalid(path, "function call without an `argv` array"))?;
        if argv.len() != arity {
            return Err(invalid(
                path,
                format!("{name} takes {arity} arguments, given {}", argv.len()),
            ));
        }
        let mut args = Vec::with_capacity(arity);
        let mut attr_path = Vec::new();
        for (i, arg) in argv.iter().enumerate() {
            let apath = format!("{path}.argv[{i}]");
            if function == Function::GetAttr && i == 1 {
                let p = arg
                    .as_str()
                    .ok_or_else(|| invalid(&apath, "a getAttr path must be a literal string"))?;
                attr_path = parse_path(p).map_err(|m| invalid(&apath, m))?;
            } else {
                args.push(self.expr(arg, &apath)?);
            }
        }
        let assign = match value.get("assign") {
            None => None,
            Some(Json::String(name)) => {
                let slot = self.slot(name, path);
                self.assigned.insert(name.clone());
                Some(slot)
            }
            Some(_) => return Err(invalid(path, "`assign` is not a string")),
        };
        Ok(Call {
            function,
            args,
            path: attr_path,
            assign,
        })
    }

    /// Parses a string with `{Var}` / `{Var#path}` holes; `{{` and `}}` stand for braces.
    fn template(&mut self, s: &str, path: &str) -> Result<Template, EndpointError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(['{', '}']) {
            literal.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("{{") {
                literal.push('{');
                rest = after;
            } else if let Some(after) = tail.strip_prefix("}}") {
                literal.push('}');
                rest = after;
            } else if tail.starts_with('}') {
                return Err(invalid(path, format!("unbalanced `}}` in template {s:?}")));
            } else {
                let end = tail
                    .find('}')
                    .ok_or_else(|| invalid(path, format!("unclosed `{{` in template {s:?}")))?;
                let hole = &tail[1..end];
                let (name, attr) = match hole.split_once('#') {
                    Some((name, attr)) => (name, parse_path(attr).map_err(|m| invalid(path, m))?),
                    None => (hole, Vec::new()),
                };
                if name.is_empty() {
                    return Err(invalid(path, format!("empty `{{}}` in template {s:?}")));
                }
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                }
                let slot = self.slot(name, path);
                parts.push(TemplatePart::Var { slot, path: attr });
                rest = &tail[end + 1..];
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        Ok(Template { parts })
    }
}

/// Parses a `getAttr` path: `name`, `name.sub`, `name[0]`, `[0]`, `a.b[2]`.
fn parse_path(path: &str) -> Result<Vec<PathStep>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            steps.push(PathStep::Key(name.to_owned()));
        } else if rest.is_empty() {
            return Err(format!("empty step in getAttr path `{path}`"));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in getAttr path `{path}`"))?;
            let index = rest[1..close]
                .parse()
                .map_err(|_| format!("bad index in getAttr path `{path}`"))?;
            steps.push(PathStep::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("text after `]` in getAttr path `{path}`"));
            }
        }
    }
    Ok(steps)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Follows `path` into `value`: `Ok(None)` when an index is out of range.
fn walk<'v, 'a>(
    value: &'v Value<'a>,
    path: &[PathStep],
) -> Result<Option<&'v Value<'a>>, EndpointError> {
    let mut current = value.get();
    for step in path {
        current = match (step, current) {
            (PathStep::Key(key), Value::Object(fields)) => {
                match fields.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => v.get(),
                    None => {
                        return Err(EndpointError::Evaluation(format!(
                            "getAttr: no attribute `{key}`"
                        )))
                    }
                }
            }
            (PathStep::Index(i), Value::Array(items)) => match items.get(*i) {
                Some(v) => v.get(),
                None => return Ok(None),
            },
            (step, other) => {
                return Err(EndpointError::Evaluation(format!(
                    "getAttr: cannot take {step:?} of {}",
                    other.kind()
                )))
            }
        };
    }
    Ok(Some(current))
}

struct Evaluation<'a> {
    slots: Vec<Option<Value<'a>>>,
    /// Slots assigned by conditions, innermost last, so leaving a rule forgets its assignments.
    trail: Vec<usize>,
    partitions: &'a Partitions,
}

impl RuleSet {
    /// Evaluates the rule set for `params`.
    pub(crate) fn evaluate(
        &self,
        params: &EndpointParams,
        partitions: &Partitions,
    ) -> Result<ResolvedEndpoint, EndpointError> {
        let mut slots: Vec<Option<Value<'_>>> = vec![None; self.slots];
        for (slot, p) in self.parameters.iter().enumerate() {
            let value = match params.value(p.field) {
                Some(v) => Some(v),
                None => p.default.clone(),
            };
            if value.is_none() && p.required {
                return Err(EndpointError::MissingParameter {
                    name: p.name.clone(),
                });
            }
            slots[slot] = value;
        }
        let mut eval = Evaluation {
            slots,
            trail: Vec::new(),
            partitions,
        };
        match eval.rules(&self.rules)? {
            Some(endpoint) => Ok(endpoint),
            None => Err(EndpointError::NoMatch),
        }
    }
}

impl<'a> Evaluation<'a> {
    fn rules(&mut self, rules: &'a [Rule]) -> Result<Option<ResolvedEndpoint>, EndpointError> {
        for rule in rules {
            let mark = self.trail.len();
            let outcome = self.rule(rule);
            for slot in self.trail.drain(mark..) {
                self.slots[slot] = None;
            }
            if let Some(endpoint) = outcome? {
                return Ok(Some(endpoint));
            }
        }
        Ok(None)
    }

    fn rule(&mut self, rule: &'a Rule) -> Result<Option<ResolvedEndpoint>, EndpointError> {
        for condition in &rule.conditions {
            if !self.condition(condition)? {
                return Ok(None);
            }
        }
        match &rule.kind {
            RuleKind::Endpoint(e) => self.endpoint(e).map(Some),
            RuleKind::Error(message) => {
                Err(EndpointError::Rule(self.string(message)?.into_owned()))
            }
            // A tree whose conditions hold is final: the language makes its rules exhaustive.
            RuleKind::Tree(sub) => match self.rules(sub)? {
                Some(endpoint) => Ok(Some(endpoint)),
                None => Err(EndpointError::NoMatch),
            },
        }
    }

    fn endpoint(&mut self, e: &'a EndpointTemplate) -> Result<ResolvedEndpoint, EndpointError> {
        let url = self.string(&e.url)?.into_owned();
        let mut properties = serde_json::Map::new();
        for (key, p) in &e.properties {
            properties.insert(key.clone(), self.property(p)?);
        }
        let mut headers = BTreeMap::new();
        for (name, values) in &e.headers {
            let values = values
                .iter()
                .map(|v| self.string(v).map(Cow::into_owned))
                .collect::<Result<Vec<_>, _>>()?;
            headers.insert(name.clone(), values);
        }
        ResolvedEndpoint::new(url, headers, properties)
    }

    fn property(&mut self, p: &'a Property) -> Result<Json, EndpointError> {
        Ok(match p {
            Property::Null => Json::Null,
            Property::Bool(b) => Json::Bool(*b),
            Property::Number(n) => Json::Number(n.clone()),
            Property::Str(t) => Json::String(self.render(t)?.into_owned()),
            Property::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.property(i))
                    .collect::<Result<_, _>>()?,
            ),
            Property::Object(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.property(v)?)))
                    .collect::<Result<_, EndpointError>>()?,
            ),
        })
    }

    /// Evaluates an expression that must give a string.
    fn string(&mut self, e: &'a Expr) -> Result<Cow<'a, str>, EndpointError> {
        match self.expr(e)? {
            Some(Value::Str(s)) => Ok(s),
            Some(Value::Shared(inner)) => match inner.get() {
                Value::Str(s) => Ok(Cow::Borrowed(s.as_ref())),
                v => Err(EndpointError::Evaluation(format!(
                    "expected a string, found {}",
                    v.kind()
                ))),
            },
            Some(v) => Err(EndpointError::Evaluation(format!(
                "expected a string, found {}",
                v.kind()
            ))),
            None => Err(EndpointError::Evaluation(
                "expected a string, found an unset value".into(),
            )),
        }
    }

    fn render(&self, t: &'a Template) -> Result<Cow<'a, str>, EndpointError> {
        if let [TemplatePart::Literal(s)] = t.parts.as_slice() {
            return Ok(Cow::Borrowed(s));
        }
        let mut out = String::new();
        for part in &t.parts {
            match part {
                TemplatePart::Literal(s) => out.push_str(s),
                TemplatePart::Var { slot, path } => {
                    let value = self.slots[*slot].as_ref().ok_or_else(|| {
                        EndpointError::Evaluation("a template names an unset value".into())
                    })?;
                    match walk(value, path)? {
                        Some(Value::Str(s)) => out.push_str(s),
                        Some(other) => {
                            return Err(EndpointError::Evaluation(format!(
                                "a template hole holds {}, not a string",
                                other.kind()
                            )))
                        }
                        None => {
                            return Err(EndpointError::Evaluation(
                                "a template names an unset value".into(),
                            ))
                        }
                    }
                }
            }
        }
        Ok(Cow::Owned(out))
    }

    fn expr(&mut self, e: &'a Expr) -> Result<Option<Value<'a>>, EndpointError> {
        Ok(match e {
            Expr::Literal(v) => Some(Value::Shared(v)),
            Expr::Template(t) => Some(Value::Str(self.render(t)?)),
            Expr::Ref(slot) => self.slots[*slot].clone(),
            Expr::Call(call) => self.apply(call)?,
        })
    }

    /// A condition holds unless its function gives `false` or nothing; its value is assigned
    /// (moved, not copied) when it asks to be.
    fn condition(&mut self, call: &'a Call) -> Result<bool, EndpointError> {
        let value = match self.apply(call)? {
            None => return Ok(false),
            Some(v) => v,
        };
        if matches!(value.get(), Value::Bool(false)) {
            return Ok(false);
        }
        if let Some(slot) = call.assign {
            if self.slots[slot].is_some() {
                return Err(EndpointError::Evaluation(format!(
                    "{} assigns a name already in scope",
                    call.function.name()
                )));
            }
            self.slots[slot] = Some(value);
            self.trail.push(slot);
        }
        Ok(true)
    }

    /// Evaluates a call's arguments: references and literals are borrowed where they are, only
    /// nested calls and templates are computed.
    fn operands(&mut self, args: &'a [Expr]) -> Result<Operands<'a>, EndpointError> {
        let mut computed: [Option<Option<Value<'a>>>; 4] = Default::default();
        for (i, e) in args.iter().enumerate().take(4) {
            if matches!(e, Expr::Call(_) | Expr::Template(_)) {
                computed[i] = Some(self.expr(e)?);
            }
        }
        Ok(Operands { args, computed })
    }

    fn apply(&mut self, call: &'a Call) -> Result<Option<Value<'a>>, EndpointError> {
        let f = call.function;
        let ops = self.operands(&call.args)?;
        let arg = |i: usize| ops.get(i, &self.slots);
        Ok(match f {
            Function::IsSet => Some(Value::Bool(arg(0).is_some())),
            Function::Not => {
                // An unset value is false, so `not` of it holds (as botocore evaluates it).
                let holds = match arg(0) {
                    None => false,
                    Some(v) => !matches!(v.get(), Value::Bool(false)),
                };
                Some(Value::Bool(!holds))
            }
            Function::BooleanEquals => {
                Some(Value::Bool(want_bool(f, arg(0))? == want_bool(f, arg(1))?))
            }
            Function::StringEquals => {
                Some(Value::Bool(want_text(f, arg(0))? == want_text(f, arg(1))?))
            }
            Function::GetAttr => match arg(0) {
                None => return Err(type_error(f, "an unset value")),
                // What lives as long as the rule set (partitions) is pointed at, not copied.
                Some(Value::Shared(inner)) => walk(inner, &call.path)?.map(Value::Shared),
                Some(v) => walk(v, &call.path)?.cloned(),
            },
            Function::Substring => {
                let input = want_str(f, arg(0))?;
                let start = want_index(f, arg(1))?;
                let stop = want_index(f, arg(2))?;
                let reverse = want_bool(f, arg(3))?;
                functions::substring(input, start, stop, reverse).map(Value::Str)
            }
            Function::UriEncode => Some(Value::Str(functions::uri_encode(want_str(f, arg(0))?))),
            Function::ParseUrl => functions::parse_url(want_str(f, arg(0))?),
            Function::IsValidHostLabel => Some(Value::Bool(functions::is_valid_host_label(
                want_text(f, arg(0))?,
                want_bool(f, arg(1))?,
            ))),
            Function::AwsPartition => {
                let region = want_text(f, arg(0))?;
                Some(Value::Shared(self.partitions.lookup(region)))
            }
            Function::AwsParseArn => functions::parse_arn(want_str(f, arg(0))?),
            Function::AwsIsVirtualHostableS3Bucket => {
                Some(Value::Bool(functions::is_virtual_hostable_s3_bucket(
                    want_text(f, arg(0))?,
                    want_bool(f, arg(1))?,
                )))
            }
        })
    }
}

/// A call's arguments once evaluated: computed values, or references into the scope and the
/// rule set.
struct Operands<'a> {
    args: &'a [Expr],
    computed: [Option<Option<Value<'a>>>; 4],
}

impl<'a> Operands<'a> {
    fn get<'s>(&'s self, i: usize, slots: &'s [Option<Value<'a>>]) -> Option<&'s Value<'a>> {
        if let Some(Some(computed)) = self.computed.get(i) {
            return computed.as_ref();
        }
        match self.args.get(i)? {
            Expr::Literal(v) => Some(v),
            Expr::Ref(slot) => slots.get(*slot)?.as_ref(),
            Expr::Call(_) | Expr::Template(_) => None,
        }
    }
}

fn type_error(f: Function, found: &str) -> EndpointError {
    EndpointError::Evaluation(format!("{} was given {found}", f.name()))
}

/// A string argument for a function whose result may borrow from it.
fn want_str<'a>(f: Function, v: Option<&Value<'a>>) -> Result<Cow<'a, str>, EndpointError> {
    match v {
        Some(Value::Shared(inner)) => match inner.get() {
            Value::Str(s) => Ok(Cow::Borrowed(s.as_ref())),
            other => Err(type_error(f, other.kind())),
        },
        Some(Value::Str(Cow::Borrowed(s))) => Ok(Cow::Borrowed(s)),
        Some(Value::Str(Cow::Owned(s))) => Ok(Cow::Owned(s.clone())),
        Some(other) => Err(type_error(f, other.kind())),
        None => Err(type_error(f, "an unset value")),
    }
}

/// A string argument only looked at.
fn want_text<'s>(f: Function, v: Option<&'s Value<'_>>) -> Result<&'s str, EndpointError> {
    match v.map(Value::get) {
        Some(Value::Str(s)) => Ok(s),
        Some(other) => Err(type_error(f, other.kind())),
        None => Err(type_error(f, "an unset value")),
    }
}

fn want_bool(f: Function, v: Option<&Value<'_>>) -> Result<bool, EndpointError> {
    match v.map(Value::get) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(type_error(f, other.kind())),
        None => Err(type_error(f, "an unset value")),
    }
}

fn want_index(f: Function, v: Option<&Value<'_>>) -> Result<usize, EndpointError> {
    match v.map(Value::get) {
        Some(Value::Int(i)) => usize::try_from(*i).map_err(|_| type_error(f, "a negative index")),
        Some(other) => Err(type_error(f, other.kind())),
        None => Err(type_error(f, "an unset value")),
    }
}
