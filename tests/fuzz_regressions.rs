//! Regression tests for the fuzz targets (`fuzz/`, run with `cargo xtask fuzz`): every input saved
//! under `tests/fixtures/fuzz/<target>/` (crashes the fuzzer found, and hand-picked hard cases that
//! also seed it) and a few inputs built here go through the very code the fuzzer runs, the
//! `fuzz/src/targets.rs` file included below, as ordinary tests: no fuzzer, no nightly.
//!
//! Most targets start their input with a selector byte that picks a shape (or a split point, or
//! flags) from tables that change when the spec does, so each saved input is also run with every
//! other value of its first byte: a crash found under one operation's shape stays covered when the
//! operations are renumbered.
//!
//! To keep a crash fixed: copy the input from `target/fuzz-crashes/<target>/` into
//! `tests/fixtures/fuzz/<target>/` under a name that says what it is.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

/// A directory of this test's own for the `config` target's profile files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "s3op-fuzz-regressions-{test}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The saved inputs of `target`, sorted by file name.
fn saved_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fixtures().join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("read the fixture directory");
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).expect("read a saved input");
            (name, bytes)
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    inputs.sort();
    inputs
}

/// Runs `input` through `target` as it is, then with each first byte of `other_firsts` in place of
/// its own. A panic names the input, so a failing case is easy to find.
fn run_input(target: &str, name: &str, input: &[u8], other_firsts: &[u8], scratch: &Path) {
    let mut variants = vec![input.to_vec()];
    if let Some(&own) = input.first() {
        for &first in other_firsts.iter().filter(|&&first| first != own) {
            let mut variant = input.to_vec();
            variant[0] = first;
            variants.push(variant);
        }
    }
    for variant in variants {
        let outcome = std::panic::catch_unwind(|| targets::run(target, &variant, scratch));
        match outcome {
            Ok(known) => assert!(known, "unknown target {target}"),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "{target} panicked on {name} (first byte {}): {message}",
                    variant.first().copied().unwrap_or_default()
                );
            }
        }
    }
}

/// Every byte value, for [`run_input`]'s `other_firsts`.
fn every_byte() -> Vec<u8> {
    (0..=u8::MAX).collect()
}

/// The `xml_to_json` selector of an operation's output shape.
fn output_selector(operation: &str) -> u8 {
    let index = targets::output_shapes()
        .iter()
        .position(|o| o.operation == operation)
        .unwrap_or_else(|| panic!("{operation} has no XML output"));
    u8::try_from(index + 1).expect("fewer than 255 output shapes")
}

fn run_saved(target: &str, all_first_bytes: bool) {
    let scratch = Scratch::new(target);
    let inputs = saved_inputs(target);
    assert!(!inputs.is_empty(), "no saved inputs for {target}");
    let other_firsts = if all_first_bytes {
        every_byte()
    } else {
        Vec::new()
    };
    for (name, input) in &inputs {
        run_input(target, name, input, &other_firsts, &scratch.0);
    }
}

/// Each fixture directory is a target's, and each target has one: a misspelt directory would
/// otherwise be silently skipped.
#[test]
fn fixture_directories_match_the_targets() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/fuzz")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut expected: Vec<String> = targets::TARGETS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(dirs, expected);
}

#[test]
fn xml_to_json_saved_inputs() {
    run_saved("xml_to_json", true);
}

#[test]
fn json_to_xml_saved_inputs() {
    run_saved("json_to_xml", true);
}

#[test]
fn parse_arg_saved_inputs() {
    run_saved("parse_arg", true);
}

#[test]
fn eventstream_saved_inputs() {
    run_saved("eventstream", true);
}

#[test]
fn config_saved_inputs() {
    run_saved("config", true);
}

#[test]
fn signer_saved_inputs() {
    run_saved("signer", true);
}

