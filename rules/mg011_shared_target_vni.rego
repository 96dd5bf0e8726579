# METADATA
# title: Two sessions send to one target with the same VNI
# description: |
#   The sensor behind a mirror target tells mirrored streams apart by their VXLAN network id.
#   Two sessions that send to the same target with the same explicit VNI are indistinguishable
#   there: traffic from two sources is merged, and per-source analysis silently goes wrong.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-session.html
#   - ref: https://datatracker.ietf.org/doc/html/rfc7348#section-5
# custom:
#   id: MG011
#   name: shared-target-vni
#   severity: warning
#   help: >-
#     Give each session that sends to the same target its own VirtualNetworkId, or leave it out
#     so that EC2 assigns a unique one ("If you do not specify a VirtualNetworkId, an
#     account-wide unique ID is chosen at random", CreateTrafficMirrorSession).
#   scope: group
#   inputs: [traffic_mirror_target_id, virtual_network_id]
package mirrorguard.rules.mg011

# The sessions that send to one target under one VNI are grouped in Rust, in the input's
# `groups.target_vni`.

deny contains v if {
	some group in input.groups.target_vni
	key := group.key
	count({m[0] | some m in group.members}) > 1
	first := group.members[0]
	some m in group.members
	m[0] != first[0]
	not contradicts(conditions(m), conditions(first))
	other := input.sessions[first[0]]
	v := {
		"msg": sprintf("VNI %v is also used by %v, which sends to the same target %v", [key[1], other.address, m[2]]),
		"path": ["sessions", m[0], "virtual_network_id", m[1]],
		"related": [{
			"path": ["sessions", first[0], "virtual_network_id", first[1]],
			"msg": sprintf("%v uses VNI %v here", [other.address, key[1]]),
		}],
	}
}

conditions(m) := array.concat(input.sessions[m[0]].conditions, input.sessions[m[0]].virtual_network_id[m[1]].when)

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
