//! The one session model every input format is read into.
//!
//! A declared value is *known* (a literal, with the span it was written at), *symbolic*
//! (a reference whose literal value is not known, e.g. `aws_network_interface.src.id` or
//! `!Ref SourceEni`; two sessions naming the same reference name the same thing) or
//! *unknown* (with the reason). A property can have several alternatives, one per branch
//! of a CloudFormation `Fn::If` or Terraform conditional, each under its conditions.
//! Rules only ever flag known values; unknown values are listed as skipped checks.
//!
//! [`Unit::to_input`] (in `input`) turns the model into the plain JSON that Rego rules read. Spans stay
//! on the Rust side: every located value in the input has a `ref` number, an index into
//! the unit's location table, and rule results point into the input by path.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::source::{SourceFile, Span};

mod compact;
pub(crate) mod graph;
pub(crate) mod input;
pub(crate) mod instance_types;
pub(crate) mod links;
pub(crate) mod live;
mod prop;
mod redact;
pub(crate) mod suppression;

pub(crate) use input::RuleInput;
pub(crate) use prop::Prop;
pub(crate) use redact::{MAX_SHOWN_VALUE, Redactor};

/// Index of a file in [`Unit::files`].
pub(crate) type FileId = usize;

/// A place in one of a unit's files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub(crate) file: FileId,
    pub(crate) span: Span,
}

/// A condition an alternative or a resource depends on, e.g. CloudFormation condition
/// `IsProd` being true, or a Terraform `count` being non-zero.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Condition {
    /// Name of the condition (a CloudFormation condition name or a Terraform expression).
    pub(crate) name: String,
    /// The value this branch needs.
    pub(crate) value: CondValue,
}

/// The value a condition must have: a truth value (`IsProd` true), or equality with a text
/// (stackql-deploy `stack_env` = `prod`). Two conditions on one name with different values
/// exclude each other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CondValue {
    Bool(bool),
    Text(String),
}

impl Condition {
    /// `name` must be `value`.
    pub(crate) fn is(name: impl Into<String>, value: bool) -> Self {
        Self {
            name: name.into(),
            value: CondValue::Bool(value),
        }
    }

    /// `name` must equal `text`.
    pub(crate) fn equals(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: CondValue::Text(text.into()),
        }
    }
}

/// What is known about one alternative of a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// A literal value.
    Known(Json),
    /// A reference: its literal value is unknown, but its identity is the canonical expression.
    Symbol {
        /// Canonical expression (`aws_network_interface.src.id`, `Ref(SourceEni)`).
        expr: String,
        /// Why the literal value is not known.
        why: String,
    },
    /// Nothing is known; the reason is shown when this hides a check.
    Unknown(String),
    /// The property is removed in this branch (`AWS::NoValue`, Terraform `null`).
    Absent,
}

/// The other place a value involves: where its literal was written when not at the value
/// (a variable's or parameter's default), or where a value written at a module call is
/// used. Findings show it as a related location.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Origin {
    /// The place, when it is in one of the unit's files.
    pub(crate) at: Option<Loc>,
    /// How the value got here: `default of parameter Num`.
    pub(crate) how: String,
    /// Whether `at` is where the value is used rather than written.
    pub(crate) used: bool,
}

impl Origin {
    /// A literal written at `at`.
    pub(crate) fn at(at: Loc, how: impl Into<String>) -> Self {
        Self {
            at: Some(at),
            how: how.into(),
            used: false,
        }
    }

    /// A value given outside the checked files (the command line).
    pub(crate) fn outside(how: impl Into<String>) -> Self {
        Self {
            at: None,
            how: how.into(),
            used: false,
        }
    }

    /// A value written here and used at `at` (a module call argument).
    pub(crate) fn used(at: Loc, how: impl Into<String>) -> Self {
        Self {
            at: Some(at),
            how: how.into(),
            used: true,
        }
    }
}

/// One alternative of a property value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alt {
    /// Where the value is written in the declaration.
    pub(crate) loc: Loc,
    /// Conditions under which this alternative applies (empty: always).
    pub(crate) when: Vec<Condition>,
    pub(crate) val: Val,
    /// Where the literal itself was written, when elsewhere (a variable's or parameter's
    /// default), and how it got here.
    pub(crate) origin: Option<Origin>,
}

