//! Targets, filters, filter rules, interfaces, instances and attachments of a template.

use super::conditions::Branch;
use super::foreach::Decl;
use super::{Context, loc};
use crate::model::graph::{Attr, Kind, Resource};
use crate::model::{Alt, Provider, Unit};
use crate::parse::numeric;
use crate::parse::tree::Node;

/// Whether `Fn::GetAtt X.attr` of a resource of type `ty` is the value `Ref X` returns:
/// the id of an interface, a mirror target, filter, rule or session, or a VPC endpoint
/// (`Id`), or of an instance (`InstanceId`). Both spellings then name one thing: two
/// sessions on `!Ref Eni` and `!GetAtt Eni.Id` share their source interface.
pub(crate) fn attribute_is_ref(ty: &str, attr: &str) -> bool {
    match attr {
        "Id" => matches!(
            ty,
            "AWS::EC2::NetworkInterface"
                | "AWS::EC2::TrafficMirrorTarget"
                | "AWS::EC2::TrafficMirrorFilter"
                | "AWS::EC2::TrafficMirrorFilterRule"
                | "AWS::EC2::TrafficMirrorSession"
                | "AWS::EC2::VPCEndpoint"
        ),
        "InstanceId" => ty == "AWS::EC2::Instance",
        _ => false,
    }
}

/// Reads one graph resource (and, for an instance, its interfaces) into the unit.
pub(crate) fn read<'a>(cx: &mut Context<'a>, unit: &mut Unit, e: &Decl<'a>, kind: Kind) {
    let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
    let props = e.value.get("Properties");
    let here = loc(e.key_span);
    let mut r = Resource::new(kind, e.id.clone(), ty, Provider::Aws, here);
    r.conditions.extend(e.conditions.iter().cloned());
    if let Some(c) = e.value.get("Condition").and_then(Node::as_str) {
        cx.note_condition(c, e.value.get("Condition").map_or(e.key_span, |n| n.span));
        match cx.branch(c, true) {
            Branch::Never => return,
            Branch::Always => {}
            Branch::When(c) => r.conditions.push(c),
        }
    }
    r.identities = vec![format!("Ref({})", e.id), format!("GetAtt({}.Id)", e.id)];
    cx.resource = Some(unit.resources.len());
    for &attr in Attr::of(kind) {
        let mut node = props;
        for step in attr.api_path() {
            node = node.and_then(|n| n.get(step));
        }
        let alts: Vec<Alt> = node.map(|n| cx.eval(n)).unwrap_or_default();
        r.set(
            attr,
            if attr.is_number() {
                numeric(alts)
            } else {
                alts
            },
        );
    }
    let mut attachments = Vec::new();
    if kind == Kind::Instance {
        let instance = format!("Ref({})", e.id);
        // The primary interface, as `!GetAtt I.PrimaryNetworkInterfaceId` names it.
        attachments.push(attachment(
            format!("{} (primary interface)", e.id),
            here,
            Alt::symbol(
                here,
                format!("GetAtt({}.PrimaryNetworkInterfaceId)", e.id),
                "known only after deployment",
            ),
            &instance,
            &r,
        ));
        let nics = props
            .and_then(|p| p.get("NetworkInterfaces"))
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        for (n, nic) in nics.iter().enumerate() {
            let Some(eni) = nic.get("NetworkInterfaceId") else {
                continue;
            };
            for alt in cx.eval(eni) {
                attachments.push(attachment(
                    format!("{} (NetworkInterfaces[{n}])", e.id),
                    loc(nic.span),
                    alt,
                    &instance,
                    &r,
                ));
            }
        }
    }
    cx.resource = None;
    unit.resources.push(r);
    unit.resources.extend(attachments);
}

/// An attachment of `eni` to the instance named `instance`, under the instance's conditions.
fn attachment(
    address: String,
    at: crate::model::Loc,
    eni: Alt,
    instance: &str,
    of: &Resource,
) -> Resource {
    let mut a = Resource::new(
        Kind::Attachment,
        address,
        &of.resource_type,
        of.provider,
        at,
    );
    a.conditions.clone_from(&of.conditions);
    a.set(Attr::NetworkInterfaceId, vec![eni]);
    a.set(
        Attr::InstanceId,
        vec![Alt::symbol(at, instance, "known only after deployment")],
    );
    a
}
