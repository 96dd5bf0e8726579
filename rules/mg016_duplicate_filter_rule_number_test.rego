package mirrorguard.rules.mg016_test

import data.mirrorguard.rules.mg016

lit(x) := {"ref": 0, "when": [], "known": x, "id": sprintf("%v", [x])}

filter := {"ref": 0, "when": [], "symbol": "Ref(F)", "id": "ref:Ref(F)"}

rule(addr, dir, n) := {"address": addr, "conditions": [], "traffic_mirror_filter_id": [filter], "traffic_direction": [lit(dir)], "rule_number": [lit(n)]}

test_same_number_and_direction_is_reported_once if {
	vs := mg016.deny with input as {"filter_rules": [rule("A", "ingress", 100), rule("B", "ingress", 100)]}
	count(vs) == 1
	some v in vs
	v.path == ["filter_rules", 1, "rule_number", 0]
	v.related[0].path == ["filter_rules", 0, "rule_number", 0]
}

test_other_direction_or_number_passes if {
	count(mg016.deny) == 0 with input as {"filter_rules": [rule("A", "ingress", 100), rule("B", "egress", 100)]}
	count(mg016.deny) == 0 with input as {"filter_rules": [rule("A", "ingress", 100), rule("B", "ingress", 200)]}
}

test_direction_case_does_not_matter if {
	count(mg016.deny) == 1 with input as {"filter_rules": [rule("A", "ingress", 1), rule("B", "INGRESS", 1)]}
}

test_other_filter_passes if {
	other := object.union(rule("B", "ingress", 100), {"traffic_mirror_filter_id": [lit("tmf-0123456789abcdef0")]})
	count(mg016.deny) == 0 with input as {"filter_rules": [rule("A", "ingress", 100), other]}
}
