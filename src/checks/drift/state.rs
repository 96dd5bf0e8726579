//! Terraform state (`terraform.tfstate`, format version 4): the session and filter id of each
//! resource instance, by address (`aws_ec2_traffic_mirror_session.s[0]`, `module.m.…["key"]`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// Why a state file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of another shape.
    #[error("no resources list (expected a version 4 state file)")]
    NoResources,
}

/// Session and filter ids by resource address.
pub fn session_ids(text: &str) -> Result<BTreeMap<String, String>, StateError> {
    let doc: Json = serde_json::from_str(text)?;
    let resources = doc
        .get("resources")
        .and_then(Json::as_array)
        .ok_or(StateError::NoResources)?;
    let mut out = BTreeMap::new();
    for r in resources {
        let ty = r.get("type").and_then(Json::as_str).unwrap_or("");
        if !(ty.ends_with("_traffic_mirror_session") || ty.ends_with("_traffic_mirror_filter"))
            || r.get("mode").and_then(Json::as_str) != Some("managed")
        {
            continue;
        }
        let name = r.get("name").and_then(Json::as_str).unwrap_or("");
        let module = r
            .get("module")
            .and_then(Json::as_str)
            .map(|m| format!("{m}."))
            .unwrap_or_default();
        for inst in r
            .get("instances")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let index = match inst.get("index_key") {
                Some(Json::Number(n)) => format!("[{n}]"),
                Some(Json::String(s)) => format!("[{}]", Json::String(s.clone())),
                _ => String::new(),
            };
            if let Some(id) = inst
                .get("attributes")
                .and_then(|a| a.get("id"))
                .and_then(Json::as_str)
            {
                out.insert(format!("{module}{ty}.{name}{index}"), id.to_owned());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_count_for_each_and_modules() {
        let text = r#"{"version": 4, "resources": [
          {"mode": "managed", "type": "aws_ec2_traffic_mirror_session", "name": "s",
           "instances": [{"index_key": 0, "attributes": {"id": "tms-a"}}, {"index_key": 1, "attributes": {"id": "tms-b"}}]},
          {"module": "module.m", "mode": "managed", "type": "aws_ec2_traffic_mirror_session", "name": "t",
           "instances": [{"index_key": "web", "attributes": {"id": "tms-c"}}]},
          {"mode": "managed", "type": "aws_ec2_traffic_mirror_session", "name": "u", "instances": [{"attributes": {"id": "tms-d"}}]},
          {"mode": "data", "type": "aws_ec2_traffic_mirror_session", "name": "x", "instances": []}]}"#;
        let ids = session_ids(text).expect("parses");
        assert_eq!(
            ids.get("aws_ec2_traffic_mirror_session.s[1]")
                .map(String::as_str),
            Some("tms-b")
        );
        assert_eq!(
            ids.get("module.m.aws_ec2_traffic_mirror_session.t[\"web\"]")
                .map(String::as_str),
            Some("tms-c")
        );
        assert_eq!(
            ids.get("aws_ec2_traffic_mirror_session.u")
                .map(String::as_str),
            Some("tms-d")
        );
        assert_eq!(ids.len(), 4);
    }
}
