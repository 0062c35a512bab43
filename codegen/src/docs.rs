//! The reference-page generator: one Markdown page per operation (the same text `s3op <operation>
//! --help` prints) and an index grouped by resource, rendered with tera templates from the spec.

use tera::{Context, Tera};

use crate::names::{kebab, rust_field};
use crate::spec::{Location, Member, Operation, ShapeDef, Spec};

const OPERATION_TEMPLATE: &str = include_str!("../templates/operation.md.tera");
const INDEX_TEMPLATE: &str = include_str!("../templates/index.md.tera");

/// A rendered page: its file name under `docs/reference/` and its text.
pub struct Page {
    pub file_name: String,
    pub text: String,
}

/// Every reference page: one per operation, plus `README.md`, the index.
pub fn pages(spec: &Spec) -> Vec<Page> {
    let mut tera = Tera::default();
    if let Err(e) = tera.add_raw_templates([
        ("operation.md", OPERATION_TEMPLATE),
        ("index.md", INDEX_TEMPLATE),
    ]) {
        panic!("codegen/templates: {e}");
    }
    let mut out: Vec<Page> = spec
        .operations
        .iter()
        .map(|op| Page {
            file_name: format!("{}.md", kebab(&op.name)),
            text: render(&tera, "operation.md", &operation_context(spec, op)),
        })
        .collect();
    out.push(Page {
        file_name: "README.md".into(),
        text: render(&tera, "index.md", &index_context(spec)),
    });
    out
}

fn render(tera: &Tera, template: &str, context: &Context) -> String {
    match tera.render(template, context) {
        Ok(text) => tidy(&text),
        Err(e) => panic!("rendering {template}: {e:?}"),
    }
}

/// Collapse runs of blank lines the template's conditionals leave behind.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn kind_of(spec: &Spec, shape: &str) -> String {
    match shape {
        "string" | "boolean" | "timestamp" | "blob" => shape.to_string(),
        "integer" | "long" => "integer".into(),
        "float" | "double" => "number".into(),
        other => match spec.shapes.get(other) {
            Some(ShapeDef::List { .. }) => format!("list ({other})"),
            Some(ShapeDef::Map { .. }) => "map".into(),
            Some(ShapeDef::Enum { .. }) => "string".into(),
            _ => format!("JSON ({other})"),
        },
    }
}

fn sent_as(m: &Member) -> String {
    let wire = m.wire.clone().unwrap_or_default();
    match m.location {
        Location::Uri => "path".into(),
        Location::Query => format!("query `{wire}`"),
        Location::Header => format!("header `{wire}`"),
        Location::HeaderMap => format!("headers `{wire}*`"),
        Location::Payload | Location::Body => "body".into(),
    }
}

fn operation_context(spec: &Spec, op: &Operation) -> Context {
    let mut c = Context::new();
    let cli_name = kebab(&op.name);
    c.insert("name", &op.name);
    c.insert("cli_name", &cli_name);
    c.insert("rust_name", &rust_field(&op.name));
    c.insert("rust_output", &format!("{}Output", op.name));
    c.insert("summary", &op.summary);
    c.insert("deprecated", &op.deprecated);
    c.insert("method", &op.method);
    let mut target = op.path.clone();
    if !op.query.is_empty() {
        target.push('?');
        target.push_str(&op.query.join("&"));
    }
    c.insert("request_target", &target);
    c.insert("checksum_required", &op.checksum_required);
    let blob_output = op.output.kind == "blob";
    c.insert("blob_output", &blob_output);
    let members: Vec<serde_json::Value> = op
        .members
        .iter()
        .map(|m| {
            let note = match m.encoding.as_deref() {
                Some("sse-customer-key") => {
                    "Give the raw key: s3op sends it base64-encoded, with its MD5."
                }
                Some("copy-source") => {
                    "As `bucket/key` or `bucket/key?versionId=ID`; s3op percent-encodes the key."
                }
                _ if m.shape == "blob" => "A file path, `-` for standard input.",
                _ => "",
            };
            serde_json::json!({
                "flag": kebab(&m.name),
                "kind": kind_of(spec, &m.shape),
                "required": m.required,
                "sent_as": sent_as(m),
                "summary": m.summary.replace('|', "\\|"),
                "values": spec.member_values(m).iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
                "note": note,
            })
        })
        .collect();
    c.insert("has_optional", &op.members.iter().any(|m| !m.required));
    c.insert("members", &members);
    let (text, fields) = match op.output.kind.as_str() {
        "xml" => {
            let fields: Vec<serde_json::Value> = match op.output.shape.as_deref().and_then(|s| spec.shapes.get(s)) {
                Some(ShapeDef::Structure { members, .. }) => members
                    .iter()
                    .map(|f| serde_json::json!({"name": f.name, "kind": kind_of(spec, &f.shape)}))
                    .collect(),
                _ => Vec::new(),
            };
            ("`response` holds the XML body as JSON, without its root element; lists are always arrays.", fields)
        }
        "blob" => ("The object's bytes go to `<OUTFILE>`; `response` is null and the object's metadata is in `headers`.", Vec::new()),
        "text" => ("`response` holds the body: parsed JSON when it is JSON, otherwise the text.", Vec::new()),
        "event-stream" => ("`response` holds the decoded event stream.", Vec::new()),
        _ => ("`response` is null: the answer is the status and the headers.", Vec::new()),
    };
    c.insert("output_text", text);
    c.insert("output_fields", &fields);
    let headers: Vec<String> = op
        .output
        .headers
        .iter()
        .map(|h| format!("`{}`", h.wire.to_lowercase()))
        .collect();
    c.insert("output_headers", &headers.join(", "));
    c.insert("example", &example(spec, op));
    c
}

