//! IAM policy documents and their evaluation.
//!
//! The evaluation logic of the IAM User Guide, for identity-based policies (and boundaries
//! given as extra documents): a request is allowed only when an applicable statement allows
//! it and no applicable statement denies it; an explicit deny always wins. Statements match
//! on `Action`/`NotAction` (case-insensitive, `*` and `?` wildcards), `Resource`/`NotResource`
//! (case-sensitive ARNs, wildcards within segments) and `Condition` (operators AND-ed, keys
//! AND-ed, values OR-ed). Where the request's value for a condition key is not known from
//! the declaration, the outcome is "depends on the condition", never a guess.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::parse::tree::{Node, NodeKind};
use crate::source::Span;

/// Three-valued truth: what a static check can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Certainly.
    Yes,
    /// Certainly not.
    No,
    /// Depends on a value not known before deployment.
    Maybe,
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::Yes,
        }
    }

    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Maybe, _) | (_, Tri::Maybe) => Tri::Maybe,
            _ => Tri::No,
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        }
    }
}

/// One statement of a policy document.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `Sid`, or `#<index>`.
    pub sid: String,
    /// `Allow` (true) or `Deny`.
    pub allow: bool,
    /// Action patterns, and whether they are `NotAction`.
    pub actions: (Vec<String>, bool),
    /// Resource patterns, and whether they are `NotResource`.
    pub resources: (Vec<String>, bool),
    /// `Condition`: operator → key → values.
    pub conditions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Where the statement is written (file index, span) when it came from a file.
    pub origin: Option<(usize, Span)>,
}

/// A policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Name shown in messages (file path, or role policy name).
    pub name: String,
    /// Statements.
    pub statements: Vec<Statement>,
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
        Some(_) => node.and_then(Node::scalar_text).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Reads `Action`/`NotAction` (or `Resource`/`NotResource`) of statement `index`:
/// the listed strings and whether they are negated. Exactly one of the pair must be present.
fn element_or_negation(
    statement: &Node,
    index: usize,
    element: &str,
) -> Result<(Vec<String>, bool), String> {
    let negated = format!("Not{element}");
    match (statement.get(element), statement.get(&negated)) {
        (Some(listed), None) => Ok((strings(Some(listed)), false)),
        (None, Some(listed)) => Ok((strings(Some(listed)), true)),
        _ => Err(format!(
            "statement {index} needs exactly one of {element} and {negated}"
        )),
    }
}

/// Why a document is not a usable IAM policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(String);

impl From<PolicyError> for String {
    fn from(e: PolicyError) -> Self {
        e.0
    }
}

/// Parses a policy document from a parsed JSON node (spans kept for findings).
pub(crate) fn from_node(
    name: &str,
    file: Option<usize>,
    root: &Node,
) -> Result<Policy, PolicyError> {
    statements_of(name, file, root).map_err(PolicyError)
}

fn statements_of(name: &str, file: Option<usize>, root: &Node) -> Result<Policy, String> {
    let statements = match root.get("Statement").map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().collect::<Vec<_>>(),
        Some(NodeKind::Map(_)) => root.get("Statement").into_iter().collect(),
        _ => return Err("a policy needs a Statement".into()),
    };
    let mut out = Vec::new();
    for (i, s) in statements.into_iter().enumerate() {
        let effect = s
            .get("Effect")
            .and_then(Node::as_str)
            .ok_or(format!("statement {i} has no Effect"))?;
        let allow = match effect {
            "Allow" => true,
            "Deny" => false,
            other => {
                return Err(format!(
                    "statement {i}: Effect must be Allow or Deny, not {other}"
                ));
            }
        };
        let actions = element_or_negation(s, i, "Action")?;
        let resources = element_or_negation(s, i, "Resource")?;
        let mut conditions = BTreeMap::new();
        for op in s.get("Condition").and_then(Node::as_map).unwrap_or(&[]) {
            let mut keys = BTreeMap::new();
            for k in op.value.as_map().unwrap_or(&[]) {
                keys.insert(k.key.to_ascii_lowercase(), strings(Some(&k.value)));
            }
            conditions.insert(op.key.clone(), keys);
        }
        out.push(Statement {
            sid: s
                .get("Sid")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| format!("#{i}")),
            allow,
            actions,
            resources,
            conditions,
            origin: file.map(|f| (f, s.span)),
        });
    }
    Ok(Policy {
        name: name.to_owned(),
        statements: out,
    })
}

