# METADATA
# title: Literal id is not well formed
# description: |
#   EC2 ids are a prefix and 8 or 17 lower-case hexadecimal digits (`eni-0123456789abcdef0`,
#   `tmt-…`, `tmf-…`). A literal that does not have that shape is a typo, a placeholder left
#   in, or an id of the wrong kind (a target id where the filter id belongs), and fails at
#   deploy time.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html
# custom:
#   id: MG010
#   name: malformed-id
#   severity: warning
#   help: >-
#     Use the id as EC2 returns it: eni-, tmt- or tmf- followed by 8 or 17 hexadecimal digits
#     (EC2 user guide, "Resource IDs"), or refer to the resource instead of copying its id.
#   scope: session
#   inputs: [network_interface_id, traffic_mirror_target_id, traffic_mirror_filter_id]
package mirrorguard.rules.mg010

prefixes := {
	"network_interface_id": ["eni", "network interface"],
	"traffic_mirror_target_id": ["tmt", "traffic mirror target"],
	"traffic_mirror_filter_id": ["tmf", "traffic mirror filter"],
}

# `ec2_id` is the prefix of a literal shaped like an EC2 id (lower-case prefix, `-`, 8 or
# 17 lower-case hex digits), given by mirrorguard in the input; absent otherwise.
deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some field, p in prefixes
	some j, alt in s[field]
	id := alt.known
	is_string(id)
	id != ""
	not alt.ec2_id == p[0]
	v := {
		"msg": sprintf("%v is not a well-formed %v id (%v- and 8 or 17 hex digits)", [id, p[1], p[0]]),
		"path": ["sessions", i, field, j],
	}
}

deny contains v if {
	some t, target in input.targets
	some j, alt in target.network_interface_id
	id := alt.known
	is_string(id)
	id != ""
	not alt.ec2_id == "eni"
	v := {
		"msg": sprintf("%v is not a well-formed network interface id (eni- and 8 or 17 hex digits)", [id]),
		"path": ["targets", t, "network_interface_id", j],
	}
}