/// A minimal command line: the required members with plausible values.
fn example(spec: &Spec, op: &Operation) -> String {
    let mut line = format!(
        "s3op --endpoint-url http://127.0.0.1:9000 {}",
        kebab(&op.name)
    );
    for m in op.members.iter().filter(|m| m.required) {
        let value = match (m.name.as_str(), m.shape.as_str()) {
            ("Bucket", _) => "my-bucket".to_string(),
            ("Key", _) => "photos/cat.jpg".to_string(),
            ("UploadId", _) => "\"$UPLOAD_ID\"".to_string(),
            ("CopySource", _) => "my-bucket/photos/cat.jpg".to_string(),
            (_, "blob") => "./cat.jpg".to_string(),
            (_, "integer" | "long") => "1".to_string(),
            (_, "boolean") => "true".to_string(),
            (_, "timestamp") => "2026-01-02T03:04:05Z".to_string(),
            (_, shape) if spec.is_string(shape) => spec
                .member_values(m)
                .first()
                .cloned()
                .unwrap_or_else(|| "VALUE".to_string()),
            (_, other) => format!("'{}'", example_json(spec, other, 0)),
        };
        line.push_str(&format!(" --{} {}", kebab(&m.name), value));
    }
    if op.output.kind == "blob" {
        line.push_str(" ./cat.jpg");
    }
    line
}

fn example_json(spec: &Spec, shape: &str, depth: usize) -> String {
    match shape {
        "string" | "timestamp" | "blob" => "\"VALUE\"".into(),
        "integer" | "long" | "float" | "double" => "1".into(),
        "boolean" => "true".into(),
        other => match spec.shapes.get(other) {
            Some(ShapeDef::Enum { values }) => match values.first() {
                Some(v) => format!("\"{v}\""),
                None => "\"VALUE\"".into(),
            },
            Some(ShapeDef::List { member, .. }) => {
                format!("[{}]", example_json(spec, member, depth + 1))
            }
            Some(ShapeDef::Map { .. }) => "{\"key\":\"value\"}".into(),
            Some(ShapeDef::Structure { .. }) if depth > 3 => "{}".into(),
            Some(ShapeDef::Structure { members, .. }) => {
                let first: Vec<String> = members
                    .iter()
                    .take(2)
                    .map(|f| format!("\"{}\":{}", f.name, example_json(spec, &f.shape, depth + 1)))
                    .collect();
                format!("{{{}}}", first.join(","))
            }
            None => "null".into(),
        },
    }
}

const GROUPS: &[(&str, &str)] = &[
    ("buckets", "Buckets"),
    ("objects", "Objects"),
    ("multipart", "Multipart uploads"),
    ("configurations", "Bucket configurations"),
    ("directory-buckets", "Directory buckets"),
];

fn index_context(spec: &Spec) -> Context {
    let groups: Vec<serde_json::Value> = GROUPS
        .iter()
        .map(|(id, title)| {
            let entries: Vec<serde_json::Value> = spec
                .operations
                .iter()
                .filter(|op| op.group == *id)
                .map(|op| serde_json::json!({"cli_name": kebab(&op.name), "summary": op.summary}))
                .collect();
            serde_json::json!({"title": title, "entries": entries})
        })
        .collect();
    let mut c = Context::new();
    c.insert("groups", &groups);
    c.insert("count", &spec.operations.len());
    c
}
