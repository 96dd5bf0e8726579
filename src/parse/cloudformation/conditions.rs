//! CloudFormation `Conditions`: names, negations, and the condition an `Fn::If` branch needs.

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

impl Context<'_> {
    pub(crate) fn condition(&self, name: &str, value: bool) -> Condition {
        match self.conditions.get(name) {
            Some((base, polarity)) => Condition::is(base.clone(), value == *polarity),
            None => Condition::is(name, value),
        }
    }
}
