# METADATA
# title: Session filter has no rules
# description: |
#   A session mirrors only the traffic its filter's rules accept: "if no rules are added, no
#   traffic is mirrored". A session whose filter is declared in the same template or module
#   without any rule deploys cleanly and mirrors nothing. A filter with rules in one
#   direction only is a deliberate choice and not reported. When a rule's filter cannot be
#   resolved, or part of the unit cannot be read, no filter is said to be empty.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filters.html
# custom:
#   id: MG021
#   name: filter-without-rules
#   severity: warning
#   help: >-
#     Add at least one accept rule to the filter ("If you do not add any rules, no traffic is
#     mirrored", Traffic Mirroring filters), e.g. ingress and egress rules accepting
#     0.0.0.0/0. If the rules are declared in another stack or module, suppress this finding
#     with that reason.
#   inputs: [traffic_mirror_filter_id, filter_rules.traffic_mirror_filter_id]
package mirrorguard.rules.mg021

deny contains v if {
	some i, s in input.sessions
	some l in s.filter
	f := input.filters[l.filter]
	count(f.rules) == 0
	f.rules_unknown == null
	v := {
		"msg": sprintf("filter %v has no rules, so session %v mirrors nothing", [f.address, s.address]),
		"path": ["sessions", i, "traffic_mirror_filter_id", l.alt],
		"related": [{"path": ["filters", l.filter], "msg": sprintf("%v is declared here without rules", [f.address])}],
	}
}
