package mirrorguard.rules.mg005_test

import data.mirrorguard.rules.mg005

# Which sessions share a number is computed in Rust (`groups.session_number` of the input,
# tested in src/model/input/groups.rs and by this rule's examples); these tests give the
# groups as the input holds them and pin what the rule makes of them.

session(addr, eni, n, conds) := {
	"address": addr, "provider": "aws", "conditions": conds,
	"network_interface_id": [{"ref": 0, "when": [], "known": eni, "id": eni}],
	"session_number": [{"ref": 1, "when": [], "known": n}],
}

group(scope, id, n, members) := {"key": [scope, id, n], "members": members}

test_same_eni_same_number_reported_on_the_later_session if {
	inp := {
		"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 1, [])],
		"groups": {"session_number": [group("eni", "eni-1", 1, [[0, 0, "eni-1"], [1, 0, "eni-1"]])]},
	}
	vs := mg005.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 1, "session_number", 0]
	v.related[0].path == ["sessions", 0, "session_number", 0]
	v.msg == "session number 1 is also used by A on the same source network interface eni-1"
}

test_no_group_no_finding if {
	inp := {"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 2, [])], "groups": {"session_number": []}}
	count(mg005.deny) == 0 with input as inp
}

test_exclusive_conditions_do_not_collide if {
	inp := {
		"sessions": [
			session("A", "eni-1", 1, [{"name": "IsProd", "value": true}]),
			session("B", "eni-1", 1, [{"name": "IsProd", "value": false}]),
		],
		"groups": {"session_number": [group("eni", "eni-1", 1, [[0, 0, "eni-1"], [1, 0, "eni-1"]])]},
	}
	count(mg005.deny) == 0 with input as inp
}

test_three_sessions_give_two_findings if {
	inp := {
		"sessions": [session("A", "eni-1", 1, []), session("B", "eni-1", 1, []), session("C", "eni-1", 1, [])],
		"groups": {"session_number": [group("eni", "eni-1", 1, [[0, 0, "eni-1"], [1, 0, "eni-1"], [2, 0, "eni-1"]])]},
	}
	vs := mg005.deny with input as inp
	count(vs) == 2
	every v in vs {
		v.related[0].path == ["sessions", 0, "session_number", 0]
	}
}

# Two alternatives of one session (the branches of a condition) never collide with each other.
test_alternatives_of_one_session_do_not_collide if {
	s := object.union(session("A", "eni-1", 1, []), {"session_number": [{"ref": 1, "when": [], "known": 1}, {"ref": 2, "when": [], "known": 1}]})
	inp := {"sessions": [s], "groups": {"session_number": [group("eni", "eni-1", 1, [[0, 0, "eni-1"], [0, 1, "eni-1"]])]}}
	count(mg005.deny) == 0 with input as inp
}

ali(addr, region, n) := {
	"address": addr, "provider": "alicloud", "conditions": [],
	"network_interface_id": [{"ref": 0, "when": [], "known": sprintf("eni-%v", [addr]), "id": sprintf("eni-%v", [addr])}],
	"region": [{"ref": 2, "when": [], "known": region, "id": region}],
	"session_number": [{"ref": 1, "when": [], "known": n}],
}

test_alicloud_priority_is_unique_per_region_whatever_the_source if {
	inp := {
		"sessions": [ali("a", "cn-hangzhou", 1), ali("b", "cn-hangzhou", 1)],
		"groups": {"session_number": [group("region", "cn-hangzhou", 1, [[0, 0, "cn-hangzhou"], [1, 0, "cn-hangzhou"]])]},
	}
	vs := mg005.deny with input as inp
	count(vs) == 1
	some v in vs
	v.msg == "priority 1 is also used by a in the same region cn-hangzhou"
}
