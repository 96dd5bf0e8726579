#![no_main]
//! Fuzz target: mirrorguard::fuzzing::stackql_manifest must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::stackql_manifest(data);
});
