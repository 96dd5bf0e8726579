package mirrorguard.rules.mg005_test

import data.mirrorguard.rules.mg005

session(addr, eni, n, conds) := {
	"address": addr, "provider": "aws", "conditions": conds,
	"network_interface_id": [{"ref": 0, "when": [], "known": eni, "id": eni}],
	"session_number": [{"ref": 1, "when": [], "known": n}],
}

test_same_eni_same_number_reported_on_the_later_session if {
	inp := {"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 1, [])]}
	vs := mg005.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 1, "session_number", 0]
	v.related[0].path == ["sessions", 0, "session_number", 0]
}

test_distinct_numbers_pass if {
	inp := {"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 2, [])]}
	count(mg005.deny) == 0 with input as inp
}

test_distinct_enis_pass if {
	inp := {"sessions": [session("A", "eni-1", 1, []), session("B", "eni-2", 1, [])]}
	count(mg005.deny) == 0 with input as inp
}

test_symbolic_eni_identity_collides if {
	s1 := {"address": "A", "provider": "aws", "conditions": [], "network_interface_id": [{"ref": 0, "when": [], "symbol": "x.id", "id": "ref:x.id"}], "session_number": [{"ref": 1, "when": [], "known": 1}]}
	s2 := object.union(s1, {"address": "B"})
	count(mg005.deny) == 1 with input as {"sessions": [s1, s2]}
}

test_exclusive_conditions_do_not_collide if {
	inp := {"sessions": [
		session("A", "eni-1", 1, [{"name": "IsProd", "value": true}]),
		session("B", "eni-1", 1, [{"name": "IsProd", "value": false}]),
	]}
	count(mg005.deny) == 0 with input as inp
}

test_three_sessions_give_two_findings if {
	inp := {"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 1, []), session("C", "eni-1", 1, [])]}
	count(mg005.deny) == 2 with input as inp
}

ali(addr, region, n) := {
	"address": addr, "provider": "alicloud", "conditions": [],
	"network_interface_id": [{"ref": 0, "when": [], "known": sprintf("eni-%v", [addr]), "id": sprintf("eni-%v", [addr])}],
	"region": [{"ref": 2, "when": [], "known": region, "id": region}],
	"session_number": [{"ref": 1, "when": [], "known": n}],
}

test_alicloud_priority_is_unique_per_region_whatever_the_source if {
	vs := mg005.deny with input as {"sessions": [ali("a", "cn-hangzhou", 1), ali("b", "cn-hangzhou", 1)]}
	count(vs) == 1
	some v in vs
	contains(v.msg, "same region cn-hangzhou")
}

test_alicloud_other_regions_do_not_collide if {
	count(mg005.deny) == 0 with input as {"sessions": [ali("a", "cn-hangzhou", 1), ali("b", "cn-beijing", 1)]}
}
