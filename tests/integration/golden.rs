//! Golden files: human, JSON and SARIF output of each fixture folder, byte for byte.
//! `UPDATE_GOLDEN=1 cargo test` rewrites them; review the diff before committing.

use super::common::{fixture, keep_sarif, root, run_in, stdout};

fn normalize(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

fn golden(case: &str, format: &str, ext: &str) {
    let out = run_in(
        &fixture(case),
        &["check", "--format", format, "--color", "never"],
    );
    let actual = stdout(&out);
    if format == "sarif" {
        keep_sarif(&format!("golden-{case}"), &actual);
    }
    let actual = normalize(&actual);
    let path = root().join("tests/golden").join(format!("{case}.{ext}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run UPDATE_GOLDEN=1 cargo test", path.display()));
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines):\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

macro_rules! golden_case {
    ($name:ident, $case:literal) => {
        mod $name {
            #[test]
            fn human() {
                super::golden($case, "human", "txt");
            }
            #[test]
            fn json() {
                super::golden($case, "json", "json");
            }
            #[test]
            fn sarif() {
                super::golden($case, "sarif", "sarif");
            }
        }
    };
}

golden_case!(cloudformation, "cfn");
golden_case!(terraform, "terraform");
golden_case!(broken, "broken");
golden_case!(clean, "clean");
golden_case!(mixed, "mixed");
golden_case!(graph, "graph");
golden_case!(scripts, "scripts");

#[test]
fn sarif_goldens_deserialize_into_serde_sarif() {
    for case in [
        "cfn",
        "terraform",
        "broken",
        "clean",
        "mixed",
        "graph",
        "scripts",
    ] {
        let path = root().join("tests/golden").join(format!("{case}.sarif"));
        let text = std::fs::read_to_string(&path).expect("golden exists");
        let parsed: Result<serde_sarif::sarif::Sarif, _> = serde_json::from_str(&text);
        assert!(parsed.is_ok(), "{}: {:?}", path.display(), parsed.err());
    }
}
