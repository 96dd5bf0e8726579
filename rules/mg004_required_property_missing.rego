# METADATA
# title: Required session property missing
# description: |
#   CreateTrafficMirrorSession needs the source network interface, the mirror target, the
#   mirror filter and the session number (Alibaba Cloud: the sources, the target and its type,
#   the filter and the priority). A session without one of them fails at deploy time; one where
#   a branch removes it (AWS::NoValue, null) fails only in that branch, which is easy to miss in
#   review.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
#   - ref: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-trafficmirrorsession.html
#   - ref: https://registry.terraform.io/providers/aliyun/alicloud/latest/docs/resources/vpc_traffic_mirror_session
# custom:
#   id: MG004
#   name: required-property-missing
#   severity: error
#   help: >-
#     Declare NetworkInterfaceId, TrafficMirrorTargetId, TrafficMirrorFilterId and SessionNumber
#     (network_interface_id, traffic_mirror_target_id, traffic_mirror_filter_id, session_number
#     in Terraform); all four are required by the EC2 API and the CloudFormation schema. For
#     alicloud_vpc_traffic_mirror_session: priority, traffic_mirror_source_ids,
#     traffic_mirror_target_id, traffic_mirror_target_type and traffic_mirror_filter_id.
#   scope: session
#   inputs: []
package mirrorguard.rules.mg004

pascal := {
	"network_interface_id": "NetworkInterfaceId",
	"traffic_mirror_target_id": "TrafficMirrorTargetId",
	"traffic_mirror_filter_id": "TrafficMirrorFilterId",
	"session_number": "SessionNumber",
}

snake := {
	"network_interface_id": "network_interface_id",
	"traffic_mirror_target_id": "traffic_mirror_target_id",
	"traffic_mirror_filter_id": "traffic_mirror_filter_id",
	"session_number": "session_number",
}

alicloud := {
	"network_interface_id": "traffic_mirror_source_ids",
	"traffic_mirror_target_id": "traffic_mirror_target_id",
	"target_type": "traffic_mirror_target_type",
	"traffic_mirror_filter_id": "traffic_mirror_filter_id",
	"session_number": "priority",
}

# An `aws ec2 create-traffic-mirror-session` command line in a shell script.
options := {
	"network_interface_id": "--network-interface-id",
	"traffic_mirror_target_id": "--traffic-mirror-target-id",
	"traffic_mirror_filter_id": "--traffic-mirror-filter-id",
	"session_number": "--session-number",
}

names(s) := alicloud if s.provider == "alicloud"

else := options if s.type == "aws-cli-command"

else := snake if s.format == "terraform"

else := pascal

deny contains v if {
	some i, s in input.sessions
	not s.partial
	some field, name in names(s)
	count(s[field]) == 0
	v := {
		"msg": sprintf("required property %s is missing", [name]),
		"path": ["sessions", i],
	}
}

deny contains v if {
	some i, s in input.sessions
	some field, name in names(s)
	some j, alt in s[field]
	alt.absent
	v := {
		"msg": sprintf("required property %s is removed here", [name]),
		"path": ["sessions", i, field, j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some field, name in names(s)
	field != "session_number"
	some j, alt in s[field]
	alt.known == ""
	v := {
		"msg": sprintf("required property %s is empty", [name]),
		"path": ["sessions", i, field, j],
	}
}