/// Parses a policy document from JSON text (live role policies; no spans).
pub fn from_json(name: &str, text: &str) -> Result<Policy, PolicyError> {
    let source = crate::source::SourceFile::in_memory(name, text);
    let root = crate::parse::json::parse(&source)
        .map_err(|e| PolicyError(e.message))?
        .ok_or_else(|| PolicyError("empty policy document".into()))?;
    from_node(name, None, &root)
}

/// `*` matches any run, `?` one character.
fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    // Iterative wildcard matching with backtracking on the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A resource ARN of the request; segments that are not known are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedArn {
    /// `arn:aws:ec2:<region>:<account>:<type>/<id>` with unknown parts as `None`.
    pub region: Option<String>,
    /// Account id.
    pub account: Option<String>,
    /// `network-interface`, `traffic-mirror-session`, ... or `*` for actions on `*`.
    pub resource_type: String,
    /// Resource id (`None`: not known, e.g. a session not created yet).
    pub id: Option<String>,
}

impl RequestedArn {
    /// The ARN as text, unknown parts shown as `?`.
    pub fn display(&self) -> String {
        if self.resource_type == "*" {
            return "*".into();
        }
        format!(
            "arn:aws:ec2:{}:{}:{}/{}",
            self.region.as_deref().unwrap_or("<region>"),
            self.account.as_deref().unwrap_or("<account>"),
            self.resource_type,
            self.id.as_deref().unwrap_or("<id>")
        )
    }
}

