package mirrorguard.rules.mg001_test

import data.mirrorguard.rules.mg001

session(n) := {"sessions": [{"address": "S", "session_number": [{"ref": 0, "when": [], "known": n}]}]}

test_zero_is_flagged if {
	count(mg001.deny) == 1 with input as session(0)
}

test_above_maximum_is_flagged if {
	some v in mg001.deny with input as session(32767)
	v.path == ["sessions", 0, "session_number", 0]
}

test_bounds_are_accepted if {
	count(mg001.deny) == 0 with input as session(1)
	count(mg001.deny) == 0 with input as session(32766)
}

test_fraction_is_flagged if {
	count(mg001.deny) == 1 with input as session(1.5)
}

test_text_is_flagged if {
	count(mg001.deny) == 1 with input as session("first")
}

test_unknown_is_not_flagged if {
	count(mg001.deny) == 0 with input as {"sessions": [{"session_number": [{"ref": 0, "when": [], "unknown": "no default"}]}]}
}
