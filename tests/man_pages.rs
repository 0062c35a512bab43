//! The committed man pages (`docs/man/`) must be exactly what `s3op __man` renders from the command
//! tree: a stale page, a missing one or one for a command that is gone fails here (fix: `cargo
//! xtask docs`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let text = std::fs::read(e.path()).unwrap_or_default();
                    (name, text)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn committed_man_pages_match_the_command_tree() {
    let fresh = std::env::temp_dir().join(format!("s3op-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    let status = Command::new(env!("CARGO_BIN_EXE_s3op"))
        .arg("__man")
        .arg(&fresh)
        .status()
        .expect("s3op runs");
    assert!(status.success(), "s3op __man failed: {status}");
    let wanted = pages(&fresh);
    let _ = std::fs::remove_dir_all(&fresh);
    let committed = pages(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man"));

    for name in [
        "s3op.1",
        "s3op-cp.1",
        "s3op-sync.1",
        "s3op-rm.1",
        "s3op-completion.1",
        "s3op-configure.1",
    ] {
        assert!(wanted.contains_key(name), "s3op __man wrote no {name}");
    }
    let stale: Vec<&String> = wanted
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(text))
        .map(|(name, _)| name)
        .collect();
    let gone: Vec<&String> = committed
        .keys()
        .filter(|n| !wanted.contains_key(*n))
        .collect();
    assert!(
        stale.is_empty() && gone.is_empty(),
        "docs/man is stale (run `cargo xtask docs`): differing or missing {stale:?}, not a command any more {gone:?}"
    );
}

#[test]
fn the_main_page_lists_every_operation_and_command() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man/s3op.1"))
            .expect("docs/man/s3op.1");
    // Every operation has a page of its own, named in the main page.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    for op in s3op::OPERATIONS {
        let escaped = op.cli_name.replace('-', "\\-");
        assert!(
            text.contains(&format!("\\fBs3op\\-{escaped}\\fR(1)")),
            "s3op.1 lacks s3op-{}(1)",
            op.cli_name
        );
        assert!(
            dir.join(format!("s3op-{}.1", op.cli_name)).is_file(),
            "no page for {}",
            op.cli_name
        );
    }
    for command in [
        "cp",
        "mv",
        "sync",
        "rm",
        "ls",
        "du",
        "cat",
        "check",
        "completion",
        "configure",
    ] {
        assert!(
            text.contains(&format!("\\fBs3op\\-{command}\\fR(1)")),
            "s3op.1 lacks s3op-{command}(1)"
        );
    }
}

#[test]
fn every_page_named_exists() {
    // A page that names `s3op-presign-get-object(1)` sends `man` to nothing.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    let committed = pages(&dir);
    for (name, text) in &committed {
        let text = String::from_utf8_lossy(text);
        for (at, _) in text.match_indices("(1)") {
            let start = text[..at].rfind(['\n', ' ', 'B']).map_or(0, |i| i + 1);
            let named = text[start..at].replace("\\-", "-").replace("\\fR", "");
            if named.starts_with("s3op") {
                assert!(
                    committed.contains_key(&format!("{named}.1")),
                    "{name} names {named}(1), which is not in docs/man"
                );
            }
        }
    }
}
