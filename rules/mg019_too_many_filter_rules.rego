# METADATA
# title: More than 10 rules in one filter
# description: |
#   A traffic mirror filter holds at most 10 rules, and the quota cannot be raised; the
#   eleventh rule fails at create time. Alibaba Cloud allows 10 rules in each direction. Only
#   rules that certainly exist are counted (not those under a condition or an unresolved
#   `count`), so the count never overstates.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-quotas.html
# custom:
#   id: MG019
#   name: too-many-filter-rules
#   severity: error
#   help: >-
#     Keep at most 10 rules per filter ("Rules per filter: 10, adjustable: No", Traffic
#     Mirroring quotas): merge rules with wider CIDR blocks or port ranges, or split the
#     traffic across sessions with different filters.
#   inputs: [filter_rules.traffic_mirror_filter_id]
package mirrorguard.rules.mg019

key(rule, f) := [f.id] if rule.provider != "alicloud"

key(rule, f) := [f.id, d.known] if {
	rule.provider == "alicloud"
	some d in rule.traffic_direction
	is_string(d.known)
}

counted_entry contains [k, [r, j]] if {
	some r, rule in input.filter_rules
	object.get(rule, "repeated", null) == null
	count(rule.conditions) == 0
	some j, f in rule.traffic_mirror_filter_id
	f.id
	count(f.when) == 0
	k := key(rule, f)
}

# The members above as [key, member] sorted by key: a group is a run of equal keys. This
# keeps grouping linear without a keyed `contains`, which the compiled VM does not group.
counted_sorted := sort(counted_entry)

counted_starts[gk] := y if {
	some y, e in counted_sorted
	gk := e[0]
	not counted_sorted[y - 1][0] == gk
}

counted_ends[gk] := y if {
	some y, e in counted_sorted
	gk := e[0]
	not counted_sorted[y + 1][0] == gk
}

counted[gk] := [p[1] | some p in array.slice(counted_sorted, y, counted_ends[gk] + 1)] if some gk, y in counted_starts

limit_text(k) := "a filter holds at most 10" if count(k) == 1

else := sprintf("a filter holds at most 10 %v rules", [k[1]])

deny contains v if {
	some k, members in counted
	rules := {m[0] | some m in members}
	count(rules) > 10
	sorted := sort(members)
	some m in sorted
	not m[0] in {x[0] | some x in array.slice(sorted, 0, 10)}
	first := input.filter_rules[sorted[0][0]]
	v := {
		"msg": sprintf("%v is rule %v of one filter; %v", [input.filter_rules[m[0]].address, count(rules), limit_text(k)]),
		"path": ["filter_rules", m[0], "traffic_mirror_filter_id", m[1]],
		"related": [{"path": ["filter_rules", sorted[0][0], "traffic_mirror_filter_id", sorted[0][1]], "msg": sprintf("%v is the first rule of the filter", [first.address])}],
	}
}
