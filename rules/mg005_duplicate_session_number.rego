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
#   inputs: [network_interface_id, session_number, region]
package mirrorguard.rules.mg005

# Sessions grouped by (source ENI identity, session number): linear, not pairwise.
groups_entry contains [key, [i, j, eni]] if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some a in s.network_interface_id
	a.id
	some j, n in s.session_number
	is_number(n.known)
	key := ["eni", a.id, n.known]
	eni := object.get(a, "known", object.get(a, "symbol", a.id))
}

# Alibaba Cloud: one priority per region (and account), whatever the source.
groups_entry contains [key, [i, j, region]] if {
	some i, s in input.sessions
	s.provider == "alicloud"
	some r in s.region
	r.id
	some j, n in s.session_number
	is_number(n.known)
	key := ["region", r.id, n.known]
	region := object.get(r, "known", object.get(r, "symbol", r.id))
}

# The members above as [key, member] sorted by key: a group is a run of equal keys. This
# keeps grouping linear without a keyed `contains`, which the compiled VM does not group.
groups_sorted := sort(groups_entry)

groups_starts[gk] := y if {
	some y, e in groups_sorted
	gk := e[0]
	not groups_sorted[y - 1][0] == gk
}

groups_ends[gk] := y if {
	some y, e in groups_sorted
	gk := e[0]
	not groups_sorted[y + 1][0] == gk
}

groups[gk] := [p[1] | some p in array.slice(groups_sorted, y, groups_ends[gk] + 1)] if some gk, y in groups_starts

message(key, other, where) := sprintf("session number %v is also used by %v on the same source network interface %v", [key[2], other, where]) if key[0] == "eni"

else := sprintf("priority %v is also used by %v in the same region %v", [key[2], other, where])

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
