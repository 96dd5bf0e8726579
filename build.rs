//! Embeds the shipped rules (`rules/*.rego`, their `_test.rego` and example `.yaml` files,
//! and the built-in rules' metadata files) into the binary, so that the rule set shipped is
//! exactly the one in `rules/`. The build fails when `rules/` cannot be read or holds no
//! rule: a binary without rules would pass everything. The ids found are recorded too, and
//! the binary refuses to check when one of them did not load.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// The package's folder, read when the script runs: `env!` would fix it when the script is
/// compiled, and a build script compiled for one checkout is reused by another that shares
/// its target folder.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| ".".into(), Into::into)
}

fn main() {
    let dir = manifest_dir().join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) => {
            println!(
                "cargo::error=cannot read the rules folder {}: {e}",
                dir.display()
            );
            return;
        }
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => {
                if let Ok(n) = e.file_name().into_string()
                    && (n.ends_with(".rego") || n.ends_with(".yaml"))
                {
                    names.push(n);
                }
            }
            Err(e) => {
                println!("cargo::error=cannot read the rules folder: {e}");
                return;
            }
        }
    }
    names.sort();
    let ids: BTreeSet<String> = names
        .iter()
        .filter_map(|n| {
            let prefix = n.split('_').next()?;
            (prefix.len() > 2 && prefix.starts_with("mg")).then(|| prefix.to_ascii_uppercase())
        })
        .collect();
    if ids.is_empty() {
        println!(
            "cargo::error=the rules folder {} holds no rule",
            dir.display()
        );
        return;
    }
    let mut out = String::from(
        "/// Shipped rule files: (file name, contents).\npub(crate) const BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for n in &names {
        let path = dir.join(n);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n\n/// The ids of the rules found in `rules/` at build time.\npub const EXPECTED_SHIPPED_IDS: &[&str] = &[\n");
    for id in &ids {
        let _ = writeln!(out, "    {id:?},");
    }
    out.push_str("];\n");
    precompiled(&dir.join("compiled"), &mut out);
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("builtin_rules.rs"), out) {
        println!("cargo::error=cannot write the embedded rules: {e}");
    }
}

/// Embeds the precompiled rule programs (`rules/compiled/*.rvm`, written by `UPDATE_GOLDEN=1
/// cargo test --lib precompiled`) and the regorus version they depend on. None is fine: the
/// rules are then compiled when a run needs them.
fn precompiled(dir: &Path, out: &mut String) {
    println!("cargo:rerun-if-changed={}", dir.display());
    out.push_str("\n/// Precompiled rule programs: (name, file contents).\npub(crate) const PRECOMPILED: &[(&str, &[u8])] = &[\n");
    for name in ["session", "all"] {
        let path = dir.join(format!("{name}.rvm"));
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_file() {
            let _ = writeln!(
                out,
                "    ({name:?}, include_bytes!({:?})),",
                path.display().to_string()
            );
        }
    }
    out.push_str("];\n");
    // The shipped rules' parsed metadata (`rules::metadata_cache`); none means every block is
    // parsed.
    let metadata = dir.join("metadata.json");
    println!("cargo:rerun-if-changed={}", metadata.display());
    out.push_str("\n/// The shipped rules' parsed metadata (`rules/compiled/metadata.json`).\npub(crate) const PRECOMPILED_METADATA: &str = ");
    if metadata.is_file() {
        let _ = writeln!(out, "include_str!({:?});", metadata.display().to_string());
    } else {
        out.push_str("\"\";\n");
    }
    // The version of regorus in Cargo.lock: a program compiled by another version is not used.
    let lock = manifest_dir().join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let version = text
        .split("[[package]]")
        .find(|p| p.contains("name = \"regorus\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(
        out,
        "\n/// The regorus version the rules are compiled with.\npub(crate) const REGORUS_VERSION: &str = {version:?};"
    );
}
