//! The rest of the mirror graph: targets, filters, filter rules, network interfaces,
//! instances and the attachments between interfaces and instances.
//!
//! Every format reads these into one [`Resource`] shape: a kind, the values it declares
//! (each a [`Field`] of alternatives with spans, like a session's) and the identities by
//! which other declarations name it (`Ref(F)`, `aws_ec2_traffic_mirror_filter.f.id`).
//! [`Links`] resolves those names both ways once per unit, for the rules and the drawing.

use std::collections::BTreeMap;

use super::{Condition, Field, Loc, ModuleCall, Provider};

/// What a graph resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Target,
    Filter,
    FilterRule,
    Interface,
    Instance,
    /// A network interface attached to an instance: an attachment resource, an instance's
    /// own interface list, an interface's `attachment` block, or an instance's primary
    /// interface.
    Attachment,
}

impl Kind {
    /// Every kind, in rule-input order.
    pub(crate) const ALL: [Self; 6] = [
        Self::Target,
        Self::Filter,
        Self::FilterRule,
        Self::Interface,
        Self::Instance,
        Self::Attachment,
    ];

    /// The array of the rule input that holds this kind (`filter_rules`).
    pub(crate) fn input_name(self) -> &'static str {
        match self {
            Self::Target => "targets",
            Self::Filter => "filters",
            Self::FilterRule => "filter_rules",
            Self::Interface => "interfaces",
            Self::Instance => "instances",
            Self::Attachment => "attachments",
        }
    }

    /// Whether it is a traffic mirroring resource (not an interface or instance).
    pub(crate) fn is_mirroring(self) -> bool {
        matches!(self, Self::Target | Self::Filter | Self::FilterRule)
    }
}

/// A value a graph resource declares, by its meaning (one name for every format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Attr {
    NetworkInterfaceId,
    NetworkLoadBalancerArn,
    GatewayLoadBalancerEndpointId,
    NetworkServices,
    TrafficMirrorFilterId,
    TrafficDirection,
    RuleNumber,
    RuleAction,
    Protocol,
    SourceCidrBlock,
    DestinationCidrBlock,
    SourceFromPort,
    SourceToPort,
    DestinationFromPort,
    DestinationToPort,
    InstanceType,
    InstanceId,
}

