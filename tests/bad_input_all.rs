//! Every operation in the spec, driven with a malformed value for each kind of member it has
//! (integer, boolean, timestamp, structure/list/map JSON of the wrong type or with an unknown member,
//! a blob file that does not exist), plus unknown flags and get-object without its output file,
//! against a server that counts requests: exit 2, a message naming the flag, no panic, zero requests.

mod clirun;

use s3op::operation::Location;
use s3op::shape::Shape;
use s3op::OPERATIONS;
use wiremock::MockServer;

/// A valid value for a required member, so the one bad value is the only problem.
fn valid(shape: &Shape) -> &'static str {
    match shape {
        Shape::Integer | Shape::Long => "1",
        Shape::Float | Shape::Double => "1.5",
        Shape::Boolean => "true",
        Shape::Timestamp(_) => "2026-01-02T03:04:05Z",
        Shape::Blob => "Cargo.toml",
        Shape::Structure(_) | Shape::Map(_) => "{}",
        Shape::List(_) => "[]",
        Shape::String => "value-1",
    }
}

/// Malformed values for a member's kind, each with what the message must mention.
fn malformed(shape: &Shape) -> Vec<&'static str> {
    match shape {
        Shape::Integer | Shape::Long => vec!["seven", "1.5", ""],
        Shape::Float | Shape::Double => vec!["NaN-ish"],
        Shape::Boolean => vec!["yes", "TRUE1"],
        Shape::Timestamp(_) => vec!["last tuesday", "2026-13-45"],
        Shape::Blob => vec!["/no/such/file/for/s3op"],
        Shape::Structure(_) => vec!["{not json", "[1,2]", r#"{"NoSuchMember": 1}"#],
        Shape::List(_) => vec![r#"{"a": 1}"#, "[{\"NoSuchMember\": 1}"],
        Shape::Map(_) => vec!["[1]", "\"text\""],
        Shape::String => vec![],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_values_for_every_operation_send_nothing() {
    let server = MockServer::start().await;
    let endpoint = server.uri();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let mut cases = 0;
    let mut failures = Vec::new();
    for op in OPERATIONS {
        let mut base: Vec<String> = vec![
            "--endpoint-url".into(),
            endpoint.clone(),
            op.cli_name.into(),
        ];
        for m in op.members.iter().filter(|m| m.required) {
            base.push(format!("--{}", m.flag));
            base.push(valid(m.shape).into());
        }
        if matches!(op.output, s3op::operation::Output::Blob) {
            base.push("/tmp/s3op-bad-input-never-written".into());
        }
        let mut variants: Vec<(Vec<String>, String)> = Vec::new();
        for m in op.members {
            if matches!(m.location, Location::Uri { .. }) && matches!(m.shape, Shape::String) {
                // An empty bucket or key cannot be addressed.
                let mut args = base.clone();
                replace_or_push(&mut args, m.flag, "");
                variants.push((args, format!("--{}", m.flag)));
            }
            for bad in malformed(m.shape) {
                let mut args = base.clone();
                replace_or_push(&mut args, m.flag, bad);
                variants.push((args, format!("--{}", m.flag)));
            }
        }
        let mut unknown = base.clone();
        unknown.extend(["--no-such-flag".to_string(), "x".to_string()]);
        variants.push((unknown, "--no-such-flag".into()));
        if matches!(op.output, s3op::operation::Output::Blob) {
            variants.push((base[..base.len() - 1].to_vec(), "OUTFILE".into()));
        }
        for (args, needle) in variants {
            cases += 1;
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = clirun::run(&env, &refs);
            if run.code != 2 || !run.stderr.contains(&needle) || run.stderr.contains("panicked") {
                failures.push(format!("{}: {:?}\n{run}", op.cli_name, &args[2..]));
            }
        }
    }
    let sent = server
        .received_requests()
        .await
        .map(|r| r.len())
        .unwrap_or(0);
    assert!(
        failures.is_empty(),
        "{} of {cases} cases misbehaved:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(sent, 0, "malformed input reached the server");
    assert!(
        cases > 500,
        "only {cases} cases: the spec should give many more"
    );
}

fn replace_or_push(args: &mut Vec<String>, flag: &str, value: &str) {
    let name = format!("--{flag}");
    match args.iter().position(|a| *a == name) {
        Some(i) => args[i + 1] = value.to_string(),
        None => {
            args.push(name);
            args.push(value.to_string());
        }
    }
}