/// Selectors address every table entry: a table longer than 256 would leave shapes unfuzzed.
#[test]
fn selectors_reach_every_shape() {
    assert!(targets::output_shapes().len() < 256);
    assert!(targets::payload_shapes().len() <= 256);
    assert!(targets::member_shapes().len() <= 256);
    assert!(!targets::output_shapes().is_empty());
    assert!(!targets::payload_shapes().is_empty());
    assert!(!targets::member_shapes().is_empty());
}

// ------------------------------------------------------------------------------------------------
// Inputs too large or too regular to keep as files
// ------------------------------------------------------------------------------------------------

fn with_first(first: u8, rest: &[u8]) -> Vec<u8> {
    let mut input = vec![first];
    input.extend_from_slice(rest);
    input
}

/// Nesting far past the converter's depth limit, closed and unclosed, with no shape and a listing's.
#[test]
fn xml_to_json_deep_nesting() {
    let scratch = Scratch::new("xml-deep");
    let firsts = [
        output_selector("ListObjectsV2"),
        output_selector("GetBucketLifecycleConfiguration"),
    ];
    let depth = 50_000;
    let closed = ["<a>".repeat(depth), "x".to_owned(), "</a>".repeat(depth)].concat();
    let unclosed = "<Contents>".repeat(depth);
    for (name, body) in [("closed", closed), ("unclosed", unclosed)] {
        run_input(
            "xml_to_json",
            name,
            &with_first(0, body.as_bytes()),
            &firsts,
            &scratch.0,
        );
    }
}

/// Many siblings and a long text: the list and string paths at size.
#[test]
fn xml_to_json_wide_and_long() {
    let scratch = Scratch::new("xml-wide");
    let firsts = [
        output_selector("ListObjectsV2"),
        output_selector("ListParts"),
    ];
    let wide = format!(
        "<ListBucketResult>{}</ListBucketResult>",
        "<Contents><Key>k</Key><Size>1</Size></Contents>".repeat(5_000)
    );
    let long = format!(
        "<r><Contents><Key>{}</Key></Contents></r>",
        "&amp;é".repeat(50_000)
    );
    for (name, body) in [("wide", wide), ("long", long)] {
        run_input(
            "xml_to_json",
            name,
            &with_first(0, body.as_bytes()),
            &firsts,
            &scratch.0,
        );
    }
}

/// JSON nested to serde_json's own limit, inside a list member and a map member.
#[test]
fn json_to_xml_deep_nesting() {
    let scratch = Scratch::new("json-deep");
    for depth in [100, 126, 127, 128, 129, 1000] {
        let arrays = format!("{{\"TagSet\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!(
            "{{\"Rules\":[{}{}]}}",
            "{\"Filter\":".repeat(depth),
            "}".repeat(depth)
        );
        for (name, json) in [("arrays", arrays), ("objects", objects)] {
            run_input(
                "json_to_xml",
                name,
                &with_first(0, json.as_bytes()),
                &every_byte(),
                &scratch.0,
            );
        }
    }
}

/// Numbers at and past every integer and float limit, as numbers and as strings.
#[test]
fn parse_arg_number_limits() {
    let scratch = Scratch::new("parse-arg-numbers");
    let numbers = [
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1.7976931348623157e308",
        "1.8e308",
        "4.9e-324",
        "1e-400",
        "-0.0",
        "0x10",
        "1_000",
        "",
        " ",
    ];
    for number in numbers {
        for text in [
            number.to_owned(),
            format!("\"{number}\""),
            format!("[{number}]"),
        ] {
            run_input(
                "parse_arg",
                &text,
                &with_first(0, text.as_bytes()),
                &every_byte(),
                &scratch.0,
            );
        }
    }
}

/// Timestamps at the edges of what the parsers take.
#[test]
fn parse_arg_timestamp_edges() {
    let scratch = Scratch::new("parse-arg-timestamps");
    let timestamps = [
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "-9999-01-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-01-02T24:00:00Z",
        "2026-01-02T23:59:60Z",
        "2026-01-02T03:04:05+25:00",
        "2026-01-02T03:04:05.0000000000000000001Z",
        "Sun, 31 Dec 9999 23:59:59 GMT",
        "9223372036854775807",
        "-9223372036854775808",
        "253402300800",
        "1e10",
    ];
    for text in timestamps {
        run_input(
            "parse_arg",
            text,
            &with_first(0, text.as_bytes()),
            &every_byte(),
            &scratch.0,
        );
    }
}

