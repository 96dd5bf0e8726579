package mirrorguard.rules.mg002_test

import data.mirrorguard.rules.mg002

session(n) := {"sessions": [{"address": "S", "packet_length": [{"ref": 0, "when": [], "known": n}]}]}

test_above_maximum_is_flagged if {
	some v in mg002.deny with input as session(9001)
	v.path == ["sessions", 0, "packet_length", 0]
}

test_below_minimum_is_flagged if {
	count(mg002.deny) == 1 with input as session(0)
}

test_bounds_are_accepted if {
	count(mg002.deny) == 0 with input as session(1)
	count(mg002.deny) == 0 with input as session(8500)
}

test_text_is_flagged if {
	count(mg002.deny) == 1 with input as session("big")
}

test_unknown_is_not_flagged if {
	count(mg002.deny) == 0 with input as {"sessions": [{"packet_length": [{"ref": 0, "when": [], "unknown": "no default"}]}]}
}
