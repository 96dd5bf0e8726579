//! AWS Config as a live inventory: the rows of an advanced query
//! (`aws configservice select-aggregate-resource-config` / `select-resource-config`, or the
//! same calls through the SDK), read into live sessions and into what the inventory covers.
//!
//! Each element of `Results` is a JSON string holding one configuration item, in the shape of
//! AWS Config's resource schema (`awslabs/aws-config-resource-schema`,
//! `AWS::EC2::TrafficMirrorSession.properties.json`): `accountId`, `awsRegion`, `resourceId`,
//! `resourceType`, `configuration.{Id, NetworkInterfaceId, SessionNumber, PacketLength,
//! VirtualNetworkId, TrafficMirrorTargetId, TrafficMirrorFilterId, Description}`, `tags`
//! (`{key, value}`; `{Key, Value}` accepted too), `configurationItemCaptureTime` and
//! `configurationItemStatus`.
//!
//! **Coverage.** An inventory can only vouch for the accounts and regions it records. One
//! (account, region) is covered when a configuration recorder row
//! (`AWS::Config::ConfigurationRecorder`) says it records traffic mirror sessions, or, with
//! no recorder row, when at least one session row comes from it. A recorder that is stopped
//! or leaves the type out, and an account or region with no row at all (not recording, not
//! in the aggregator), is not covered: a scope there is skipped with the reason, never
//! reported clean.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value as Json;

use super::live::{LiveFileError, LiveOrigin, LiveSession};
use crate::parse::tree::{Node, NodeKind};
use crate::source::SourceFile;

/// The resource type of a session in AWS Config.
pub const SESSION_TYPE: &str = "AWS::EC2::TrafficMirrorSession";
/// The resource type of a configuration recorder in AWS Config.
pub const RECORDER_TYPE: &str = "AWS::Config::ConfigurationRecorder";

/// The IAM actions of `drift --live-source config[-aggregator:NAME]`
/// (`examples/iam/drift-config-readonly.json` allows exactly these).
pub const CONFIG_ACTIONS: [&str; 2] = [
    "config:SelectAggregateResourceConfig",
    "config:SelectResourceConfig",
];

/// The advanced query mirrorguard runs (and documents for saved results): sessions, their
/// targets and filters, and the recorders that say what is covered.
pub const QUERY: &str = "SELECT accountId, awsRegion, resourceId, resourceType, configuration, tags, \
configurationItemCaptureTime, configurationItemStatus WHERE resourceType IN \
('AWS::EC2::TrafficMirrorSession', 'AWS::EC2::TrafficMirrorTarget', \
'AWS::EC2::TrafficMirrorFilter', 'AWS::Config::ConfigurationRecorder')";

/// What one (account, region) of an inventory says about recording sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recording {
    /// A recorder records `AWS::EC2::TrafficMirrorSession`.
    Sessions,
    /// Every recorder row says it does not, with why.
    Not(String),
}

/// What an inventory covers, by (account, region).
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Recorder rows, merged per (account, region): any recorder that records sessions wins.
    pub recorders: BTreeMap<(String, String), Recording>,
    /// (account, region) pairs with at least one session row (deleted items included).
    pub with_sessions: BTreeSet<(String, String)>,
    /// Every (account, region) with any row.
    pub seen: BTreeSet<(String, String)>,
}

impl Coverage {
    /// `Ok` when the inventory vouches for sessions of `account` in `region`; else why not.
    pub fn check(&self, account: &str, region: &str) -> Result<(), String> {
        let key = (account.to_owned(), region.to_owned());
        match self.recorders.get(&key) {
            Some(Recording::Sessions) => Ok(()),
            Some(Recording::Not(why)) => Err(why.clone()),
            None if self.with_sessions.contains(&key) => Ok(()),
            None if self.seen.contains(&key) => Err(format!(
                "the inventory has rows for account {account} in {region} but no session and no configuration recorder row: it may not record {SESSION_TYPE} (record {RECORDER_TYPE} too, so that an empty region counts as covered)"
            )),
            None => Err(format!(
                "the inventory has no row for account {account} in {region}: AWS Config does not record there, or the account or region is not in the aggregator"
            )),
        }
    }

