# METADATA
# title: Two sessions on one source ENI share a session number
# description: |
#   Sessions on one source network interface are evaluated in session-number order and each
#   packet is mirrored once, by the first session whose filter matches. Two sessions with the
#   same number on the same interface leave that order undefined: one of them silently
#   mirrors nothing, or EC2 rejects the second. The interface may be a literal id or the same
#   reference (`!Ref Eni`, `aws_instance.x[count.index].primary_network_interface_id`).
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
#     first session with a matching filter is the one that mirrors the packets").
#   inputs: [network_interface_id, session_number]
package mirrorguard.rules.mg005

# Sessions grouped by (source ENI identity, session number): linear, not pairwise.
groups[key] contains [i, j, eni] if {
	some i, s in input.sessions
	some a in s.network_interface_id
	a.id
	some j, n in s.session_number
	is_number(n.known)
	key := [a.id, n.known]
	eni := object.get(a, "known", object.get(a, "symbol", a.id))
}

deny contains v if {
	some key, members in groups
	count(members) > 1
	sorted := sort(members)
	first := sorted[0]
	some m in sorted
	m[0] != first[0]
	not contradicts(conditions(m), conditions(first))
	other := input.sessions[first[0]]
	v := {
		"msg": sprintf("session number %v is also used by %s on the same source network interface %v", [key[1], other.address, m[2]]),
		"path": ["sessions", m[0], "session_number", m[1]],
		"related": [{
			"path": ["sessions", first[0], "session_number", first[1]],
			"msg": sprintf("%s uses session number %v here", [other.address, key[1]]),
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
