//! The operation spec as data: serde types for `spec/operations/*.toml` and `spec/shapes.toml`, the
//! loader that reads a spec directory, and the checks that make a broken spec a build error naming the
//! file and entry. Everything the generators emit comes from these types and nothing else.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole spec: every operation (sorted by name) and the shapes they reference.
#[derive(Debug)]
pub struct Spec {
    pub operations: Vec<Operation>,
    pub shapes: BTreeMap<String, ShapeDef>,
    /// Every file the spec was read from, so build.rs can ask to be re-run when one changes.
    pub files: Vec<PathBuf>,
}

/// One S3 operation (`spec/operations/<Name>.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    pub name: String,
    pub summary: String,
    /// Where the reference index lists it: buckets, objects, multipart, configurations, directory-buckets.
    pub group: String,
    pub method: String,
    /// Path template: `/{Bucket}`, `/{Bucket}/{Key+}`.
    pub path: String,
    /// Constant query parameters: `tagging`, `list-type=2`.
    #[serde(default)]
    pub query: Vec<String>,
    #[serde(default)]
    pub deprecated: bool,
    /// S3 refuses the request without an integrity header (Content-MD5 or a flexible checksum).
    #[serde(default)]
    pub checksum_required: bool,
    /// Prefix added to the host, with `{Member}` labels (WriteGetObjectResponse: `{RequestRoute}.`).
    #[serde(default)]
    pub host_prefix: Option<String>,
    /// Endpoint rule-set parameters this operation always sets (the model's
    /// `staticContextParams`: `UseS3ExpressControlEndpoint = true` for bucket-level operations).
    #[serde(default)]
    pub endpoint_params: BTreeMap<String, bool>,
    #[serde(default, rename = "member")]
    pub members: Vec<Member>,
    #[serde(default)]
    pub payload: Option<Payload>,
    pub output: Output,
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

/// How a listing continues: which response members feed which request members on the next page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    /// Request members that take the continuation (`ContinuationToken`; `KeyMarker`, `VersionIdMarker`).
    pub input_tokens: Vec<String>,
    /// Response members that carry it, in the same order (`NextContinuationToken`).
    pub output_tokens: Vec<String>,
    /// Response lists that make up the results (`Contents`, `CommonPrefixes`).
    pub result_keys: Vec<String>,
    /// Request member that caps a page's size (`MaxKeys`).
    #[serde(default)]
    pub limit_key: Option<String>,
    /// Response member that says whether more pages follow (`IsTruncated`).
    #[serde(default)]
    pub more_results: Option<String>,
    /// When the output token is absent, continue after the `Key` of the last item of this list
    /// (ListObjects without a delimiter sends no `NextMarker`).
    #[serde(default)]
    pub last_key_fallback: Option<String>,
}

/// One input member of an operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    pub summary: String,
    /// A scalar type (`string`, `integer`, `long`, `boolean`, `timestamp`, `blob`, `float`, `double`) or
    /// the name of a shape in `spec/shapes.toml`.
    pub shape: String,
    pub location: Location,
    /// Label, query parameter, header name or header prefix on the wire.
    #[serde(default)]
    pub wire: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// Allowed values, for the reference pages (not enforced: servers add values before clients do).
    #[serde(default)]
    pub values: Vec<String>,
    /// A transformation applied before sending (`sse-customer-key`, `copy-source`).
    #[serde(default)]
    pub encoding: Option<String>,
    /// For `sse-customer-key`: the header that carries the key's MD5.
    #[serde(default)]
    pub md5_header: Option<String>,
    /// A blob payload that may be large: streamed from a file rather than held in memory.
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub deprecated: bool,
    /// Also fills `{Name}` in the operation's host prefix (WriteGetObjectResponse's RequestRoute).
    #[serde(default)]
    pub host_label: bool,
    /// The endpoint rule-set parameter this member's value feeds (the model's `contextParam`:
    /// `Bucket`, `Key`, `Prefix`, `CopySource`).
    #[serde(default)]
    pub context_param: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    Uri,
    Query,
    Header,
    /// A map sent as one header per entry, each named prefix + key (`x-amz-meta-`).
    HeaderMap,
    /// The member is the request body.
    Payload,
    /// One of several members that together make the XML body.
    Body,
}

