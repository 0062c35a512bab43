//! `cargo xtask compat [--run]`: rewrite the README's compatibility section (between
//! `<!-- compat:begin -->` and `<!-- compat:end -->`) from the scenario suite's results,
//! `target/compat/<server>.json`. `--run` runs the suite first (`cargo test --test compat`); a
//! server whose results file is missing is an error, never a column left out. The rendering is
//! `tests/compat/render.rs`, shared with the suite's own check that the README is current.

#[path = "../../tests/compat/render.rs"]
mod render;

use std::process::Command;

use crate::{cargo, target_dir, workspace_root, Result};

pub fn run(args: &[String]) -> Result {
    let mut run_suite = false;
    for arg in args {
        match arg.as_str() {
            "--run" => run_suite = true,
            other => return Err(format!("unknown argument `{other}` (expected --run)").into()),
        }
    }
    let dir = target_dir().join("compat");
    if run_suite {
        // Outcomes that differ from the expectations fail the suite; the results are written
        // either way, and the table shows what the servers did.
        let status = Command::new(cargo())
            .args(["test", "--test", "compat"])
            .current_dir(workspace_root())
            .status()?;
        if !status.success() {
            eprintln!("warning: the compat suite failed (see above); rendering its results anyway");
        }
    }
    let mut results: Vec<render::ServerResults> = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        format!(
            "{}: {e} (run `cargo test --test compat` or `cargo xtask compat --run`)",
            dir.display()
        )
    })?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let parsed: render::ServerResults =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        results.push(parsed);
    }
    let Some(first) = results.first() else {
        return Err(format!("no results in {}", dir.display()).into());
    };
    let wanted = first.servers.clone();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|s| !results.iter().any(|r| &r.server == *s))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "no results for {missing:?} in {}: run the suite for every server",
            dir.display()
        )
        .into());
    }
    // Results of a server the suite no longer has are left out.
    results.retain(|r| wanted.contains(&r.server));
    let operations = operations()?;
    let names: Vec<&str> = operations.iter().map(String::as_str).collect();
    let section = render::section(&results, &names);
    let path = workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path)?;
    let updated = render::replace_section(&readme, &section).ok_or_else(|| {
        format!(
            "README.md lacks the {} / {} markers",
            render::BEGIN,
            render::END
        )
    })?;
    if updated == readme {
        println!("README.md's compatibility section is current");
    } else {
        std::fs::write(&path, updated)?;
        println!(
            "rewrote README.md's compatibility section from {}",
            dir.display()
        );
    }
    Ok(())
}

/// Every operation's CLI name, from the spec (one file per operation under `spec/`).
fn operations() -> Result<Vec<String>> {
    let spec = s3op_codegen::spec::Spec::load(&workspace_root().join("spec"))
        .map_err(|e| format!("spec/: {e}"))?;
    Ok(spec
        .operations
        .iter()
        .map(|op| s3op_codegen::names::kebab(&op.name))
        .collect())
}
