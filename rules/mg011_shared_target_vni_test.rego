package mirrorguard.rules.mg011_test

import data.mirrorguard.rules.mg011

session(addr, target, vni) := {
	"address": addr, "conditions": [],
	"traffic_mirror_target_id": [{"ref": 0, "when": [], "known": target, "id": target}],
	"virtual_network_id": [{"ref": 1, "when": [], "known": vni}],
}

test_same_target_same_vni_is_reported if {
	vs := mg011.deny with input as {"sessions": [session("A", "tmt-1", 7), session("B", "tmt-1", 7)]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 1, "virtual_network_id", 0]
}

test_distinct_vni_or_target_pass if {
	count(mg011.deny) == 0 with input as {"sessions": [session("A", "tmt-1", 7), session("B", "tmt-1", 8)]}
	count(mg011.deny) == 0 with input as {"sessions": [session("A", "tmt-1", 7), session("B", "tmt-2", 7)]}
}