/// What the request body is made of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// `xml`, `blob` or `text`.
    pub kind: String,
    /// The payload member; absent when the body is made of the `body` members under `root`.
    #[serde(default)]
    pub member: Option<String>,
    /// For a body made of several members: the structure shape that lists them.
    #[serde(default)]
    pub shape: Option<String>,
    #[serde(default)]
    pub root: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

/// What the response carries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// `none`, `xml`, `blob`, `text` or `event-stream`.
    pub kind: String,
    /// The structure shape of an `xml` body (or the event shape of an event stream).
    #[serde(default)]
    pub shape: Option<String>,
    #[serde(default)]
    pub headers: Vec<OutputHeader>,
    /// The output member that is the whole body, when the body is one payload member
    /// (GetBucketPolicyStatus's `PolicyStatus`, GetObject's `Body`); absent when the body's members
    /// are the output's own (ListObjectsV2).
    #[serde(default)]
    pub member: Option<String>,
    /// Response members S3 percent-encodes when asked for `encoding-type=url` (`Contents[].Key`).
    #[serde(default)]
    pub url_encoded: Vec<String>,
}

/// A response member carried in a header.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputHeader {
    pub name: String,
    pub shape: String,
    pub wire: String,
    /// A header-prefix map (`x-amz-meta-`).
    #[serde(default)]
    pub map: bool,
}

/// A structure, list, map or enumeration shape (`spec/shapes.toml`).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ShapeDef {
    Structure {
        members: Vec<Field>,
        #[serde(default)]
        eventstream: bool,
    },
    List {
        member: String,
        member_wire: String,
        #[serde(default)]
        flattened: bool,
        #[serde(default)]
        timestamp_format: Option<String>,
    },
    Map {
        value: String,
        key_wire: String,
        value_wire: String,
        #[serde(default)]
        flattened: bool,
    },
    /// A string with a known set of values (botocore's `enum`). Servers add values before clients
    /// do, so the values are documented and typed, never enforced.
    Enum { values: Vec<String> },
}

/// A member of a structure shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub shape: String,
    /// The model's `required`: the typed field is `T` rather than `Option<T>`.
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub wire: Option<String>,
    #[serde(default)]
    pub attribute: bool,
    /// Overrides the list shape's own flattening for this member.
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub namespace_prefix: Option<String>,
}

/// The scalar type names a member or field may use instead of a shape name.
pub const SCALARS: &[&str] = &[
    "string",
    "integer",
    "long",
    "boolean",
    "timestamp",
    "blob",
    "float",
    "double",
];

/// An error in the spec, naming the file and the entry.
#[derive(Debug)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

