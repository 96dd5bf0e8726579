//! The session properties: one list of names for every reader, the rule input, skipped
//! checks and drift.

/// A session property: the one list of names shared by every reader, the rule input,
/// skipped checks and drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Prop {
    Name,
    TargetType,
    Region,
    NetworkInterfaceId,
    TrafficMirrorTargetId,
    TrafficMirrorFilterId,
    SessionNumber,
    PacketLength,
    VirtualNetworkId,
    Description,
}

impl Prop {
    /// Every property, in rule-input order.
    pub(crate) const ALL: [Self; 10] = [
        Self::Name,
        Self::TargetType,
        Self::Region,
        Self::NetworkInterfaceId,
        Self::TrafficMirrorTargetId,
        Self::TrafficMirrorFilterId,
        Self::SessionNumber,
        Self::PacketLength,
        Self::VirtualNetworkId,
        Self::Description,
    ];

    /// The name in the rule input (and in findings): `session_number`.
    pub(crate) fn input_name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::TargetType => "target_type",
            Self::Region => "region",
            Self::NetworkInterfaceId => "network_interface_id",
            Self::TrafficMirrorTargetId => "traffic_mirror_target_id",
            Self::TrafficMirrorFilterId => "traffic_mirror_filter_id",
            Self::SessionNumber => "session_number",
            Self::PacketLength => "packet_length",
            Self::VirtualNetworkId => "virtual_network_id",
            Self::Description => "description",
        }
    }

    /// The CloudFormation property and EC2 API member (`SessionNumber`); `None` for
    /// Alibaba-only properties.
    pub(crate) fn api_name(self) -> Option<&'static str> {
        Some(match self {
            Self::NetworkInterfaceId => "NetworkInterfaceId",
            Self::TrafficMirrorTargetId => "TrafficMirrorTargetId",
            Self::TrafficMirrorFilterId => "TrafficMirrorFilterId",
            Self::SessionNumber => "SessionNumber",
            Self::PacketLength => "PacketLength",
            Self::VirtualNetworkId => "VirtualNetworkId",
            Self::Description => "Description",
            Self::Name | Self::TargetType | Self::Region => return None,
        })
    }

    /// The property a column or member names in any spelling (`SessionNumber`,
    /// `session_number`, `sessionnumber`); `region` too.
    pub(crate) fn from_any_name(name: &str) -> Option<Self> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| *c != '_')
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = squash(name);
        Self::ALL
            .into_iter()
            .filter(|p| p.api_name().is_some() || *p == Self::Region)
            .find(|p| squash(p.input_name()) == wanted)
    }

    /// Whether the value is a number (CloudFormation and the API convert numeric strings).
    pub(crate) fn is_number(self) -> bool {
        matches!(
            self,
            Self::SessionNumber | Self::PacketLength | Self::VirtualNetworkId
        )
    }
}