/// A long run of valid messages fed whole and split at every kind of point, and a prelude claiming
/// the largest payload there is.
#[test]
fn eventstream_many_messages_and_limits() {
    let scratch = Scratch::new("eventstream-limits");
    let empty_message = message(&[], b"");
    let many = empty_message.repeat(10_000);
    let splits = [0, 1, 64, 127, 128, 254, 255];
    run_input(
        "eventstream",
        "many",
        &with_first(0, &many),
        &splits,
        &scratch.0,
    );

    let max_payload = 16 * 1024 * 1024;
    for payload_len in [max_payload, max_payload + 1] {
        let total = u32::try_from(16 + payload_len).expect("fits");
        let mut prelude = total.to_be_bytes().to_vec();
        prelude.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32(&prelude);
        prelude.extend_from_slice(&crc.to_be_bytes());
        run_input(
            "eventstream",
            "max-payload",
            &with_first(0, &prelude),
            &every_byte(),
            &scratch.0,
        );
    }
}

/// One message with these raw headers and payload, both CRCs right.
fn message(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = u32::try_from(16 + headers.len() + payload.len()).expect("fits");
    let headers_len = u32::try_from(headers.len()).expect("fits");
    let mut bytes = total.to_be_bytes().to_vec();
    bytes.extend_from_slice(&headers_len.to_be_bytes());
    let prelude_crc = crc32(&bytes);
    bytes.extend_from_slice(&prelude_crc.to_be_bytes());
    bytes.extend_from_slice(headers);
    bytes.extend_from_slice(payload);
    let message_crc = crc32(&bytes);
    bytes.extend_from_slice(&message_crc.to_be_bytes());
    bytes
}

/// CRC-32 (IEEE, as gzip), bit by bit: independent of the crate the decoder uses.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Profile files at size, and lines that are all delimiters.
#[test]
fn config_large_and_degenerate_files() {
    let scratch = Scratch::new("config-large");
    let many_sections =
        "[profile dev]\nregion = eu-west-1\ns3 =\n  endpoint_url = http://h\n".repeat(5_000);
    let long_line = format!("[default]\nregion = {}\n", "x".repeat(200_000));
    let delimiters = "=:=:\n[]\n[[[]]]\n\t=\n ;\n#\n".repeat(1_000);
    for (name, text) in [
        ("many-sections", many_sections),
        ("long-line", long_line),
        ("delimiters", delimiters),
    ] {
        for flags in [0x00, 0x03, 0xff] {
            let mut input = with_first(flags, text.as_bytes());
            input.push(0);
            input.extend_from_slice(text.as_bytes());
            run_input("config", name, &input, &[], &scratch.0);
        }
    }
}

/// Every byte value in a path, a query and a header, and a request of many headers, in each
/// signing mode.
#[test]
fn signer_every_byte_and_many_headers() {
    let scratch = Scratch::new("signer-bytes");
    let all: String = (0..=u8::MAX).map(char::from).collect();
    let encoded_all: String = (0..=u8::MAX).map(|b| format!("%{b:02X}")).collect();
    let request = format!("GET /{all}?{encoded_all}={encoded_all} HTTP/1.1\nX-All:{all}\n\n{all}");
    let modes = [0, 1, 2];
    let every_byte = with_first(0, request.as_bytes());
    run_input("signer", "every-byte", &every_byte, &modes, &scratch.0);

    let headers: String = (0..5_000).map(|i| format!("x-h{}:{i}\n", i % 7)).collect();
    let request = format!("GET /?{} HTTP/1.1\n{headers}\n", "a=b&".repeat(5_000));
    let many = with_first(0, request.as_bytes());
    run_input("signer", "many-headers", &many, &modes, &scratch.0);
}
