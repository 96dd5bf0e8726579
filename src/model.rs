//! The one session model every input format is read into.
//!
//! A declared value is *known* (a literal, with the span it was written at), *symbolic*
//! (a reference whose literal value is not known, e.g. `aws_network_interface.src.id` or
//! `!Ref SourceEni`; two sessions naming the same reference name the same thing) or
//! *unknown* (with the reason). A property can have several alternatives, one per branch
//! of a CloudFormation `Fn::If` or Terraform conditional, each under its conditions.
//! Rules only ever flag known values; unknown values are listed as skipped checks.
//!
//! [`Unit::to_input`] turns the model into the plain JSON that Rego rules read. Spans stay
//! on the Rust side: every located value in the input has a `ref` number, an index into
//! the unit's location table, and rule results point into the input by path.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use crate::source::{SourceFile, Span};

/// Index of a file in [`Unit::files`].
pub(crate) type FileId = usize;

/// A place in one of a unit's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    pub(crate) origin: Option<(Option<Loc>, String)>,
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
        }
    }

    /// The field with this rule-input name, for readers that map columns or attributes by
    /// name (stackql INSERT columns, plan attributes).
    pub(crate) fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        Some(match name {
            "network_interface_id" => &mut self.network_interface_id,
            "traffic_mirror_target_id" => &mut self.traffic_mirror_target_id,
            "traffic_mirror_filter_id" => &mut self.traffic_mirror_filter_id,
            "session_number" => &mut self.session_number,
            "packet_length" => &mut self.packet_length,
            "virtual_network_id" => &mut self.virtual_network_id,
            "description" => &mut self.description,
            "name" => &mut self.name,
            "target_type" => &mut self.target_type,
            "region" => &mut self.region,
            _ => return None,
        })
    }

    /// The fields in input order, with their names in the rule input.
    pub(crate) fn fields(&self) -> [(&'static str, &Field); 10] {
        [
            ("name", &self.name),
            ("target_type", &self.target_type),
            ("region", &self.region),
            ("network_interface_id", &self.network_interface_id),
            ("traffic_mirror_target_id", &self.traffic_mirror_target_id),
            ("traffic_mirror_filter_id", &self.traffic_mirror_filter_id),
            ("session_number", &self.session_number),
            ("packet_length", &self.packet_length),
            ("virtual_network_id", &self.virtual_network_id),
            ("description", &self.description),
        ]
    }
}

/// A traffic mirror target as declared (needed to know which ENI a session sends to).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) address: String,
    pub(crate) loc: Loc,
    /// Identity by which sessions refer to the target (`Ref(T)`, `aws_ec2_traffic_mirror_target.t.id`).
    pub(crate) identities: Vec<String>,
    pub(crate) network_interface_id: Field,
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
}

/// One unit of evaluation: a CloudFormation template or a Terraform module (folder).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub(crate) format: Format,
    /// Name of the unit (template file or module folder).
    pub(crate) name: String,
    pub(crate) files: Vec<Arc<SourceFile>>,
    pub(crate) sessions: Vec<Session>,
    pub(crate) targets: Vec<Target>,
    pub(crate) references: Vec<Reference>,
    /// Suppressions written in the unit's files.
    pub(crate) suppressions: Vec<crate::suppress::Suppression>,
}

/// The rule input of a unit and the location table its `ref` numbers index.
#[derive(Debug)]
pub(crate) struct RuleInput {
    pub(crate) json: Json,
    pub(crate) locs: Vec<Loc>,
}

impl Unit {
    /// An empty unit named `name` over `files`; readers fill in what they find.
    pub(crate) fn new(format: Format, name: String, files: Vec<Arc<SourceFile>>) -> Self {
        Unit {
            format,
            name,
            files,
            sessions: Vec::new(),
            targets: Vec::new(),
            references: Vec::new(),
            suppressions: Vec::new(),
        }
    }

