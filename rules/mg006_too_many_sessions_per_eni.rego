# METADATA
# title: More than 3 sessions on one source ENI
# description: |
#   AWS allows at most 3 traffic mirror sessions per source network interface, and the quota
#   cannot be raised. The fourth session fails at deploy time, often in a different stack or
#   module from the first three.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-quotas.html
# custom:
#   id: MG006
#   name: too-many-sessions-per-eni
#   severity: error
#   help: >-
#     Keep at most 3 sessions per source network interface ("Maximum number of sessions per
#     source network interface: 3, adjustable: No", Traffic Mirroring quotas); combine targets
#     behind a Network Load Balancer or Gateway Load Balancer endpoint instead.
#   scope: group
#   inputs: [network_interface_id]
package mirrorguard.rules.mg006

# The sessions of one source interface are grouped in Rust, in the input's
# `groups.interface`. Linear in the sessions of an interface: each member is compared with
# the first three (or, when conditions are involved, the first sixteen), never with every
# other member.
# The groups of more than three sessions, with their sessions in order: most units have none.
crowded contains [group, sessions] if {
	some group in input.groups.interface
	sessions := sort({m[0] | some m in group.members})
	count(sessions) > 3
}

deny contains v if {
	some [group, sessions] in crowded
	unconditional(group)
	first := array.slice(sessions, 0, 3)
	some m in group.members
	not m[0] in first
	i := m[0]
	v := {
		"msg": sprintf("%v sessions use source network interface %v; AWS allows at most 3", [count(sessions), m[2]]),
		"path": ["sessions", i, "network_interface_id", m[1]],
		"related": [{"path": ["sessions", f, "network_interface_id", 0], "msg": sprintf("%v is one of the first three", [input.sessions[f].address])} | some f in array.slice(sessions, 0, 3)],
	}
}

# With conditions, sessions count together only when they can exist together: a session in
# one branch of an `if` and one in the other are never both there. A member is reported when
# three sessions before it may exist with it and with each other (taken from the first
# sixteen members: a group whose first ones exclude each other is not reported, never
# reported wrongly).
deny contains v if {
	some [group, _] in crowded
	not unconditional(group)
	head := array.slice(group.members, 0, 16)
	some m in group.members
	before := [o | some o in head; o[0] < m[0]; not contradicts(conditions(o), conditions(m))]
	witnesses := array.slice(before, 0, 3)
	count({o[0] | some o in witnesses}) == 3
	not excluding(witnesses)
	v := {
		"msg": sprintf("at least 4 sessions use source network interface %v; AWS allows at most 3", [m[2]]),
		"path": ["sessions", m[0], "network_interface_id", m[1]],
		"related": [{"path": ["sessions", o[0], "network_interface_id", o[1]], "msg": sprintf("%v is one of the first three", [input.sessions[o[0]].address])} | some o in witnesses],
	}
}

conditions(m) := array.concat(
	object.get(input.sessions[m[0]], "conditions", []),
	object.get(input.sessions[m[0]].network_interface_id[m[1]], "when", []),
)

unconditional(group) if {
	every m in group.members {
		count(conditions(m)) == 0
	}
}

excluding(members) if {
	some a in members
	some b in members
	contradicts(conditions(a), conditions(b))
}

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
