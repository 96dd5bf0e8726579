#![no_main]
//! Fuzz target: mirrorguard::fuzzing::cloudformation_yaml must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::cloudformation_yaml(data);
});
