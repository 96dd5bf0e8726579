//! Values CloudFormation reads from Systems Manager or Secrets Manager when the stack
//! deploys, so they are not known here (never a malformed id, or a session number that is
//! not a number):
//!
//! * dynamic references (`{{resolve:ssm:/name}}`, `{{resolve:ssm-secure:…}}`,
//!   `{{resolve:secretsmanager:…}}`);
//! * parameters of an SSM type (`AWS::SSM::Parameter::Value<String>`), whose default or
//!   given value is the name of the Systems Manager parameter, not the value.

use crate::model::{Alt, Loc, Val};
use crate::parse::tree::Node;
use serde_json::Value as Json;

/// Whether a declared parameter is of an SSM type: its value names a Systems Manager
/// parameter whose value CloudFormation reads at deployment.
pub(crate) fn is_ssm_parameter(param: &Node) -> bool {
    param
        .get("Type")
        .and_then(Node::as_str)
        .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value<"))
}

/// The value of `Ref name` for a parameter of an SSM type named `held` (its default or the
/// value given on the command line, if any).
pub(crate) fn ssm_parameter_value(here: Loc, name: &str, held: Option<&str>) -> Alt {
    let why = match held {
        Some(p) => {
            format!("parameter {name} is read from the Systems Manager parameter {p} at deployment")
        }
        None => format!("parameter {name} is read from Systems Manager at deployment"),
    };
    Alt::symbol(here, format!("Ref({name})"), why)
}

/// Makes a value that holds a dynamic reference unknown, naming the reference.
pub(crate) fn resolve_later(alt: &mut Alt) {
    let Val::Known(Json::String(text)) = &alt.val else {
        return;
    };
    let Some(start) = text.find("{{resolve:") else {
        return;
    };
    let reference = text[start..]
        .find("}}")
        .map_or(&text[start..], |end| &text[start..start + end + 2]);
    let why = format!("CloudFormation resolves the dynamic reference {reference} at deployment");
    alt.val = Val::Symbol {
        expr: text.clone(),
        why,
    };
}

#[cfg(test)]
mod tests {
    use super::resolve_later;
    use crate::model::{Alt, Loc, Val};
    use serde_json::json;

    #[test]
    fn a_value_holding_a_dynamic_reference_is_unknown() {
        let at = Loc::default();
        let mut whole = Alt::known(at, json!("{{resolve:ssm:/mirror/eni:3}}"));
        resolve_later(&mut whole);
        assert!(
            matches!(&whole.val, Val::Symbol { expr, why } if expr == "{{resolve:ssm:/mirror/eni:3}}" && why.contains("{{resolve:ssm:/mirror/eni:3}}"))
        );
        let mut part = Alt::known(
            at,
            json!("prefix-{{resolve:secretsmanager:s:SecretString:k}}-x"),
        );
        resolve_later(&mut part);
        assert!(
            matches!(&part.val, Val::Symbol { why, .. } if why.contains("{{resolve:secretsmanager:s:SecretString:k}} at"))
        );
        for plain in [
            json!("eni-0123456789abcdef0"),
            json!("{{not a reference}}"),
            json!(7),
        ] {
            let mut alt = Alt::known(at, plain.clone());
            resolve_later(&mut alt);
            assert_eq!(alt.val, Val::Known(plain));
        }
    }
}
