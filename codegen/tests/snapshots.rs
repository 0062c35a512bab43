//! Snapshots of the generated Rust for a few operations, so a generator change shows up as a diff in
//! review (`cargo insta review`, or `INSTA_UPDATE=always cargo test -p s3op-codegen` to accept).

use std::path::Path;

use s3op_codegen::rust::generate_operations;
use s3op_codegen::spec::Spec;
use s3op_codegen::types::generate_operations as generate_types;

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

/// The typed outputs of two operations and the shapes they reach: a body-and-headers listing
/// (enumerations, timestamps, lists) and a headers-only answer with a header-prefix map.
#[test]
fn types_of_list_objects_v2_and_head_object() {
    insta::assert_snapshot!(generate_types(&spec(), &["ListObjectsV2", "HeadObject"]));
}

#[test]
fn types_of_get_bucket_tagging() {
    insta::assert_snapshot!(generate_types(&spec(), &["GetBucketTagging"]));
}
