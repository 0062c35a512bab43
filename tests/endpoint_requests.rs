//! Requests as the endpoint rules make them, end to end: every one of the 215 operation inputs of
//! AWS's endpoint test cases (`tests/fixtures/endpoints/endpoint-tests-1.json`: an operation, its
//! members and the SDK settings — region, FIPS, dual-stack, custom endpoint, path style,
//! acceleration, ARN region, global endpoint, Multi-Region Access Points) is prepared by a client
//! configured with those settings through its builder and environment, and must go to the URL
//! AWS expects, be signed for the signing name and region (or region set) AWS expects, by the
//! scheme AWS expects — or be refused before sending with the rule set's own message. Requests
//! whose scheme is a plain signature are also signed (`dry_run`), and their `Authorization`
//! must carry that scope. (The rule set's own 393 cases are `tests/endpoint_rules.rs`; this file
//! checks that the client feeds it and follows it.)

#[path = "support/scratch.rs"]
mod scratch;

use s3op::client::route::Auth;
use s3op::config::Environment;
use s3op::{find_operation, Client, Error, Value};

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/endpoints/endpoint-tests-1.json"
    ))
    .expect("endpoint tests present");
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    json["testCases"].as_array().expect("testCases").clone()
}

/// A profile file whose `virtual` profile asks for virtual-hosted addressing: the SDKs' default
/// (`ForcePathStyle` false), which s3op takes for AWS's endpoints only unless told.
fn profile_file() -> (scratch::Scratch, String) {
    let dir = scratch::scratch("endpoint_requests", "profile");
    let path = dir.join("config");
    std::fs::write(
        &path,
        "[profile virtual]\ns3 =\n    addressing_style = virtual\n",
    )
    .expect("write the profile file");
    let path = path.to_string_lossy().to_string();
    (dir, path)
}

fn client(
    built_ins: &serde_json::Map<String, serde_json::Value>,
    config: &str,
) -> Result<Client, Error> {
    let flag = |name: &str| built_ins.get(name).and_then(|v| v.as_bool());
    let mut vars = vec![("AWS_CONFIG_FILE".to_string(), config.to_string())];
    if flag("AWS::S3::UseGlobalEndpoint") == Some(true) {
        vars.push(("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT".into(), "legacy".into()));
    }
    let mut builder = Client::builder()
        .environment(Environment::from_vars(vars, None))
        .profile("virtual")
        .credentials(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        );
    if let Some(region) = built_ins.get("AWS::Region").and_then(|v| v.as_str()) {
        builder = builder.region(region);
    }
    if let Some(url) = built_ins.get("SDK::Endpoint").and_then(|v| v.as_str()) {
        builder = builder.endpoint_url(url);
    }
    if let Some(on) = flag("AWS::UseFIPS") {
        builder = builder.use_fips(on);
    }
    if let Some(on) = flag("AWS::UseDualStack") {
        builder = builder.use_dual_stack(on);
    }
    if flag("AWS::S3::ForcePathStyle") == Some(true) {
        builder = builder.path_style(true);
    }
    if let Some(on) = flag("AWS::S3::Accelerate") {
        builder = builder.accelerate(on);
    }
    if let Some(on) = flag("AWS::S3::UseArnRegion") {
        builder = builder.use_arn_region(on);
    }
    if let Some(on) = flag("AWS::S3::DisableMultiRegionAccessPoints") {
        builder = builder.disable_multi_region_access_points(on);
    }
    builder.build()
}

/// The URL without its query, and without a trailing `/`.
fn bare(url: &str) -> String {
    url.split('?')
        .next()
        .unwrap_or(url)
        .trim_end_matches('/')
        .to_string()
}

