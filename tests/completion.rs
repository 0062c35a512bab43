//! `s3op completion SHELL`: scripts for bash, zsh, fish and PowerShell rendered from the command
//! tree, so they offer the operations, the high-level commands, their flags and (except
//! PowerShell's, which completes no values) the spec's enum values. The bash script is also loaded into a real bash and asked for completions, the way
//! bash-completion calls it.

mod clirun;

use std::process::Command;

use clirun::run;

fn script(shell: &str) -> String {
    let out = run(&[], &["completion", shell]);
    out.expect_code(0);
    assert!(out.stderr.is_empty(), "stderr for {shell}:\n{out}");
    out.stdout
}

#[test]
fn every_shell_gets_operations_flags_enum_values_and_high_level_commands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let text = script(shell);
        for wanted in [
            "put-object",
            "get-object",
            "list-objects-v2",
            "bucket",
            "storage-class",
            "recursive",
            "checksum-algorithm",
            "bwlimit",
            "stat",
        ] {
            assert!(text.contains(wanted), "{shell} script lacks {wanted}");
        }
        // clap_complete's PowerShell script completes names and flags, not values.
        if shell != "powershell" {
            // DEEP_ARCHIVE and CRC32C appear in no help text: only as offered values.
            for value in ["GLACIER", "DEEP_ARCHIVE", "CRC32C"] {
                assert!(text.contains(value), "{shell} script lacks {value}");
            }
        }
        // The hidden man page writer is not offered.
        assert!(!text.contains("__man"), "{shell} script offers __man");
    }
}

#[test]
fn bash_script_parses_and_completes() {
    let text = script("bash");
    let dir = std::env::temp_dir().join(format!("s3op-completion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("s3op.bash");
    std::fs::write(&file, &text).expect("write script");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash runs");
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // What bash-completion does on <TAB>: set COMP_WORDS/COMP_CWORD, call the function with
    // (command, word being completed, previous word), read COMPREPLY.
    let complete = |words: &[&str]| -> Vec<String> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cword = words.len() - 1;
        let prev = if cword > 0 { words[cword - 1] } else { "" };
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _s3op s3op '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            quoted.join(" "),
            words[cword],
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let ops = complete(&["s3op", "put-object-l"]);
    assert_eq!(
        ops,
        ["put-object-legal-hold", "put-object-lock-configuration"],
        "operation names"
    );
    let classes = complete(&["s3op", "put-object", "--storage-class", ""]);
    for class in ["STANDARD", "GLACIER", "DEEP_ARCHIVE", "EXPRESS_ONEZONE"] {
        assert!(classes.iter().any(|c| c == class), "{class} in {classes:?}");
    }
    assert_eq!(complete(&["s3op", "cp", "--recur"]), ["--recursive"]);
    assert_eq!(complete(&["s3op", "sync", "--bwli"]), ["--bwlimit"]);
    assert_eq!(complete(&["s3op", "rm", "--sta"]), ["--stat"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn enum_values_are_offered_but_newer_values_still_accepted() {
    // The spec's StorageClass list is a hint: a class the spec does not know yet is sent as given.
    let out = run(
        &[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ],
        &[
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--dry-run",
            "put-object",
            "--bucket",
            "bucket",
            "--key",
            "k",
            "--storage-class",
            "SOME_NEWER_CLASS",
        ],
    );
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("\"x-amz-storage-class\": \"SOME_NEWER_CLASS\""),
        "{out}"
    );
}

#[test]
fn an_unknown_shell_exits_2_naming_it() {
    let out = run(&[], &["completion", "tcsh"]);
    out.expect_code(2);
    assert!(out.stderr.contains("tcsh"), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
}
