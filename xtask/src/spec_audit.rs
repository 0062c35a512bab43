//! `cargo xtask spec-audit [PATH/TO/service-2.json]`: compares the operation spec (`spec/`) with
//! botocore's S3 model (`service-2.json`, and `paginators-1.json` beside it) and lists every missing
//! or differing operation, member and shape, one per line (`Operation.Member: what differs (spec X,
//! model Y)`), sorted so two runs diff well. It exits non-zero when anything differs.
//!
//! The model is a fact source, not the truth: the differences the spec makes on purpose are accepted
//! here and named in `note:` lines. It reads both sides and changes neither; the comparison itself,
//! [`audit`], is a function of the two loaded documents so it can be tested without the CLI.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};

use s3op_codegen::spec::{Field, Location, Member, Operation, ShapeDef, Spec, SCALARS};
use serde::Deserialize;

pub fn run(args: &[String]) -> crate::Result {
    let root = crate::workspace_root();
    let model_path = match args {
        [] => root.join("../shared/s3-model/service-2.json"),
        [path] if !path.starts_with('-') => PathBuf::from(path),
        _ => return Err("usage: cargo xtask spec-audit [PATH/TO/service-2.json]".into()),
    };
    let spec = Spec::load(&root.join("spec"))?;
    let model = Model::load(&model_path)?;
    let report = audit(&spec, &model);
    for note in &report.notes {
        println!("note: {note}");
    }
    for difference in &report.differences {
        println!("{difference}");
    }
    let c = &report.checked;
    let counts = format!(
        "{} operations, {} input members, {} output headers, {} paginators, {} shapes, \
         {} model shapes reachable from operations",
        c.operations, c.members, c.headers, c.paginators, c.shapes, c.reachable
    );
    if report.differences.is_empty() {
        println!(
            "spec-audit: spec/ matches {}: {counts} checked, 0 differences",
            model_path.display()
        );
        Ok(())
    } else {
        Err(format!(
            "spec-audit: {} differences between spec/ and {} ({counts} checked)",
            report.differences.len(),
            model_path.display()
        )
        .into())
    }
}

/// What [`audit`] found: the differences (sorted, one per line), the deliberate differences it
/// accepted, and how much it looked at.
#[derive(Debug, Default)]
pub struct Report {
    pub differences: Vec<String>,
    pub notes: Vec<String>,
    pub checked: Checked,
}

/// How many things were compared, for the summary line.
#[derive(Debug, Default)]
pub struct Checked {
    pub operations: usize,
    pub members: usize,
    pub headers: usize,
    pub paginators: usize,
    pub shapes: usize,
    pub reachable: usize,
}

// ---------------------------------------------------------------------------------------------
// botocore's model, as far as the audit reads it (unknown keys such as `documentation` are skipped).

/// `service-2.json` plus the `pagination` table of `paginators-1.json` from the same directory.
#[derive(Debug, Deserialize)]
pub struct Model {
    operations: BTreeMap<String, ModelOperation>,
    shapes: BTreeMap<String, ModelShape>,
    #[serde(skip)]
    paginators: BTreeMap<String, ModelPaginator>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelOperation {
    http: ModelHttp,
    input: Option<ModelRef>,
    output: Option<ModelRef>,
    #[serde(default)]
    deprecated: bool,
    http_checksum: Option<ModelHttpChecksum>,
    endpoint: Option<ModelEndpoint>,
    #[serde(default)]
    static_context_params: BTreeMap<String, ModelStaticParam>,
}

#[derive(Debug, Deserialize)]
struct ModelStaticParam {
    value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct ModelContextParam {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelHttp {
    method: String,
    request_uri: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelHttpChecksum {
    #[serde(default)]
    request_checksum_required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelEndpoint {
    host_prefix: Option<String>,
}

/// A reference to a shape: an operation's input or output, a structure member, a list item, a map
/// key or value, with the serialisation traits the reference adds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelRef {
    shape: String,
    location: Option<String>,
    location_name: Option<String>,
    xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    xml_attribute: bool,
    #[serde(default)]
    flattened: bool,
    timestamp_format: Option<String>,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    host_label: bool,
    #[serde(default)]
    streaming: bool,
    context_param: Option<ModelContextParam>,
}

#[derive(Debug, Clone, Deserialize)]
struct XmlNamespace {
    uri: Option<String>,
    prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: BTreeMap<String, ModelRef>,
    #[serde(default)]
    required: Vec<String>,
    payload: Option<String>,
    member: Option<ModelRef>,
    key: Option<ModelRef>,
    value: Option<ModelRef>,
    #[serde(default)]
    flattened: bool,
    location_name: Option<String>,
    xml_namespace: Option<XmlNamespace>,
    timestamp_format: Option<String>,
    #[serde(default, rename = "enum")]
    values: Vec<String>,
    #[serde(default)]
    eventstream: bool,
    #[serde(default)]
    streaming: bool,
}

#[derive(Debug, Deserialize)]
struct Paginators {
    pagination: BTreeMap<String, ModelPaginator>,
}

#[derive(Debug, Deserialize)]
struct ModelPaginator {
    input_token: OneOrMany,
    output_token: OneOrMany,
    result_key: OneOrMany,
    limit_key: Option<String>,
    more_results: Option<String>,
}

/// paginators-1.json writes a single token as a string and several as a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one.clone()],
            OneOrMany::Many(many) => many.clone(),
        }
    }
}

impl Model {
    /// Read `service-2.json` and the `paginators-1.json` beside it.
    pub fn load(service: &Path) -> crate::Result<Model> {
        let read =
            |path: &Path| fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()));
        let mut model: Model = serde_json::from_str(&read(service)?)
            .map_err(|e| format!("{}: {e}", service.display()))?;
        let paginators_path = service.with_file_name("paginators-1.json");
        let paginators: Paginators = serde_json::from_str(&read(&paginators_path)?)
            .map_err(|e| format!("{}: {e}", paginators_path.display()))?;
        model.paginators = paginators.pagination;
        Ok(model)
    }
}

