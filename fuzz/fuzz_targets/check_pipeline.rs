#![no_main]
//! Fuzz target: mirrorguard::fuzzing::check_pipeline must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::check_pipeline(data);
});
