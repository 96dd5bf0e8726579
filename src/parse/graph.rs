//! Reading the mirror graph, shared by every format: Alibaba Cloud's rule shape, and the
//! resources declared inside others (an instance's interfaces, a filter's inline rules).

use serde_json::{Value as Json, json};

use crate::model::graph::{Attr, Kind, Resource};
use crate::model::{Alt, Val};
use crate::parse::numeric;

/// A resource declared inside `of` (an instance's interface, a filter's inline rule): same
/// type, provider, place, conditions and module calls.
pub(crate) fn child(of: &Resource, kind: Kind, address: String) -> Resource {
    let mut c = Resource::new(kind, address, &of.resource_type, of.provider, of.loc);
    c.conditions.clone_from(&of.conditions);
    c.calls.clone_from(&of.calls);
    c.repeated.clone_from(&of.repeated);
    c
}

/// The attachment of an instance's primary interface, named `primary` (its identity in the
/// format: `aws_instance.x.primary_network_interface_id`, `GetAtt(I.PrimaryNetworkInterfaceId)`).
pub(crate) fn primary_attachment(
    instance: &Resource,
    primary: String,
    id: &str,
    why: &str,
) -> Resource {
    let mut a = child(
        instance,
        Kind::Attachment,
        format!("{} (primary interface)", instance.address),
    );
    a.set(
        Attr::NetworkInterfaceId,
        vec![Alt::symbol(instance.loc, primary, why)],
    );
    a.set(Attr::InstanceId, vec![Alt::symbol(instance.loc, id, why)]);
    a
}

/// Fills an Alibaba Cloud filter rule: `priority` is the rule number, the direction comes
/// from the resource type or block name (`…_egress_rule`, `egress_rules`), ports are
/// `from/to` strings. `get` gives the alternatives of an argument by name.
pub(crate) fn fill_alicloud_rule(
    r: &mut Resource,
    direction: &str,
    get: &mut dyn FnMut(&str) -> Vec<Alt>,
) {
    let dir = if direction.contains("egress") {
        "egress"
    } else {
        "ingress"
    };
    r.set(Attr::TrafficDirection, vec![Alt::known(r.loc, json!(dir))]);
    r.set(Attr::TrafficMirrorFilterId, get("traffic_mirror_filter_id"));
    r.set(Attr::RuleNumber, numeric(get("priority")));
    let mut action = get("action");
    if action.is_empty() {
        action = get("rule_action");
    }
    r.set(Attr::RuleAction, action);
    r.set(Attr::Protocol, get("protocol"));
    r.set(Attr::SourceCidrBlock, get("source_cidr_block"));
    r.set(Attr::DestinationCidrBlock, get("destination_cidr_block"));
    for (key, from, to) in [
        (
            "source_port_range",
            Attr::SourceFromPort,
            Attr::SourceToPort,
        ),
        (
            "destination_port_range",
            Attr::DestinationFromPort,
            Attr::DestinationToPort,
        ),
    ] {
        let (f, t) = split_ports(get(key));
        r.set(from, f);
        r.set(to, t);
    }
}

/// `"1/120"` into a from and a to port at the same place; anything else stays as written.
pub(crate) fn split_ports(alts: Vec<Alt>) -> (Vec<Alt>, Vec<Alt>) {
    let mut from = Vec::new();
    let mut to = Vec::new();
    for a in alts {
        match &a.val {
            Val::Known(Json::String(s)) => match s.split_once('/') {
                Some((x, y)) => {
                    let port = |p: &str| {
                        p.trim()
                            .parse::<i64>()
                            .map_or_else(|_| json!(p.trim()), |n| json!(n))
                    };
                    from.push(Alt {
                        val: Val::Known(port(x)),
                        ..a.clone()
                    });
                    to.push(Alt {
                        val: Val::Known(port(y)),
                        ..a
                    });
                }
                None => from.push(a),
            },
            _ => {
                from.push(a.clone());
                to.push(a);
            }
        }
    }
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Loc;

    #[test]
    fn alibaba_port_ranges_split_at_the_slash() {
        let at = Loc::default();
        let (f, t) = split_ports(vec![Alt::known(at, json!("1/120"))]);
        assert_eq!(f[0].val, Val::Known(json!(1)));
        assert_eq!(t[0].val, Val::Known(json!(120)));
        let (f, t) = split_ports(vec![Alt::known(at, json!("-1/-1"))]);
        assert_eq!(
            (f[0].val.clone(), t[0].val.clone()),
            (Val::Known(json!(-1)), Val::Known(json!(-1)))
        );
        let (f, t) = split_ports(vec![Alt::known(at, json!("80"))]);
        assert_eq!((f.len(), t.len()), (1, 0));
    }
}
