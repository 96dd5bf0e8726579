//! CloudFormation `Conditions`: names, negations, and which branches can apply.
//!
//! A condition is decided when the values it reads are known: parameters given on the
//! command line or in a parameter file (not their defaults: a default is what applies when
//! nobody passes a value, and templates are deployed with different values per
//! environment), `AWS::Region` from `--region`, and mappings. A decided condition removes
//! the branches that cannot apply, and the resources it excludes; an undecided one keeps
//! every branch, each qualified ("only when IsProd"). A condition that is not declared
//! qualifies nothing: MG009 reports it.

use std::collections::HashMap;

use super::super::tree::Node;
use super::Context;
use super::intrinsics::intrinsic;
use crate::model::Condition;

/// A condition's definition reduced to a base name and polarity when it is a plain
/// negation (`IsDev: !Not [!Condition IsProd]`), so that contradictions can be seen.
pub(crate) fn normalize(name: &str, def: &Node) -> (String, bool) {
    if let Some((fname, arg)) = intrinsic(def)
        && fname == "Fn::Not"
        && let Some(inner) = arg.as_seq().and_then(|s| s.first())
        && let Some(("Condition", c)) = intrinsic(inner)
        && let Some(c) = c.as_str()
    {
        return (c.to_owned(), false);
    }
    (name.to_owned(), true)
}

/// Whether a branch under a condition applies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Branch {
    /// The condition is decided against this branch.
    Never,
    /// Decided for it, or not declared (MG009 reports that): no qualifier.
    Always,
    /// Undecided: the branch applies under this condition.
    When(Condition),
}

/// What deciding conditions needs to know.
pub(crate) struct Facts<'a> {
    pub(crate) definitions: HashMap<String, &'a Node>,
    pub(crate) given: &'a crate::parse::ParameterValues,
    pub(crate) region: Option<&'a str>,
    pub(crate) mappings: Option<&'a Node>,
}

impl Facts<'_> {
    /// Every condition that the known values decide.
    pub(crate) fn decide_all(&self) -> HashMap<String, bool> {
        let mut out = HashMap::new();
        for name in self.definitions.keys() {
            if let Some(v) = self.decide(name, &mut Vec::new()) {
                out.insert(name.clone(), v);
            }
        }
        out
    }

    fn decide(&self, name: &str, stack: &mut Vec<String>) -> Option<bool> {
        if stack.iter().any(|n| n == name) || stack.len() > 32 {
            return None;
        }
        let def = self.definitions.get(name)?;
        stack.push(name.to_owned());
        let v = self.truth(def, stack);
        stack.pop();
        v
    }

    fn truth(&self, node: &Node, stack: &mut Vec<String>) -> Option<bool> {
        let Some((name, arg)) = intrinsic(node) else {
            return match node.scalar_text()?.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
        };
        let items = arg.as_seq().unwrap_or(&[]);
        match name {
            "Condition" => self.decide(arg.as_str()?, stack),
            "Fn::Equals" => {
                let (a, b) = (items.first()?, items.get(1)?);
                Some(self.text(a)? == self.text(b)?)
            }
            "Fn::Not" => self.truth(items.first()?, stack).map(|v| !v),
            "Fn::And" | "Fn::Or" => {
                let want = name == "Fn::Or";
                let mut undecided = false;
                for item in items {
                    match self.truth(item, stack) {
                        Some(v) if v == want => return Some(want),
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                (!undecided).then_some(!want)
            }
            _ => None,
        }
    }

    /// A value's text when it is known without deploying.
    fn text(&self, node: &Node) -> Option<String> {
        let Some((name, arg)) = intrinsic(node) else {
            return node.scalar_text();
        };
        match name {
            "Ref" => {
                let p = arg.as_str()?;
                if p == "AWS::Region" {
                    return self.region.map(str::to_owned);
                }
                self.given.get(p).cloned()
            }
            "Fn::FindInMap" => {
                let keys: Option<Vec<String>> =
                    arg.as_seq()?.iter().take(3).map(|k| self.text(k)).collect();
                let keys = keys?;
                let [map, k1, k2] = keys.as_slice() else {
                    return None;
                };
                self.mappings?.get(map)?.get(k1)?.get(k2)?.scalar_text()
            }
            _ => None,
        }
    }
}

impl Context<'_> {
    /// Whether the branch of `name` being `value` applies.
    pub(crate) fn branch(&self, name: &str, value: bool) -> Branch {
        let Some((base, polarity)) = self.conditions.get(name) else {
            return Branch::Always;
        };
        match self.decided.get(name) {
            Some(&d) if d == value => Branch::Always,
            Some(_) => Branch::Never,
            None => Branch::When(Condition::is(base.clone(), value == *polarity)),
        }
    }
}
