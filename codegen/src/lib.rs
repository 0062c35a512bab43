//! s3op's generator: reads the operation spec (`spec/`) and produces the library's Rust code (operation
//! tables and builders in `rust`, typed outputs in `types`) and the reference pages. build.rs calls
//! [`build`]; `cargo xtask docs` calls [`docs::pages`]. Each output has its own module; they share the
//! spec model and the name conversion.

pub mod docs;
pub mod names;
pub mod rust;
pub mod spec;
pub mod types;

use std::fs;
use std::path::Path;

/// Read `spec_dir`, write `operations.rs`, `types.rs` and `reference/*.md` into `out_dir`. Returns the spec files
/// read, for `cargo:rerun-if-changed`.
pub fn build(
    spec_dir: &Path,
    out_dir: &Path,
) -> Result<Vec<std::path::PathBuf>, Box<dyn std::error::Error>> {
    let spec = spec::Spec::load(spec_dir)?;
    fs::write(out_dir.join("operations.rs"), rust::generate(&spec))?;
    fs::write(out_dir.join("types.rs"), types::generate(&spec))?;
    let reference = out_dir.join("reference");
    fs::create_dir_all(&reference)?;
    for page in docs::pages(&spec) {
        write_if_changed(&reference.join(&page.file_name), &page.text)?;
    }
    Ok(spec.files)
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    fs::write(path, text)
}