impl Alt {
    /// A known literal at `loc`.
    pub(crate) fn known(loc: Loc, value: Json) -> Self {
        Self {
            loc,
            when: Vec::new(),
            val: Val::Known(value),
            origin: None,
        }
    }

    /// An unknown value at `loc`.
    pub(crate) fn unknown(loc: Loc, why: impl Into<String>) -> Self {
        Self {
            loc,
            when: Vec::new(),
            val: Val::Unknown(why.into()),
            origin: None,
        }
    }

    /// A reference at `loc`.
    pub(crate) fn symbol(loc: Loc, expr: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            loc,
            when: Vec::new(),
            val: Val::Symbol {
                expr: expr.into(),
                why: why.into(),
            },
            origin: None,
        }
    }
}

/// A property's value: its alternatives (empty when the property is not declared).
pub(crate) type Field = Vec<Alt>;

/// One tag of a session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagItem {
    pub(crate) loc: Loc,
    pub(crate) key: Alt,
    pub(crate) value: Alt,
}

/// One alternative of a session's tag set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TagSet {
    pub(crate) loc: Loc,
    pub(crate) when: Vec<Condition>,
    /// `None` when the tag set as a whole could not be resolved.
    pub(crate) items: Option<Vec<TagItem>>,
    /// Why the tag set is unknown.
    pub(crate) why: String,
}

/// Which provider's resource type declared a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Aws,
    Awscc,
    Alicloud,
}

impl Provider {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Awscc => "awscc",
            Self::Alicloud => "alicloud",
        }
    }
}

/// The input format a unit was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    CloudFormation,
    Terraform,
    /// `aws ec2 … --cli-input-json` files.
    AwsCli,
    /// stackql-deploy manifests.
    Stackql,
}

impl Format {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::CloudFormation => "cloudformation",
            Self::Terraform => "terraform",
            Self::AwsCli => "aws-cli",
            Self::Stackql => "stackql",
        }
    }
}

/// A traffic mirror session as declared.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Logical id (CloudFormation) or resource address with instance key (Terraform).
    pub(crate) address: String,
    pub(crate) resource_type: String,
    pub(crate) provider: Provider,
    /// The resource's name or header, where findings about the whole session point.
    pub(crate) loc: Loc,
    /// Conditions the resource itself exists under.
    pub(crate) conditions: Vec<Condition>,
    /// The Terraform module calls that declare it, outermost first.
    pub(crate) calls: Vec<ModuleCall>,
    pub(crate) network_interface_id: Field,
    pub(crate) traffic_mirror_target_id: Field,
    pub(crate) traffic_mirror_filter_id: Field,
    pub(crate) session_number: Field,
    pub(crate) packet_length: Field,
    pub(crate) virtual_network_id: Field,
    pub(crate) description: Field,
    pub(crate) tags: Vec<TagSet>,
    /// Alibaba Cloud: the session name.
    pub(crate) name: Field,
    /// Alibaba Cloud: `NetworkInterface` or `SLB`.
    pub(crate) target_type: Field,
    /// The region the session is created in, where the provider scopes uniqueness by it.
    pub(crate) region: Field,
    /// A partial declaration (a modify request): properties it leaves out are unchanged.
    pub(crate) partial: bool,
    /// A session that already exists in the account (preflight): read only, never the
    /// subject of a finding, only the other party of one.
    pub(crate) live: bool,
}

impl Session {
    /// A session with nothing declared yet.
    pub(crate) fn new(address: String, resource_type: &str, provider: Provider, loc: Loc) -> Self {
        Self {
            address,
            resource_type: resource_type.to_owned(),
            provider,
            loc,
            conditions: Vec::new(),
            calls: Vec::new(),
            network_interface_id: Vec::new(),
            traffic_mirror_target_id: Vec::new(),
            traffic_mirror_filter_id: Vec::new(),
            session_number: Vec::new(),
            packet_length: Vec::new(),
            virtual_network_id: Vec::new(),
            description: Vec::new(),
            tags: Vec::new(),
            name: Vec::new(),
            target_type: Vec::new(),
            region: Vec::new(),
            partial: false,
            live: false,
        }
    }