// ---------------------------------------------------------------------------------------------
// The comparison.

/// The scalar types the model and the spec share (`string`, `integer`, ...).
fn is_scalar(kind: &str) -> bool {
    SCALARS.contains(&kind)
}

/// A string shape with an `enum`: the spec has it as a `type = "enum"` shape.
fn is_enum(shape: &ModelShape) -> bool {
    shape.kind == "string" && !shape.values.is_empty()
}

/// Operations whose `Expires` header the spec types as a timestamp sent as an HTTP date (rfc822),
/// as botocore sends it, where the model types it as a string. spec/README.md documents this; the
/// request oracle shows botocore sending `Fri, 02 Jan 2026 03:04:05 GMT` for all four.
const EXPIRES_AS_TIMESTAMP: &[&str] = &[
    "CopyObject",
    "CreateMultipartUpload",
    "PutObject",
    "WriteGetObjectResponse",
];

/// Compare a loaded spec with a loaded model.
pub fn audit(spec: &Spec, model: &Model) -> Report {
    let mut auditor = Auditor {
        spec,
        model,
        differences: BTreeSet::new(),
        expires_accepted: BTreeSet::new(),
        body_only_shapes: BTreeSet::new(),
        checked: Checked::default(),
    };
    auditor.operations();
    auditor.shapes();
    auditor.reachable_shapes();
    let mut notes = Vec::new();
    if !auditor.expires_accepted.is_empty() {
        notes.push(format!(
            "deliberate: Expires of {} is a timestamp sent as an HTTP date (spec timestamp rfc822, \
             model string), as botocore sends it; accepted",
            auditor.expires_accepted.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !auditor.body_only_shapes.is_empty() {
        notes.push(format!(
            "deliberate: {} spec shapes named after an operation's input or output shape hold only \
             its body members (header members are the operation's members or `[output] headers`); \
             compared by body members",
            auditor.body_only_shapes.len()
        ));
    }
    notes.push(
        "not in the model, not compared: summary, group, encoding, md5_header, url_encoded (and the \
         timestamp format of output headers, which the spec does not record); enumerations \
         (`type = \"enum\"` and the members that name them) and structure members' `required` \
         are compared with the model's `enum` and `required`"
            .into(),
    );
    Report {
        differences: auditor.differences.into_iter().collect(),
        notes,
        checked: auditor.checked,
    }
}

struct Auditor<'a> {
    spec: &'a Spec,
    model: &'a Model,
    differences: BTreeSet<String>,
    expires_accepted: BTreeSet<String>,
    body_only_shapes: BTreeSet<String>,
    checked: Checked,
}

/// An input member's location in the spec's terms (`querystring` is `query`, `headers` is
/// `header-map`; without a location it is the payload or one of the body's members).
fn model_location<'m>(input: &'m ModelShape, name: &str, r: &'m ModelRef) -> &'m str {
    match r.location.as_deref() {
        Some("uri") => "uri",
        Some("querystring") => "query",
        Some("header") => "header",
        Some("headers") => "header-map",
        Some(other) => other,
        None if input.payload.as_deref() == Some(name) => "payload",
        None => "body",
    }
}

/// A request body as the model implies it, in the terms of the spec's `[payload]`.
struct Body {
    kind: &'static str,
    member: Option<String>,
    shape: Option<String>,
    root: Option<String>,
    namespace: Option<String>,
}

/// How an `Option` reads in a difference line.
fn show(value: Option<&str>) -> String {
    match value {
        Some(v) => v.to_string(),
        None => "none".to_string(),
    }
}

impl<'a> Auditor<'a> {
    fn report(&mut self, at: &str, what: &str) {
        self.differences.insert(format!("{at}: {what}"));
    }

    /// Record `at: WHAT differs (spec X, model Y)` when the two differ.
    fn compare<T: PartialEq + Display + ?Sized>(
        &mut self,
        at: &str,
        what: &str,
        spec: &T,
        model: &T,
    ) {
        if spec != model {
            self.report(at, &format!("{what} differs (spec {spec}, model {model})"));
        }
    }

    fn compare_list(&mut self, at: &str, what: &str, spec: &[String], model: &[String]) {
        if spec != model {
            self.report(
                at,
                &format!(
                    "{what} differ (spec [{}], model [{}])",
                    spec.join(", "),
                    model.join(", ")
                ),
            );
        }
    }

    fn shape(&self, name: &str) -> Option<&'a ModelShape> {
        self.model.shapes.get(name)
    }

    /// A model shape as the spec names it: the type for a scalar (`string`), the shape name for a
    /// structure, list, map or enumeration (`Tagging`, `StorageClass`).
    fn spec_name_of(&self, shape: &str) -> String {
        match self.shape(shape) {
            Some(s) if is_enum(s) => shape.to_string(),
            Some(s) if is_scalar(&s.kind) => s.kind.clone(),
            _ => shape.to_string(),
        }
    }

    /// The timestamp format a reference asks for, from the reference or else its shape.
    fn timestamp_format(&self, r: &ModelRef) -> Option<String> {
        r.timestamp_format.clone().or_else(|| {
            self.shape(&r.shape)
                .and_then(|s| s.timestamp_format.clone())
        })
    }

    /// The XML name of a reference: its own `locationName`, else its shape's.
    fn location_name(&self, r: &ModelRef) -> Option<String> {
        r.location_name
            .clone()
            .or_else(|| self.shape(&r.shape).and_then(|s| s.location_name.clone()))
    }

    fn xml_namespace(&self, r: &ModelRef) -> Option<XmlNamespace> {
        r.xml_namespace
            .clone()
            .or_else(|| self.shape(&r.shape).and_then(|s| s.xml_namespace.clone()))
    }

    // --- operations -----------------------------------------------------------------------

    fn operations(&mut self) {
        let spec_ops: BTreeMap<&str, &Operation> = self
            .spec
            .operations
            .iter()
            .map(|op| (op.name.as_str(), op))
            .collect();
        for (name, op) in &spec_ops {
            match self.model.operations.get(*name) {
                Some(model_op) => self.operation(op, model_op),
                None => self.report(name, "operation in the spec, not in the model"),
            }
        }
        for name in self.model.operations.keys() {
            if !spec_ops.contains_key(name.as_str()) {
                self.report(name, "operation in the model, missing from the spec");
            }
        }
        for name in self.model.paginators.keys() {
            if !self.model.operations.contains_key(name) {
                self.report(name, "paginator for an operation the model does not have");
            }
        }
    }

    fn operation(&mut self, op: &Operation, m: &ModelOperation) {
        self.checked.operations += 1;
        let at = op.name.as_str();
        self.compare(at, "method", op.method.as_str(), m.http.method.as_str());
        let mut uri = op.path.clone();
        for (i, query) in op.query.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(query);
        }
        self.compare(at, "request URI", uri.as_str(), m.http.request_uri.as_str());
        let checksum_required = m
            .http_checksum
            .as_ref()
            .is_some_and(|c| c.request_checksum_required);
        self.compare(
            at,
            "checksum_required",
            &op.checksum_required,
            &checksum_required,
        );
        let host_prefix = m.endpoint.as_ref().and_then(|e| e.host_prefix.as_deref());
        self.compare(
            at,
            "host_prefix",
            &show(op.host_prefix.as_deref()),
            &show(host_prefix),
        );
        self.compare(at, "deprecated", &op.deprecated, &m.deprecated);
        let static_params: Vec<String> = m
            .static_context_params
            .iter()
            .map(|(name, p)| format!("{name}={}", p.value))
            .collect();
        let spec_params: Vec<String> = op
            .endpoint_params
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        self.compare_list(at, "endpoint_params", &spec_params, &static_params);
        self.input_members(op, m);
        self.payload(op, m);
        self.output(op, m);
        self.pagination(op);
    }

    fn input_members(&mut self, op: &Operation, m: &ModelOperation) {
        let input = m.input.as_ref().and_then(|r| self.shape(&r.shape));
        let mut seen = BTreeSet::new();
        for member in &op.members {
            let at = format!("{}.{}", op.name, member.name);
            if !seen.insert(member.name.as_str()) {
                self.report(&at, "member listed twice in the spec");
                continue;
            }
            match input.and_then(|s| s.members.get(&member.name).map(|r| (s, r))) {
                Some((input, r)) => self.input_member(&at, op, member, input, r),
                None => self.report(&at, "member in the spec, not in the model"),
            }
        }
        let Some(input) = input else { return };
        for (name, r) in &input.members {
            if !seen.contains(name.as_str()) {
                let location = match &r.location_name {
                    Some(wire) => format!("{} {wire}", model_location(input, name, r)),
                    None => model_location(input, name, r).to_string(),
                };
                self.report(
                    &format!("{}.{name}", op.name),
                    &format!("member in the model ({location}), missing from the spec"),
                );
            }
        }
    }

    fn input_member(
        &mut self,
        at: &str,
        op: &Operation,
        member: &Member,
        input: &ModelShape,
        r: &ModelRef,
    ) {
        self.checked.members += 1;
        let location = model_location(input, &member.name, r);
        let spec_location = match member.location {
            Location::Uri => "uri",
            Location::Query => "query",
            Location::Header => "header",
            Location::HeaderMap => "header-map",
            Location::Payload => "payload",
            Location::Body => "body",
        };
        self.compare(at, "location", spec_location, location);

        let headers = matches!(location, "header" | "header-map");
        match location {
            "uri" | "query" | "header" | "header-map" => {
                let spec_wire = show(member.wire.as_deref());
                let model_wire = show(r.location_name.as_deref());
                let same = if headers {
                    spec_wire.eq_ignore_ascii_case(&model_wire)
                } else {
                    spec_wire == model_wire
                };
                if !same {
                    self.compare(at, "wire", &spec_wire, &model_wire);
                }
            }
            // The payload's element name is its root, compared under `payload`; a spec `wire`
            // on it is optional but must agree.
            "payload" => {
                if let Some(wire) = &member.wire {
                    let model_wire = self.location_name(r).unwrap_or_else(|| member.name.clone());
                    self.compare(at, "wire", wire, &model_wire);
                }
            }
            _ => {
                let spec_wire = member.wire.clone().unwrap_or_else(|| member.name.clone());
                let model_wire = self.location_name(r).unwrap_or_else(|| member.name.clone());
                self.compare(at, "wire", &spec_wire, &model_wire);
            }
        }

        let required = input.required.contains(&member.name);
        self.compare(at, "required", &member.required, &required);

        let model_type = self.spec_name_of(&r.shape);
        let expires_exception = member.name == "Expires"
            && EXPIRES_AS_TIMESTAMP.contains(&op.name.as_str())
            && member.shape == "timestamp"
            && member.timestamp_format.as_deref() == Some("rfc822")
            && model_type == "string"
            && headers;
        if expires_exception {
            self.expires_accepted.insert(op.name.clone());
        } else {
            self.compare(at, "type", member.shape.as_str(), model_type.as_str());
            if member.shape == "timestamp" && model_type == "timestamp" {
                let default = if headers { "rfc822" } else { "iso8601" };
                let spec_format = member.timestamp_format.as_deref().unwrap_or(default);
                let model_format = self.timestamp_format(r);
                let model_format = model_format.as_deref().unwrap_or(default);
                self.compare(at, "timestamp_format", spec_format, model_format);
            } else if let (Some(format), false) =
                (&member.timestamp_format, member.shape == "timestamp")
            {
                self.report(
                    at,
                    &format!("timestamp_format {format} on a {} member", member.shape),
                );
            }
        }

        self.compare(at, "host_label", &member.host_label, &r.host_label);
        self.compare(
            at,
            "context_param",
            &show(member.context_param.as_deref()),
            &show(r.context_param.as_ref().map(|p| p.name.as_str())),
        );
        self.compare(at, "deprecated", &member.deprecated, &r.deprecated);
        let streaming = r.streaming || self.shape(&r.shape).is_some_and(|s| s.streaming);
        self.compare(at, "streaming", &member.streaming, &streaming);

        // An enumeration's values are compared on its shape; a member may still list values of its
        // own, which must then be the model's.
        let values = self
            .shape(&r.shape)
            .map(|s| s.values.clone())
            .unwrap_or_default();
        if !member.values.is_empty() || (!values.is_empty() && member.shape == "string") {
            self.compare_list(at, "values", &member.values, &values);
        }
    }

    /// The request body: a payload member (xml, blob or text) or several `body` members.
    fn payload(&mut self, op: &Operation, m: &ModelOperation) {
        let at = format!("{}.payload", op.name);
        let input_ref = m.input.as_ref();
        let input = input_ref.and_then(|r| self.shape(&r.shape));
        let expected: Option<Body> = match (input_ref, input) {
            (Some(input_ref), Some(input)) => {
                if let Some(name) = &input.payload {
                    input.members.get(name).map(|r| {
                        let kind = match self.shape(&r.shape).map(|s| s.kind.as_str()) {
                            Some("blob") => "blob",
                            Some("string") => "text",
                            _ => "xml",
                        };
                        let (root, namespace) = if kind == "xml" {
                            (
                                self.location_name(r),
                                self.xml_namespace(r).and_then(|n| n.uri),
                            )
                        } else {
                            (None, None)
                        };
                        Body {
                            kind,
                            member: Some(name.clone()),
                            shape: None,
                            root,
                            namespace,
                        }
                    })
                } else if input.members.values().any(|r| r.location.is_none()) {
                    Some(Body {
                        kind: "xml",
                        member: None,
                        shape: Some(input_ref.shape.clone()),
                        root: input_ref.location_name.clone(),
                        namespace: input_ref.xml_namespace.clone().and_then(|n| n.uri),
                    })
                } else {
                    None
                }
            }
            _ => None,
        };
        match (&op.payload, expected) {
            (None, None) => {}
            (Some(p), None) => self.report(&at, &format!("spec has a {} body, model none", p.kind)),
            (None, Some(body)) => self.report(
                &at,
                &format!("spec has no body, model a {} body", body.kind),
            ),
            (Some(p), Some(body)) => {
                let Body {
                    kind,
                    member,
                    shape,
                    root,
                    namespace,
                } = body;
                self.compare(&at, "kind", p.kind.as_str(), kind);
                self.compare(
                    &at,
                    "member",
                    &show(p.member.as_deref()),
                    &show(member.as_deref()),
                );
                self.compare(
                    &at,
                    "shape",
                    &show(p.shape.as_deref()),
                    &show(shape.as_deref()),
                );
                self.compare(
                    &at,
                    "root",
                    &show(p.root.as_deref()),
                    &show(root.as_deref()),
                );
                self.compare(
                    &at,
                    "namespace",
                    &show(p.namespace.as_deref()),
                    &show(namespace.as_deref()),
                );
            }
        }
    }

    fn output(&mut self, op: &Operation, m: &ModelOperation) {
        let at = format!("{}.output", op.name);
        let output_ref = m.output.as_ref();
        let output = output_ref.and_then(|r| self.shape(&r.shape));
        let (kind, shape) = match (output_ref, output) {
            (Some(output_ref), Some(output)) => {
                if let Some(payload) = output.payload.as_ref().and_then(|p| output.members.get(p)) {
                    match self.shape(&payload.shape) {
                        Some(s) if s.kind == "blob" => ("blob", None),
                        Some(s) if s.kind == "string" => ("text", None),
                        Some(s) if s.eventstream => ("event-stream", Some(payload.shape.clone())),
                        _ => ("xml", Some(payload.shape.clone())),
                    }
                } else if output.members.values().any(|r| r.location.is_none()) {
                    ("xml", Some(output_ref.shape.clone()))
                } else {
                    ("none", None)
                }
            }
            _ => ("none", None),
        };
        self.compare(&at, "kind", op.output.kind.as_str(), kind);
        self.compare(
            &at,
            "shape",
            &show(op.output.shape.as_deref()),
            &show(shape.as_deref()),
        );
        let payload = output.and_then(|o| o.payload.as_deref());
        self.compare(
            &at,
            "member",
            &show(op.output.member.as_deref()),
            &show(payload),
        );

        let model_headers: BTreeMap<&String, &ModelRef> = output
            .map(|o| &o.members)
            .into_iter()
            .flatten()
            .filter(|(_, r)| matches!(r.location.as_deref(), Some("header" | "headers")))
            .collect();
        let mut seen = BTreeSet::new();
        for header in &op.output.headers {
            let at = format!("{}.output.{}", op.name, header.name);
            if !seen.insert(header.name.as_str()) {
                self.report(&at, "header listed twice in the spec");
                continue;
            }
            let Some(r) = model_headers.get(&header.name) else {
                self.report(&at, "output header in the spec, not in the model");
                continue;
            };
            self.checked.headers += 1;
            let wire = show(r.location_name.as_deref());
            if !header.wire.eq_ignore_ascii_case(&wire) {
                self.compare(&at, "wire", header.wire.as_str(), wire.as_str());
            }
            let model_type = self.spec_name_of(&r.shape);
            self.compare(&at, "type", header.shape.as_str(), model_type.as_str());
            let map = r.location.as_deref() == Some("headers");
            self.compare(&at, "map", &header.map, &map);
        }
        for (name, r) in model_headers {
            if !seen.contains(name.as_str()) {
                self.report(
                    &format!("{}.output.{name}", op.name),
                    &format!(
                        "output header in the model ({}), missing from the spec",
                        show(r.location_name.as_deref())
                    ),
                );
            }
        }
    }

    fn pagination(&mut self, op: &Operation) {
        let at = format!("{}.pagination", op.name);
        let model = self.model.paginators.get(&op.name);
        let (spec, model) = match (&op.pagination, model) {
            (None, None) => return,
            (Some(_), None) => {
                return self.report(&at, "in the spec, not in paginators-1.json");
            }
            (None, Some(_)) => {
                return self.report(&at, "in paginators-1.json, missing from the spec")
            }
            (Some(spec), Some(model)) => (spec, model),
        };
        self.checked.paginators += 1;
        // `NextMarker || Contents[-1].Key`: the token, else the key of the last item of a list.
        let mut output_tokens = Vec::new();
        let mut fallback = None;
        for token in model.output_token.to_vec() {
            match token.split_once("||") {
                Some((token, alternative)) => {
                    output_tokens.push(token.trim().to_string());
                    let alternative = alternative.trim();
                    fallback = Some(
                        alternative
                            .strip_suffix("[-1].Key")
                            .unwrap_or(alternative)
                            .to_string(),
                    );
                }
                None => output_tokens.push(token),
            }
        }
        self.compare_list(
            &at,
            "input_tokens",
            &spec.input_tokens,
            &model.input_token.to_vec(),
        );
        self.compare_list(&at, "output_tokens", &spec.output_tokens, &output_tokens);
        self.compare(
            &at,
            "last_key_fallback",
            &show(spec.last_key_fallback.as_deref()),
            &show(fallback.as_deref()),
        );
        self.compare_list(
            &at,
            "result_keys",
            &spec.result_keys,
            &model.result_key.to_vec(),
        );
        self.compare(
            &at,
            "limit_key",
            &show(spec.limit_key.as_deref()),
            &show(model.limit_key.as_deref()),
        );
        self.compare(
            &at,
            "more_results",
            &show(spec.more_results.as_deref()),
            &show(model.more_results.as_deref()),
        );
    }

    // --- shapes ---------------------------------------------------------------------------

    fn shapes(&mut self) {
        // Shapes that are some operation's input or output: the spec keeps only their body.
        let operation_shapes: BTreeSet<&str> = self
            .model
            .operations
            .values()
            .flat_map(|op| op.input.iter().chain(op.output.iter()))
            .map(|r| r.shape.as_str())
            .collect();
        for (name, def) in &self.spec.shapes {
            let Some(model) = self.shape(name) else {
                self.report(name, "shape in spec/shapes.toml, not in the model");
                continue;
            };
            self.checked.shapes += 1;
            let spec_kind = match def {
                ShapeDef::Structure { .. } => "structure",
                ShapeDef::List { .. } => "list",
                ShapeDef::Map { .. } => "map",
                ShapeDef::Enum { .. } => "enum",
            };
            let model_kind = if is_enum(model) {
                "enum"
            } else {
                model.kind.as_str()
            };
            if spec_kind != model_kind {
                self.compare(name, "type", spec_kind, model_kind);
                continue;
            }
            match def {
                ShapeDef::Structure {
                    members,
                    eventstream,
                } => {
                    let body_only = operation_shapes.contains(name.as_str());
                    if body_only {
                        self.body_only_shapes.insert(name.clone());
                    }
                    self.structure(name, members, *eventstream, model, body_only);
                }
                ShapeDef::List {
                    member,
                    member_wire,
                    flattened,
                    timestamp_format,
                } => self.list(
                    name,
                    member,
                    member_wire,
                    *flattened,
                    timestamp_format,
                    model,
                ),
                ShapeDef::Map {
                    value,
                    key_wire,
                    value_wire,
                    flattened,
                } => self.map(name, value, key_wire, value_wire, *flattened, model),
                ShapeDef::Enum { values } => {
                    self.compare_list(name, "values", values, &model.values)
                }
            }
        }
    }

    fn structure(
        &mut self,
        name: &str,
        fields: &[Field],
        eventstream: bool,
        model: &ModelShape,
        body_only: bool,
    ) {
        self.compare(name, "eventstream", &eventstream, &model.eventstream);
        let model_members: BTreeMap<&String, &ModelRef> = model
            .members
            .iter()
            .filter(|(_, r)| !body_only || r.location.is_none())
            .collect();
        let mut seen = BTreeSet::new();
        for field in fields {
            let at = format!("{name}.{}", field.name);
            if !seen.insert(field.name.as_str()) {
                self.report(&at, "member listed twice in the spec");
                continue;
            }
            match model_members.get(&field.name) {
                Some(r) => {
                    let required = model.required.contains(&field.name);
                    self.compare(&at, "required", &field.required, &required);
                    self.field(&at, field, r)
                }
                None => self.report(&at, "member in the spec, not in the model"),
            }
        }
        for (member, r) in model_members {
            if !seen.contains(member.as_str()) {
                self.report(
                    &format!("{name}.{member}"),
                    &format!(
                        "member in the model ({}), missing from the spec",
                        self.spec_name_of(&r.shape)
                    ),
                );
            }
        }
    }

    fn field(&mut self, at: &str, field: &Field, r: &ModelRef) {
        let model_type = self.spec_name_of(&r.shape);
        self.compare(at, "type", field.shape.as_str(), model_type.as_str());
        let spec_wire = field.wire.as_deref().unwrap_or(&field.name);
        let model_wire = self.location_name(r);
        let model_wire = model_wire.as_deref().unwrap_or(&field.name);
        self.compare(at, "wire", spec_wire, model_wire);
        self.compare(at, "attribute", &field.attribute, &r.xml_attribute);
        self.compare(at, "flattened", &field.flattened, &r.flattened);
        if field.shape == "timestamp" && model_type == "timestamp" {
            let spec_format = field.timestamp_format.as_deref().unwrap_or("iso8601");
            let model_format = self.timestamp_format(r);
            let model_format = model_format.as_deref().unwrap_or("iso8601");
            self.compare(at, "timestamp_format", spec_format, model_format);
        } else if let (Some(format), false) = (&field.timestamp_format, field.shape == "timestamp")
        {
            self.report(
                at,
                &format!("timestamp_format {format} on a {} member", field.shape),
            );
        }
        let namespace = self.xml_namespace(r);
        let (uri, prefix) = match &namespace {
            Some(n) => (n.uri.as_deref(), n.prefix.as_deref()),
            None => (None, None),
        };
        self.compare(
            at,
            "namespace",
            &show(field.namespace.as_deref()),
            &show(uri),
        );
        self.compare(
            at,
            "namespace_prefix",
            &show(field.namespace_prefix.as_deref()),
            &show(prefix),
        );
    }

    fn list(
        &mut self,
        name: &str,
        member: &str,
        member_wire: &str,
        flattened: bool,
        timestamp_format: &Option<String>,
        model: &ModelShape,
    ) {
        let Some(r) = &model.member else {
            return self.report(name, "list without a member in the model");
        };
        let model_type = self.spec_name_of(&r.shape);
        self.compare(name, "member", member, model_type.as_str());
        let model_wire = self.location_name(r);
        let model_wire = model_wire.as_deref().unwrap_or("member");
        self.compare(name, "member_wire", member_wire, model_wire);
        self.compare(name, "flattened", &flattened, &model.flattened);
        if member == "timestamp" && model_type == "timestamp" {
            let spec_format = timestamp_format.as_deref().unwrap_or("iso8601");
            let model_format = self.timestamp_format(r);
            let model_format = model_format.as_deref().unwrap_or("iso8601");
            self.compare(name, "timestamp_format", spec_format, model_format);
        } else if let (Some(format), false) = (timestamp_format, member == "timestamp") {
            self.report(
                name,
                &format!("timestamp_format {format} on a list of {member}"),
            );
        }
    }

    fn map(
        &mut self,
        name: &str,
        value: &str,
        key_wire: &str,
        value_wire: &str,
        flattened: bool,
        model: &ModelShape,
    ) {
        let (Some(key), Some(model_value)) = (&model.key, &model.value) else {
            return self.report(name, "map without a key or value in the model");
        };
        // The spec's maps always have string keys.
        let key_type = self.spec_name_of(&key.shape);
        self.compare(name, "key type", "string", key_type.as_str());
        let model_key_wire = self.location_name(key);
        self.compare(
            name,
            "key_wire",
            key_wire,
            model_key_wire.as_deref().unwrap_or("key"),
        );
        let value_type = self.spec_name_of(&model_value.shape);
        self.compare(name, "value", value, value_type.as_str());
        let model_value_wire = self.location_name(model_value);
        self.compare(
            name,
            "value_wire",
            value_wire,
            model_value_wire.as_deref().unwrap_or("value"),
        );
        self.compare(name, "flattened", &flattened, &model.flattened);
    }

    /// Every structure, list or map the model reaches from an operation's input or output members
    /// must be in spec/shapes.toml (compared above when it is).
    fn reachable_shapes(&mut self) {
        let mut stack: Vec<(String, String)> = Vec::new();
        for (op, m) in &self.model.operations {
            for r in m.input.iter().chain(m.output.iter()) {
                for (member, r) in self
                    .shape(&r.shape)
                    .map(|s| &s.members)
                    .into_iter()
                    .flatten()
                {
                    stack.push((r.shape.clone(), format!("{op}.{member}")));
                }
            }
        }
        // Depth-first in a fixed order, so each missing shape names the same path every run.
        stack.reverse();
        let mut seen = BTreeSet::new();
        while let Some((name, from)) = stack.pop() {
            let Some(shape) = self.shape(&name) else {
                self.report(
                    &name,
                    &format!("shape referenced by {from} is not in the model"),
                );
                continue;
            };
            if (is_scalar(&shape.kind) && !is_enum(shape)) || !seen.insert(name.clone()) {
                continue;
            }
            self.checked.reachable += 1;
            if !self.spec.shapes.contains_key(&name) {
                let kind = if is_enum(shape) {
                    "enum"
                } else {
                    shape.kind.as_str()
                };
                self.report(
                    &name,
                    &format!(
                        "{kind} in the model (reached from {from}), missing from spec/shapes.toml"
                    ),
                );
            }
            let children = shape
                .members
                .iter()
                .map(|(member, r)| (r, format!("{name}.{member}")))
                .chain(shape.member.iter().map(|r| (r, format!("{name}.member"))))
                .chain(shape.key.iter().map(|r| (r, format!("{name}.key"))))
                .chain(shape.value.iter().map(|r| (r, format!("{name}.value"))));
            let mut next: Vec<(String, String)> =
                children.map(|(r, path)| (r.shape.clone(), path)).collect();
            next.reverse();
            stack.extend(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// botocore's model, copied in as a fixture (Apache-2.0, LICENSE.txt beside it).
    fn model_path() -> PathBuf {
        crate::workspace_root().join("tests/fixtures/s3-model/service-2.json")
    }

    fn load_model() -> Model {
        let path = model_path();
        Model::load(&path).unwrap_or_else(|e| {
            panic!(
                "the audit's tests need botocore's model at {}: {e}",
                path.display()
            )
        })
    }

    /// Copy `spec/` into a fresh directory under the system temp dir.
    fn copy_spec(test: &str) -> PathBuf {
        let from = crate::workspace_root().join("spec");
        let to =
            std::env::temp_dir().join(format!("s3op-spec-audit-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&to);
        fs::create_dir_all(to.join("operations")).unwrap();
        fs::copy(from.join("shapes.toml"), to.join("shapes.toml")).unwrap();
        for entry in fs::read_dir(from.join("operations")).unwrap() {
            let path = entry.unwrap().path();
            fs::copy(&path, to.join("operations").join(path.file_name().unwrap())).unwrap();
        }
        to
    }

    /// Replace `from` (which must occur exactly once) with `to` in a file.
    fn edit(path: &Path, from: &str, to: &str) {
        let text = fs::read_to_string(path).unwrap();
        assert_eq!(
            text.matches(from).count(),
            1,
            "{} should contain {from:?} exactly once",
            path.display()
        );
        fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    #[test]
    fn the_project_spec_matches_the_model() {
        let spec = Spec::load(&crate::workspace_root().join("spec")).unwrap();
        let report = audit(&spec, &load_model());
        assert_eq!(report.differences, Vec::<String>::new());
        assert_eq!(report.checked.operations, spec.operations.len());
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("Expires of CopyObject")));
    }

    #[test]
    fn corruptions_of_operations_and_shapes_are_reported() {
        let dir = copy_spec("corrupt");
        let tagging = dir.join("operations/PutObjectTagging.toml");
        // A wire name, a method, the body's root element, a dropped member.
        edit(
            &tagging,
            "wire = \"x-amz-expected-bucket-owner\"",
            "wire = \"x-amz-bucket-owner\"",
        );
        edit(&tagging, "method = \"PUT\"", "method = \"POST\"");
        edit(&tagging, "root = \"Tagging\"", "root = \"Tags\"");
        let text = fs::read_to_string(&tagging).unwrap();
        let start = text.find("[[member]]\nname = \"VersionId\"").unwrap();
        let end = start + 1 + text[start + 1..].find("[[member]]").unwrap();
        fs::write(&tagging, format!("{}{}", &text[..start], &text[end..])).unwrap();
        // A shape: a member's type, and its wire name.
        let shapes = dir.join("shapes.toml");
        edit(
            &shapes,
            "[Tag]\ntype = \"structure\"\nmembers = [\n  { name = \"Key\", shape = \"string\", required = true },",
            "[Tag]\ntype = \"structure\"\nmembers = [\n  { name = \"Key\", shape = \"integer\", wire = \"K\", required = true },",
        );

        let spec = Spec::load(&dir).unwrap();
        let report = audit(&spec, &load_model());
        let _ = fs::remove_dir_all(&dir);
        let expected = [
            "PutObjectTagging.ExpectedBucketOwner: wire differs (spec x-amz-bucket-owner, model x-amz-expected-bucket-owner)",
            "PutObjectTagging: method differs (spec POST, model PUT)",
            "PutObjectTagging.payload: root differs (spec Tags, model Tagging)",
            "PutObjectTagging.VersionId: member in the model (query versionId), missing from the spec",
            "Tag.Key: type differs (spec integer, model string)",
            "Tag.Key: wire differs (spec K, model Key)",
        ];
        for line in expected {
            assert!(
                report.differences.iter().any(|d| d == line),
                "{line:?} not in {:#?}",
                report.differences
            );
        }
        assert_eq!(
            report.differences.len(),
            expected.len(),
            "{:#?}",
            report.differences
        );
        let mut sorted = report.differences.clone();
        sorted.sort();
        assert_eq!(sorted, report.differences);
    }

    #[test]
    fn a_list_that_loses_its_flattening_and_a_missing_shape_are_reported() {
        let dir = copy_spec("flatten");
        let shapes = dir.join("shapes.toml");
        edit(
            &shapes,
            "[AllowedHeaders]\ntype = \"list\"\nmember = \"string\"\nmember_wire = \"member\"\nflattened = true\n",
            "[AllowedHeaders]\ntype = \"list\"\nmember = \"string\"\nmember_wire = \"AllowedHeader\"\n",
        );
        // Drop a shape nothing in the spec references, so the spec still loads.
        let text = fs::read_to_string(&shapes).unwrap();
        let start = text.find("[ContinuationEvent]\n").unwrap();
        let end = start + 1 + text[start + 1..].find("\n[").unwrap();
        fs::write(&shapes, format!("{}{}", &text[..start], &text[end..])).unwrap();
        let events = "{ name = \"Cont\", shape = \"ContinuationEvent\" },";
        edit(&shapes, events, "");

        let spec = Spec::load(&dir).unwrap();
        let report = audit(&spec, &load_model());
        let _ = fs::remove_dir_all(&dir);
        for line in [
            "AllowedHeaders: flattened differs (spec false, model true)",
            "AllowedHeaders: member_wire differs (spec AllowedHeader, model member)",
            "SelectObjectContentEventStream.Cont: member in the model (ContinuationEvent), missing from the spec",
            "ContinuationEvent: structure in the model (reached from SelectObjectContentEventStream.Cont), missing from spec/shapes.toml",
        ] {
            assert!(
                report.differences.iter().any(|d| d == line),
                "{line:?} not in {:#?}",
                report.differences
            );
        }
    }

    #[test]
    fn lost_required_and_enumeration_facts_are_reported() {
        let dir = copy_spec("enums");
        let shapes = dir.join("shapes.toml");
        edit(
            &shapes,
            "[Tag]\ntype = \"structure\"\nmembers = [\n  { name = \"Key\", shape = \"string\", required = true },",
            "[Tag]\ntype = \"structure\"\nmembers = [\n  { name = \"Key\", shape = \"string\" },",
        );
        edit(
            &shapes,
            "values = [\"STANDARD\", \"REDUCED_REDUNDANCY\", \"GLACIER\", \"STANDARD_IA\", \"ONEZONE_IA\", \"INTELLIGENT_TIERING\", \"DEEP_ARCHIVE\", \"OUTPOSTS\", \"GLACIER_IR\", \"SNOW\", \"EXPRESS_ONEZONE\", \"FSX_OPENZFS\", \"FSX_ONTAP\", \"AWS_BACKUP_WARM\", \"AWS_BACKUP_LOW_COST_WARM\"]",
            "values = [\"STANDARD\"]",
        );
        let put = dir.join("operations/PutObject.toml");
        edit(&put, "shape = \"StorageClass\"", "shape = \"string\"");
        let policy = dir.join("operations/GetBucketPolicyStatus.toml");
        edit(&policy, "member = \"PolicyStatus\"\n", "");

        let spec = Spec::load(&dir).unwrap();
        let report = audit(&spec, &load_model());
        let _ = fs::remove_dir_all(&dir);
        let values = "ObjectStorageClass: values differ (spec [STANDARD], model [STANDARD, REDUCED_REDUNDANCY, GLACIER, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, DEEP_ARCHIVE, OUTPOSTS, GLACIER_IR, SNOW, EXPRESS_ONEZONE, FSX_OPENZFS, FSX_ONTAP, AWS_BACKUP_WARM, AWS_BACKUP_LOW_COST_WARM])";
        for line in [
            "Tag.Key: required differs (spec false, model true)",
            values,
            "PutObject.StorageClass: type differs (spec string, model StorageClass)",
            "GetBucketPolicyStatus.output: member differs (spec none, model PolicyStatus)",
        ] {
            assert!(
                report.differences.iter().any(|d| d == line),
                "{line:?} not in {:#?}",
                report.differences
            );
        }
    }
}
