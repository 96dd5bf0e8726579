//! `Fn::Sub`: `${Name}` replaced by a parameter's value, a loop's item, a variable of the
//! function's own map, or left as a reference when it is not known before deployment
//! (`${!Literal}` is the literal `${Literal}`).

use serde_json::json;

use super::super::tree::{Node, NodeKind};
use super::{Context, PSEUDO_PARAMETERS, loc};
use crate::model::{Alt, RefKind};

impl<'a> Context<'a> {
    pub(crate) fn eval_sub(&mut self, node: &'a Node, arg: &'a Node, depth: usize) -> Alt {
        let here = loc(node.span);
        let (template, vars) = match &arg.kind {
            NodeKind::Str(s) => (s.clone(), None),
            NodeKind::Seq(items) => (
                items
                    .first()
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_owned(),
                items.get(1),
            ),
            _ => return Alt::unknown(here, "malformed Fn::Sub"),
        };
        let mut out = String::new();
        let mut rest = template.as_str();
        let mut unresolved = Vec::new();
        while let Some(start) = rest.find("${") {
            if out.len() > crate::parse::MAX_VALUE_BYTES {
                self.budget.oversize();
                return Alt::unknown(
                    here,
                    format!(
                        "Fn::Sub expands to more than {} bytes",
                        crate::parse::MAX_VALUE_BYTES
                    ),
                );
            }
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            rest = &after[end + 1..];
            let value = if let Some(v) = vars.and_then(|m| m.get(var)) {
                self.resolve_text(v, depth + 1)
            } else if let Some(b) = self.binding(var) {
                b.item.as_ref().map(|(item, _)| item.clone())
            } else if var.contains('.') {
                let res = var.split('.').next().unwrap_or("");
                self.reference(node.span, RefKind::Resource, res, self.declares(res));
                None
            } else if PSEUDO_PARAMETERS.contains(&var) {
                None
            } else if let Some(param) = self.params.get(var).copied() {
                self.reference(node.span, RefKind::Parameter, var, true);
                let ssm = super::dynamic::is_ssm_parameter(param);
                let value = self.overrides.get(var).cloned().or_else(|| {
                    param
                        .get("Default")
                        .and_then(Node::scalar_text)
                        .filter(|s| !s.is_empty())
                });
                value.filter(|_| !ssm)
            } else {
                self.reference_resource_or_undeclared(node.span, var);
                None
            };
            match value {
                Some(v) => out.push_str(&v),
                None => {
                    unresolved.push(var.to_owned());
                    out.push_str("${");
                    out.push_str(var);
                    out.push('}');
                }
            }
        }
        out.push_str(rest);
        if unresolved.is_empty() {
            Alt::known(here, json!(out))
        } else {
            Alt::symbol(
                here,
                format!("Sub({out})"),
                format!(
                    "Fn::Sub uses {} which is not known before deployment",
                    unresolved.join(", ")
                ),
            )
        }
    }
}
