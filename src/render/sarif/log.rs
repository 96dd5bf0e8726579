//! The part of the SARIF 2.1.0 object model mirrorguard writes, as plain serde types.
//!
//! Property names are SARIF's (camelCase); fields are declared in the order the log
//! prints them (alphabetical, as the schema-generated types of serde-sarif printed them, so
//! that logs and their fingerprints stay byte for byte the same), and an absent optional
//! property is left out. `tests/schemas/sarif-schema-2.1.0.json` and the SARIF Multitool
//! validate every log the tests write.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

/// The schema every log names.
pub(super) const SCHEMA_URL: &str =
    "https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0.json";

#[derive(Serialize)]
pub(super) struct Log {
    #[serde(rename = "$schema")]
    pub(super) schema: &'static str,
    pub(super) runs: Vec<Run>,
    pub(super) version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Run {
    pub(super) automation_details: AutomationDetails,
    pub(super) column_kind: &'static str,
    pub(super) invocations: Vec<Invocation>,
    /// Always printed, empty or not: the log is cut where this list is (see `render`).
    pub(super) results: Vec<SarifResult>,
    pub(super) tool: Tool,
}

#[derive(Serialize)]
pub(super) struct AutomationDetails {
    pub(super) id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invocation {
    pub(super) execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
pub(super) struct Notification {
    pub(super) level: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) locations: Vec<Location>,
    pub(super) message: Message,
}

#[derive(Serialize)]
pub(super) struct Tool {
    pub(super) driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Driver {
    pub(super) information_uri: &'static str,
    pub(super) name: &'static str,
    pub(super) rules: Vec<Descriptor>,
    pub(super) semantic_version: &'static str,
    pub(super) version: &'static str,
}

/// A rule (`reportingDescriptor`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Descriptor {
    pub(super) default_configuration: Configuration,
    pub(super) full_description: Text,
    pub(super) help: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) help_uri: Option<String>,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) properties: Properties,
    pub(super) short_description: Text,
}

#[derive(Serialize)]
pub(super) struct Configuration {
    pub(super) level: &'static str,
}

/// A `multiformatMessageString`.
#[derive(Serialize)]
pub(super) struct Text {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) markdown: Option<String>,
    pub(super) text: String,
}

/// A property bag: its tags, then its other properties by name.
#[derive(Serialize, Default)]
pub(super) struct Properties {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tags: Vec<String>,
    #[serde(flatten)]
    pub(super) others: BTreeMap<String, Json>,
}

/// A `message`, and an `artifactContent` (a replacement's inserted text): both are only
/// their `text` here.
#[derive(Serialize)]
pub(super) struct Message {
    pub(super) text: String,
}

impl Message {
    pub(super) fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }
}

/// A SARIF `result`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) fixes: Vec<Fix>,
    pub(super) level: &'static str,
    pub(super) locations: Vec<Location>,
    pub(super) message: Message,
    pub(super) partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) properties: Option<Properties>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) related_locations: Vec<Location>,
    pub(super) rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) suppressions: Vec<Suppression>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) message: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) physical_location: Option<PhysicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LogicalLocation {
    pub(super) fully_qualified_name: String,
    pub(super) kind: &'static str,
    pub(super) name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhysicalLocation {
    pub(super) artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArtifactLocation {
    pub(super) uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) uri_base_id: Option<&'static str>,
}

/// Lines and columns are 1-based; columns count UTF-16 code units (the run's
/// `columnKind`); `charOffset` and `charLength` are given for the regions of edits.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) char_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) char_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) end_line: Option<usize>,
    pub(super) start_column: usize,
    pub(super) start_line: usize,
}

#[derive(Serialize)]
pub(super) struct Suppression {
    pub(super) justification: String,
    pub(super) kind: &'static str,
    pub(super) status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Fix {
    pub(super) artifact_changes: Vec<ArtifactChange>,
    pub(super) description: Message,
    pub(super) properties: Properties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArtifactChange {
    pub(super) artifact_location: ArtifactLocation,
    pub(super) replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Replacement {
    pub(super) deleted_region: Region,
    pub(super) inserted_content: Message,
}
