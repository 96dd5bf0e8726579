package mirrorguard.rules.mg019_test

import data.mirrorguard.rules.mg019

filter := {"ref": 0, "when": [], "symbol": "Ref(F)", "id": "ref:Ref(F)"}

rule(i) := {"address": sprintf("R%v", [i]), "provider": "aws", "conditions": [], "traffic_mirror_filter_id": [filter], "traffic_direction": [{"ref": 0, "when": [], "known": "ingress"}]}

test_eleventh_rule_is_reported if {
	vs := mg019.deny with input as {"filter_rules": [rule(i) | some i in numbers.range(1, 11)]}
	count(vs) == 1
}

test_ten_rules_pass if {
	count(mg019.deny) == 0 with input as {"filter_rules": [rule(i) | some i in numbers.range(1, 10)]}
}

test_conditional_and_repeated_rules_are_not_counted if {
	rules := array.concat([rule(i) | some i in numbers.range(1, 10)], [object.union(rule(11), {"repeated": "count = var.n is non-zero"})])
	count(mg019.deny) == 0 with input as {"filter_rules": rules}
}

ali(i, d) := object.union(rule(i), {"provider": "alicloud", "traffic_direction": [{"ref": 0, "when": [], "known": d}]})

test_alibaba_counts_each_direction if {
	rules := array.concat([ali(i, "ingress") | some i in numbers.range(1, 10)], [ali(i, "egress") | some i in numbers.range(11, 20)])
	count(mg019.deny) == 0 with input as {"filter_rules": rules}
}