    /// Serializes the unit into the documented rule input (see `rules/README.md`).
    pub(crate) fn to_input(&self) -> RuleInput {
        let mut locs = Vec::new();
        let mut reg = |loc: Loc| {
            locs.push(loc);
            locs.len() - 1
        };
        let mut sessions = Vec::with_capacity(self.sessions.len());
        for (index, s) in self.sessions.iter().enumerate() {
            let mut obj = Map::new();
            obj.insert("index".into(), json!(index));
            obj.insert("address".into(), json!(s.address));
            obj.insert("type".into(), json!(s.resource_type));
            obj.insert("provider".into(), json!(s.provider.as_str()));
            obj.insert("format".into(), json!(self.format.as_str()));
            obj.insert("file".into(), json!(self.file_name(s.loc.file)));
            obj.insert("ref".into(), json!(reg(s.loc)));
            obj.insert("conditions".into(), conditions_json(&s.conditions));
            obj.insert("partial".into(), json!(s.partial));
            for (name, field) in s.fields() {
                let alts: Vec<Json> = field.iter().map(|a| alt_json(a, &mut reg)).collect();
                obj.insert(name.into(), Json::Array(alts));
            }
            let target_enis = self.target_enis(s);
            obj.insert(
                "target_network_interface_id".into(),
                Json::Array(target_enis.iter().map(|a| alt_json(a, &mut reg)).collect()),
            );
            let tags: Vec<Json> = s
                .tags
                .iter()
                .map(|t| {
                    let mut o = Map::new();
                    o.insert("ref".into(), json!(reg(t.loc)));
                    o.insert("when".into(), conditions_json(&t.when));
                    match &t.items {
                        Some(items) => {
                            let items: Vec<Json> = items
                                .iter()
                                .map(|it| {
                                    json!({
                                        "ref": reg(it.loc),
                                        "key": alt_json(&it.key, &mut reg),
                                        "value": alt_json(&it.value, &mut reg),
                                    })
                                })
                                .collect();
                            o.insert("items".into(), Json::Array(items));
                        }
                        None => {
                            o.insert("unknown".into(), json!(t.why));
                        }
                    }
                    Json::Object(o)
                })
                .collect();
            obj.insert("tags".into(), Json::Array(tags));
            sessions.push(Json::Object(obj));
        }
        let targets: Vec<Json> = self
            .targets
            .iter()
            .map(|t| {
                json!({
                    "address": t.address,
                    "ref": reg(t.loc),
                    "network_interface_id": t.network_interface_id.iter().map(|a| alt_json(a, &mut reg)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let references: Vec<Json> = self
            .references
            .iter()
            .map(|r| {
                json!({
                    "ref": reg(r.loc),
                    "kind": r.kind.as_str(),
                    "name": r.name,
                    "declared": r.declared,
                    "session": r.session,
                })
            })
            .collect();
        let json = json!({
            "format": self.format.as_str(),
            "unit": self.name,
            "sessions": sessions,
            "targets": targets,
            "references": references,
        });
        RuleInput { json, locs }
    }

    /// The ENI alternatives of the target a session sends to, when the target is declared
    /// in the same unit.
    pub(crate) fn target_enis(&self, session: &Session) -> Vec<Alt> {
        let mut out = Vec::new();
        for alt in &session.traffic_mirror_target_id {
            let Val::Symbol { expr, .. } = &alt.val else {
                continue;
            };
            for target in &self.targets {
                if target.identities.iter().any(|i| i == expr) {
                    for eni in &target.network_interface_id {
                        let mut e = eni.clone();
                        e.when.extend(alt.when.iter().cloned());
                        out.push(e);
                    }
                }
            }
        }
        out
    }

    pub(crate) fn file_name(&self, file: FileId) -> &str {
        self.files.get(file).map_or("", |f| f.display.as_str())
    }
}

fn conditions_json(conds: &[Condition]) -> Json {
    Json::Array(
        conds
            .iter()
            .map(|c| match &c.value {
                CondValue::Bool(b) => json!({"name": c.name, "value": b}),
                CondValue::Text(t) => json!({"name": c.name, "value": t}),
            })
            .collect(),
    )
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

/// The EC2 resource-id prefix of a literal shaped like an EC2 id (`eni`, `tmt`, `tmf`, ...:
/// a lower-case prefix, `-`, then 8 or 17 lower-case hex digits). A fact for rules (MG010),
/// computed here because regorus has no cheap way to test it (it compiles a regex per call).
pub(crate) fn ec2_id_kind(s: &str) -> Option<&str> {
    let (prefix, digits) = s.split_once('-')?;
    let prefix_ok = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase());
    let digits_ok = matches!(digits.len(), 8 | 17)
        && digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (prefix_ok && digits_ok).then_some(prefix)
}

fn alt_json(alt: &Alt, reg: &mut impl FnMut(Loc) -> usize) -> Json {
    let mut o = Map::new();
    o.insert("ref".into(), json!(reg(alt.loc)));
    o.insert("when".into(), conditions_json(&alt.when));
    if let Some(id) = identity(&alt.val) {
        o.insert("id".into(), json!(id));
    }
    match &alt.val {
        Val::Known(v) => {
            if let Some(kind) = v.as_str().and_then(ec2_id_kind) {
                o.insert("ec2_id".into(), json!(kind));
            }
            o.insert("known".into(), v.clone());
        }
        Val::Symbol { expr, why } => {
            o.insert("symbol".into(), json!(expr));
            o.insert("unknown".into(), json!(why));
        }
        Val::Unknown(why) => {
            o.insert("unknown".into(), json!(why));
        }
        Val::Absent => {
            o.insert("absent".into(), json!(true));
        }
    }
    if let Some((loc, how)) = &alt.origin {
        if let Some(loc) = loc {
            o.insert("origin_ref".into(), json!(reg(*loc)));
        }
        o.insert("origin".into(), json!(how));
    }
    Json::Object(o)
}

#[cfg(test)]
mod tests {
    use super::ec2_id_kind;

    #[test]
    fn ec2_id_shapes() {
        assert_eq!(ec2_id_kind("eni-0123456789abcdef0"), Some("eni"));
        assert_eq!(ec2_id_kind("tmt-0123abcd"), Some("tmt"));
        assert_eq!(ec2_id_kind("eni-0123456789ABCDEF0"), None);
        assert_eq!(ec2_id_kind("tmt-5319fsEXAMPLE"), None);
        assert_eq!(ec2_id_kind("eni-123"), None);
        assert_eq!(ec2_id_kind("-01234567"), None);
    }
}
