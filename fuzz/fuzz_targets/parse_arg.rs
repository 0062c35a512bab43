//! Fuzz target `parse_arg`: see [`s3op_fuzz::targets::parse_arg`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("parse_arg"), |data: &[u8]| {
    s3op_fuzz::targets::parse_arg(data)
});
