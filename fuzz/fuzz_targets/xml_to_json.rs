//! Fuzz target `xml_to_json`: see [`s3op_fuzz::targets::xml_to_json`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("xml_to_json"), |data: &[u8]| {
    s3op_fuzz::targets::xml_to_json(data)
});
