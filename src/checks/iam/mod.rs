//! IAM: does the deploying principal hold what creating, updating and deleting the declared
//! sessions needs? (MG020)
//!
//! For each declared AWS session and each operation (`--operations create,update,delete`),
//! the actions the CloudFormation/Cloud Control handlers and the Terraform provider call
//! are evaluated, each against every resource it is authorized on (Service Authorization
//! Reference: the network interface, the session, the target and the filter for
//! `ec2:CreateTrafficMirrorSession`), with the request context the declaration implies
//! (`ec2:CreateAction` for tag-on-create, `aws:RequestTag/…`, `aws:TagKeys`,
//! `aws:ResourceTag/…`). Policies come from `--deploy-policy` files or, with the `aws`
//! feature, a live role (`--deploy-role`); `--boundary` documents must allow too.

pub mod policy;

use std::sync::Arc;

use policy::{Context, Decision, Policy, RequestedArn};
use serde_json::Value as Json;

use crate::error::FileError;
use crate::model::{Alt, Format, Provider, Session, Unit, Val};
use crate::report::{Finding, Location, Related, Skipped, stable_hash};
use crate::rules::RuleMeta;
use crate::source::SourceFile;

/// A lifecycle operation whose permissions are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// CreateTrafficMirrorSession and what goes with it.
    Create,
    /// ModifyTrafficMirrorSession and tag changes.
    Update,
    /// DeleteTrafficMirrorSession.
    Delete,
}

impl Operation {
    /// Every operation, in lifecycle order.
    pub const ALL: [Self; 3] = [Self::Create, Self::Update, Self::Delete];

    /// Parses `create`, `update` or `delete`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.verb().eq_ignore_ascii_case(text))
    }

    /// The operation's name: `create`, `update`, `delete`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// The policies of the deploying principal, with the files they came from.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// Identity-based policies.
    pub policies: Vec<Policy>,
    /// Permission boundaries or SCPs given with `--boundary`: they must allow too.
    pub boundaries: Vec<Policy>,
    /// Policy files, indexed by a statement's origin file index.
    pub files: Vec<Arc<SourceFile>>,
    /// Region and account of the requests (unknown segments make resource matches depend).
    pub region: Option<String>,
    /// Account id.
    pub account: Option<String>,
}

