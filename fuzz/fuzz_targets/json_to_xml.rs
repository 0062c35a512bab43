//! Fuzz target `json_to_xml`: see [`s3op_fuzz::targets::json_to_xml`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("json_to_xml"), |data: &[u8]| {
    s3op_fuzz::targets::json_to_xml(data)
});
