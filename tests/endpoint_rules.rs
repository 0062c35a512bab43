//! The S3 endpoint resolver against AWS's own test cases: every case of botocore's
//! `endpoint-tests-1.json` (copied to `tests/fixtures/endpoints/`, Apache-2.0, `LICENSE.txt`
//! beside it) is resolved from its `params` and compared in full: the URL, the headers, every
//! property, the typed auth schemes, or the exact error message. No case is skipped. The
//! `operationInputs` of a case (the same parameters, as an SDK would derive them from an
//! operation's input and built-ins) are not replayed: deriving parameters from operations is
//! the client's job, not the resolver's.

use std::collections::BTreeMap;

use s3op::endpoint::{AuthScheme, EndpointError, EndpointParams, Resolver};
use serde_json::Value;

const CASES: &str = include_str!("fixtures/endpoints/endpoint-tests-1.json");
const CASE_COUNT: usize = 393;

/// The auth schemes an `authSchemes` property describes, read independently of the library.
fn expected_schemes(properties: &serde_json::Map<String, Value>) -> Vec<AuthScheme> {
    let Some(list) = properties.get("authSchemes").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|s| {
            let text = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_owned);
            AuthScheme {
                name: text("name").expect("every expected scheme has a name"),
                signing_name: text("signingName"),
                signing_region: text("signingRegion"),
                signing_region_set: s
                    .get("signingRegionSet")
                    .and_then(Value::as_array)
                    .map(|set| {
                        set.iter()
                            .map(|r| r.as_str().expect("regions are strings").to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
                disable_double_encoding: s
                    .get("disableDoubleEncoding")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }
        })
        .collect()
}

/// Compares one case; `Err` says how it differs.
fn check(resolver: &Resolver, case: &Value) -> Result<(), String> {
    let params: EndpointParams = serde_json::from_value(case["params"].clone())
        .map_err(|e| format!("params not understood: {e}"))?;
    let outcome = resolver.resolve(&params);
    let expect = &case["expect"];
    if let Some(message) = expect.get("error") {
        let message = message.as_str().ok_or("expected error is not a string")?;
        return match outcome {
            Err(EndpointError::Rule(got)) if got == message => Ok(()),
            Err(EndpointError::Rule(got)) => Err(format!("error {got:?}, expected {message:?}")),
            Err(other) => Err(format!("failed with {other:?}, expected error {message:?}")),
            Ok(e) => Err(format!("resolved {}, expected error {message:?}", e.url)),
        };
    }
    let want = expect
        .get("endpoint")
        .ok_or("case expects neither endpoint nor error")?;
    let got = outcome.map_err(|e| format!("failed: {e}"))?;
    let mut differences = Vec::new();
    let want_url = want["url"].as_str().ok_or("expected url is not a string")?;
    if got.url != want_url {
        differences.push(format!("url {:?}, expected {want_url:?}", got.url));
    }
    let want_headers: BTreeMap<String, Vec<String>> = match want.get("headers") {
        None => BTreeMap::new(),
        Some(h) => serde_json::from_value(h.clone()).map_err(|e| e.to_string())?,
    };
    if got.headers != want_headers {
        differences.push(format!(
            "headers {:?}, expected {want_headers:?}",
            got.headers
        ));
    }
    let want_properties = match want.get("properties") {
        None => serde_json::Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err("expected properties are not an object".into()),
    };
    if got.properties != want_properties {
        differences.push(format!(
            "properties {}, expected {}",
            Value::Object(got.properties.clone()),
            Value::Object(want_properties.clone())
        ));
    }
    let want_schemes = expected_schemes(&want_properties);
    if got.auth_schemes != want_schemes {
        differences.push(format!(
            "auth schemes {:?}, expected {want_schemes:?}",
            got.auth_schemes
        ));
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(differences.join("; "))
    }
}

#[test]
fn every_case_of_aws_endpoint_tests_resolves_as_expected() {
    let resolver = Resolver::new().expect("the bundled rule set parses");
    let fixture: Value = serde_json::from_str(CASES).expect("fixture is JSON");
    let cases = fixture["testCases"].as_array().expect("testCases array");
    assert_eq!(cases.len(), CASE_COUNT, "the fixture's case count changed");

    let mut failures = Vec::new();
    let (mut endpoints, mut errors) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        if case["expect"].get("error").is_some() {
            errors += 1;
        } else {
            endpoints += 1;
        }
        if let Err(why) = check(&resolver, case) {
            let doc = case["documentation"].as_str().unwrap_or("");
            failures.push(format!(
                "case {i} ({doc}): {why}\n  params: {}",
                case["params"]
            ));
        }
    }
    let passed = cases.len() - failures.len();
    println!(
        "endpoint rules: {passed}/{} cases pass ({endpoints} endpoints, {errors} errors expected)",
        cases.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed",
        failures.len(),
        cases.len()
    );
}

