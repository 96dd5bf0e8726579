# METADATA
# title: More sources on one interface target than its instance type allows
# description: |
#   A network interface target accepts 10 sources, or 100 on the instance types AWS lists
#   (the largest sizes, e.g. m5.24xlarge); Network Load Balancer and Gateway Load Balancer
#   endpoint targets have no such limit. Sessions past the limit fail at create time. Every
#   session of the unit is counted, `count` instances included; only sources that are
#   certainly different (literal ids, or interfaces the unit creates) are counted, and only
#   sessions that certainly exist.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-quotas.html
# custom:
#   id: MG022
#   name: too-many-sources-per-target
#   severity: error
#   help: >-
#     Spread the sources over more targets, use a larger sensor instance type from the list,
#     or put the sensors behind a Network Load Balancer or Gateway Load Balancer endpoint
#     ("Maximum number of sources per network interface target: 10, or 100 for the listed
#     instance types", Traffic Mirroring quotas).
#   inputs: [network_interface_id, traffic_mirror_target_id, instances.instance_type]
package mirrorguard.rules.mg022

certain(a) if is_string(a.known)

certain(a) if a.created

# Distinct certain sources per target, with the sessions naming them (live sessions that
# already use the target count too).
sources_entry contains [t, [a.id, i, l.alt]] if {
	some i, s in input.sessions
	count(s.conditions) == 0
	some l in s.target
	count(s.traffic_mirror_target_id[l.alt].when) == 0
	some a in s.network_interface_id
	count(a.when) == 0
	certain(a)
	t := l.target
}

# The members above as [key, member] sorted by key: a group is a run of equal keys. This
# keeps grouping linear without a keyed `contains`, which the compiled VM does not group.
sources_sorted := sort(sources_entry)

sources_starts[gk] := y if {
	some y, e in sources_sorted
	gk := e[0]
	not sources_sorted[y - 1][0] == gk
}

sources_ends[gk] := y if {
	some y, e in sources_sorted
	gk := e[0]
	not sources_sorted[y + 1][0] == gk
}

sources[gk] := [p[1] | some p in array.slice(sources_sorted, y, sources_ends[gk] + 1)] if some gk, y in sources_starts

deny contains v if {
	some t, members in sources
	ids := {m[0] | some m in members}
	target := input.targets[t]
	some il in target.instance
	inst := input.instances[il.instance]
	some k, ty in inst.instance_type
	count(inst.conditions) == 0
	count(ty.when) == 0
	limit := ty.sources_per_target
	count(ids) > limit
	# Reported at the last declared session that names the target.
	declared := sort({[m[1], m[2]] | some m in members; not input.sessions[m[1]].live})
	count(declared) > 0
	last := declared[count(declared) - 1]
	sessions := {m[1] | some m in members}
	v := {
		"msg": sprintf("%v sessions send %v different sources to mirror target %v, on %v (%v); it accepts at most %v", [count(sessions), count(ids), target.address, inst.address, ty.known, limit]),
		"path": ["sessions", last[0], "traffic_mirror_target_id", last[1]],
		"related": [
			{"path": ["targets", t, "network_interface_id", il.alt], "msg": sprintf("mirror target %v sends to this interface", [target.address])},
			{"path": ["instances", il.instance, "instance_type", k], "msg": sprintf("%v is a %v: %v sources per target", [inst.address, ty.known, limit])},
		],
	}
}