impl Attr {
    /// Every attribute, in rule-input order.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 17] = [
        Self::NetworkInterfaceId,
        Self::NetworkLoadBalancerArn,
        Self::GatewayLoadBalancerEndpointId,
        Self::NetworkServices,
        Self::TrafficMirrorFilterId,
        Self::TrafficDirection,
        Self::RuleNumber,
        Self::RuleAction,
        Self::Protocol,
        Self::SourceCidrBlock,
        Self::DestinationCidrBlock,
        Self::SourceFromPort,
        Self::SourceToPort,
        Self::DestinationFromPort,
        Self::DestinationToPort,
        Self::InstanceType,
        Self::InstanceId,
    ];

    /// The name in the rule input and in findings (`rule_number`).
    pub(crate) fn input_name(self) -> &'static str {
        match self {
            Self::NetworkInterfaceId => "network_interface_id",
            Self::NetworkLoadBalancerArn => "network_load_balancer_arn",
            Self::GatewayLoadBalancerEndpointId => "gateway_load_balancer_endpoint_id",
            Self::NetworkServices => "network_services",
            Self::TrafficMirrorFilterId => "traffic_mirror_filter_id",
            Self::TrafficDirection => "traffic_direction",
            Self::RuleNumber => "rule_number",
            Self::RuleAction => "rule_action",
            Self::Protocol => "protocol",
            Self::SourceCidrBlock => "source_cidr_block",
            Self::DestinationCidrBlock => "destination_cidr_block",
            Self::SourceFromPort => "source_port_range.from_port",
            Self::SourceToPort => "source_port_range.to_port",
            Self::DestinationFromPort => "destination_port_range.from_port",
            Self::DestinationToPort => "destination_port_range.to_port",
            Self::InstanceType => "instance_type",
            Self::InstanceId => "instance_id",
        }
    }

    /// Where the value sits in a CloudFormation resource's `Properties` (and in the EC2
    /// API, stackql columns and plan values, converted to `snake_case` for Terraform).
    pub(crate) fn api_path(self) -> &'static [&'static str] {
        match self {
            Self::NetworkInterfaceId => &["NetworkInterfaceId"],
            Self::NetworkLoadBalancerArn => &["NetworkLoadBalancerArn"],
            Self::GatewayLoadBalancerEndpointId => &["GatewayLoadBalancerEndpointId"],
            Self::NetworkServices => &["NetworkServices"],
            Self::TrafficMirrorFilterId => &["TrafficMirrorFilterId"],
            Self::TrafficDirection => &["TrafficDirection"],
            Self::RuleNumber => &["RuleNumber"],
            Self::RuleAction => &["RuleAction"],
            Self::Protocol => &["Protocol"],
            Self::SourceCidrBlock => &["SourceCidrBlock"],
            Self::DestinationCidrBlock => &["DestinationCidrBlock"],
            Self::SourceFromPort => &["SourcePortRange", "FromPort"],
            Self::SourceToPort => &["SourcePortRange", "ToPort"],
            Self::DestinationFromPort => &["DestinationPortRange", "FromPort"],
            Self::DestinationToPort => &["DestinationPortRange", "ToPort"],
            Self::InstanceType => &["InstanceType"],
            Self::InstanceId => &["InstanceId"],
        }
    }

    /// Whether the value is a number (CloudFormation and the API convert numeric strings).
    pub(crate) fn is_number(self) -> bool {
        matches!(
            self,
            Self::RuleNumber
                | Self::SourceFromPort
                | Self::SourceToPort
                | Self::DestinationFromPort
                | Self::DestinationToPort
        )
    }

    /// The attributes a kind declares.
    pub(crate) fn of(kind: Kind) -> &'static [Self] {
        match kind {
            Kind::Target => &[
                Self::NetworkInterfaceId,
                Self::NetworkLoadBalancerArn,
                Self::GatewayLoadBalancerEndpointId,
            ],
            Kind::Filter => &[Self::NetworkServices],
            Kind::FilterRule => &[
                Self::TrafficMirrorFilterId,
                Self::TrafficDirection,
                Self::RuleNumber,
                Self::RuleAction,
                Self::Protocol,
                Self::SourceCidrBlock,
                Self::DestinationCidrBlock,
                Self::SourceFromPort,
                Self::SourceToPort,
                Self::DestinationFromPort,
                Self::DestinationToPort,
            ],
            Kind::Interface => &[],
            Kind::Instance => &[Self::InstanceType],
            Kind::Attachment => &[Self::NetworkInterfaceId, Self::InstanceId],
        }
    }
}

/// `SourcePortRange` → `source_port_range`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A declared resource of the mirror graph (anything but a session).
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) kind: Kind,
    /// Logical id, resource address with instance key, or manifest resource name.
    pub(crate) address: String,
    pub(crate) resource_type: String,
    pub(crate) provider: Provider,
    /// The resource's name or header, where findings about the whole resource point.
    pub(crate) loc: Loc,
    /// Conditions the resource itself exists under.
    pub(crate) conditions: Vec<Condition>,
    /// The Terraform module calls that declare it, outermost first.
    pub(crate) calls: Vec<ModuleCall>,
    /// How other declarations name it: `Ref(F)`, `GetAtt(F.Id)`,
    /// `aws_ec2_traffic_mirror_filter.f.id`, or a literal id.
    pub(crate) identities: Vec<String>,
    /// The values it declares (an attribute that is not declared has no entry).
    pub(crate) fields: BTreeMap<Attr, Field>,
    /// Why the number of instances of this resource is not known (an unresolved
    /// `count`/`for_each`): it stands for any number of copies, zero included.
    pub(crate) repeated: Option<String>,
    /// A resource that already exists in the account (preflight): read only.
    pub(crate) live: bool,
    /// Its real ids (`tmf-…`, `i-…`): literals that name it, for live resources.
    pub(crate) literal_ids: Vec<String>,
}

