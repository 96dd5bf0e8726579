# METADATA
# title: Session filter has no rules
# description: |
#   A session mirrors only the traffic its filter's rules accept: "if no rules are added, no
#   traffic is mirrored". A session whose filter is declared in the same template or module
#   without any rule deploys cleanly and mirrors nothing. A filter with rules in one
#   direction only is a deliberate choice and not reported. A filter with a network service
#   (`amazon-dns`) is not empty either: "when a network service is added to the Traffic
#   Mirror filter, all traffic related to that network service will be mirrored". When a
#   rule's filter or the filter's network services cannot be resolved, or part of the unit
#   cannot be read, no filter is said to be empty. Alibaba Cloud sessions are not checked: its
#   documentation does not say what an empty filter mirrors.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filters.html
# custom:
#   id: MG021
#   name: filter-without-rules
#   severity: warning
#   help: >-
#     Add at least one accept rule to the filter ("If you do not add any rules, no traffic is
#     mirrored", Traffic Mirroring filters), e.g. ingress and egress rules accepting
#     0.0.0.0/0, or the network service amazon-dns if Amazon DNS traffic is what it should
#     mirror. If the rules are declared in another stack or module, suppress this finding
#     with that reason.
#   inputs: [traffic_mirror_filter_id, filter_rules.traffic_mirror_filter_id, filters.network_services]
package mirrorguard.rules.mg021

# Sessions per empty filter, so that each filter is reported once.
users_entry contains [f, [i, l.alt]] if {
	some i, s in input.sessions
	s.provider != "alicloud"
	some l in s.filter
	filter := input.filters[l.filter]
	count(filter.rules) == 0
	filter.rules_unknown == null
	without_network_services(filter)
	f := l.filter
}

# Every alternative of the filter's network services is known to be none: a network service
# is mirrored whatever the rules, and an unknown one may be.
without_network_services(filter) if {
	every alt in object.get(filter, "network_services", []) {
		no_service(alt)
	}
}

no_service(alt) if alt.absent == true

no_service(alt) if alt.known == null

no_service(alt) if alt.known == []

# The members above as [key, member] sorted by key: a group is a run of equal keys. This
# keeps grouping linear without a keyed `contains`, which the compiled VM does not group.
users_sorted := sort(users_entry)

users_starts[gk] := y if {
	some y, e in users_sorted
	gk := e[0]
	not users_sorted[y - 1][0] == gk
}

users_ends[gk] := y if {
	some y, e in users_sorted
	gk := e[0]
	not users_sorted[y + 1][0] == gk
}

users[gk] := [p[1] | some p in array.slice(users_sorted, y, users_ends[gk] + 1)] if some gk, y in users_starts

deny contains v if {
	some f, members in users
	sorted := sort(members)
	first := sorted[0]
	filter := input.filters[f]
	session := input.sessions[first[0]]
	others := [{"path": ["sessions", m[0], "traffic_mirror_filter_id", m[1]], "msg": sprintf("%v uses it too", [input.sessions[m[0]].address])} |
		some m in array.slice(sorted, 1, count(sorted))
	]
	v := {
		"msg": message(filter.address, session.address, count({m[0] | some m in members})),
		"path": ["sessions", first[0], "traffic_mirror_filter_id", first[1]],
		"related": array.concat([{"path": ["filters", f], "msg": sprintf("%v is declared here without rules", [filter.address])}], others),
	}
}

message(filter, session, 1) := sprintf("filter %v has no rules, so session %v mirrors nothing", [filter, session])

message(filter, session, n) := sprintf("filter %v has no rules, so session %v and %v other sessions using it mirror nothing", [filter, session, n - 1]) if n > 1
