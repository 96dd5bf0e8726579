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
#   inputs: [network_interface_id, traffic_mirror_target_id, traffic_mirror_filter_id]
package mirrorguard.rules.mg010

prefixes := {
	"network_interface_id": ["eni-", "network interface"],
	"traffic_mirror_target_id": ["tmt-", "traffic mirror target"],
	"traffic_mirror_filter_id": ["tmf-", "traffic mirror filter"],
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some field, p in prefixes
	some j, alt in s[field]
	id := alt.known
	is_string(id)
	id != ""
	not well_formed[[p[0], id]]
	v := {
		"msg": sprintf("%v is not a well-formed %v id (%v and 8 or 17 hex digits)", [id, p[1], p[0]]),
		"path": ["sessions", i, field, j],
	}
}

deny contains v if {
	some t, target in input.targets
	some j, alt in target.network_interface_id
	id := alt.known
	is_string(id)
	id != ""
	not well_formed[["eni-", id]]
	v := {
		"msg": sprintf("%v is not a well-formed network interface id (eni- and 8 or 17 hex digits)", [id]),
		"path": ["targets", t, "network_interface_id", j],
	}
}

# Every literal id that is well formed, with its prefix: the prefix, then 8 or 17 lower-case
# hex digits. A set computed once per input, with string builtins: regorus compiles a
# regular expression on every call and calls user functions slowly, which dominated
# evaluation time.
well_formed contains [prefix, id] if {
	some id in literal_ids
	some prefix in {"eni-", "tmt-", "tmf-"}
	startswith(id, prefix)
	digits := substring(id, 4, -1)
	count(digits) in {8, 17}
	trim(digits, "0123456789abcdef") == ""
}

literal_ids contains id if {
	some s in input.sessions
	some field, _ in prefixes
	some alt in s[field]
	id := alt.known
	is_string(id)
}

literal_ids contains id if {
	some target in input.targets
	some alt in target.network_interface_id
	id := alt.known
	is_string(id)
}