    /// The field of a property.
    pub(crate) fn field(&self, prop: Prop) -> &Field {
        match prop {
            Prop::NetworkInterfaceId => &self.network_interface_id,
            Prop::TrafficMirrorTargetId => &self.traffic_mirror_target_id,
            Prop::TrafficMirrorFilterId => &self.traffic_mirror_filter_id,
            Prop::SessionNumber => &self.session_number,
            Prop::PacketLength => &self.packet_length,
            Prop::VirtualNetworkId => &self.virtual_network_id,
            Prop::Description => &self.description,
            Prop::Name => &self.name,
            Prop::TargetType => &self.target_type,
            Prop::Region => &self.region,
        }
    }

    /// The field of a property, for readers that map columns or attributes by name.
    pub(crate) fn field_mut(&mut self, prop: Prop) -> &mut Field {
        match prop {
            Prop::NetworkInterfaceId => &mut self.network_interface_id,
            Prop::TrafficMirrorTargetId => &mut self.traffic_mirror_target_id,
            Prop::TrafficMirrorFilterId => &mut self.traffic_mirror_filter_id,
            Prop::SessionNumber => &mut self.session_number,
            Prop::PacketLength => &mut self.packet_length,
            Prop::VirtualNetworkId => &mut self.virtual_network_id,
            Prop::Description => &mut self.description,
            Prop::Name => &mut self.name,
            Prop::TargetType => &mut self.target_type,
            Prop::Region => &mut self.region,
        }
    }

    /// Every property with its field, in rule-input order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (Prop, &Field)> {
        Prop::ALL.into_iter().map(|p| (p, self.field(p)))
    }
}

/// What kind of name a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    Parameter,
    Resource,
    Variable,
    Local,
    Condition,
    Mapping,
}

impl RefKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Parameter => "parameter",
            Self::Resource => "resource",
            Self::Variable => "variable",
            Self::Local => "local",
            Self::Condition => "condition",
            Self::Mapping => "mapping",
        }
    }
}

/// A name used by a session or target declaration, and whether it is declared.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub(crate) loc: Loc,
    pub(crate) kind: RefKind,
    pub(crate) name: String,
    pub(crate) declared: bool,
    /// Index of the session whose declaration uses it.
    pub(crate) session: Option<usize>,
    /// Index of the graph resource (in [`Unit::resources`]) whose declaration uses it.
    pub(crate) resource: Option<usize>,
}

/// A Terraform module call on the way to a declaration: where the call is, and the
/// instance it makes (`module.ids[0]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModuleCall {
    pub(crate) loc: Loc,
    pub(crate) address: String,
}

/// Something the unit uses but mirrorguard cannot look into (a registry module that is not
/// downloaded, a local module whose folder is not there, a CloudFormation macro): every
/// check is skipped for what it may declare, and the report says so.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opaque {
    /// Where it is named (a module's `source`, a transform's name).
    pub(crate) loc: Loc,
    /// What it is (`module.ids`, a transform's name: `MyMacro`).
    pub(crate) address: String,
    /// Why it cannot be read.
    pub(crate) why: String,
    pub(crate) kind: OpaqueKind,
}

/// What an [`Opaque`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OpaqueKind {
    /// A Terraform module call.
    Module,
    /// A CloudFormation transform that rewrites the template before deployment.
    Transform,
}

impl Opaque {
    /// The property the report names it by.
    pub(crate) fn property(&self) -> &'static str {
        match self.kind {
            OpaqueKind::Module => "source",
            OpaqueKind::Transform => "Transform",
        }
    }

    /// Why every check is skipped for it.
    pub(crate) fn reason(&self) -> String {
        match self.kind {
            OpaqueKind::Module => format!("module cannot be read: {}", self.why),
            OpaqueKind::Transform => self.why.clone(),
        }
    }
}

