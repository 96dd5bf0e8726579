//! Facts about known values that Rego cannot compute cheaply, written beside them in the
//! rule input: CIDR families, protocol numbers, EC2 id shapes, what an instance type allows.

use serde_json::{Map, Value as Json, json};

use crate::model::graph::Attr;
use crate::model::instance_types::{self, Eligibility};

/// Facts about a known graph value that Rego cannot compute cheaply: the CIDR family,
/// the protocol number, and what the instance type allows.
pub(super) fn facts(attr: Attr, v: &Json, o: &mut Map<String, Json>) {
    match attr {
        Attr::SourceCidrBlock | Attr::DestinationCidrBlock => match v.as_str().map(cidr) {
            Some(Ok(c)) => {
                o.insert(
                    "cidr".into(),
                    json!({"family": c.family, "network": c.network, "canonical": c.canonical}),
                );
            }
            Some(Err(why)) => {
                o.insert("cidr_invalid".into(), json!(why));
            }
            None => {
                o.insert("cidr_invalid".into(), json!("a CIDR block is a string"));
            }
        },
        Attr::Protocol => {
            if let Some(n) = protocol_number(v) {
                o.insert("protocol_number".into(), json!(n));
            }
        }
        Attr::InstanceType => {
            let Some(ty) = v.as_str() else { return };
            let table = instance_types::table();
            let (support, why) = match table.source_support(ty) {
                Eligibility::Supported => ("supported", String::new()),
                Eligibility::Unsupported(why) => ("unsupported", why),
                Eligibility::Unknown(why) => ("unknown", why),
            };
            o.insert("source_support".into(), json!(support));
            o.insert("source_support_why".into(), json!(why));
            match table.sources_per_target(ty) {
                Ok(n) => o.insert("sources_per_target".into(), json!(n)),
                Err(why) => o.insert("sources_per_target_unknown".into(), json!(why)),
            };
        }
        _ => {}
    }
}

/// A parsed CIDR block.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    /// 4 or 6.
    pub(crate) family: u8,
    /// Whether the address is the network address (no host bits set).
    pub(crate) network: bool,
    /// The network address with the prefix (`10.0.0.0/24` for `10.0.0.1/24`).
    pub(crate) canonical: String,
}

/// Parses `10.0.0.0/8` or `2001:db8::/32`; the error says what is wrong.
pub(crate) fn cidr(text: &str) -> Result<Cidr, String> {
    let Some((addr, prefix)) = text.split_once('/') else {
        return Err(format!("{text} has no /prefix length"));
    };
    let bits: u32 = match prefix.parse() {
        Ok(b) if prefix.bytes().all(|c| c.is_ascii_digit()) => b,
        _ => return Err(format!("{text} has an invalid prefix length {prefix}")),
    };
    if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
        if bits > 32 {
            return Err(format!("{text}: an IPv4 prefix length is at most 32"));
        }
        let host = u32::MAX.checked_shr(bits).unwrap_or(0);
        return Ok(Cidr {
            family: 4,
            network: u32::from(a) & host == 0,
            canonical: format!("{}/{bits}", std::net::Ipv4Addr::from(u32::from(a) & !host)),
        });
    }
    if let Ok(a) = addr.parse::<std::net::Ipv6Addr>() {
        if bits > 128 {
            return Err(format!("{text}: an IPv6 prefix length is at most 128"));
        }
        let host = u128::MAX.checked_shr(bits).unwrap_or(0);
        return Ok(Cidr {
            family: 6,
            network: u128::from(a) & host == 0,
            canonical: format!("{}/{bits}", std::net::Ipv6Addr::from(u128::from(a) & !host)),
        });
    }
    Err(format!("{addr} is not an IPv4 or IPv6 address"))
}

/// The IANA protocol number a rule's protocol names: a number, a numeric string, or an
/// Alibaba Cloud protocol name (`TCP`, `UDP`, `ICMP`; `ALL` is -1).
pub(crate) fn protocol_number(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok().or(match s.trim() {
            "TCP" | "tcp" => Some(6),
            "UDP" | "udp" => Some(17),
            "ICMP" | "icmp" => Some(1),
            "ALL" | "all" => Some(-1),
            _ => None,
        }),
        _ => None,
    }
}

/// The EC2 resource-id prefix of a literal shaped like an EC2 id (`eni`, `tmt`, `tmf`, ...:
/// a lower-case prefix, `-`, then 8 or 17 lower-case hex digits). A fact for rules (MG010),
/// computed here because regorus has no cheap way to test it (it compiles a regex per call).
pub(crate) fn ec2_id_kind(s: &str) -> Option<&str> {
    let (prefix, digits) = s.split_once('-')?;
    let prefix_ok = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_lowercase());
    let digits_ok = matches!(digits.len(), 8 | 17)
        && digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (prefix_ok && digits_ok).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::{cidr, ec2_id_kind, protocol_number};
    use serde_json::json;

    #[test]
    fn cidr_families_and_network_addresses() {
        let ok = |t: &str| cidr(t).map(|c| (c.family, c.network, c.canonical));
        assert_eq!(ok("10.0.0.0/8"), Ok((4, true, "10.0.0.0/8".into())));
        assert_eq!(ok("10.0.0.1/8"), Ok((4, false, "10.0.0.0/8".into())));
        assert_eq!(ok("0.0.0.0/0"), Ok((4, true, "0.0.0.0/0".into())));
        assert_eq!(ok("::/0"), Ok((6, true, "::/0".into())));
        assert_eq!(ok("2001:db8::1/32"), Ok((6, false, "2001:db8::/32".into())));
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("10.0.0.0").is_err());
        assert!(cidr("10.0.0.256/24").is_err());
        assert!(cidr("10.0.0.0/-1").is_err());
        assert!(cidr("2001:db8::/129").is_err());
    }

    #[test]
    fn protocol_numbers_and_names() {
        assert_eq!(protocol_number(&json!(6)), Some(6));
        assert_eq!(protocol_number(&json!("17")), Some(17));
        assert_eq!(protocol_number(&json!("TCP")), Some(6));
        assert_eq!(protocol_number(&json!("ALL")), Some(-1));
        assert_eq!(protocol_number(&json!("gre")), None);
    }

    #[test]
    fn ec2_id_shapes() {
        assert_eq!(ec2_id_kind("eni-0123456789abcdef0"), Some("eni"));
        assert_eq!(ec2_id_kind("tmt-0123abcd"), Some("tmt"));
        assert_eq!(ec2_id_kind("eni-0123456789ABCDEF0"), None);
        assert_eq!(ec2_id_kind("tmt-5319fsEXAMPLE"), None);
        assert_eq!(ec2_id_kind("eni-123"), None);
        assert_eq!(ec2_id_kind("-01234567"), None);
    }
}
