//! The rule registry tests itself (ruff's `registry.rs`): every rule, Rego or built in, has
//! complete metadata, conventional id and name, examples, tests, a docs page that is up to
//! date, and a row in the README table.

use mirrorguard::rules::{BUILTIN_CHECKS, RuleKind, RuleSet};

use super::common::{root, run_in};

/// Names say what is wrong, not what to do (ruff's `disallowed_rule_names.txt`).
const DISALLOWED_NAME_PREFIXES: &[&str] = &[
    "avoid-",
    "do-not-",
    "use-",
    "prefer-",
    "consider-",
    "no-",
    "rewrite-",
];

fn rules() -> RuleSet {
    RuleSet::load(&[]).expect("the shipped rules load")
}

#[test]
fn every_built_in_check_is_registered_with_its_metadata() {
    let set = rules();
    for id in BUILTIN_CHECKS {
        let rule = set.find(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(rule.kind, RuleKind::Builtin, "{id}");
    }
    let shipped: Vec<&str> = set.rules().iter().map(|r| r.meta.id.as_str()).collect();
    assert!(shipped.len() >= 19, "{shipped:?}");
}

#[test]
fn every_rule_has_complete_metadata_and_a_conventional_id_and_name() {
    for rule in rules().rules() {
        let m = &rule.meta;
        assert!(
            m.id.len() == 5
                && m.id.starts_with("MG")
                && m.id[2..].chars().all(|c| c.is_ascii_digit()),
            "{}: ids are MG and three digits",
            m.id
        );
        assert!(
            m.name.split('-').all(|w| !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{}: the name is kebab-case",
            m.name
        );
        assert!(
            !DISALLOWED_NAME_PREFIXES
                .iter()
                .any(|p| m.name.starts_with(p)),
            "{}: name the offence, not the fix",
            m.name
        );
        let file = rule.origin.rsplit('/').next().unwrap_or("");
        let stem = format!("{}_{}", m.id.to_lowercase(), m.name.replace('-', "_"));
        assert!(
            file.starts_with(&stem),
            "{file} must be named {stem}.rego or {stem}.yaml"
        );
        assert!(
            !m.title.is_empty() && !m.title.contains('\n'),
            "{}: title",
            m.id
        );
        assert!(
            !m.title.ends_with('.'),
            "{}: a title is not a sentence",
            m.id
        );
        assert!(m.description.len() > 40, "{}: say why it matters", m.id);
        assert!(m.help.len() > 20, "{}: say how to fix it", m.id);
        assert!(!m.related.is_empty(), "{} cites no source", m.id);
        assert!(rule.examples.is_some(), "{} has no examples", m.id);
        if rule.kind == RuleKind::Rego {
            assert!(rule.tests.is_some(), "{} has no _test.rego", m.id);
            assert!(
                !rule.source.contains("rego.metadata"),
                "{}: regorus has no rego.metadata",
                m.id
            );
        }
        assert!(
            rule.help_uri()
                .is_some_and(|u| u.ends_with(&format!("docs/rules/{}.md", m.id))),
            "{}: helpUri is its docs page",
            m.id
        );
    }
}

#[test]
fn every_rule_has_good_and_bad_examples_that_pass() {
    let out = run_in(&root(), &["rules", "test"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for rule in rules().rules() {
        let id = &rule.meta.id;
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("ok   {id} ")) && l.contains(" bad[")),
            "{id}: no bad example ran"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("ok   {id} ")) && l.contains(" good[")),
            "{id}: no good example ran"
        );
    }
}

#[test]
fn docs_pages_are_generated_and_up_to_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_in(
        &root(),
        &["rules", "docs", "--out", dir.path().to_str().expect("utf8")],
    );
    assert_eq!(out.status.code(), Some(0));
    let committed = root().join("docs/rules");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for rule in rules().rules() {
        assert!(names.contains(&format!("{}.md", rule.meta.id)));
    }
    for name in &names {
        let fresh = std::fs::read_to_string(dir.path().join(name)).expect("generated");
        let old = std::fs::read_to_string(committed.join(name)).unwrap_or_default();
        assert!(
            fresh == old,
            "docs/rules/{name} is stale: run `mirrorguard rules docs` and commit it"
        );
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&committed)
        .expect("docs/rules")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, names,
        "docs/rules holds pages of rules that do not exist"
    );
}

#[test]
fn a_page_says_why_shows_examples_and_how_to_suppress() {
    let page = std::fs::read_to_string(root().join("docs/rules/MG005.md")).expect("MG005 page");
    for part in [
        "## Why it matters",
        "## How to fix it",
        "### CloudFormation",
        "### Terraform",
        "Reported:",
        "Not reported:",
        "## Suppressing it",
        "mirrorguard:ignore MG005",
        "## Related rules",
        "## References",
    ] {
        assert!(page.contains(part), "MG005.md lacks {part}");
    }
}

#[test]
fn readme_rule_table_matches_the_metadata() {
    let out = run_in(&root(), &["rules", "list", "--format", "markdown"]);
    let table = String::from_utf8(out.stdout).expect("utf8");
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme.find("<!-- rules:start -->\n").expect("start marker")
        + "<!-- rules:start -->\n".len();
    let end = readme.find("<!-- rules:end -->").expect("end marker");
    assert_eq!(
        &readme[start..end],
        table,
        "README rule table is stale: paste `mirrorguard rules list --format markdown`"
    );
}

#[test]
fn rules_new_scaffolds_a_rule_that_loads_and_tests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8");
    let out = run_in(
        &root(),
        &["rules", "new", "ACME001", "session-number-zero", "--dir", d],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "acme001_session_number_zero.rego",
        "acme001_session_number_zero_test.rego",
        "acme001_session_number_zero.yaml",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    // The scaffold's own tests run (and the placeholder examples are honest about it).
    let out = run_in(&root(), &["rules", "test", d]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ok   ACME001 test_flags_the_offence"),
        "{text}"
    );
    // Refuses to overwrite.
    let again = run_in(
        &root(),
        &["rules", "new", "ACME001", "session-number-zero", "--dir", d],
    );
    assert_eq!(again.status.code(), Some(2));
}
