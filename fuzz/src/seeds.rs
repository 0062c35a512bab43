//! Starting inputs derived from the project's fixtures, in each target's input form (selector byte
//! included, which needs the generated tables, hence here and not in xtask): botocore's request
//! bodies and inputs (`tests/fixtures/botocore-requests.json`), the event-stream vectors
//! (`tests/fixtures/eventstream/`) and the SigV4 suite's requests (`tests/fixtures/sigv4/*/request.txt`).
//! The hand-picked inputs under `tests/fixtures/fuzz/<target>/` are copied by xtask as they are.

use std::path::Path;

use serde_json::Value;

use crate::targets::{member_shapes, output_shapes, payload_shapes};

/// The seeds for `target`, made from the fixtures under `fixtures` (the `tests/fixtures` directory).
/// Fixtures that are missing or unreadable give fewer seeds, never an error: seeds only speed the
/// fuzzer up.
pub fn seeds(target: &str, fixtures: &Path) -> Vec<Vec<u8>> {
    match target {
        "xml_to_json" => xml_to_json(fixtures),
        "json_to_xml" => json_to_xml(fixtures),
        "parse_arg" => parse_arg(fixtures),
        "eventstream" => eventstream(fixtures),
        "signer" => signer(fixtures),
        _ => Vec::new(),
    }
}

/// botocore's `operations` entries: `{"operation", "input", "body", ...}`.
fn botocore_operations(fixtures: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(fixtures.join("botocore-requests.json")) else {
        return Vec::new();
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut root)) => match root.remove("operations") {
            Some(Value::Array(operations)) => operations,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn with_selector(selector: usize, rest: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(rest.len() + 1);
    // Selectors are taken modulo the table's length, which is under 256 for these tables.
    input.push(u8::try_from(selector % 256).unwrap_or(0));
    input.extend_from_slice(rest);
    input
}

/// Every XML request body, read with no shape and with the operation's output shape (a request
/// body is not a response, but it is real S3 XML with the same kinds of elements).
fn xml_to_json(fixtures: &Path) -> Vec<Vec<u8>> {
    let shapes = output_shapes();
    let mut seeds = Vec::new();
    for entry in botocore_operations(fixtures) {
        let Some(body) = entry["body"].as_str().filter(|b| b.starts_with('<')) else {
            continue;
        };
        seeds.push(with_selector(0, body.as_bytes()));
        let operation = entry["operation"].as_str().unwrap_or_default();
        if let Some(i) = shapes.iter().position(|o| o.operation == operation) {
            seeds.push(with_selector(i + 1, body.as_bytes()));
        }
        // The body under every output shape in turn, a few of them per body.
        for i in (0..shapes.len()).step_by(7) {
            seeds.push(with_selector(i + 1, body.as_bytes()));
        }
    }
    seeds
}

/// The JSON that botocore turned into each XML body, with its operation's selector.
fn json_to_xml(fixtures: &Path) -> Vec<Vec<u8>> {
    let payloads = payload_shapes();
    let mut seeds = Vec::new();
    for entry in botocore_operations(fixtures) {
        let operation = entry["operation"].as_str().unwrap_or_default();
        let Some(selector) = payloads.iter().position(|p| p.operation == operation) else {
            continue;
        };
        let Some(input) = entry["input"].as_object() else {
            continue;
        };
        let shape = payloads[selector].shape;
        // A structure member as the payload (`Tagging`), or the body members themselves.
        let json = match input.get(payloads[selector].root) {
            Some(value) if value.is_object() => value.clone(),
            _ => Value::Object(
                input
                    .iter()
                    .filter(|(name, _)| shape.field(name).is_some())
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect(),
            ),
        };
        if let Ok(text) = serde_json::to_vec(&json) {
            seeds.push(with_selector(selector, &text));
        }
    }
    seeds
}

/// Every member value of botocore's inputs as a CLI argument: strings as they are, other values
/// as JSON, with the selector of the member's shape.
fn parse_arg(fixtures: &Path) -> Vec<Vec<u8>> {
    let shapes = member_shapes();
    let mut seeds = Vec::new();
    for entry in botocore_operations(fixtures) {
        let operation = entry["operation"].as_str().unwrap_or_default();
        let Some(op) = s3op::find_operation(operation) else {
            continue;
        };
        let Some(input) = entry["input"].as_object() else {
            continue;
        };
        for (name, value) in input {
            let Some(member) = op.member(name) else {
                continue;
            };
            let Some(selector) = shapes
                .iter()
                .position(|(_, shape)| std::ptr::eq(*shape, member.shape))
            else {
                continue;
            };
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            seeds.push(with_selector(selector, text.as_bytes()));
        }
    }
    seeds
}

/// Each event-stream vector split at its start, middle and end, and the valid ones back to back.
fn eventstream(fixtures: &Path) -> Vec<Vec<u8>> {
    let Ok(dir) = std::fs::read_dir(fixtures.join("eventstream")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let is_vector = !name.contains('.') && name != "LICENSE";
            let bytes = std::fs::read(entry.path()).ok()?;
            is_vector.then_some((name, bytes))
        })
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    let mut all_valid = Vec::new();
    for (name, bytes) in &files {
        for split in [0, 128, 255] {
            seeds.push(with_selector(split, bytes));
        }
        if !name.starts_with("invalid") {
            all_valid.extend_from_slice(bytes);
        }
    }
    seeds.push(with_selector(100, &all_valid));
    seeds
}

/// The SigV4 suite's requests, each in every signing mode.
fn signer(fixtures: &Path) -> Vec<Vec<u8>> {
    let Ok(dir) = std::fs::read_dir(fixtures.join("sigv4")) else {
        return Vec::new();
    };
    let mut requests: Vec<Vec<u8>> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path().join("request.txt")).ok())
        .collect();
    requests.sort();
    requests
        .iter()
        .flat_map(|request| (0..3).map(move |mode| with_selector(mode, request)))
        .collect()
}
