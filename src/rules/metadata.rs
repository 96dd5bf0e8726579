//! The `# METADATA` block of a rule, parsed by mirrorguard itself.
//!
//! regorus drops comments and has no annotations API, so the OPA-standard block is read
//! here: the `#` comment lines after `# METADATA` are YAML, and the block must be followed
//! by the rule's `package` line. Unknown keys under `custom` are errors, so a typo in a
//! rule's metadata cannot silently change what users see.

use crate::parse::tree::{Node, NodeKind};
use crate::parse::yaml;
use crate::report::Severity;
use crate::source::SourceFile;

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
    /// What one violation of the rule reads (`custom.scope`; the default is `unit`): a
    /// large unit is evaluated in parts of that size (see `rules::parts`).
    pub scope: Scope,
}

/// What one violation of a rule reads of the rule input, which decides how a large unit
/// is cut for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Scope {
    /// Anything (`unit`, the default): a large unit is evaluated whole.
    #[default]
    Unit,
    /// One session, and the input outside `sessions` and `groups` (`session`): evaluated
    /// on chunks of sessions.
    Session,
    /// One group of `input.groups` and the sessions it names, and the input outside
    /// `sessions` and `groups` (`group`): evaluated on chunks of groups.
    Group,
    /// No session: only the input outside `sessions` and `groups` (`outside-sessions`):
    /// evaluated once without the sessions.
    OutsideSessions,
}

impl Scope {
    /// The name `custom.scope` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::Session => "session",
            Self::Group => "group",
            Self::OutsideSessions => "outside-sessions",
        }
    }

    /// The scope `custom.scope` names `name`.
    pub(crate) fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    const ALL: [Self; 4] = [
        Self::Unit,
        Self::Session,
        Self::Group,
        Self::OutsideSessions,
    ];
}

impl RuleMeta {
    /// Whether the rule reads the graph beyond sessions (an input like
    /// `filter_rules.rule_number`): it can find nothing in a unit that declares sessions only.
    pub fn reads_graph(&self) -> bool {
        self.inputs.iter().any(|i| i.contains('.'))
    }
}

const CUSTOM_KEYS: &[&str] = &["id", "name", "severity", "help", "inputs", "scope"];

/// Why a rule's metadata cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// No `# METADATA` block in a Rego file.
    #[error("no `# METADATA` block")]
    NoBlock,
    /// The block is not followed by the package line.
    #[error("the METADATA block must be followed by the `package` line")]
    NoPackage,
    /// The block is not YAML.
    #[error("METADATA is not valid YAML: {0}")]
    Yaml(String),
    /// The block is empty.
    #[error("empty METADATA block")]
    Empty,
    /// A required key is missing or empty.
    #[error("METADATA needs {0}")]
    Missing(&'static str),
    /// A key under `custom` that mirrorguard does not know (a typo would be silent).
    #[error("unknown METADATA key custom.{0}")]
    UnknownKey(String),
    /// The title spans lines.
    #[error("METADATA title must be one line")]
    MultilineTitle,
    /// Not error, warning or note.
    #[error("custom.severity must be error, warning or note, not {0}")]
    Severity(String),
    /// Not one of the scopes.
    #[error(
        "custom.scope must be unit, session (a violation reads one session), group (one of input.groups) or outside-sessions (no session), not {0}"
    )]
    Scope(String),
}

/// Parses the first `# METADATA` block of a Rego file.
pub fn parse(path: &str, rego: &str) -> Result<RuleMeta, MetadataError> {
    let (yaml_text, package) = block_of(rego)?;
    parse_block(path, &yaml_text, package)
}

