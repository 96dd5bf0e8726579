package mirrorguard.rules.mg010_test

import data.mirrorguard.rules.mg010

session(eni) := {"sessions": [{"address": "S", "network_interface_id": [object.union({"ref": 0, "when": [], "known": eni}, kind(eni))]}], "targets": []}

# What mirrorguard puts in the input for a literal shaped like an EC2 id.
kind(id) := {"ec2_id": substring(id, 0, 3)} if regex.match(`^[a-z]+-([0-9a-f]{8}|[0-9a-f]{17})$`, id)

else := {}

test_17_and_8_digit_ids_pass if {
	count(mg010.deny) == 0 with input as session("eni-0123456789abcdef0")
	count(mg010.deny) == 0 with input as session("eni-0123abcd")
}

test_placeholder_is_reported if {
	count(mg010.deny) == 1 with input as session("eni-070203a001EXAMPLE")
}

test_wrong_kind_is_reported if {
	count(mg010.deny) == 1 with input as session("tmt-0123456789abcdef0")
}

test_target_eni_is_checked if {
	inp := {"sessions": [], "targets": [{"address": "T", "network_interface_id": [{"ref": 0, "when": [], "known": "eni-xyz"}]}]}
	count(mg010.deny) == 1 with input as inp
}