    /// Records what one recorder row says; a recorder that records sessions wins over one
    /// that does not.
    fn record(&mut self, key: (String, String), state: Recording) {
        let entry = self.recorders.entry(key).or_insert(state.clone());
        if state == Recording::Sessions {
            *entry = Recording::Sessions;
        }
    }

    /// Adds another inventory's coverage.
    pub fn merge(&mut self, other: Coverage) {
        for (k, v) in other.recorders {
            self.record(k, v);
        }
        self.with_sessions.extend(other.with_sessions);
        self.seen.extend(other.seen);
    }
}

/// Sessions and coverage of one query result.
#[derive(Debug, Default)]
pub struct Inventory {
    pub sessions: Vec<LiveSession>,
    pub coverage: Coverage,
}

/// Reads the `Results` of an advanced query; `None` when the document has no `Results` list.
pub(crate) fn inventory_of(
    doc: &Node,
    source: &Arc<SourceFile>,
) -> Option<Result<Inventory, LiveFileError>> {
    let results = doc.get("Results")?.as_seq()?;
    Some(read_rows(results, source))
}

fn read_rows(results: &[Node], source: &Arc<SourceFile>) -> Result<Inventory, LiveFileError> {
    let mut out = Inventory::default();
    for item in results {
        let line = source.position(item.span.start).line;
        let row: Json = match &item.kind {
            NodeKind::Str(text) => serde_json::from_str(text).map_err(|e| {
                LiveFileError::Shape(format!(
                    "line {line}: a Results row is not JSON: {e} (expected the output of `aws configservice select-aggregate-resource-config`)"
                ))
            })?,
            NodeKind::Map(_) => item.to_json(),
            _ => {
                return Err(LiveFileError::Shape(format!(
                    "line {line}: a Results row must be a JSON string (as AWS Config returns it) or an object"
                )));
            }
        };
        let origin = LiveOrigin {
            source: source.clone(),
            span: item.span,
        };
        read_row(&row, origin, line, &mut out)?;
    }
    Ok(out)
}

fn text(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(v: Option<&Json>) -> Option<i64> {
    match v? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The configuration object (AWS Config returns it nested; some exports keep it a string).
fn configuration(row: &Json) -> Json {
    match row.get("configuration") {
        Some(Json::String(s)) => serde_json::from_str(s).unwrap_or(Json::Null),
        Some(v) => v.clone(),
        None => Json::Null,
    }
}

fn read_row(
    row: &Json,
    origin: LiveOrigin,
    line: usize,
    out: &mut Inventory,
) -> Result<(), LiveFileError> {
    let account = text(row.get("accountId")).unwrap_or_default();
    let region = text(row.get("awsRegion")).unwrap_or_default();
    let kind = text(row.get("resourceType")).unwrap_or_default();
    if account.is_empty() || region.is_empty() {
        return Err(LiveFileError::Shape(format!(
            "line {line}: a Results row without accountId or awsRegion (select them in the query: {QUERY})"
        )));
    }
    if kind.is_empty() {
        return Err(LiveFileError::Shape(format!(
            "line {line}: a Results row without resourceType (select it in the query: {QUERY})"
        )));
    }
    let key = (account.clone(), region.clone());
    out.coverage.seen.insert(key.clone());
    let config = configuration(row);
    let status = text(row.get("configurationItemStatus")).unwrap_or_default();
    let deleted = status.starts_with("ResourceDeleted") || status == "ResourceNotRecorded";
    match kind.as_str() {
        SESSION_TYPE => {
            out.coverage.with_sessions.insert(key);
            if deleted {
                return Ok(());
            }
            if !config.is_object() {
                // Without its configuration a session cannot be matched or compared, and
                // guessing would report it unmanaged.
                return Err(LiveFileError::Shape(format!(
                    "line {line}: a session row without its configuration (select it in the query: {QUERY})"
                )));
            }
            let id = text(config.get("Id"))
                .or_else(|| text(row.get("resourceId")))
                .unwrap_or_default();
            if id.is_empty() {
                return Err(LiveFileError::Shape(format!(
                    "line {line}: a session row without resourceId or configuration.Id"
                )));
            }
            let tags = tags(row.get("tags")).or_else(|| tags(config.get("Tags")));
            out.sessions.push(LiveSession {
                id,
                owner_id: account,
                region,
                network_interface_id: text(config.get("NetworkInterfaceId")).unwrap_or_default(),
                traffic_mirror_target_id: text(config.get("TrafficMirrorTargetId"))
                    .unwrap_or_default(),
                traffic_mirror_filter_id: text(config.get("TrafficMirrorFilterId"))
                    .unwrap_or_default(),
                session_number: int(config.get("SessionNumber")),
                packet_length: int(config.get("PacketLength")),
                virtual_network_id: int(config.get("VirtualNetworkId")),
                description: text(config.get("Description")),
                tags: tags.unwrap_or_default(),
                origin: Some(origin),
                captured: text(row.get("configurationItemCaptureTime")),
            });
        }
        RECORDER_TYPE if !deleted => {
            out.coverage.record(key, recorder_state(&config));
        }
        _ => {}
    }
    Ok(())
}

/// Tags as `[{key, value}]` (AWS Config), `[{Key, Value}]`, or an object.
fn tags(v: Option<&Json>) -> Option<BTreeMap<String, String>> {
    match v? {
        Json::Array(items) => Some(
            items
                .iter()
                .filter_map(|t| {
                    let key = text(t.get("key").or_else(|| t.get("Key")))?;
                    let value = text(t.get("value").or_else(|| t.get("Value"))).unwrap_or_default();
                    Some((key, value))
                })
                .collect(),
        ),
        Json::Object(map) => Some(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), text(Some(v))?)))
                .collect(),
        ),
        _ => None,
    }
}

fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a.iter().filter_map(|s| text(Some(s))).collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Whether a recorder's configuration records sessions.
fn recorder_state(config: &Json) -> Recording {
    let get = |k: &str| {
        config
            .get(k)
            .or_else(|| config.get(lower_first(k).as_str()))
    };
    if matches!(get("Recording"), Some(Json::Bool(false))) {
        return Recording::Not("its configuration recorder is stopped".into());
    }
    let group = get("RecordingGroup").cloned().unwrap_or(Json::Null);
    let g = |k: &str| group.get(k).or_else(|| group.get(lower_first(k).as_str()));
    let strategy = g("RecordingStrategy")
        .and_then(|s| text(s.get("UseOnly").or_else(|| s.get("useOnly"))))
        .unwrap_or_default();
    let listed = strings(g("ResourceTypes"));
    let excluded = g("ExclusionByResourceTypes")
        .map(|e| strings(e.get("ResourceTypes").or_else(|| e.get("resourceTypes"))))
        .unwrap_or_default();
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES" || !excluded.is_empty() {
        return if excluded.iter().any(|t| t == SESSION_TYPE) {
            Recording::Not(format!(
                "its configuration recorder excludes {SESSION_TYPE}"
            ))
        } else {
            Recording::Sessions
        };
    }
    if matches!(g("AllSupported"), Some(Json::Bool(true)))
        || strategy == "ALL_SUPPORTED_RESOURCE_TYPES"
        || listed.iter().any(|t| t == SESSION_TYPE)
    {
        return Recording::Sessions;
    }
    if group.is_null() {
        // A recorder row without its recording group says nothing against it.
        return Recording::Sessions;
    }
    Recording::Not(format!(
        "its configuration recorder records {} resource type(s), not {SESSION_TYPE}",
        listed.len()
    ))
}

