//! The architecture holds: each top-level module of `src/` imports only modules of the
//! layers below it, so no two import each other (ARCHITECTURE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::common::root;

/// Bottom to top. A module may import only modules of lower layers.
const LAYERS: &[&[&str]] = &[
    &["source"],
    &["error"],
    &["model"],
    &["parse"],
    &["report"],
    &["rules"],
    &["checks"],
    &["pipeline"],
    &["aws", "render"],
    &["cli"],
    &["fuzzing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::NAME` paths in code (not comments), per top-level module.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        let entry = out.entry(top.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                let name: String = rest[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    entry.insert(name);
                }
                rest = &rest[at + 7..];
            }
        }
    }
    out
}

#[test]
fn top_level_modules_import_only_lower_layers() {
    let imports = imports();
    let mut wrong = Vec::new();
    for (module, deps) in &imports {
        let Some(mine) = layer_of(module) else {
            wrong.push(format!(
                "src/{module} is in no layer of this test and ARCHITECTURE.md"
            ));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                Some(theirs) if theirs < mine => {}
                Some(_) => wrong.push(format!("{module} imports {dep}, which is not below it")),
                None => wrong.push(format!("{module} imports {dep}, which is in no layer")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let imports = imports();
    for (module, deps) in &imports {
        for dep in deps {
            assert!(
                !imports.get(dep).is_some_and(|d| d.contains(module)),
                "{module} and {dep} import each other"
            );
        }
    }
}

#[test]
fn no_file_holds_more_than_600_lines_of_code_before_its_tests() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let code = text
            .lines()
            .take_while(|l| !l.starts_with("#[cfg(test)]"))
            .filter(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with("//")
            })
            .count();
        assert!(code <= 600, "{} has {code} lines of code", file.display());
    }
}
