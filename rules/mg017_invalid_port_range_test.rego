package mirrorguard.rules.mg017_test

import data.mirrorguard.rules.mg017

lit(x) := {"ref": 0, "when": [], "known": x}

rule(from, to, proto) := {
	"address": "R", "provider": "aws",
	"protocol": proto,
	"source_port_range": {"from_port": [], "to_port": []},
	"destination_port_range": {"from_port": from, "to_port": to},
}

tcp := [{"ref": 0, "when": [], "known": 6, "protocol_number": 6}]

icmp := [{"ref": 0, "when": [], "known": 1, "protocol_number": 1}]

test_port_above_65535_is_reported if {
	vs := mg017.deny with input as {"filter_rules": [rule([lit(0)], [lit(70000)], tcp)]}
	count(vs) == 1
	some v in vs
	v.path == ["filter_rules", 0, "destination_port_range", "to_port", 0]
}

test_reversed_range_is_reported_at_the_from_port if {
	vs := mg017.deny with input as {"filter_rules": [rule([lit(443)], [lit(80)], tcp)]}
	count(vs) == 1
	some v in vs
	v.path == ["filter_rules", 0, "destination_port_range", "from_port", 0]
	v.related[0].path == ["filter_rules", 0, "destination_port_range", "to_port", 0]
}

test_ports_on_icmp_are_reported if {
	vs := mg017.deny with input as {"filter_rules": [rule([lit(80)], [lit(80)], icmp)]}
	count(vs) == 1
	some v in vs
	v.related[0].path == ["filter_rules", 0, "protocol", 0]
}

test_valid_tcp_range_and_no_range_pass if {
	count(mg017.deny) == 0 with input as {"filter_rules": [rule([lit(0)], [lit(65535)], tcp)]}
	count(mg017.deny) == 0 with input as {"filter_rules": [rule([], [], icmp)]}
}

test_alibaba_all_ports_pass if {
	r := object.union(rule([lit(-1)], [lit(-1)], [lit("ALL")]), {"provider": "alicloud"})
	count(mg017.deny) == 0 with input as {"filter_rules": [r]}
}

test_unknown_protocol_passes if {
	count(mg017.deny) == 0 with input as {"filter_rules": [rule([lit(80)], [lit(80)], [{"ref": 0, "when": [], "unknown": "?"}])]}
}