/// The YAML of a Rego file's first `# METADATA` block (its comment lines without the `#`),
/// and the package the block documents.
pub(crate) fn block_of(rego: &str) -> Result<(String, String), MetadataError> {
    let mut lines = rego.lines().skip_while(|l| l.trim() != "# METADATA");
    if lines.next().is_none() {
        return Err(MetadataError::NoBlock);
    }
    let mut yaml_text = String::new();
    let mut package = None;
    for line in lines {
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
    Ok((yaml_text, package.ok_or(MetadataError::NoPackage)?))
}

/// The metadata a Rego rule's METADATA block (its YAML, and the package after it) gives:
/// taken from the shipped rules' parsed metadata when the block is one of theirs word for
/// word (see [`super::metadata_cache`]), else parsed.
fn parse_block(path: &str, yaml_text: &str, package: String) -> Result<RuleMeta, MetadataError> {
    if let Some(meta) = super::metadata_cache::lookup(None, yaml_text, &package) {
        return Ok(meta);
    }
    parse_block_uncached(path, yaml_text, None, package)?.ok_or(MetadataError::Empty)
}

/// Parses a block of metadata YAML, or the top-level key `select` of it (the `metadata:`
/// section of a built-in rule's examples file; `None` when that key is absent).
pub(crate) fn parse_block_uncached(
    path: &str,
    yaml_text: &str,
    select: Option<&str>,
    package: String,
) -> Result<Option<RuleMeta>, MetadataError> {
    let source = SourceFile::in_memory(path, yaml_text);
    let root = yaml::parse(&source).map_err(|e| MetadataError::Yaml(e.message))?;
    let node = match (&root, select) {
        (Some(root), Some(key)) => root.get(key),
        (Some(root), None) => Some(root),
        (None, Some(_)) => None,
        (None, None) => return Err(MetadataError::Empty),
    };
    node.map(|n| from_node(n, package)).transpose()
}

/// Reads metadata from its YAML form: the METADATA block of a Rego rule, or the
/// `metadata:` section of a built-in rule's examples file.
pub(crate) fn from_node(root: &Node, package: String) -> Result<RuleMeta, MetadataError> {
    let text = |n: Option<&Node>| n.and_then(Node::scalar_text).map(|s| s.trim().to_owned());
    let custom = root.get("custom").ok_or(MetadataError::Missing("custom"))?;
    for entry in custom.as_map().unwrap_or(&[]) {
        if !CUSTOM_KEYS.contains(&entry.key.as_str()) {
            return Err(MetadataError::UnknownKey(entry.key.clone()));
        }
    }
    let required = |n: Option<&Node>, what: &'static str| -> Result<String, MetadataError> {
        text(n)
            .filter(|s| !s.is_empty())
            .ok_or(MetadataError::Missing(what))
    };
    let id = required(custom.get("id"), "custom.id")?;
    let title = required(root.get("title"), "title")?;
    if title.contains('\n') {
        return Err(MetadataError::MultilineTitle);
    }
    let severity_text = required(custom.get("severity"), "custom.severity")?;
    let severity = Severity::parse(&severity_text).ok_or(MetadataError::Severity(severity_text))?;
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
    let scope = match text(custom.get("scope")) {
        None => Scope::Unit,
        Some(name) => Scope::named(&name).ok_or(MetadataError::Scope(name))?,
    };
    Ok(RuleMeta {
        scope,
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
                .to_string()
                .contains("custom.hlep")
        );
        let bad = RULE.replace("severity: error", "severity: HIGH");
        assert!(
            parse("r.rego", &bad)
                .expect_err("bad")
                .to_string()
                .contains("severity")
        );
        assert!(parse("r.rego", "package x\n").is_err());
        let scoped = RULE.replace("#   inputs:", "#   scope: session\n#   inputs:");
        assert_eq!(
            parse("r.rego", &scoped).expect("session scope").scope,
            super::Scope::Session
        );
        assert_eq!(
            parse("r.rego", RULE).expect("default scope").scope,
            super::Scope::Unit
        );
        for scope in super::Scope::ALL {
            let named = RULE.replace(
                "#   inputs:",
                &format!("#   scope: {}\n#   inputs:", scope.name()),
            );
            assert_eq!(parse("r.rego", &named).expect("a scope").scope, scope);
        }
        let bad_scope = RULE.replace("#   inputs:", "#   scope: sessions\n#   inputs:");
        assert!(
            parse("r.rego", &bad_scope)
                .expect_err("bad scope")
                .to_string()
                .contains("custom.scope")
        );
    }
}