/// One unit of evaluation: a CloudFormation template or a Terraform module (folder).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub(crate) format: Format,
    /// Name of the unit (template file or module folder).
    pub(crate) name: String,
    pub(crate) files: Vec<Arc<SourceFile>>,
    pub(crate) sessions: Vec<Session>,
    /// Targets, filters, filter rules, interfaces, instances and attachments.
    pub(crate) resources: Vec<graph::Resource>,
    pub(crate) references: Vec<Reference>,
    /// Suppressions written in the unit's files.
    pub(crate) suppressions: Vec<suppression::Suppression>,
    /// What the unit uses but cannot be looked into.
    pub(crate) opaque: Vec<Opaque>,
    /// Mistakes the deploying tool itself rejects (an undeclared Terraform variable): each
    /// is reported as an error at its place.
    pub(crate) errors: Vec<(Loc, String)>,
    /// Command-line values that do not fit this unit (`--stack-env` naming no environment):
    /// the run stops with a usage error.
    pub(crate) usage_errors: Vec<String>,
    /// CloudFormation parameters the template declares (to warn about `--parameters` keys
    /// no template declares).
    pub(crate) parameters: std::collections::BTreeSet<String>,
    /// Identities of what the unit creates (its declared resources): such a value differs
    /// from every literal and from every other thing created. Any other symbolic value (a
    /// parameter or variable without a value, a data source, an import) may equal anything.
    pub(crate) created: std::collections::BTreeSet<String>,
    /// Values that must not appear in reports: NoEcho parameters, `--parameters` values,
    /// Terraform variables marked `sensitive`.
    pub(crate) secrets: std::collections::BTreeSet<String>,
    /// What is known of the account the unit deploys into (preflight), when it was read.
    pub(crate) live: Option<live::LiveContext>,
}

impl Unit {
    /// An empty unit named `name` over `files`; readers fill in what they find.
    pub(crate) fn new(format: Format, name: String, files: Vec<Arc<SourceFile>>) -> Self {
        Unit {
            format,
            name,
            files,
            sessions: Vec::new(),
            resources: Vec::new(),
            references: Vec::new(),
            suppressions: Vec::new(),
            opaque: Vec::new(),
            errors: Vec::new(),
            usage_errors: Vec::new(),
            parameters: std::collections::BTreeSet::new(),
            created: std::collections::BTreeSet::new(),
            secrets: std::collections::BTreeSet::new(),
            live: None,
        }
    }

    /// The sessions the unit declares (not those that already exist in the account).
    pub(crate) fn declared_sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter().filter(|s| !s.live)
    }

    /// The ENI alternatives of the target a session sends to, when the target is declared
    /// in the same unit.
    pub(crate) fn target_enis(&self, session: &Session, links: &[links::Link]) -> Vec<Alt> {
        let mut out = Vec::new();
        for link in links {
            let (Some(alt), Some(target)) = (
                session.traffic_mirror_target_id.get(link.alt),
                self.resources.get(link.resource),
            ) else {
                continue;
            };
            for eni in target.field(graph::Attr::NetworkInterfaceId) {
                let mut e = eni.clone();
                e.when.extend(alt.when.iter().cloned());
                out.push(e);
            }
        }
        out
    }

    /// What keeps this unit's secrets and long values out of report texts.
    pub(crate) fn redactor(&self) -> Redactor<'_> {
        Redactor {
            secrets: &self.secrets,
            long_values: self.long_values(),
        }
    }

    /// Known string values longer than [`MAX_SHOWN_VALUE`] characters.
    fn long_values(&self) -> Vec<String> {
        let session_alts = self.sessions.iter().flat_map(|s| {
            s.fields().flat_map(|(_, f)| f.iter()).chain(
                s.tags
                    .iter()
                    .flat_map(|t| t.items.iter().flatten().flat_map(|i| [&i.key, &i.value])),
            )
        });
        let resource_alts = self
            .resources
            .iter()
            .flat_map(|r| r.fields.values().flatten());
        let mut out: Vec<String> = session_alts
            .chain(resource_alts)
            .filter_map(|a| match &a.val {
                Val::Known(Json::String(v)) if v.chars().count() > MAX_SHOWN_VALUE => {
                    Some(v.clone())
                }
                _ => None,
            })
            .collect();
        // Longest first, so that a value containing another is replaced whole.
        out.sort_by_key(|v| std::cmp::Reverse(v.len()));
        out.dedup();
        out
    }

    pub(crate) fn file_name(&self, file: FileId) -> &str {
        self.files.get(file).map_or("", |f| f.display.as_str())
    }
}

/// The identity key of a value, for grouping: the literal for known strings and numbers,
/// `ref:<expr>` for references.
pub(crate) fn identity(val: &Val) -> Option<String> {
    match val {
        Val::Known(Json::String(s)) if !s.is_empty() => Some(s.clone()),
        Val::Known(Json::Number(n)) => Some(n.to_string()),
        Val::Symbol { expr, .. } => Some(format!("ref:{expr}")),
        _ => None,
    }
}
