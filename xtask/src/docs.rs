//! `cargo xtask docs [--check]`: regenerate `docs/reference/` from `spec/` (the same pages build.rs
//! embeds as `--help`), or with `--check` fail when the committed pages are stale.

use std::fs;

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
    Ok(())
}
