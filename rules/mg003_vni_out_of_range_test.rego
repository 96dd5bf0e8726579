package mirrorguard.rules.mg003_test

import data.mirrorguard.rules.mg003

session(n) := {"sessions": [{"address": "S", "virtual_network_id": [{"ref": 0, "when": [], "known": n}]}]}

test_above_maximum_is_flagged if {
	some v in mg003.deny with input as session(16777216)
	v.path == ["sessions", 0, "virtual_network_id", 0]
}

test_below_minimum_is_flagged if {
	count(mg003.deny) == 1 with input as session(-1)
}

test_bounds_are_accepted if {
	count(mg003.deny) == 0 with input as session(0)
	count(mg003.deny) == 0 with input as session(16777215)
}

test_text_is_flagged if {
	count(mg003.deny) == 1 with input as session("big")
}

test_unknown_is_not_flagged if {
	count(mg003.deny) == 0 with input as {"sessions": [{"virtual_network_id": [{"ref": 0, "when": [], "unknown": "no default"}]}]}
}

test_zero_is_rejected_for_terraform_aws_only if {
	tf := {"sessions": [{"format": "terraform", "provider": "aws", "virtual_network_id": [{"ref": 0, "when": [], "known": 0}]}]}
	count(mg003.deny) == 1 with input as tf
	cfn := {"sessions": [{"format": "cloudformation", "provider": "aws", "virtual_network_id": [{"ref": 0, "when": [], "known": 0}]}]}
	count(mg003.deny) == 0 with input as cfn
}
