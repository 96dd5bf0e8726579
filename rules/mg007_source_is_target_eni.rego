# METADATA
# title: Source ENI is also a mirror target's ENI
# description: |
#   A network interface cannot be a traffic mirror source and a traffic mirror target at the
#   same time. A session whose source interface backs a declared mirror target (its own or
#   another) is rejected, or would mirror the sensor's own traffic back to itself.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-considerations.html
# custom:
#   id: MG007
#   name: source-is-target-eni
#   severity: error
#   help: >-
#     Mirror from the workload's interface to a separate sensor interface, NLB or Gateway Load
#     Balancer endpoint ("An elastic network interface cannot be a traffic mirror target and a
#     traffic mirror session source at the same time", Traffic Mirroring considerations).
#   scope: session
#   inputs: [network_interface_id, traffic_mirror_target_id]
package mirrorguard.rules.mg007

target_enis_entry contains [id, [t, k]] if {
	some t, target in input.targets
	some k, a in target.network_interface_id
	id := a.id
}

# The members above as [key, member] sorted by key: a group is a run of equal keys. This
# keeps grouping linear without a keyed `contains`, which the compiled VM does not group.
target_enis_sorted := sort(target_enis_entry)

target_enis_starts[gk] := y if {
	some y, e in target_enis_sorted
	gk := e[0]
	not target_enis_sorted[y - 1][0] == gk
}

target_enis_ends[gk] := y if {
	some y, e in target_enis_sorted
	gk := e[0]
	not target_enis_sorted[y + 1][0] == gk
}

target_enis[gk] := [p[1] | some p in array.slice(target_enis_sorted, y, target_enis_ends[gk] + 1)] if some gk, y in target_enis_starts

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some j, a in s.network_interface_id
	a.id
	some pair in target_enis[a.id]
	target := input.targets[pair[0]]
	eni := object.get(a, "known", object.get(a, "symbol", a.id))
	v := {
		"msg": sprintf("source network interface %v is also the network interface of mirror target %v", [eni, target.address]),
		"path": ["sessions", i, "network_interface_id", j],
		"related": [{
			"path": ["targets", pair[0], "network_interface_id", pair[1]],
			"msg": sprintf("mirror target %v uses the same network interface", [target.address]),
		}],
	}
}