fn lower_first(k: &str) -> String {
    let mut c = k.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2026-11-30T10:00:00.000Z`, offsets
/// allowed); `None` when it is not one.
pub fn epoch_seconds(t: &str) -> Option<i64> {
    let t = t.trim();
    let (date, rest) = t.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || rest.len() < 8 {
        return None;
    }
    let (clock, zone) = rest.split_at(8);
    let mut c = clock.splitn(3, ':');
    let (hh, mm, ss): (i64, i64, i64) = (
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
        c.next()?.parse().ok()?,
    );
    // Fractions of a second, then the zone.
    let zone = zone.trim_start_matches(|ch: char| ch == '.' || ch.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" | "" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let h: i64 = z.get(1..3)?.parse().ok()?;
            let mi: i64 = z.get(4..6)?.parse().ok()?;
            sign * (h * 3600 + mi * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json;

    fn read(text: &str) -> Inventory {
        let src = Arc::new(SourceFile::in_memory("config.json", text));
        let doc = json::parse(&src).ok().flatten().unwrap_or(Node {
            span: crate::source::Span::default(),
            tag: None,
            kind: NodeKind::Null,
        });
        match inventory_of(&doc, &src) {
            Some(Ok(inv)) => inv,
            other => panic!("not an inventory: {other:?}"),
        }
    }

    #[test]
    fn epoch_seconds_reads_rfc3339_with_fractions_and_offsets() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            epoch_seconds("2026-12-01T00:00:00.123Z"),
            Some(1_796_083_200)
        );
        assert_eq!(
            epoch_seconds("2026-12-01T01:00:00+01:00"),
            Some(1_796_083_200)
        );
        assert_eq!(epoch_seconds("yesterday"), None);
        assert_eq!(epoch_seconds("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn a_stopped_or_narrow_recorder_does_not_cover_its_region() {
        let row = |config: &str| {
            serde_json::to_string(&format!(
                r#"{{"accountId":"1","awsRegion":"eu-west-1","resourceType":"{RECORDER_TYPE}","configuration":{config}}}"#
            ))
            .unwrap_or_default()
        };
        let inv = read(&format!(
            r#"{{"Results":[{}]}}"#,
            row(r#"{"Recording":false}"#)
        ));
        assert!(inv.coverage.check("1", "eu-west-1").is_err());
        let inv = read(&format!(
            r#"{{"Results":[{}]}}"#,
            row(r#"{"RecordingGroup":{"AllSupported":false,"ResourceTypes":["AWS::EC2::VPC"]}}"#)
        ));
        let why = inv.coverage.check("1", "eu-west-1").expect_err("narrow");
        assert!(why.contains("1 resource type"), "{why}");
        let inv = read(&format!(
            r#"{{"Results":[{}]}}"#,
            row(r#"{"RecordingGroup":{"AllSupported":true}}"#)
        ));
        assert_eq!(inv.coverage.check("1", "eu-west-1"), Ok(()));
        assert!(inv.coverage.check("1", "us-east-1").is_err());
        assert!(inv.coverage.check("2", "eu-west-1").is_err());
    }

    #[test]
    fn rows_without_the_columns_the_query_selects_are_errors_with_their_line() {
        let src = |text: &str| Arc::new(SourceFile::in_memory("config.json", text));
        let doc = |s: &Arc<SourceFile>| json::parse(s).ok().flatten();
        for (row, expected) in [
            (
                r#"{"accountId":"1","awsRegion":"eu-west-1"}"#,
                "resourceType",
            ),
            (
                r#"{"accountId":"1","awsRegion":"eu-west-1","resourceType":"AWS::EC2::TrafficMirrorSession","resourceId":"tms-1"}"#,
                "configuration",
            ),
            (
                r#"{"resourceType":"AWS::EC2::TrafficMirrorSession"}"#,
                "accountId",
            ),
        ] {
            let text = format!(
                "{{\n  \"Results\": [\n    {}\n  ]\n}}",
                serde_json::to_string(row).unwrap_or_default()
            );
            let s = src(&text);
            let Some(d) = doc(&s) else {
                panic!("not JSON: {text}");
            };
            match inventory_of(&d, &s) {
                Some(Err(LiveFileError::Shape(why))) => {
                    assert!(why.contains(expected) && why.starts_with("line 3"), "{why}");
                }
                other => panic!("{row}: {other:?}"),
            }
        }
    }
}
