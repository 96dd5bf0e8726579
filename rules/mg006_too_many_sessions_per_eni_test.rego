package mirrorguard.rules.mg006_test

import data.mirrorguard.rules.mg006

session(addr, eni) := {"address": addr, "network_interface_id": [{"ref": 0, "when": [], "known": eni, "id": eni}]}

test_three_sessions_pass if {
	count(mg006.deny) == 0 with input as {"sessions": [session("A", "eni-1"), session("B", "eni-1"), session("C", "eni-1")]}
}

test_fourth_session_is_reported if {
	vs := mg006.deny with input as {"sessions": [session("A", "eni-1"), session("B", "eni-1"), session("C", "eni-1"), session("D", "eni-1")]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 3, "network_interface_id", 0]
	count(v.related) == 3
}

test_other_enis_do_not_count if {
	count(mg006.deny) == 0 with input as {"sessions": [session("A", "eni-1"), session("B", "eni-1"), session("C", "eni-1"), session("D", "eni-2")]}
}
