//! Preflight: what already exists in the account, read before deploying, so that the rules
//! see existing sessions, targets, filters, interfaces and instances beside the declared
//! ones (`check --live-file` / `--live`).
//!
//! Live objects are read from saved AWS CLI outputs, recognised by their top-level key
//! (`TrafficMirrorSessions`, `TrafficMirrorTargets`, `TrafficMirrorFilters`,
//! `NetworkInterfaces`, `Reservations`, `VpcPeeringConnections`,
//! `TransitGatewayVpcAttachments`), or from the API, which renders what it reads in the same
//! shape: either way every live value keeps a place in a document, for related locations.
//! [`join`] then adds the live objects a unit names to it, read only.

mod join;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use join::OwnSessions;
pub(crate) use join::join;

use crate::error::{CheckError, FileError};
use crate::model::live::Listing;
use crate::parse::json;
use crate::parse::tree::Node;
use crate::source::SourceFile;

/// The EC2 actions `check --live` calls: the whole policy of a preflight role
/// (`examples/iam/preflight-readonly.json`, checked against this list by the IAM evaluator).
pub const PREFLIGHT_ACTIONS: &[&str] = &[
    "ec2:DescribeTrafficMirrorSessions",
    "ec2:DescribeTrafficMirrorTargets",
    "ec2:DescribeTrafficMirrorFilters",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstances",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeTransitGatewayVpcAttachments",
];

/// One live object: the document it was read from and its node there.
#[derive(Debug, Clone)]
pub(crate) struct LiveObject {
    /// Index into [`LiveFacts::files`].
    pub(crate) file: usize,
    pub(crate) node: Node,
    pub(crate) id: String,
}

impl LiveObject {
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        self.node.get(key).and_then(Node::scalar_text)
    }
}

/// Everything read of the account.
#[derive(Debug, Default)]
pub struct LiveFacts {
    /// The documents read (saved outputs, or the API's answers rendered as CLI output).
    pub(crate) files: Vec<Arc<SourceFile>>,
    pub(crate) sessions: Vec<LiveObject>,
    pub(crate) targets: Vec<LiveObject>,
    pub(crate) filters: Vec<LiveObject>,
    pub(crate) interfaces: Vec<LiveObject>,
    pub(crate) instances: Vec<LiveObject>,
    /// Listings that say which ids exist: `filter`, `target`, `interface`.
    pub(crate) listings: BTreeMap<String, Listing>,
    /// Active peering connections, when read.
    pub(crate) peerings: Option<Vec<(String, String)>>,
    /// Available transit gateway VPC attachments (gateway, VPC), when read.
    pub(crate) tgw_attachments: Option<Vec<(String, String)>>,
    /// What could not be read: the run exits 2, and nothing that needed it passes.
    pub errors: Vec<CheckError>,
    /// Where the facts came from, for messages.
    pub(crate) source: String,
}

/// The ids the declarations name, which the live side is asked about.
#[derive(Debug, Default, Clone)]
pub struct Wanted {
    /// Source and target interfaces.
    pub interfaces: BTreeSet<String>,
    pub targets: BTreeSet<String>,
    pub filters: BTreeSet<String>,
}

impl Wanted {
    /// Whether nothing live is needed.
    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty() && self.targets.is_empty() && self.filters.is_empty()
    }
}

/// Why a saved output cannot be used.
fn shape_error(source: &SourceFile, why: &str) -> CheckError {
    FileError::whole_file(source.display.clone(), why.to_owned()).into()
}

