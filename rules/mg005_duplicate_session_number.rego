# METADATA
# title: Two sessions on one source ENI share a session number
# description: |
#   Sessions on one source network interface are evaluated in session-number order and each
#   packet is mirrored once, by the first session whose filter matches. Two sessions with the
#   same number on the same interface leave that order undefined: one of them silently
#   mirrors nothing, or EC2 rejects the second. The interface may be a literal id or the same
#   reference (`!Ref Eni`, `aws_instance.x[count.index].primary_network_interface_id`).
#   Alibaba Cloud is stricter: a priority may be used once per account and region, whatever
#   the source.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-session.html
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-sessions.html
# custom:
#   id: MG005
#   name: duplicate-session-number
#   severity: error
#   help: >-
#     Give every session on the same source network interface its own session number; lower
#     numbers are evaluated first (Traffic Mirroring guide, "Traffic mirror sessions": "The
#     first session with a matching filter is the one that mirrors the packets"). For
#     alicloud_vpc_traffic_mirror_session, give each session in a region its own priority ("You
#     cannot specify the same priority for traffic mirror sessions that are created in the same
#     region with the same Alibaba Cloud account").
#   scope: group
#   inputs: [network_interface_id, session_number, region]
package mirrorguard.rules.mg005

# The sessions that share a session number on one source interface (Alibaba Cloud: a
# priority in one region) are grouped in Rust, in the input's `groups.session_number`.

message(key, other, where) := sprintf("session number %v is also used by %v on the same source network interface %v", [key[2], other, where]) if key[0] == "eni"

else := sprintf("priority %v is also used by %v in the same region %v", [key[2], other, where])

deny contains v if {
	some group in input.groups.session_number
	key := group.key
	first := group.members[0]
	some m in group.members
	m[0] != first[0]
	not contradicts(conditions(m), conditions(first))
	other := input.sessions[first[0]]
	v := {
		"msg": message(key, other.address, m[2]),
		"path": ["sessions", m[0], "session_number", m[1]],
		"related": [{
			"path": ["sessions", first[0], "session_number", first[1]],
			"msg": sprintf("%s uses %v here", [other.address, key[2]]),
		}],
	}
}

conditions(m) := array.concat(input.sessions[m[0]].conditions, input.sessions[m[0]].session_number[m[1]].when)

# Two sessions that exist under opposite values of one condition never coexist.
contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
