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
# the first three, never with every other member.
deny contains v if {
	some group in input.groups.interface
	sessions := sort({m[0] | some m in group.members})
	count(sessions) > 3
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
