# METADATA
# title: Two rules of one filter share a rule number in one direction
# description: |
#   A filter's rules are processed in ascending rule number, and the rule number "must be
#   unique for each Traffic Mirror rule in a given direction". A second rule with the same
#   number and direction in the same filter is rejected at create time (Alibaba Cloud: the
#   same holds for a rule's priority).
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filters.html
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorFilterRule.html
# custom:
#   id: MG016
#   name: duplicate-filter-rule-number
#   severity: error
#   help: >-
#     Give each rule of a filter its own number per direction ("The rule number must be unique
#     for each Traffic Mirror rule in a given direction", CreateTrafficMirrorFilterRule);
#     leave gaps (100, 200, ...) so rules can be inserted later.
#   inputs: [filter_rules.traffic_mirror_filter_id, filter_rules.traffic_direction, filter_rules.rule_number]
package mirrorguard.rules.mg016

# Rules grouped by (filter identity, direction, number): linear, not pairwise.
groups_entry contains [key, [r, j]] if {
	some r, rule in input.filter_rules
	some f in rule.traffic_mirror_filter_id
	f.id
	some d in rule.traffic_direction
	is_string(d.known)
	some j, n in rule.rule_number
	is_number(n.known)
	key := [f.id, lower(d.known), n.known]
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

deny contains v if {
	some key, members in groups
	count(members) > 1
	sorted := sort(members)
	first := sorted[0]
	some m in sorted
	m[0] != first[0]
	not contradicts(conditions(m), conditions(first))
	other := input.filter_rules[first[0]]
	v := {
		"msg": sprintf("rule number %v is also used by %v for %v traffic of the same filter", [key[2], other.address, key[1]]),
		"path": ["filter_rules", m[0], "rule_number", m[1]],
		"related": [{
			"path": ["filter_rules", first[0], "rule_number", first[1]],
			"msg": sprintf("%v uses rule number %v here", [other.address, key[2]]),
		}],
	}
}

conditions(m) := array.concat(input.filter_rules[m[0]].conditions, input.filter_rules[m[0]].rule_number[m[1]].when)

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
