//! What drift asks the user to do next, as data: the unmanaged live sessions to import, the
//! managed ones whose live values to put back, and the declared ones that are missing.
//! `render::remediation` writes it as Terraform, CloudFormation or AWS CLI commands.

use serde_json::Value as Json;

use super::live::LiveSession;
use crate::model::Format;

/// A managed session whose live values differ from the declaration.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The declaration's address (logical id, resource address).
    pub address: String,
    /// The format it is declared in.
    pub(crate) format: Format,
    pub live: LiveSession,
    /// (property, declared value; `None`: the declaration leaves it out).
    pub changes: Vec<(String, Option<Json>)>,
    /// The declared source interface, when it differs from the live one: a session's
    /// interface cannot be modified, only replaced.
    pub replace: Option<String>,
    /// Declared tags the live session lacks or has with another value.
    pub tags: Vec<(String, String)>,
}

/// Everything drift found to remediate.
#[derive(Debug, Clone, Default)]
pub struct RemediationPlan {
    /// Live sessions nothing declares (MG102).
    pub unmanaged: Vec<LiveSession>,
    /// Managed sessions that drifted (MG103).
    pub changed: Vec<Changed>,
    /// Declared sessions with no live one (MG101): (address, format).
    pub(crate) missing: Vec<(String, Format)>,
}

impl RemediationPlan {
    /// Adds another scope's plan.
    pub fn merge(&mut self, other: RemediationPlan) {
        self.unmanaged.extend(other.unmanaged);
        self.changed.extend(other.changed);
        self.missing.extend(other.missing);
    }
}