impl Resource {
    /// A resource with nothing declared yet.
    pub(crate) fn new(
        kind: Kind,
        address: String,
        resource_type: &str,
        provider: Provider,
        loc: Loc,
    ) -> Self {
        Self {
            kind,
            address,
            resource_type: resource_type.to_owned(),
            provider,
            loc,
            conditions: Vec::new(),
            calls: Vec::new(),
            identities: Vec::new(),
            fields: BTreeMap::new(),
            repeated: None,
            live: false,
            literal_ids: Vec::new(),
        }
    }

    /// The alternatives of an attribute (empty when not declared).
    pub(crate) fn field(&self, attr: Attr) -> &[super::Alt] {
        self.fields.get(&attr).map_or(&[], Vec::as_slice)
    }

    /// Sets an attribute when it has any alternative.
    pub(crate) fn set(&mut self, attr: Attr, alts: Field) {
        if !alts.is_empty() {
            self.fields.insert(attr, alts);
        }
    }
}

/// The graph kind of a resource type, in any format's spelling: CloudFormation
/// (`AWS::EC2::TrafficMirrorFilter`), Terraform (`aws_ec2_traffic_mirror_filter`,
/// `awscc_…`, `alicloud_vpc_traffic_mirror_filter`) or stackql (`awscc.ec2.traffic_mirror_filters`).
pub(crate) fn kind_of_type(ty: &str) -> Option<(Kind, Provider)> {
    use Kind::*;
    Some(match ty {
        "AWS::EC2::TrafficMirrorTarget" => (Target, Provider::Aws),
        "AWS::EC2::TrafficMirrorFilter" => (Filter, Provider::Aws),
        "AWS::EC2::TrafficMirrorFilterRule" => (FilterRule, Provider::Aws),
        "AWS::EC2::NetworkInterface" => (Interface, Provider::Aws),
        "AWS::EC2::Instance" => (Instance, Provider::Aws),
        "AWS::EC2::NetworkInterfaceAttachment" => (Attachment, Provider::Aws),
        "aws_ec2_traffic_mirror_target" => (Target, Provider::Aws),
        "awscc_ec2_traffic_mirror_target" | "awscc.ec2.traffic_mirror_targets" => {
            (Target, Provider::Awscc)
        }
        "aws_ec2_traffic_mirror_filter" => (Filter, Provider::Aws),
        "awscc_ec2_traffic_mirror_filter" | "awscc.ec2.traffic_mirror_filters" => {
            (Filter, Provider::Awscc)
        }
        "alicloud_vpc_traffic_mirror_filter" => (Filter, Provider::Alicloud),
        "aws_ec2_traffic_mirror_filter_rule" => (FilterRule, Provider::Aws),
        "awscc_ec2_traffic_mirror_filter_rule" | "awscc.ec2.traffic_mirror_filter_rules" => {
            (FilterRule, Provider::Awscc)
        }
        "alicloud_vpc_traffic_mirror_filter_ingress_rule"
        | "alicloud_vpc_traffic_mirror_filter_egress_rule" => (FilterRule, Provider::Alicloud),
        "aws_network_interface" => (Interface, Provider::Aws),
        "awscc_ec2_network_interface" | "awscc.ec2.network_interfaces" => {
            (Interface, Provider::Awscc)
        }
        "aws_instance" => (Instance, Provider::Aws),
        "awscc_ec2_instance" | "awscc.ec2.instances" => (Instance, Provider::Awscc),
        "aws_network_interface_attachment" => (Attachment, Provider::Aws),
        "awscc_ec2_network_interface_attachment" | "awscc.ec2.network_interface_attachments" => {
            (Attachment, Provider::Awscc)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_api_names() {
        assert_eq!(snake("SourcePortRange"), "source_port_range");
        assert_eq!(snake("FromPort"), "from_port");
        assert_eq!(snake("TrafficMirrorFilterId"), "traffic_mirror_filter_id");
    }

    #[test]
    fn every_attribute_belongs_to_a_kind_and_names_its_path() {
        for attr in Attr::ALL {
            assert!(
                Kind::ALL.iter().any(|k| Attr::of(*k).contains(&attr)),
                "{attr:?} is declared by no kind"
            );
            let path: Vec<String> = attr.api_path().iter().map(|p| snake(p)).collect();
            assert_eq!(path.join("."), attr.input_name());
        }
    }
}
