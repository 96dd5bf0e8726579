package mirrorguard.rules.mg024_test

import data.mirrorguard.rules.mg024

lit(x) := {"ref": 0, "when": [], "known": x, "id": x}

inp(peerings, tgw) := {
	"sessions": [{"address": "S", "network_interface_id": [lit("eni-src")], "traffic_mirror_target_id": [lit("tmt-1")], "target": [{"alt": 0, "target": 0}]}],
	"targets": [{"address": "tmt-1 (live)", "live": true, "network_interface_id": [lit("eni-dst")]}],
	"live": {"interface_vpcs": {"eni-src": "vpc-a", "eni-dst": "vpc-b"}, "peerings": peerings, "transit_gateways": tgw},
}

test_separate_vpcs_without_a_link_are_reported if {
	vs := mg024.deny with input as inp([], {})
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 0, "traffic_mirror_target_id", 0]
}

test_peering_or_a_shared_transit_gateway_joins_them if {
	count(mg024.deny) == 0 with input as inp([["vpc-b", "vpc-a"]], {})
	count(mg024.deny) == 0 with input as inp([], {"vpc-a": ["tgw-1"], "vpc-b": ["tgw-1"]})
	count(mg024.deny) == 1 with input as inp([], {"vpc-a": ["tgw-1"], "vpc-b": ["tgw-2"]})
}

test_without_peering_facts_it_is_not_checked if {
	count(mg024.deny) == 0 with input as inp(null, {})
	count(mg024.deny) == 0 with input as inp([], null)
}
