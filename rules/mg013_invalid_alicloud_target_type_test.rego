package mirrorguard.rules.mg013_test

import data.mirrorguard.rules.mg013

session(t) := {"sessions": [{"provider": "alicloud", "target_type": [{"ref": 0, "when": [], "known": t}]}]}

test_allowed_types_pass if {
	count(mg013.deny) == 0 with input as session("NetworkInterface")
	count(mg013.deny) == 0 with input as session("SLB")
}

test_wrong_case_is_reported if {
	count(mg013.deny) == 1 with input as session("networkinterface")
}