impl LiveFacts {
    /// Adds one saved (or rendered) AWS CLI output. `covers` says which ids a listing asked
    /// for (`None`: all of them).
    pub fn add_document(&mut self, source: Arc<SourceFile>, covers: Option<&BTreeSet<String>>) {
        let root = match json::parse(&source) {
            Ok(Some(root)) => root,
            Ok(None) => {
                self.errors
                    .push(shape_error(&source, "the live file is empty"));
                return;
            }
            Err(e) => {
                self.errors.push(e.into());
                return;
            }
        };
        // A listing that stopped before its last page is not complete.
        let paged = root
            .get("NextToken")
            .is_some_and(|t| t.scalar_text().is_some_and(|t| !t.is_empty()));
        let file = self.files.len();
        let mut known = false;
        let objects = |key: &str, id: &str| -> Vec<LiveObject> {
            root.get(key)
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|n| {
                    Some(LiveObject {
                        file,
                        id: n.get(id)?.scalar_text()?,
                        node: n.clone(),
                    })
                })
                .collect()
        };
        let listing = |facts: &mut Self, kind: &str, objs: &[LiveObject]| {
            // A listing starts covering nothing; each document adds what it covered.
            let l = facts
                .listings
                .entry(kind.to_owned())
                .or_insert_with(|| Listing {
                    ids: BTreeSet::new(),
                    covers: Some(BTreeSet::new()),
                });
            l.ids.extend(objs.iter().map(|o| o.id.clone()));
            let covered = if paged {
                Some(BTreeSet::new())
            } else {
                covers.cloned()
            };
            l.covers = match (l.covers.take(), covered) {
                (Some(a), Some(b)) => Some(a.union(&b).cloned().collect()),
                _ => None,
            };
        };
        if root.get("TrafficMirrorSessions").is_some() {
            known = true;
            let s = objects("TrafficMirrorSessions", "TrafficMirrorSessionId");
            self.sessions.extend(s);
        }
        if root.get("TrafficMirrorTargets").is_some() {
            known = true;
            let t = objects("TrafficMirrorTargets", "TrafficMirrorTargetId");
            listing(self, "target", &t);
            self.targets.extend(t);
        }
        if root.get("TrafficMirrorFilters").is_some() {
            known = true;
            let f = objects("TrafficMirrorFilters", "TrafficMirrorFilterId");
            listing(self, "filter", &f);
            self.filters.extend(f);
        }
        if root.get("NetworkInterfaces").is_some() {
            known = true;
            let i = objects("NetworkInterfaces", "NetworkInterfaceId");
            listing(self, "interface", &i);
            self.interfaces.extend(i);
        }
        if let Some(reservations) = root.get("Reservations").and_then(Node::as_seq) {
            known = true;
            for r in reservations {
                for n in r.get("Instances").and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(id) = n.get("InstanceId").and_then(Node::scalar_text) {
                        self.instances.push(LiveObject {
                            file,
                            id,
                            node: n.clone(),
                        });
                    }
                }
            }
        }
        if let Some(list) = root.get("VpcPeeringConnections").and_then(Node::as_seq) {
            known = true;
            let active = list.iter().filter(|p| {
                p.get("Status")
                    .and_then(|s| s.get("Code"))
                    .and_then(Node::scalar_text)
                    .as_deref()
                    == Some("active")
            });
            let pairs = active.filter_map(|p| {
                let vpc = |k: &str| p.get(k)?.get("VpcId")?.scalar_text();
                Some((vpc("RequesterVpcInfo")?, vpc("AccepterVpcInfo")?))
            });
            self.peerings.get_or_insert_with(Vec::new).extend(pairs);
        }
        if let Some(list) = root
            .get("TransitGatewayVpcAttachments")
            .and_then(Node::as_seq)
        {
            known = true;
            let available = list.iter().filter(|a| {
                a.get("State").and_then(Node::scalar_text).as_deref() == Some("available")
            });
            let pairs = available.filter_map(|a| {
                Some((
                    a.get("TransitGatewayId")?.scalar_text()?,
                    a.get("VpcId")?.scalar_text()?,
                ))
            });
            self.tgw_attachments
                .get_or_insert_with(Vec::new)
                .extend(pairs);
        }
        if known {
            self.files.push(source);
        } else {
            self.errors.push(shape_error(
                &source,
                "not a saved AWS CLI output mirrorguard reads (expected TrafficMirrorSessions, TrafficMirrorTargets, TrafficMirrorFilters, NetworkInterfaces, Reservations, VpcPeeringConnections or TransitGatewayVpcAttachments)",
            ));
        }
    }

    /// The ids read of one kind: `sessions`, `targets`, `filters`, `interfaces`,
    /// `instances` (for tests and messages).
    pub fn ids(&self, kind: &str) -> Vec<String> {
        let list = match kind {
            "sessions" => &self.sessions,
            "targets" => &self.targets,
            "filters" => &self.filters,
            "interfaces" => &self.interfaces,
            "instances" => &self.instances,
            _ => return Vec::new(),
        };
        list.iter().map(|o| o.id.clone()).collect()
    }

    /// The ids every unit names, for asking the API only about them.
    pub(crate) fn wanted_of(units: &[&crate::model::Unit]) -> Wanted {
        join::wanted(units)
    }
}

#[cfg(test)]
mod tests;
