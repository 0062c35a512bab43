//! Fuzz target `config`: see [`s3op_fuzz::targets::config`]. Its profile files go to
//! [`s3op_fuzz::scratch`].
#![no_main]

libfuzzer_sys::fuzz_target!(init: s3op_fuzz::init("config"), |data: &[u8]| {
    s3op_fuzz::targets::config(data, s3op_fuzz::scratch())
});
