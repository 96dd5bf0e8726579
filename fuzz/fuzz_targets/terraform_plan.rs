#![no_main]
//! Fuzz target: mirrorguard::fuzzing::terraform_plan must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::terraform_plan(data);
});
