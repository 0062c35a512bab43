//! Fuzz target `eventstream`: see [`s3op_fuzz::targets::eventstream`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("eventstream"), |data: &[u8]| {
    s3op_fuzz::targets::eventstream(data)
});