#[test]
fn required_parameters_without_defaults_are_reported() {
    // Every boolean the S3 rule set requires has a default, so a rule set of our own shows it.
    let rules = r#"{"version":"1.0","parameters":{"Region":{"type":"String","required":true}},
        "rules":[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://{Region}.example"}}]}"#;
    let resolver = Resolver::from_json(rules, s3op::endpoint::PARTITIONS_JSON).unwrap();
    assert_eq!(
        resolver.resolve(&EndpointParams::new()),
        Err(EndpointError::MissingParameter {
            name: "Region".into()
        })
    );
    let got = resolver
        .resolve(&EndpointParams::new().region("r1"))
        .unwrap();
    assert_eq!(got.url, "https://r1.example");
    assert!(got.auth_schemes.is_empty() && got.headers.is_empty());
}

#[test]
fn malformed_rule_sets_are_refused_with_where() {
    let partitions = s3op::endpoint::PARTITIONS_JSON;
    let cases = [
        (
            r#"{"parameters":{},"rules":[{"type":"endpoint","conditions":[{"fn":"frobnicate","argv":[]}],"endpoint":{"url":"x"}}]}"#,
            "$.rules[0].conditions[0]",
            "unknown function",
        ),
        (
            r#"{"parameters":{},"rules":[{"type":"error","conditions":[],"error":"{Nowhere}"}]}"#,
            "$.rules[0].error",
            "neither a parameter nor assigned",
        ),
        (
            r#"{"parameters":{"Colour":{"type":"String"}},"rules":[]}"#,
            "$.parameters.Colour",
            "EndpointParams does not know",
        ),
        (
            r#"{"parameters":{},"rules":[{"type":"endpoint","conditions":[{"fn":"not","argv":[]}],"endpoint":{"url":"x"}}]}"#,
            "$.rules[0].conditions[0]",
            "takes 1 arguments",
        ),
        (
            r#"{"parameters":{},"rules":[{"type":"endpoint","conditions":[{"fn":"not","argv":[{"fn":"isSet","argv":[true],"assign":"x"}]}],"endpoint":{"url":"x"}}]}"#,
            "$.rules[0].conditions[0].argv[0]",
            "only a condition may `assign`",
        ),
    ];
    for (json, path, message) in cases {
        match Resolver::from_json(json, partitions) {
            Err(EndpointError::InvalidRuleSet {
                path: p,
                message: m,
            }) => {
                assert_eq!(p, path, "{json}");
                assert!(m.contains(message), "{m:?} should mention {message:?}");
            }
            other => panic!("{json} gave {other:?}"),
        }
    }
}

#[test]
fn a_tree_whose_rules_all_fail_is_an_error_not_a_fallthrough() {
    let rules = r#"{"parameters":{"Region":{"type":"String"}},"rules":[
        {"type":"tree","conditions":[{"fn":"isSet","argv":[{"ref":"Region"}]}],"rules":[
            {"type":"endpoint","conditions":[{"fn":"stringEquals","argv":[{"ref":"Region"},"a"]}],"endpoint":{"url":"https://a"}}]},
        {"type":"endpoint","conditions":[],"endpoint":{"url":"https://fallback"}}]}"#;
    let resolver = Resolver::from_json(rules, s3op::endpoint::PARTITIONS_JSON).unwrap();
    assert_eq!(
        resolver
            .resolve(&EndpointParams::new().region("a"))
            .unwrap()
            .url,
        "https://a"
    );
    assert_eq!(
        resolver.resolve(&EndpointParams::new().region("b")),
        Err(EndpointError::NoMatch)
    );
    assert_eq!(
        resolver.resolve(&EndpointParams::new()).unwrap().url,
        "https://fallback"
    );
}