/// One operation input; the differences from what AWS expects.
async fn check(case: &serde_json::Value, input: &serde_json::Value, config: &str) -> Vec<String> {
    let what = format!(
        "{} ({}, {})",
        case["documentation"].as_str().unwrap_or("?"),
        input["operationName"],
        input["builtInParams"]
    );
    let expect = &case["expect"];
    let empty = serde_json::Map::new();
    let built_ins = input["builtInParams"].as_object().unwrap_or(&empty);
    let client = match client(built_ins, config) {
        Ok(client) => client,
        Err(e) => return vec![format!("{what}: no client: {e}")],
    };
    let name = input["operationName"].as_str().unwrap_or_default();
    let Some(op) = find_operation(name) else {
        return vec![format!("{what}: no operation {name}")];
    };
    let mut request = client.operation(op);
    if let Some(members) = input["operationParams"].as_object() {
        for (member, json) in members {
            let Some(m) = op.member(member) else {
                return vec![format!("{what}: no member {member}")];
            };
            match Value::from_json(m.shape, json) {
                Ok(v) => request.set(m.name, v),
                Err(e) => return vec![format!("{what}: {member}: {e}")],
            }
        }
    }
    let prepared = request.prepare();
    if let Some(message) = expect["error"].as_str() {
        return match prepared {
            Err(Error::Endpoint { source, .. }) if source.to_string() == message => vec![],
            Err(e) => vec![format!("{what}: expected the error {message:?}, got {e}")],
            Ok(p) => vec![format!(
                "{what}: expected the error {message:?}, got {}",
                p.url
            )],
        };
    }
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => return vec![format!("{what}: {e}")],
    };
    let mut problems = Vec::new();
    let endpoint = &expect["endpoint"];
    // The endpoint, then the operation's path after the bucket; an operation with a host prefix
    // (WriteGetObjectResponse: `{RequestRoute}.`) has it put in front of the endpoint's host.
    let mut want_url = bare(endpoint["url"].as_str().unwrap_or_default());
    if let Some(key) = input["operationParams"]["Key"].as_str() {
        want_url = format!("{want_url}/{key}");
    } else if !op.path.contains("{Bucket}") && op.path != "/" {
        want_url = format!("{want_url}{}", op.path);
    }
    if let Some(prefix) = op.host_prefix {
        let route = input["operationParams"]["RequestRoute"]
            .as_str()
            .unwrap_or_default();
        let host = prefix.replace("{RequestRoute}", route).to_ascii_lowercase();
        want_url = want_url.replacen("://", &format!("://{host}"), 1);
    }
    if bare(prepared.url.as_str()) != want_url {
        problems.push(format!(
            "{what}: URL {} , expected {want_url}",
            prepared.url
        ));
    }
    let scheme = &endpoint["properties"]["authSchemes"][0];
    let signing_name = scheme["signingName"].as_str().unwrap_or("s3");
    if prepared.service.as_deref() != Some(signing_name) {
        problems.push(format!(
            "{what}: signing name {:?}, expected {signing_name}",
            prepared.service
        ));
    }
    let want_auth = match scheme["name"].as_str().unwrap_or("sigv4") {
        "sigv4a" => Auth::V4a {
            region_set: scheme["signingRegionSet"]
                .as_array()
                .map(|set| {
                    set.iter()
                        .filter_map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default(),
        },
        "sigv4-s3express" => Auth::S3Express,
        _ => Auth::V4,
    };
    if prepared.auth != want_auth {
        problems.push(format!(
            "{what}: signed by {:?}, expected {want_auth:?}",
            prepared.auth
        ));
    }
    let want_region = scheme["signingRegion"].as_str();
    if let Some(region) = want_region {
        if prepared.region.as_deref() != Some(region) {
            problems.push(format!(
                "{what}: signing region {:?}, expected {region}",
                prepared.region
            ));
        }
    }
    // Sign it (no network: S3 Express would fetch a session first) and read the scope back.
    if want_auth != Auth::S3Express {
        match request.dry_run().await {
            Err(e) => problems.push(format!("{what}: dry run: {e}")),
            Ok(dry) => {
                let authorization = &dry.headers["authorization"];
                let scope = match &want_auth {
                    Auth::V4a { region_set } => {
                        if dry.headers.get("x-amz-region-set") != Some(region_set) {
                            problems.push(format!("{what}: x-amz-region-set is not {region_set}"));
                        }
                        format!("/{signing_name}/aws4_request")
                    }
                    _ => format!("/{}/{signing_name}/aws4_request", want_region.unwrap_or("")),
                };
                let algorithm = match want_auth {
                    Auth::V4a { .. } => "AWS4-ECDSA-P256-SHA256 ",
                    _ => "AWS4-HMAC-SHA256 ",
                };
                if !authorization.starts_with(algorithm) || !authorization.contains(&scope) {
                    problems.push(format!(
                        "{what}: Authorization {authorization} lacks {algorithm}or {scope}"
                    ));
                }
                if bare(&dry.url) != want_url {
                    problems.push(format!("{what}: signed URL {}", dry.url));
                }
            }
        }
    }
    problems
}

#[tokio::test]
async fn every_operation_input_of_aws_endpoint_tests_goes_where_aws_says() {
    let (_dir, config) = profile_file();
    let mut checked = 0;
    let mut problems = Vec::new();
    for case in cases() {
        for input in case["operationInputs"].as_array().into_iter().flatten() {
            checked += 1;
            problems.extend(check(&case, input, &config).await);
        }
    }
    assert_eq!(checked, 215, "the fixture's operation inputs");
    assert!(
        problems.is_empty(),
        "{} of {checked} differ:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
