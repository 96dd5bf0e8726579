//! The rule registry tests itself: metadata, ids, files beside each rule, README table.

use mirrorguard::rules::RuleSet;

use super::common::root;

const REQUIRED_IDS: &[(&str, &str)] = &[
    ("MG001", "error"),
    ("MG002", "error"),
    ("MG003", "error"),
    ("MG004", "error"),
    ("MG005", "error"),
    ("MG006", "error"),
    ("MG007", "error"),
    ("MG008", "error"),
    ("MG009", "warning"),
    ("MG010", "warning"),
    ("MG011", "warning"),
];

const DISALLOWED_NAME_PREFIXES: &[&str] =
    &["avoid-", "do-not-", "use-", "prefer-", "consider-", "no-"];

#[test]
fn the_public_rule_ids_exist_with_their_severities() {
    let set = RuleSet::load(&[]).expect("built-in rules load");
    for (id, severity) in REQUIRED_IDS {
        let rule = set.find(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(rule.meta.severity.as_str(), *severity, "{id}");
    }
}

#[test]
fn every_rule_is_complete_and_named_for_the_offence() {
    let set = RuleSet::load(&[]).expect("built-in rules load");
    for rule in set.rules() {
        let m = &rule.meta;
        let file = rule.origin.rsplit('/').next().unwrap_or("");
        assert!(
            file.starts_with(&format!("{}_", m.id.to_lowercase())),
            "{file} must start with the id"
        );
        assert!(
            file.trim_end_matches(".rego")
                .ends_with(&m.name.replace('-', "_")),
            "{file} must end with the name {}",
            m.name
        );
        assert!(rule.tests.is_some(), "{} has no _test.rego", m.id);
        assert!(rule.examples.is_some(), "{} has no examples", m.id);
        assert!(!m.help.is_empty() && !m.description.is_empty());
        assert!(!m.related.is_empty(), "{} cites no source", m.id);
        assert!(
            !DISALLOWED_NAME_PREFIXES
                .iter()
                .any(|p| m.name.starts_with(p)),
            "{}: name the offence, not the fix",
            m.name
        );
        assert!(
            !rule.source.contains("rego.metadata"),
            "{}: regorus has no rego.metadata",
            m.id
        );
    }
}

#[test]
fn readme_rule_table_matches_the_metadata() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mirrorguard"))
        .args(["rules", "list", "--format", "markdown"])
        .output()
        .expect("runs");
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
