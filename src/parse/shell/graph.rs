//! The rest of the mirror graph from command lines: `create-traffic-mirror-target`,
//! `create-traffic-mirror-filter`, `create-traffic-mirror-filter-rule`, and the network
//! services `modify-traffic-mirror-filter-network-services` adds to a filter.
//!
//! What a command creates is named by the id it prints: `TARGET=$(aws ec2
//! create-traffic-mirror-target … --output text)`, and `--traffic-mirror-target-id
//! "$TARGET"` later is that target (see `vars`).

use serde_json::{Value as Json, json};

use super::aws::{Call, Operation, shorthand_member};
use super::scan::{Command, Script, Word};
use super::vars::{Item, Variables};
use crate::model::graph::{Attr, Kind, Resource};
use crate::model::{Alt, Loc, Provider, Val};
use crate::parse::numeric;

/// The target, filter or filter rule a command creates (`None` for other operations).
pub(crate) fn resource(
    command: &Command,
    call: &Call<'_>,
    address: String,
    created: String,
    vars: &Variables,
    items: &[Item<'_>],
) -> Option<Resource> {
    let kind = match call.operation {
        Operation::CreateTarget => Kind::Target,
        Operation::CreateFilter => Kind::Filter,
        Operation::CreateFilterRule => Kind::FilterRule,
        _ => return None,
    };
    let loc = Loc {
        file: 0,
        span: call.op.span,
    };
    let mut r = Resource::new(kind, address, "aws-cli-command", Provider::Aws, loc);
    r.conditions = command.branches.clone();
    r.identities.push(created);
    let field = |name: &str| call.field(name, vars, items);
    match kind {
        Kind::Target => {
            r.set(Attr::NetworkInterfaceId, field("--network-interface-id"));
            r.set(
                Attr::NetworkLoadBalancerArn,
                field("--network-load-balancer-arn"),
            );
            r.set(
                Attr::GatewayLoadBalancerEndpointId,
                field("--gateway-load-balancer-endpoint-id"),
            );
        }
        Kind::FilterRule => {
            r.set(
                Attr::TrafficMirrorFilterId,
                field("--traffic-mirror-filter-id"),
            );
            r.set(Attr::TrafficDirection, field("--traffic-direction"));
            r.set(Attr::RuleNumber, numeric(field("--rule-number")));
            r.set(Attr::RuleAction, field("--rule-action"));
            r.set(Attr::Protocol, numeric(field("--protocol")));
            r.set(Attr::SourceCidrBlock, field("--source-cidr-block"));
            r.set(
                Attr::DestinationCidrBlock,
                field("--destination-cidr-block"),
            );
            for (name, from, to) in [
                (
                    "--source-port-range",
                    Attr::SourceFromPort,
                    Attr::SourceToPort,
                ),
                (
                    "--destination-port-range",
                    Attr::DestinationFromPort,
                    Attr::DestinationToPort,
                ),
            ] {
                let Some((w, skip)) = call.option(name).and_then(|o| o.values.first().copied())
                else {
                    continue;
                };
                r.set(from, numeric(vec![port(w, skip, "FromPort")]));
                r.set(to, numeric(vec![port(w, skip, "ToPort")]));
            }
        }
        _ => {}
    }
    Some(r)
}

/// One end of a port range written in the CLI's shorthand (`FromPort=80,ToPort=443`) or
/// JSON (`{"FromPort": 80, "ToPort": 443}`).
fn port(w: &Word, skip: usize, member: &str) -> Alt {
    let loc = |span| Loc { file: 0, span };
    let text = w.text.get(skip..).unwrap_or("");
    if let Some(why) = w.unknown_reason(skip) {
        return Alt::unknown(loc(w.span), why);
    }
    if text.trim_start().starts_with('{') {
        let value = serde_json::from_str::<Json>(text)
            .ok()
            .and_then(|j| j.get(member).cloned())
            .unwrap_or(Json::Null);
        return Alt::known(loc(w.span), value);
    }
    match shorthand_member(text, member) {
        Some((s, e)) => Alt::known(
            loc(w.span_of(s + skip, e + skip)),
            json!(text.get(s..e).unwrap_or("")),
        ),
        None => Alt::known(loc(w.span), Json::Null),
    }
}

/// Adds the network services each `modify-traffic-mirror-filter-network-services` command
/// gives the filters of `resources`: its `--add-network-services` list to the filter it
/// names; a command naming a filter that is not known may change any of them (unknown).
pub(crate) fn network_services(
    resources: &mut [Resource],
    calls: &[(&Command, Call<'_>)],
    vars: &Variables,
) {
    for (_, call) in calls
        .iter()
        .filter(|(_, c)| c.operation == Operation::ModifyFilterNetworkServices)
    {
        let names = call.field("--traffic-mirror-filter-id", vars, &[]);
        let Some(named) = names.first() else {
            continue;
        };
        let here = Loc {
            file: 0,
            span: call.op.span,
        };
        let added = match call.option("--add-network-services") {
            None => continue,
            Some(o) => {
                let words: Vec<Alt> = o
                    .values
                    .iter()
                    .map(|(w, s)| vars.value(w, *s, &[]))
                    .collect();
                let services: Option<Vec<Json>> = words
                    .iter()
                    .map(|a| match &a.val {
                        Val::Known(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                let at = o.values.first().map_or(here, |(w, _)| Loc {
                    file: 0,
                    span: w.span,
                });
                match services {
                    Some(s) => Alt::known(at, Json::Array(s)),
                    None => Alt::unknown(at, "the network services added are not known"),
                }
            }
        };
        let filters = resources.iter_mut().filter(|r| r.kind == Kind::Filter);
        match &named.val {
            Val::Symbol { expr, .. } => {
                for f in filters.filter(|f| f.identities.contains(expr)) {
                    f.fields
                        .entry(Attr::NetworkServices)
                        .or_default()
                        .push(added.clone());
                }
            }
            // A literal id names a filter created elsewhere, never one the script creates.
            Val::Known(_) => {}
            _ => {
                let why = format!(
                    "{} changes the network services of a filter that is not known",
                    call.op.text
                );
                for f in filters {
                    f.fields
                        .entry(Attr::NetworkServices)
                        .or_default()
                        .push(Alt::unknown(here, why.clone()));
                }
            }
        }
    }
}

/// Marks the filters whose id leaves the script (`echo "$FILTER"`, `save_var F "$FILTER"`, a
/// here-document writing it to a file): another script may add their rules or network
/// services, so their network services are unknown and MG021 is not claimed for them.
pub(crate) fn leaving_filters(
    resources: &mut [Resource],
    script: &Script,
    calls: &[(&Command, Call<'_>)],
    vars: &Variables,
    text: &str,
) {
    for f in resources.iter_mut().filter(|r| r.kind == Kind::Filter) {
        let Some(id) = f.identities.first() else {
            continue;
        };
        let names: Vec<String> = vars.holding(id).map(str::to_owned).collect();
        let expands = |t: &str| {
            names
                .iter()
                .any(|n| t.contains(&format!("${n}")) || t.contains(&format!("${{{n}")))
        };
        let in_command = script
            .commands
            .iter()
            .filter(|c| !calls.iter().any(|(called, _)| std::ptr::eq(*called, *c)))
            .find_map(|c| c.words.iter().find(|w| expands(&w.text)).map(|w| w.span));
        let in_heredoc = || {
            script
                .heredocs
                .iter()
                .find(|b| expands(text.get(b.start..b.end).unwrap_or("")))
                .copied()
        };
        if let Some(span) = in_command.or_else(in_heredoc) {
            let why =
                "its id leaves the script here: rules or network services may be added elsewhere";
            f.fields
                .entry(Attr::NetworkServices)
                .or_default()
                .push(Alt::unknown(Loc { file: 0, span }, why));
        }
    }
}
