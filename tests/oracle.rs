//! The request oracle: for every operation, botocore's request for the same input
//! (`tests/fixtures/botocore-requests.json`, botocore 1.44.8) must match ours in method, host, path,
//! query, headers and body. botocore's per-call headers (date, authorization, content-length) are not
//! in the fixture and ours are not compared. An integrity header may be `Content-MD5` (ours) where
//! botocore sent a CRC32 flexible checksum; ours is then checked against the body's MD5.

use std::collections::BTreeMap;

use base64::Engine;
use md5::{Digest, Md5};
use s3op::{find_operation, Client, Value, OPERATIONS};

const ORACLE_HOST: &str = "127.0.0.1";
const NAMED_HOST: &str = "s3.example.test";

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/botocore-requests.json"
    ))
    .expect("fixture present");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .path_style(true)
        .credentials(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        )
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .expect("client")
}

/// Compare one case; return the differences.
fn compare(client: &Client, case: &serde_json::Value) -> Vec<String> {
    let name = case["operation"].as_str().unwrap_or_default();
    let Some(op) = find_operation(name) else {
        return vec![format!("{name}: not in the spec")];
    };
    let mut request = client.operation(op);
    let mut problems = Vec::new();
    if let Some(input) = case["input"].as_object() {
        for (member, json) in input {
            let Some(m) = op.member(member) else {
                problems.push(format!("{name}: no member {member}"));
                continue;
            };
            match Value::from_json(m.shape, json) {
                Ok(v) => request.set(m.name, v),
                Err(e) => problems.push(format!("{name}.{member}: {e}")),
            }
        }
    }
    let prepared = match request.prepare() {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("{name}: prepare failed: {e}"));
            return problems;
        }
    };
    let expect = |cond: bool, what: String, problems: &mut Vec<String>| {
        if !cond {
            problems.push(format!("{name}: {what}"));
        }
    };
    expect(
        prepared.method == case["method"],
        format!("method {} != {}", prepared.method, case["method"]),
        &mut problems,
    );
    let host = s3op::client::prepare::host_header(&prepared.url);
    let expected_host = case["host"]
        .as_str()
        .unwrap_or_default()
        .replace(&format!(".{ORACLE_HOST}"), &format!(".{NAMED_HOST}"));
    expect(
        host == expected_host,
        format!("host {host} != {expected_host}"),
        &mut problems,
    );
    expect(
        prepared.url.path() == case["raw_path"],
        format!("path {} != {}", prepared.url.path(), case["raw_path"]),
        &mut problems,
    );

    let mut ours: Vec<(String, String)> = prepared
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut theirs: Vec<(String, String)> = case["query"]
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or_default().to_string(),
                        p[1].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ours.sort();
    theirs.sort();
    expect(
        ours == theirs,
        format!("query {ours:?} != {theirs:?}"),
        &mut problems,
    );

    let body: Vec<u8> = match &prepared.body {
        s3op::client::prepare::PreparedBody::Empty => Vec::new(),
        s3op::client::prepare::PreparedBody::Bytes(b) => b.to_vec(),
        s3op::client::prepare::PreparedBody::File { .. } => b"<file>".to_vec(),
    };
    let expected_body = case["body"]
        .as_str()
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| {
            case["body"]["base64"]
                .as_str()
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .unwrap_or_default()
        });
    expect(
        body == expected_body,
        format!(
            "body\n  ours:   {}\n  theirs: {}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&expected_body)
        ),
        &mut problems,
    );

    let ours: BTreeMap<String, String> = prepared.headers.iter().cloned().collect();
    let theirs: BTreeMap<String, String> = case["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        v.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // botocore's flexible checksum for operations that require an integrity header; ours is Content-MD5.
    let flexible = ["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"];
    let botocore_added_crc = op.checksum_required
        && theirs.contains_key("x-amz-checksum-crc32")
        && !case["input"]
            .as_object()
            .is_some_and(|i| i.contains_key("ChecksumCRC32"));
    for (k, v) in &theirs {
        if botocore_added_crc && flexible.contains(&k.as_str()) {
            continue;
        }
        match ours.get(k) {
            Some(mine) if mine == v => {}
            Some(mine) => problems.push(format!("{name}: header {k}: {mine:?} != {v:?}")),
            None => problems.push(format!("{name}: header {k} missing (botocore: {v:?})")),
        }
    }
    for (k, v) in &ours {
        if theirs.contains_key(k) || k == "content-length" {
            continue;
        }
        if k == "content-md5" && botocore_added_crc {
            let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&body));
            expect(
                *v == md5,
                format!("content-md5 {v} is not the body's MD5 {md5}"),
                &mut problems,
            );
            continue;
        }
        problems.push(format!("{name}: extra header {k}: {v:?}"));
    }
    if botocore_added_crc && !ours.contains_key("content-md5") {
        problems.push(format!(
            "{name}: S3 requires an integrity header and we sent none"
        ));
    }
    problems
}

#[test]
fn every_operation_builds_the_request_botocore_builds() {
    let fixture = fixture();
    let cases = fixture["operations"].as_array().expect("operations");
    let by_ip = client(&format!("http://{ORACLE_HOST}:9000"));
    let by_name = client(&format!("http://{NAMED_HOST}:9000"));
    let mut problems = Vec::new();
    for case in cases {
        // A host prefix on an IP address (`route-1.127.0.0.1`) is not a valid URL host, so the one
        // operation with a host prefix (WriteGetObjectResponse) is built against a named endpoint and
        // its expected host translated; everything else about it is compared as is.
        let prefixed = case["host"]
            .as_str()
            .is_some_and(|h| !h.starts_with(ORACLE_HOST));
        problems.extend(compare(if prefixed { &by_name } else { &by_ip }, case));
    }
    assert!(
        cases.len() >= OPERATIONS.len(),
        "the fixture covers {} operations, the spec has {}",
        cases.len(),
        OPERATIONS.len()
    );
    for op in OPERATIONS {
        assert!(
            cases.iter().any(|c| c["operation"] == op.name),
            "{} has no oracle case",
            op.name
        );
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
