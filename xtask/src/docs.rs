//! `cargo xtask docs [--check]`: regenerate `docs/reference/` from `spec/` (the same pages build.rs
//! embeds as `--help`) and `docs/man/` (man pages rendered by the s3op binary's hidden `__man`
//! command from its own command tree), or with `--check` fail when the committed pages are stale.

use std::fs;
use std::path::Path;
use std::process::Command;

pub fn run(args: &[String]) -> crate::Result {
    let root = crate::workspace_root();
    let check = args.iter().any(|a| a == "--check");
    let spec = s3op_codegen::spec::Spec::load(&root.join("spec")).map_err(|e| e.to_string())?;
    let dir = root.join("docs/reference");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pages = s3op_codegen::docs::pages(&spec);
    let mut stale = Vec::new();
    for page in &pages {
        let path = dir.join(&page.file_name);
        if fs::read_to_string(&path).ok().as_deref() != Some(page.text.as_str()) {
            stale.push(page.file_name.clone());
            if !check {
                fs::write(&path, &page.text).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    let wanted: Vec<&str> = pages.iter().map(|p| p.file_name.as_str()).collect();
    for entry in fs::read_dir(&dir).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !wanted.contains(&name.as_str()) {
            stale.push(format!("{name} (no longer in the spec)"));
            if !check {
                fs::remove_file(entry.path()).map_err(|e| e.to_string())?;
            }
        }
    }
    if check && !stale.is_empty() {
        return Err(format!(
            "docs/reference is stale; run `cargo xtask docs`: {}",
            stale.join(", ")
        )
        .into());
    }
    println!(
        "docs/reference: {} pages, {} updated",
        pages.len(),
        if check { 0 } else { stale.len() }
    );
    man_pages(&root, check)
}

/// `docs/man/`: the pages `s3op __man` writes, built and run through cargo so they come from this
/// checkout's command tree.
fn man_pages(root: &Path, check: bool) -> crate::Result {
    let fresh = crate::target_dir().join("man-pages");
    if fresh.exists() {
        fs::remove_dir_all(&fresh).map_err(|e| format!("{}: {e}", fresh.display()))?;
    }
    let status = Command::new(crate::cargo())
        .current_dir(root)
        .args(["run", "--quiet", "--bin", "s3op", "--", "__man"])
        .arg(&fresh)
        .status()
        .map_err(|e| format!("cargo run s3op __man: {e}"))?;
    if !status.success() {
        return Err(format!("cargo run s3op __man: {status}").into());
    }
    let dir = root.join("docs/man");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let read = |dir: &Path| -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut pages = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".1") {
                let text = fs::read(entry.path()).map_err(|e| format!("{name}: {e}"))?;
                pages.push((name, text));
            }
        }
        pages.sort();
        Ok(pages)
    };
    let wanted = read(&fresh)?;
    let committed = read(&dir)?;
    let mut stale = Vec::new();
    for (name, text) in &wanted {
        if !committed.iter().any(|(n, t)| n == name && t == text) {
            stale.push(name.clone());
            if !check {
                let path = dir.join(name);
                fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    for (name, _) in &committed {
        if !wanted.iter().any(|(n, _)| n == name) {
            stale.push(format!("{name} (no longer a command)"));
            if !check {
                fs::remove_file(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
            }
        }
    }
    if check && !stale.is_empty() {
        return Err(format!(
            "docs/man is stale; run `cargo xtask docs`: {}",
            stale.join(", ")
        )
        .into());
    }
    println!(
        "docs/man: {} pages, {} updated",
        wanted.len(),
        if check { 0 } else { stale.len() }
    );
    Ok(())
}