impl Spec {
    /// Read and check a spec directory (`spec/`).
    pub fn load(dir: &Path) -> Result<Spec, SpecError> {
        let mut files = Vec::new();
        let ops_dir = dir.join("operations");
        let mut entries: Vec<PathBuf> = fs::read_dir(&ops_dir)
            .map_err(|e| SpecError(format!("{}: {e}", ops_dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        entries.sort();
        let mut operations = Vec::new();
        for path in entries {
            let text = fs::read_to_string(&path)
                .map_err(|e| SpecError(format!("{}: {e}", path.display())))?;
            let op: Operation =
                toml::from_str(&text).map_err(|e| SpecError(format!("{}: {e}", path.display())))?;
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if stem != op.name {
                return Err(SpecError(format!(
                    "{}: name {:?} differs from the file name",
                    path.display(),
                    op.name
                )));
            }
            operations.push(op);
            files.push(path);
        }
        let shapes_path = dir.join("shapes.toml");
        let text = fs::read_to_string(&shapes_path)
            .map_err(|e| SpecError(format!("{}: {e}", shapes_path.display())))?;
        let shapes: BTreeMap<String, ShapeDef> = toml::from_str(&text)
            .map_err(|e| SpecError(format!("{}: {e}", shapes_path.display())))?;
        files.push(shapes_path);
        let spec = Spec {
            operations,
            shapes,
            files,
        };
        spec.check()?;
        Ok(spec)
    }

    /// The values of an enumeration shape, or `None` when `shape` is not one.
    pub fn enum_values(&self, shape: &str) -> Option<&[String]> {
        match self.shapes.get(shape) {
            Some(ShapeDef::Enum { values }) => Some(values),
            _ => None,
        }
    }

    /// The documented values of an input member: its enumeration shape's, else its own `values`.
    pub fn member_values<'a>(&'a self, m: &'a Member) -> &'a [String] {
        self.enum_values(&m.shape).unwrap_or(&m.values)
    }

    /// True for `string` and for enumeration shapes: what travels as a plain string.
    pub fn is_string(&self, shape: &str) -> bool {
        shape == "string" || self.enum_values(shape).is_some()
    }

    fn known(&self, shape: &str) -> bool {
        SCALARS.contains(&shape) || self.shapes.contains_key(shape)
    }

    /// Every reference resolves, every path label has a `uri` member, every payload names a member.
    fn check(&self) -> Result<(), SpecError> {
        for (name, shape) in &self.shapes {
            let refs: Vec<&str> = match shape {
                ShapeDef::Structure { members, .. } => {
                    members.iter().map(|f| f.shape.as_str()).collect()
                }
                ShapeDef::List { member, .. } => vec![member.as_str()],
                ShapeDef::Map { value, .. } => vec![value.as_str()],
                ShapeDef::Enum { .. } => vec![],
            };
            for r in refs {
                if !self.known(r) {
                    return Err(SpecError(format!(
                        "spec/shapes.toml [{name}]: unknown shape {r:?}"
                    )));
                }
            }
        }
        for op in &self.operations {
            let at = |what: String| SpecError(format!("spec/operations/{}.toml: {what}", op.name));
            for m in &op.members {
                if !self.known(&m.shape) {
                    return Err(at(format!(
                        "member {}: unknown shape {:?}",
                        m.name, m.shape
                    )));
                }
                let needs_wire = matches!(
                    m.location,
                    Location::Uri | Location::Query | Location::Header | Location::HeaderMap
                );
                if needs_wire && m.wire.is_none() {
                    return Err(at(format!(
                        "member {}: a {:?} member needs `wire`",
                        m.name, m.location
                    )));
                }
            }
            for label in path_labels(&op.path) {
                let found = op
                    .members
                    .iter()
                    .any(|m| m.location == Location::Uri && m.wire.as_deref() == Some(label));
                if !found {
                    return Err(at(format!("path label {{{label}}} has no uri member")));
                }
            }
            if let Some(p) = &op.payload {
                match (&p.member, &p.shape) {
                    (Some(member), _) => {
                        if !op
                            .members
                            .iter()
                            .any(|m| &m.name == member && m.location == Location::Payload)
                        {
                            return Err(at(format!(
                                "payload member {member:?} is not a member with location payload"
                            )));
                        }
                    }
                    (None, Some(shape)) => {
                        if !self.shapes.contains_key(shape) {
                            return Err(at(format!(
                                "payload shape {shape:?} is not in shapes.toml"
                            )));
                        }
                    }
                    (None, None) => return Err(at("payload needs `member` or `shape`".into())),
                }
                if !["xml", "blob", "text"].contains(&p.kind.as_str()) {
                    return Err(at(format!(
                        "payload kind {:?} is not xml, blob or text",
                        p.kind
                    )));
                }
            }
            if !["none", "xml", "blob", "text", "event-stream"].contains(&op.output.kind.as_str()) {
                return Err(at(format!("output kind {:?} is unknown", op.output.kind)));
            }
            if let Some(p) = &op.pagination {
                if p.input_tokens.len() != p.output_tokens.len() {
                    return Err(at(
                        "pagination: input_tokens and output_tokens differ in length".into(),
                    ));
                }
                for name in p.input_tokens.iter().chain(p.limit_key.iter()) {
                    if !op.members.iter().any(|m| &m.name == name) {
                        return Err(at(format!("pagination: {name} is not a member")));
                    }
                }
            }
            if let Some(s) = &op.output.shape {
                if !self.known(s) {
                    return Err(at(format!("output shape {s:?} is unknown")));
                }
            }
        }
        Ok(())
    }
}

/// The `{Label}` names in a path template, without the greedy `+`.
pub fn path_labels(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| {
            rest.split_once('}')
                .map(|(label, _)| label.trim_end_matches('+'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_from_templates() {
        assert_eq!(path_labels("/{Bucket}/{Key+}"), vec!["Bucket", "Key"]);
        assert!(path_labels("/").is_empty());
    }

    #[test]
    fn the_project_spec_loads_and_checks() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        let spec = Spec::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert!(spec.operations.len() >= 30);
    }
}
