# METADATA
# title: Required session property missing
# description: |
#   CreateTrafficMirrorSession needs the source network interface, the mirror target, the
#   mirror filter and the session number. A session without one of them fails at deploy
#   time; one where a branch removes it (AWS::NoValue, null) fails only in that branch,
#   which is easy to miss in review.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
#   - ref: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-trafficmirrorsession.html
# custom:
#   id: MG004
#   name: required-property-missing
#   severity: error
#   help: >-
#     Declare NetworkInterfaceId, TrafficMirrorTargetId, TrafficMirrorFilterId and SessionNumber
#     (network_interface_id, traffic_mirror_target_id, traffic_mirror_filter_id, session_number
#     in Terraform); all four are required by the EC2 API and the CloudFormation schema.
#   inputs: []
package mirrorguard.rules.mg004

names := {
	"cloudformation": {
		"network_interface_id": "NetworkInterfaceId",
		"traffic_mirror_target_id": "TrafficMirrorTargetId",
		"traffic_mirror_filter_id": "TrafficMirrorFilterId",
		"session_number": "SessionNumber",
	},
	"terraform": {
		"network_interface_id": "network_interface_id",
		"traffic_mirror_target_id": "traffic_mirror_target_id",
		"traffic_mirror_filter_id": "traffic_mirror_filter_id",
		"session_number": "session_number",
	},
}

deny contains v if {
	some i, s in input.sessions
	some field, name in names[s.format]
	count(s[field]) == 0
	v := {
		"msg": sprintf("required property %s is missing", [name]),
		"path": ["sessions", i],
	}
}

deny contains v if {
	some i, s in input.sessions
	some field, name in names[s.format]
	some j, alt in s[field]
	alt.absent
	v := {
		"msg": sprintf("required property %s is removed here", [name]),
		"path": ["sessions", i, field, j],
	}
}
