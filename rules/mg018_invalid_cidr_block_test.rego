package mirrorguard.rules.mg018_test

import data.mirrorguard.rules.mg018

cidr(text, family, network) := {"ref": 0, "when": [], "known": text, "cidr": {"family": family, "network": network, "canonical": text}}

rule(s, d) := {"address": "R", "provider": "aws", "source_cidr_block": [s], "destination_cidr_block": [d]}

test_invalid_cidr_is_reported if {
	bad := {"ref": 0, "when": [], "known": "10.0.0.0/33", "cidr_invalid": "prefix"}
	vs := mg018.deny with input as {"format": "cloudformation", "filter_rules": [rule(cidr("0.0.0.0/0", 4, true), bad)]}
	count(vs) == 1
	some v in vs
	v.path == ["filter_rules", 0, "destination_cidr_block", 0]
}

test_mixed_families_are_reported_at_the_destination if {
	vs := mg018.deny with input as {"format": "cloudformation", "filter_rules": [rule(cidr("0.0.0.0/0", 4, true), cidr("::/0", 6, true))]}
	count(vs) == 1
	some v in vs
	v.related[0].path == ["filter_rules", 0, "source_cidr_block", 0]
}

test_ipv6_rules_pass if {
	count(mg018.deny) == 0 with input as {"format": "cloudformation", "filter_rules": [rule(cidr("::/0", 6, true), cidr("2001:db8::/32", 6, true))]}
}

test_host_bits_matter_only_to_terraform if {
	r := rule(cidr("10.0.0.1/24", 4, false), cidr("0.0.0.0/0", 4, true))
	count(mg018.deny) == 0 with input as {"format": "cloudformation", "filter_rules": [r]}
	count(mg018.deny) == 1 with input as {"format": "terraform", "filter_rules": [r]}
}
