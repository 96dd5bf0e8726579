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
