//! One scenario suite, written once and run against every server (issue 11). Each scenario
//! (`scenarios/`) declares the feature it needs and checks real results: bytes back, lists, round
//! trips. Each server has one `#[test]` named after it that runs every scenario there
//! (`cargo test --test compat -- s3s_fs`), writes `target/compat/<server>.json`, and fails when an
//! outcome differs from `expected.toml` either way: a new failure, or a feature that now works. A
//! last test checks that the README's compatibility section is what those expectations render to
//! (regenerate it with `cargo xtask compat`).
//!
//! Adding a server is one line in `servers!` below: its test name and the `support` function that
//! starts it.

#[path = "../clirun/mod.rs"]
mod clirun;
mod expect;
mod harness;
mod render;
mod scenarios;
#[path = "../support/mod.rs"]
mod support;

use support::TestServer;

/// Each line: the server's test (and results file) name, and the function that starts it.
macro_rules! servers {
    ($($name:ident => $start:path),* $(,)?) => {
        /// Every server, in the README's column order.
        const SERVERS: &[(&str, fn() -> &'static TestServer)] = &[$((stringify!($name), $start)),*];
        $(
            #[test]
            fn $name() {
                run(stringify!($name));
            }
        )*
    };
}

servers! {
    s3s_fs => support::s3s_fs,
    moto => support::moto,
    garage => support::garage,
    garage_cluster => support::garage_cluster,
    ceph => support::ceph,
}

fn run(name: &'static str) {
    let expectations = expect::load().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = SERVERS.iter().map(|(n, _)| *n).collect();
    let Some(column) = names.iter().position(|n| *n == name) else {
        panic!("{name} is not in SERVERS");
    };
    let start = SERVERS[column].1;
    let differences =
        harness::run_server(name, column, &names, start, scenarios::ALL, &expectations);
    assert!(
        differences.is_empty(),
        "{name}: {} outcome(s) differ from tests/compat/expected.toml (results in {}):\n  {}",
        differences.len(),
        harness::results_dir().display(),
        differences.join("\n  ")
    );
}

/// The README section as the expectations render it: what the server tests hold the servers to.
fn expected_section() -> String {
    let expectations = expect::load().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = SERVERS.iter().map(|(n, _)| n.to_string()).collect();
    let results: Vec<render::ServerResults> = names
        .iter()
        .enumerate()
        .map(|(column, server)| {
            let expected = expectations.get(server.as_str());
            render::ServerResults {
                server: server.clone(),
                column,
                servers: names.clone(),
                scenarios: scenarios::ALL
                    .iter()
                    .map(|s| {
                        let want = expected.and_then(|e| e.get(s.name));
                        render::ScenarioResult {
                            name: s.name.into(),
                            feature: s.feature.into(),
                            copes: s.copes.into(),
                            outcome: want.map_or("passed", |w| w.outcome).into(),
                            detail: String::new(),
                            reason: want.map(|w| w.reason.clone()).unwrap_or_default(),
                            operations: s.operations.iter().map(|o| o.to_string()).collect(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let all: Vec<&str> = s3op::OPERATIONS.iter().map(|op| op.cli_name).collect();
    render::section(&results, &all)
}

#[test]
fn readme_compatibility_section_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let section = expected_section();
    let Some(updated) = render::replace_section(&readme, &section) else {
        panic!(
            "README.md lacks the {} / {} markers",
            render::BEGIN,
            render::END
        );
    };
    assert!(
        updated == readme,
        "README.md's compatibility section is stale: run `cargo xtask compat` (after the server \
         tests, or `cargo xtask compat --run`). It should read:\n{section}"
    );
}

#[test]
fn every_declared_operation_exists() {
    let mut unknown = Vec::new();
    for scenario in scenarios::ALL {
        for op in scenario.operations {
            if !s3op::OPERATIONS.iter().any(|o| o.cli_name == *op) {
                unknown.push(format!("{}: {op}", scenario.name));
            }
        }
    }
    assert!(unknown.is_empty(), "unknown operations: {unknown:?}");
    // Every operation is sent by some scenario, so a server that lacks it is detected and its
    // answer recorded (the README's "Operations none of the servers runs" comes from those).
    let unsent: Vec<&str> = s3op::OPERATIONS
        .iter()
        .map(|op| op.cli_name)
        .filter(|name| !scenarios::ALL.iter().any(|s| s.operations.contains(name)))
        .collect();
    assert!(
        unsent.is_empty(),
        "no scenario sends these operations: {unsent:?}"
    );
    let mut names: Vec<&str> = scenarios::ALL.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        scenarios::ALL.len(),
        "two scenarios share a name"
    );
}

#[test]
fn expectations_parse_and_name_known_servers_and_scenarios() {
    let expectations = expect::load().unwrap_or_else(|e| panic!("{e}"));
    for (server, scenarios) in &expectations {
        assert!(
            SERVERS.iter().any(|(n, _)| n == server),
            "expected.toml names {server}, which is not in SERVERS"
        );
        for name in scenarios.keys() {
            assert!(
                scenarios::ALL.iter().any(|s| s.name == name),
                "expected.toml: {server}.{name} is no scenario"
            );
        }
    }
    // The parser refuses what it does not understand instead of expecting nothing.
    assert!(expect::parse("[moto.unsupported]\nx = unquoted\n").is_err());
    assert!(expect::parse("x = \"before a header\"\n").is_err());
    assert!(expect::parse("[moto.maybe]\n").is_err());
    let parsed = expect::parse("# c\n[moto.failed]\nx = \"a \\\"b\\\"\" # why\n").expect("parses");
    assert_eq!(parsed["moto"]["x"].outcome, "failed");
    assert_eq!(parsed["moto"]["x"].reason, "a \"b\"");
}
