//! Fuzz target `signer`: see [`s3op_fuzz::targets::signer`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("signer"), |data: &[u8]| {
    s3op_fuzz::targets::signer(data)
});
