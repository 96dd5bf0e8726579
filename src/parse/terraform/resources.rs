//! Session resource blocks into the model, one per instance.

use serde_json::json;

use super::eval::Evaluator;
use super::instances::instances;
use super::overrides::Merged;
use super::scope::Scope;
use super::{block_span, labels};
use crate::model::{Alt, Provider, Session, Unit, Val};
use crate::parse::numeric;

pub(crate) fn read_sessions(
    scope: &Scope<'_, '_>,
    unit: &mut Unit,
    block: Merged<'_>,
    provider: Provider,
) {
    let [ty, name] = labels(block.block);
    let loc = scope.index.locate(block.file, block_span(block.block));
    let mut refs = Vec::new();
    let insts = instances(scope, block, &format!("{ty}.{name}"), &mut refs);
    for r in &mut refs {
        r.session = Some(unit.sessions.len());
    }
    unit.references.append(&mut refs);
    for inst in insts {
        let session_index = unit.sessions.len();
        let mut s = Session::new(
            format!("{}{ty}.{name}{}", scope.prefix, inst.key),
            &ty,
            provider,
            loc,
        );
        s.conditions = scope.conditions.clone();
        s.conditions.extend(inst.conditions);
        s.calls.clone_from(&scope.calls);
        let mut ev = Evaluator::new(scope, block.file);
        ev.count_index = inst.count_index;
        ev.each = inst.each;
        let field = |ev: &mut Evaluator<'_, '_>, key: &str| -> Vec<Alt> {
            block
                .attribute(key)
                .map(|(file, a)| ev.in_file(file, |ev| ev.alternatives(a)))
                .unwrap_or_default()
        };
        s.traffic_mirror_target_id = field(&mut ev, "traffic_mirror_target_id");
        s.traffic_mirror_filter_id = field(&mut ev, "traffic_mirror_filter_id");
        if provider == Provider::Alicloud {
            // priority is the session number; sources are a list (one per session in practice).
            s.session_number = numeric(field(&mut ev, "priority"));
            s.network_interface_id = block
                .attribute("traffic_mirror_source_ids")
                .map(|(file, a)| ev.in_file(file, |ev| ev.list_items(a)))
                .unwrap_or_default();
            s.target_type = field(&mut ev, "traffic_mirror_target_type");
            s.name = field(&mut ev, "traffic_mirror_session_name");
            let (file, body) = block.nested("provider");
            s.region = ev.in_file(file, |ev| ev.region(body));
        } else {
            s.network_interface_id = field(&mut ev, "network_interface_id");
            s.session_number = numeric(field(&mut ev, "session_number"));
        }
        // The AWS provider sends packet_length only when it is non-zero: 0 means "not set".
        s.packet_length = numeric(field(&mut ev, "packet_length"))
            .into_iter()
            .map(|mut a| {
                if a.val == Val::Known(json!(0)) && provider == Provider::Aws {
                    a.val = Val::Absent;
                }
                a
            })
            .collect();
        s.virtual_network_id = numeric(field(&mut ev, "virtual_network_id"));
        s.description = field(
            &mut ev,
            if provider == Provider::Alicloud {
                "traffic_mirror_session_description"
            } else {
                "description"
            },
        );
        if let Some((file, tags)) = block.attribute("tags") {
            s.tags = ev.in_file(file, |ev| ev.tags(tags, provider));
        }
        for mut r in ev.refs.drain(..) {
            r.session = Some(session_index);
            unit.references.push(r);
        }
        unit.push_session(s);
    }
}