impl Principal {
    /// Reads policy documents (`Statement` spans kept for related locations): identity
    /// policies, then boundaries or SCPs that must allow too.
    pub fn from_sources(
        policies: &[Arc<SourceFile>],
        boundaries: &[Arc<SourceFile>],
        errors: &mut Vec<FileError>,
    ) -> Self {
        let mut p = Self::default();
        for (sources, boundary) in [(policies, false), (boundaries, true)] {
            for source in sources {
                let root = match crate::parse::json::parse(source) {
                    Ok(Some(r)) => r,
                    Ok(None) => {
                        errors.push(FileError::whole_file(
                            source.display.clone(),
                            "empty policy document",
                        ));
                        continue;
                    }
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                match policy::from_node(&source.display, Some(p.files.len()), &root) {
                    Ok(doc) => {
                        p.files.push(source.clone());
                        if boundary {
                            p.boundaries.push(doc)
                        } else {
                            p.policies.push(doc)
                        }
                    }
                    Err(e) => errors.push(FileError::at(
                        source,
                        root.span,
                        format!("not an IAM policy: {e}"),
                    )),
                }
            }
        }
        p
    }
}

struct Requirement {
    action: &'static str,
    arn: RequestedArn,
    context: Context,
}

fn literal(alts: &[Alt]) -> Option<String> {
    match alts.first().map(|a| &a.val) {
        Some(Val::Known(Json::String(s))) if alts.len() == 1 => Some(s.clone()),
        _ => None,
    }
}

/// Declared tags as request context: known keys and values, `None` values when unknown.
fn tag_context(s: &Session, unit: &Unit, prefix: &str) -> (Context, bool) {
    let mut cx = Context::new();
    let mut keys: Vec<String> = Vec::new();
    let mut keys_known = true;
    for set in &s.tags {
        match &set.items {
            Some(items) => {
                for item in items {
                    match &item.key.val {
                        Val::Known(k) => {
                            let k = policy::json_strings(k).join("");
                            let v = match &item.value.val {
                                Val::Known(v) => Some(policy::json_strings(v)),
                                _ => None,
                            };
                            cx.insert(format!("{prefix}{}", k.to_ascii_lowercase()), v);
                            keys.push(k);
                        }
                        _ => keys_known = false,
                    }
                }
            }
            None => keys_known = false,
        }
    }
    // CloudFormation adds its system tags to every resource it creates.
    if unit.format == Format::CloudFormation {
        for k in [
            "aws:cloudformation:logical-id",
            "aws:cloudformation:stack-id",
            "aws:cloudformation:stack-name",
        ] {
            cx.insert(
                format!("{prefix}{k}"),
                if k.ends_with("logical-id") {
                    Some(vec![s.address.clone()])
                } else {
                    None
                },
            );
            keys.push(k.to_owned());
        }
    }
    let has_tags = !keys.is_empty() || !keys_known;
    if prefix == "aws:requesttag/" {
        cx.insert("aws:tagkeys".into(), keys_known.then_some(keys));
    }
    (cx, has_tags)
}

fn requirements(unit: &Unit, s: &Session, op: Operation, p: &Principal) -> Vec<Requirement> {
    let arn = |ty: &str, id: Option<String>| RequestedArn {
        region: p.region.clone(),
        account: p.account.clone(),
        resource_type: ty.to_owned(),
        id,
    };
    let star = || RequestedArn {
        region: None,
        account: None,
        resource_type: "*".into(),
        id: None,
    };
    let session = || arn("traffic-mirror-session", None);
    let target = literal(&s.traffic_mirror_target_id);
    let filter = literal(&s.traffic_mirror_filter_id);
    let eni = literal(&s.network_interface_id);
    // Cloud Control handlers (CloudFormation, awscc, stackql) also call DescribeTags and
    // always manage tags; the Terraform provider only when tags are declared.
    let cloud_control = unit.format == Format::CloudFormation || s.provider == Provider::Awscc;
    let (request_tags, has_tags) = tag_context(s, unit, "aws:requesttag/");
    let (resource_tags, _) = tag_context(s, unit, "aws:resourcetag/");
    let mut out = Vec::new();
    let mut push = |action, arn, context: Context| {
        out.push(Requirement {
            action,
            arn,
            context,
        })
    };
    match op {
        Operation::Create => {
            for a in [
                arn("network-interface", eni),
                session(),
                arn("traffic-mirror-target", target),
                arn("traffic-mirror-filter", filter),
            ] {
                push("ec2:CreateTrafficMirrorSession", a, request_tags.clone());
            }
            if has_tags || cloud_control {
                let mut cx = request_tags.clone();
                cx.insert(
                    "ec2:createaction".into(),
                    Some(vec!["CreateTrafficMirrorSession".into()]),
                );
                push("ec2:CreateTags", session(), cx);
            }
            push("ec2:DescribeTrafficMirrorSessions", star(), Context::new());
            if cloud_control {
                push("ec2:DescribeTags", star(), Context::new());
            }
        }
        Operation::Update => {
            push(
                "ec2:ModifyTrafficMirrorSession",
                session(),
                resource_tags.clone(),
            );
            for a in [
                arn("traffic-mirror-target", target),
                arn("traffic-mirror-filter", filter),
            ] {
                push("ec2:ModifyTrafficMirrorSession", a, Context::new());
            }
            if has_tags || cloud_control {
                push("ec2:CreateTags", session(), request_tags.clone());
                push("ec2:DeleteTags", session(), resource_tags.clone());
            }
            push("ec2:DescribeTrafficMirrorSessions", star(), Context::new());
            if cloud_control {
                push("ec2:DescribeTags", star(), Context::new());
            }
        }
        Operation::Delete => {
            push(
                "ec2:DeleteTrafficMirrorSession",
                session(),
                resource_tags.clone(),
            );
            if cloud_control {
                push("ec2:DeleteTags", session(), resource_tags);
            }
        }
    }
    out
}

fn decide_all(p: &Principal, r: &Requirement) -> Decision {
    let identity = policy::decide(&p.policies, r.action, &r.arn, &r.context);
    if p.boundaries.is_empty() || identity != Decision::Allowed {
        return identity;
    }
    policy::decide(&p.boundaries, r.action, &r.arn, &r.context)
}

/// A session that misses permissions for one operation.
struct Missing {
    location: Location,
    address: String,
    /// The denying statements' places.
    denied_at: Vec<Related>,
}

/// Evaluates every declared AWS session. Sessions that miss the same permissions for an
/// operation share one finding, at the first of them, with every other one as a related
/// location (one missing action over a hundred sessions is one thing to fix, not a
/// hundred). Returns the findings and the checks that depend on values unknown before
/// deployment.
pub(crate) fn evaluate(
    units: &[Unit],
    p: &Principal,
    operations: &[Operation],
    meta: &RuleMeta,
) -> (Vec<Finding>, Vec<Skipped>) {
    let mut skipped = Vec::new();
    let mut by_missing: std::collections::BTreeMap<(Operation, String), Vec<Missing>> =
        std::collections::BTreeMap::new();
    for unit in units {
        for s in unit
            .declared_sessions()
            .filter(|s| s.provider != Provider::Alicloud)
        {
            let Some(source) = unit.files.get(s.loc.file) else {
                continue;
            };
            let location = Location::new(source.clone(), s.loc.span);
            for &op in operations {
                let mut depends: Vec<String> = Vec::new();
                let mut missing: Vec<String> = Vec::new();
                let mut denied_at: Vec<Related> = Vec::new();
                for r in requirements(unit, s, op, p) {
                    let what = format!("{} on {}", r.action, r.arn.display());
                    let what = match decide_all(p, &r) {
                        Decision::Allowed => continue,
                        Decision::ImplicitDeny => what,
                        Decision::ExplicitDeny(policy, sid, origin) => {
                            if let Some((file, span)) =
                                origin.and_then(|(f, sp)| p.files.get(f).map(|f| (f.clone(), sp)))
                                && !denied_at.iter().any(|x| {
                                    x.location.span == span && x.location.file() == file.display
                                })
                            {
                                denied_at.push(Related {
                                    location: Location::new(file, span),
                                    message: format!("statement {sid} denies {}", r.action),
                                });
                            }
                            format!("{what} (denied by statement {sid} of {policy})")
                        }
                        Decision::Depends(why) => {
                            depends.push(format!("{what}: {why}"));
                            continue;
                        }
                    };
                    if !missing.contains(&what) {
                        missing.push(what);
                    }
                }
                if !missing.is_empty() {
                    by_missing
                        .entry((op, missing.join("; ")))
                        .or_default()
                        .push(Missing {
                            location: location.clone(),
                            address: s.address.clone(),
                            denied_at,
                        });
                }
                if !depends.is_empty() {
                    skipped.push(Skipped {
                        location: location.clone(),
                        address: s.address.clone(),
                        property: format!("iam:{}", op.verb()),
                        reason: format!("depends on condition: {}", depends.join("; ")),
                        rules: vec![meta.id.clone()],
                    });
                }
            }
        }
    }
    let mut findings = Vec::new();
    for ((op, missing), sessions) in by_missing {
        let Some(first) = sessions.first() else {
            continue;
        };
        let mut related = first.denied_at.clone();
        if related.is_empty()
            && let Some(file) = p.files.first()
        {
            related.push(Related {
                location: Location::new(file.clone(), crate::source::Span::new(0, 0)),
                message: format!("no statement of {} allows what is missing", file.display),
            });
        }
        related.extend(sessions.iter().skip(1).map(|m| Related {
            location: m.location.clone(),
            message: format!("{} misses the same", m.address),
        }));
        let message = match sessions.len() {
            1 => format!(
                "the deploying principal cannot {} this session: missing {missing}",
                op.verb()
            ),
            n => format!(
                "the deploying principal cannot {} this session and {} more: missing {missing}",
                op.verb(),
                n - 1
            ),
        };
        findings.push(Finding {
            rule_id: meta.id.clone(),
            severity: meta.severity,
            message,
            fingerprint: stable_hash(&[&meta.id, first.location.file(), &first.address, op.verb()]),
            location: Some(first.location.clone()),
            address: first.address.clone(),
            property: format!("iam:{}", op.verb()),
            related,
            suppression: None,
            fix: None,
            scope: None,
        });
    }
    (findings, skipped)
}
