//! The committed reference pages (`docs/reference/`) must be exactly what build.rs generates from the
//! spec, which is also the text `--help` prints: a stale page fails here (fix: `cargo xtask docs`).

use std::path::Path;

use s3op::OPERATIONS;

#[test]
fn committed_pages_match_the_spec() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference");
    let mut stale = Vec::new();
    for op in OPERATIONS {
        let path = dir.join(format!("{}.md", op.cli_name));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(op.help) {
            stale.push(op.cli_name);
        }
    }
    let index = include_str!(concat!(env!("OUT_DIR"), "/reference/README.md"));
    if std::fs::read_to_string(dir.join("README.md"))
        .ok()
        .as_deref()
        != Some(index)
    {
        stale.push("README");
    }
    let pages = std::fs::read_dir(&dir)
        .map(|d| d.flatten().count())
        .unwrap_or(0);
    assert!(
        stale.is_empty(),
        "stale reference pages (run `cargo xtask docs`): {stale:?}"
    );
    assert_eq!(
        pages,
        OPERATIONS.len() + 1,
        "docs/reference holds pages for operations not in the spec"
    );
}
