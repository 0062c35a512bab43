//! Snapshots of the generated Rust for a few operations, so a generator change shows up as a diff in
//! review (`cargo insta review`, or `INSTA_UPDATE=always cargo test -p s3op-codegen` to accept).

use std::path::Path;

use s3op_codegen::rust::generate_operations;
use s3op_codegen::spec::Spec;

fn spec() -> Spec {
    Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn put_object() {
    insta::assert_snapshot!(generate_operations(&spec(), &["PutObject"]));
}

#[test]
fn put_bucket_tagging() {
    insta::assert_snapshot!(generate_operations(&spec(), &["PutBucketTagging"]));
}

#[test]
fn list_objects_v2() {
    insta::assert_snapshot!(generate_operations(&spec(), &["ListObjectsV2"]));
}
