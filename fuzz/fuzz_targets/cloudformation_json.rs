#![no_main]
//! Fuzz target: mirrorguard::fuzzing::cloudformation_json must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::cloudformation_json(data);
});
