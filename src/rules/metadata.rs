//! The `# METADATA` block of a rule, parsed by mirrorguard itself.
//!
//! regorus drops comments and has no annotations API, so the OPA-standard block is read
//! here: the `#` comment lines after `# METADATA` are YAML, and the block must be followed
//! by the rule's `package` line. Unknown keys under `custom` are errors, so a typo in a
//! rule's metadata cannot silently change what users see.

use crate::parse::tree::{Node, NodeKind};
use crate::parse::yaml;
use crate::source::SourceFile;

/// How serious a rule's findings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Informational.
    Note,
    /// Possibly wrong.
    Warning,
    /// Will fail at deploy time or mirror the wrong traffic.
    Error,
}

impl Severity {
    /// Parses `error`, `warning` or `note`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "note" => Some(Self::Note),
            _ => None,
        }
    }

    /// The SARIF level and the word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }

    /// GitHub code scanning's `security-severity` (0.1-10) for this level.
    pub fn security_severity(self) -> &'static str {
        match self {
            Self::Error => "7.5",
            Self::Warning => "5.0",
            Self::Note => "2.0",
        }
    }
}

/// What a rule's `# METADATA` block says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable public id, e.g. `MG001`.
    pub id: String,
    /// Short kebab-case name of the offending pattern.
    pub name: String,
    /// One-line title (what is wrong).
    pub title: String,
    /// Why it matters.
    pub description: String,
    /// Default severity.
    pub severity: Severity,
    /// How to fix it, with the source of the limit.
    pub help: String,
    /// Documentation links.
    pub related: Vec<String>,
    /// The session fields the rule reads (used to say which checks an unknown value hides).
    pub inputs: Vec<String>,
    /// The `package` the block documents.
    pub package: String,
}

const CUSTOM_KEYS: &[&str] = &["id", "name", "severity", "help", "inputs"];

/// Parses the first `# METADATA` block of a Rego file.
pub fn parse(path: &str, rego: &str) -> Result<RuleMeta, String> {
    let mut lines = rego
        .lines()
        .enumerate()
        .skip_while(|(_, l)| l.trim() != "# METADATA");
    if lines.next().is_none() {
        return Err("no `# METADATA` block".into());
    }
    let mut yaml_text = String::new();
    let mut package = None;
    for (_, line) in lines {
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            yaml_text.push_str(comment.strip_prefix(' ').unwrap_or(comment));
            yaml_text.push('\n');
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        package = trimmed
            .strip_prefix("package ")
            .map(|p| p.trim().to_owned());
        break;
    }
    let package = package.ok_or("the METADATA block must be followed by the `package` line")?;
    let source = SourceFile::in_memory(path, &yaml_text);
    let root = yaml::parse(&source)
        .map_err(|e| format!("METADATA is not valid YAML: {}", e.message))?
        .ok_or("empty METADATA block")?;
    let text = |n: Option<&Node>| n.and_then(Node::scalar_text).map(|s| s.trim().to_owned());
    let custom = root
        .get("custom")
        .ok_or("METADATA has no `custom` section")?;
    for entry in custom.as_map().unwrap_or(&[]) {
        if !CUSTOM_KEYS.contains(&entry.key.as_str()) {
            return Err(format!("unknown METADATA key custom.{}", entry.key));
        }
    }
    let required = |n: Option<&Node>, what: &str| -> Result<String, String> {
        text(n)
            .filter(|s| !s.is_empty())
            .ok_or(format!("METADATA needs {what}"))
    };
    let id = required(custom.get("id"), "custom.id")?;
    let title = required(root.get("title"), "title")?;
    if title.contains('\n') {
        return Err("METADATA title must be one line".into());
    }
    let severity_text = required(custom.get("severity"), "custom.severity")?;
    let severity = Severity::parse(&severity_text).ok_or(format!(
        "custom.severity must be error, warning or note, not {severity_text}"
    ))?;
    let related = match root.get("related_resources").map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items
            .iter()
            .filter_map(|i| text(i.get("ref")).or_else(|| i.scalar_text()))
            .collect(),
        _ => Vec::new(),
    };
    let inputs = custom
        .get("inputs")
        .and_then(Node::as_seq)
        .map(|s| s.iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default();
    Ok(RuleMeta {
        name: required(custom.get("name"), "custom.name")?,
        description: required(root.get("description"), "description")?,
        help: required(custom.get("help"), "custom.help")?,
        id,
        title,
        severity,
        related,
        inputs,
        package,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "# METADATA\n# title: Session number outside 1..32766\n# description: |\n#   Long text.\n# related_resources:\n#   - ref: https://example.com/a\n# custom:\n#   id: MG001\n#   name: session-number-out-of-range\n#   severity: error\n#   help: Use 1..32766.\n#   inputs: [session_number]\npackage mirrorguard.rules.mg001\n";

    #[test]
    fn parses_the_opa_style_block() {
        let m = parse("r.rego", RULE).expect("valid");
        assert_eq!(m.id, "MG001");
        assert_eq!(m.severity, Severity::Error);
        assert_eq!(m.package, "mirrorguard.rules.mg001");
        assert_eq!(m.related, ["https://example.com/a"]);
        assert_eq!(m.inputs, ["session_number"]);
        assert_eq!(m.description, "Long text.");
    }

    #[test]
    fn rejects_unknown_custom_keys_and_bad_severity() {
        let typo = RULE.replace("#   help:", "#   hlep:");
        assert!(
            parse("r.rego", &typo)
                .expect_err("typo")
                .contains("custom.hlep")
        );
        let bad = RULE.replace("severity: error", "severity: HIGH");
        assert!(parse("r.rego", &bad).expect_err("bad").contains("severity"));
        assert!(parse("r.rego", "package x\n").is_err());
    }
}
