//! Generates the operation tables, request builders and reference pages from `spec/` into OUT_DIR
//! (see the s3op-codegen crate).

use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=spec");
    match s3op_codegen::build(&root.join("spec"), &out) {
        Ok(files) => {
            for f in files {
                println!("cargo:rerun-if-changed={}", f.display());
            }
        }
        Err(e) => panic!("spec/: {e}"),
    }
}