fn resource_matches(pattern: &str, arn: &RequestedArn) -> Tri {
    if pattern == "*" {
        return Tri::Yes;
    }
    if arn.resource_type == "*" {
        return Tri::No; // an action without resource-level permissions needs "*"
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [arn_lit, partition, service, region, account, rest] = parts.as_slice() else {
        return Tri::No;
    };
    if *arn_lit != "arn" || !glob(partition, "aws", false) || !glob(service, "ec2", false) {
        return Tri::No;
    }
    let seg = |pattern: &str, value: Option<&String>| match value {
        Some(v) => {
            if glob(pattern, v, false) {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        None if pattern == "*" => Tri::Yes,
        None => Tri::Maybe,
    };
    let (rtype, rid) = rest.split_once('/').unwrap_or((rest, ""));
    // A trailing `*` in the resource part may span `/`.
    let type_ok = if rest.ends_with('*') && !rest.contains('/') {
        glob(rest, &arn.resource_type, false)
            || glob(rest, &format!("{}/", arn.resource_type), false)
    } else {
        glob(rtype, &arn.resource_type, false)
    };
    if !type_ok {
        return Tri::No;
    }
    let id = if rest.contains('/') {
        seg(rid, arn.id.as_ref())
    } else {
        Tri::Yes
    };
    seg(region, arn.region.as_ref())
        .and(seg(account, arn.account.as_ref()))
        .and(id)
}

/// Request context: condition key (lower case) → values; a key mapped to `None` is present
/// in the request but its value is unknown.
pub type Context = BTreeMap<String, Option<Vec<String>>>;

fn condition_holds(operator: &str, key: &str, values: &[String], cx: &Context) -> Tri {
    let (set, op) = match operator.split_once(':') {
        Some((q @ ("ForAnyValue" | "ForAllValues"), op)) => (Some(q), op),
        _ => (None, operator),
    };
    let (op, if_exists) = op
        .strip_suffix("IfExists")
        .map_or((op, false), |o| (o, true));
    let request = match cx.get(key) {
        Some(Some(v)) => v,
        Some(None) => return Tri::Maybe,
        // Keys the declaration says nothing about (ec2:Vpc, aws:SourceIp, tags of existing
        // resources, ...): their value is not known, not absent.
        None if !is_authoritative(key) => return Tri::Maybe,
        None => {
            return match op {
                "Null" => Tri::from_bool(values.iter().any(|v| v == "true")),
                _ if if_exists => Tri::Yes,
                // A ForAllValues test on a missing key is vacuously true.
                _ if set == Some("ForAllValues") => Tri::Yes,
                // Negated operators hold when the key is absent.
                _ if op.contains("Not") => Tri::Yes,
                _ => Tri::No,
            };
        }
    };
    if op == "Null" {
        return Tri::from_bool(values.iter().any(|v| v == "false"));
    }
    let one = |r: &str, v: &str| -> Option<bool> {
        Some(
            match op.trim_start_matches("String").trim_start_matches("Arn") {
                "Equals" if op.starts_with("String") => r == v,
                "EqualsIgnoreCase" => r.eq_ignore_ascii_case(v),
                "Like" | "Equals" => glob(v, r, false),
                "NotEquals" if op.starts_with("String") => r != v,
                "NotEqualsIgnoreCase" => !r.eq_ignore_ascii_case(v),
                "NotLike" | "NotEquals" => !glob(v, r, false),
                _ if op == "Bool" => r.eq_ignore_ascii_case(v),
                _ => return None,
            },
        )
    };
    let negated = op.contains("Not");
    // Values of one key are OR-ed (NOR for negated operators); request values per set operator.
    let test = |r: &str| -> Option<bool> {
        let mut hits = values.iter().map(|v| one(r, v));
        if negated {
            hits.try_fold(true, |acc, h| h.map(|h| acc && h))
        } else {
            hits.try_fold(false, |acc, h| h.map(|h| acc || h))
        }
    };
    let results: Option<Vec<bool>> = request.iter().map(|r| test(r)).collect();
    let Some(results) = results else {
        return Tri::Maybe; // an operator this evaluator does not model
    };
    Tri::from_bool(match set {
        Some("ForAllValues") => results.iter().all(|b| *b),
        _ => results.iter().any(|b| *b),
    })
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }
}

/// Condition keys whose presence the declaration fully decides: the tags sent with the
/// request (a key that is not there is absent) and the action that creates a resource.
fn is_authoritative(key: &str) -> bool {
    key.starts_with("aws:requesttag/") || key == "aws:tagkeys" || key == "ec2:createaction"
}

/// Whether a statement applies to a request.
pub fn applies(s: &Statement, action: &str, arn: &RequestedArn, cx: &Context) -> Tri {
    let action_hit = s.actions.0.iter().any(|p| glob(p, action, true));
    let action_ok = if s.actions.1 { !action_hit } else { action_hit };
    if !action_ok {
        return Tri::No;
    }
    let res = s
        .resources
        .0
        .iter()
        .fold(Tri::No, |acc, p| acc.or(resource_matches(p, arn)));
    let res = if s.resources.1 { res.not() } else { res };
    let mut cond = Tri::Yes;
    for (op, keys) in &s.conditions {
        for (key, values) in keys {
            cond = cond.and(condition_holds(op, key, values, cx));
        }
    }
    res.and(cond)
}

/// The decision for one request against a set of policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An applicable statement allows it and none denies it.
    Allowed,
    /// No statement allows it.
    ImplicitDeny,
    /// This statement denies it (policy name, sid, origin).
    ExplicitDeny(String, String, Option<(usize, Span)>),
    /// The outcome depends on values unknown before deployment.
    Depends(String),
}

/// Evaluates one request: explicit deny wins; an allow is required.
pub fn decide(policies: &[Policy], action: &str, arn: &RequestedArn, cx: &Context) -> Decision {
    let mut maybe_deny = None;
    for p in policies {
        for s in p.statements.iter().filter(|s| !s.allow) {
            match applies(s, action, arn, cx) {
                Tri::Yes => return Decision::ExplicitDeny(p.name.clone(), s.sid.clone(), s.origin),
                Tri::Maybe => {
                    maybe_deny = maybe_deny.or(Some(format!(
                        "statement {} of {} may deny it",
                        s.sid, p.name
                    )))
                }
                Tri::No => {}
            }
        }
    }
    let mut allow = Tri::No;
    let mut maybe_allow = None;
    for p in policies {
        for s in p.statements.iter().filter(|s| s.allow) {
            let a = applies(s, action, arn, cx);
            if a == Tri::Maybe && maybe_allow.is_none() {
                maybe_allow = Some(format!(
                    "statement {} of {} allows it only under its conditions",
                    s.sid, p.name
                ));
            }
            allow = allow.or(a);
        }
    }
    match (allow, maybe_deny) {
        (Tri::No, _) => Decision::ImplicitDeny,
        (_, Some(why)) => Decision::Depends(why),
        (Tri::Yes, None) => Decision::Allowed,
        (Tri::Maybe, None) => Decision::Depends(maybe_allow.unwrap_or_default()),
    }
}

/// Condition values of a JSON value (for contexts built from declared tags).
pub fn json_strings(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect(),
        Json::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        from_json("p.json", json).expect("valid policy")
    }

    fn session_arn() -> RequestedArn {
        RequestedArn {
            region: Some("eu-west-1".into()),
            account: Some("111111111111".into()),
            resource_type: "traffic-mirror-session".into(),
            id: None,
        }
    }

    fn eni(id: &str) -> RequestedArn {
        RequestedArn {
            region: Some("eu-west-1".into()),
            account: Some("111111111111".into()),
            resource_type: "network-interface".into(),
            id: Some(id.into()),
        }
    }

    #[test]
    fn statement_needs_exactly_one_of_each_element_pair() {
        let both = from_json(
            "p.json",
            r#"{"Statement": {"Effect": "Allow", "Action": "ec2:*", "NotAction": "iam:*", "Resource": "*"}}"#,
        );
        assert_eq!(
            both.unwrap_err().to_string(),
            "statement 0 needs exactly one of Action and NotAction"
        );
        let neither = from_json(
            "p.json",
            r#"{"Statement": [{"Effect": "Deny", "Action": "ec2:*"}]}"#,
        );
        assert_eq!(
            neither.unwrap_err().to_string(),
            "statement 0 needs exactly one of Resource and NotResource"
        );
        let negated = policy(
            r#"{"Statement": {"Effect": "Allow", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::x"}}"#,
        );
        let statement = &negated.statements[0];
        assert_eq!(statement.actions, (vec!["iam:*".to_string()], true));
        assert_eq!(
            statement.resources,
            (vec!["arn:aws:s3:::x".to_string()], true)
        );
    }

    #[test]
    fn explicit_deny_wins_over_allow() {
        let p = policy(
            r#"{"Statement": [
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Sid": "NoMirror", "Effect": "Deny", "Action": "ec2:CreateTrafficMirrorSession", "Resource": "*"}]}"#,
        );
        match decide(
            &[p],
            "ec2:CreateTrafficMirrorSession",
            &session_arn(),
            &Context::new(),
        ) {
            Decision::ExplicitDeny(_, sid, _) => assert_eq!(sid, "NoMirror"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn allow_is_required() {
        let p = policy(
            r#"{"Statement": {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}"#,
        );
        assert_eq!(
            decide(
                &[p],
                "ec2:CreateTrafficMirrorSession",
                &session_arn(),
                &Context::new()
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn not_action_and_not_resource() {
        let p = policy(
            r#"{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&p),
                "ec2:DeleteTrafficMirrorSession",
                &session_arn(),
                &Context::new()
            ),
            Decision::Allowed
        );
        assert_eq!(
            decide(&[p], "iam:PassRole", &session_arn(), &Context::new()),
            Decision::ImplicitDeny
        );
        let q = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "NotResource": "arn:aws:ec2:*:*:network-interface/eni-secret"}]}"#,
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&q),
                "ec2:CreateTrafficMirrorSession",
                &eni("eni-other"),
                &Context::new()
            ),
            Decision::Allowed
        );
        assert_eq!(
            decide(
                &[q],
                "ec2:CreateTrafficMirrorSession",
                &eni("eni-secret"),
                &Context::new()
            ),
            Decision::ImplicitDeny
        );
        // A deny with NotAction denies everything else.
        let r = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "NotAction": "ec2:Describe*", "Resource": "*"}]}"#,
        );
        assert!(matches!(
            decide(&[r], "ec2:CreateTags", &session_arn(), &Context::new()),
            Decision::ExplicitDeny(..)
        ));
    }

    #[test]
    fn action_names_are_case_insensitive_arns_case_sensitive_and_wildcards_work() {
        let p = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "EC2:createtrafficmirror?ession", "Resource": "arn:aws:ec2:eu-west-1:111111111111:network-interface/eni-*"}]}"#,
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&p),
                "ec2:CreateTrafficMirrorSession",
                &eni("eni-0abc"),
                &Context::new()
            ),
            Decision::Allowed
        );
        assert_eq!(
            decide(
                &[p],
                "ec2:CreateTrafficMirrorSession",
                &eni("ENI-0abc"),
                &Context::new()
            ),
            Decision::ImplicitDeny
        );
        // Unknown parts of the requested ARN: a pattern naming them makes it depend.
        let q = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:eu-west-1:111111111111:traffic-mirror-session/tms-1"}]}"#,
        );
        assert!(matches!(
            decide(
                &[q],
                "ec2:CreateTrafficMirrorSession",
                &session_arn(),
                &Context::new()
            ),
            Decision::Depends(_)
        ));
        // Actions without resource-level permissions need "*".
        let star = RequestedArn {
            region: None,
            account: None,
            resource_type: "*".into(),
            id: None,
        };
        let r = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "arn:aws:ec2:*:*:*"}]}"#,
        );
        assert_eq!(
            decide(
                &[r],
                "ec2:DescribeTrafficMirrorSessions",
                &star,
                &Context::new()
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn conditions_are_evaluated_where_known_and_depend_otherwise() {
        let p = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"StringEquals": {"ec2:CreateAction": ["CreateTrafficMirrorSession", "CreateTrafficMirrorTarget"]}}}]}"#,
        );
        let mut cx = Context::new();
        cx.insert(
            "ec2:createaction".into(),
            Some(vec!["CreateTrafficMirrorSession".into()]),
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&p),
                "ec2:CreateTags",
                &session_arn(),
                &cx
            ),
            Decision::Allowed
        );
        cx.insert("ec2:createaction".into(), Some(vec!["RunInstances".into()]));
        assert_eq!(
            decide(
                std::slice::from_ref(&p),
                "ec2:CreateTags",
                &session_arn(),
                &cx
            ),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(&[p], "ec2:CreateTags", &session_arn(), &Context::new()),
            Decision::ImplicitDeny
        );
        // Request tags: known from the declaration; resource tags of something unknown: depends.
        let q = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:CreateTrafficMirrorSession", "Resource": "*",
            "Condition": {"StringLike": {"aws:RequestTag/team": "net*"}, "Null": {"aws:ResourceTag/owner": "false"}}}]}"#,
        );
        let mut cx = Context::new();
        cx.insert("aws:requesttag/team".into(), Some(vec!["netsec".into()]));
        cx.insert("aws:resourcetag/owner".into(), None);
        assert!(matches!(
            decide(
                std::slice::from_ref(&q),
                "ec2:CreateTrafficMirrorSession",
                &session_arn(),
                &cx
            ),
            Decision::Depends(_)
        ));
        // A key the declaration says nothing about is unknown, not absent.
        let v = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"ec2:Vpc": "arn:aws:ec2:eu-west-1:1:vpc/vpc-1"}}}]}"#,
        );
        assert!(matches!(
            decide(
                &[v],
                "ec2:CreateTrafficMirrorSession",
                &session_arn(),
                &Context::new()
            ),
            Decision::Depends(_)
        ));
        cx.insert("aws:resourcetag/owner".into(), Some(vec!["me".into()]));
        assert_eq!(
            decide(
                std::slice::from_ref(&q),
                "ec2:CreateTrafficMirrorSession",
                &session_arn(),
                &cx
            ),
            Decision::Allowed
        );
        cx.insert("aws:requesttag/team".into(), Some(vec!["web".into()]));
        assert_eq!(
            decide(&[q], "ec2:CreateTrafficMirrorSession", &session_arn(), &cx),
            Decision::ImplicitDeny
        );
        // Negated operators: NOR over values; ForAllValues over request values.
        let r = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestTag/env": ["prod", "staging"]}, "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}}]}"#,
        );
        let mut cx = Context::new();
        cx.insert("aws:requesttag/env".into(), Some(vec!["dev".into()]));
        cx.insert(
            "aws:tagkeys".into(),
            Some(vec!["env".into(), "team".into()]),
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&r),
                "ec2:CreateTags",
                &session_arn(),
                &cx
            ),
            Decision::Allowed
        );
        cx.insert(
            "aws:tagkeys".into(),
            Some(vec!["env".into(), "cost".into()]),
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&r),
                "ec2:CreateTags",
                &session_arn(),
                &cx
            ),
            Decision::ImplicitDeny
        );
        cx.insert("aws:tagkeys".into(), Some(vec!["env".into()]));
        cx.insert("aws:requesttag/env".into(), Some(vec!["prod".into()]));
        assert_eq!(
            decide(&[r], "ec2:CreateTags", &session_arn(), &cx),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn wildcards_backtrack() {
        assert!(glob("a*b*c", "axxbyyc", false));
        assert!(!glob("a*b*c", "axxbyy", false));
        assert!(glob("*", "", false));
        assert!(glob("ec2:*Mirror*", "EC2:CreateTrafficMirrorSession", true));
    }
}
