#![no_main]
//! Fuzz target: mirrorguard::fuzzing::terraform_hcl must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::terraform_hcl(data);
});
