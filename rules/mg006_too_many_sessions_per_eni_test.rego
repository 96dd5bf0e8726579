package mirrorguard.rules.mg006_test

import data.mirrorguard.rules.mg006

# Which sessions share an interface is computed in Rust (`groups.interface` of the input,
# tested in src/model/input/groups.rs and by this rule's examples); these tests give the
# groups as the input holds them and pin what the rule makes of them.

session(addr, eni) := {"address": addr, "network_interface_id": [{"ref": 0, "when": [], "known": eni, "id": eni}]}

sessions(n) := [session(sprintf("S%v", [i]), "eni-1") | some i in numbers.range(0, n - 1)]

members(n) := [[i, 0, "eni-1"] | some i in numbers.range(0, n - 1)]

test_three_sessions_pass if {
	inp := {"sessions": sessions(3), "groups": {"interface": [{"key": ["eni-1"], "members": members(3)}]}}
	count(mg006.deny) == 0 with input as inp
}

test_fourth_session_is_reported if {
	inp := {"sessions": sessions(4), "groups": {"interface": [{"key": ["eni-1"], "members": members(4)}]}}
	vs := mg006.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 3, "network_interface_id", 0]
	count(v.related) == 3
	v.msg == "4 sessions use source network interface eni-1; AWS allows at most 3"
}

# Sessions are counted, not alternatives: two branches of one session are one session.
test_alternatives_of_one_session_count_once if {
	inp := {
		"sessions": sessions(3),
		"groups": {"interface": [{"key": ["eni-1"], "members": array.concat(members(3), [[2, 1, "eni-1"]])}]},
	}
	count(mg006.deny) == 0 with input as inp
}

# Sessions in branches that exclude each other (the two arms of one `if`) never count
# together; the same branch does.
branch(addr, arm) := object.union(session(addr, "eni-1"), {"conditions": [{"name": "if", "value": arm}]})

test_sessions_of_exclusive_branches_do_not_count_together if {
	ss := [session("A", "eni-1"), session("B", "eni-1"), branch("C", "then"), branch("D", "else")]
	inp := {"sessions": ss, "groups": {"interface": [{"key": ["eni-1"], "members": members(4)}]}}
	count(mg006.deny) == 0 with input as inp
}

test_sessions_of_one_branch_count_together if {
	ss := [session("A", "eni-1"), session("B", "eni-1"), branch("C", "then"), branch("D", "then"), branch("E", "else")]
	inp := {"sessions": ss, "groups": {"interface": [{"key": ["eni-1"], "members": members(5)}]}}
	vs := mg006.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 3, "network_interface_id", 0]
	v.msg == "at least 4 sessions use source network interface eni-1; AWS allows at most 3"
	{r.path[1] | some r in v.related} == {0, 1, 2}
}
