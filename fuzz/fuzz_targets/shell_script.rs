#![no_main]
//! Fuzz target: mirrorguard::fuzzing::shell_script must not panic on any input, and a script
//! the byte scan would skip declares no session.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mirrorguard::fuzzing::shell_script(data);
});
