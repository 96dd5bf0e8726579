package mirrorguard.rules.mg015_test

import data.mirrorguard.rules.mg015

lit(x) := {"ref": 0, "when": [], "known": x, "id": x}

target(eni, nlb, gwlb) := {"address": "T", "network_interface_id": eni, "network_load_balancer_arn": nlb, "gateway_load_balancer_endpoint_id": gwlb}

test_two_destinations_are_reported_at_the_second if {
	inp := {"format": "cloudformation", "targets": [target([lit("eni-1")], [lit("arn:aws:elasticloadbalancing:x")], [])]}
	vs := mg015.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["targets", 0, "network_load_balancer_arn", 0]
	v.related[0].path == ["targets", 0, "network_interface_id", 0]
}

test_three_destinations_give_two_findings if {
	inp := {"format": "cloudformation", "targets": [target([lit("eni-1")], [lit("arn")], [lit("vpce-1")])]}
	count(mg015.deny) == 2 with input as inp
}

test_no_destination_is_reported_at_the_target if {
	vs := mg015.deny with input as {"format": "terraform", "targets": [target([], [], [])]}
	count(vs) == 1
	some v in vs
	v.path == ["targets", 0]
}

test_exactly_one_passes if {
	count(mg015.deny) == 0 with input as {"format": "terraform", "targets": [target([lit("eni-1")], [], [])]}
}

test_unknown_and_variable_values_are_not_counted if {
	sym := {"ref": 0, "when": [], "symbol": "var.nlb", "id": "ref:var.nlb", "unknown": "no value"}
	from_default := {"ref": 0, "when": [], "absent": true, "origin": "default of variable eni"}
	count(mg015.deny) == 0 with input as {"format": "terraform", "targets": [target([lit("eni-1")], [sym], [])]}
	count(mg015.deny) == 0 with input as {"format": "terraform", "targets": [target([from_default], [], [])]}
}

sym(x) := {"ref": 0, "when": [], "symbol": x, "id": x, "unknown": "template does not render"}

test_stackql_columns_are_always_sent if {
	inp := {"format": "stackql", "targets": [target([sym("a")], [sym("b")], [sym("c")])]}
	count(mg015.deny) == 2 with input as inp
}

test_exclusive_branches_pass if {
	a := {"ref": 0, "when": [{"name": "UseNlb", "value": false}], "known": "eni-1"}
	b := {"ref": 0, "when": [{"name": "UseNlb", "value": true}], "known": "arn"}
	count(mg015.deny) == 0 with input as {"format": "cloudformation", "targets": [target([a], [b], [])]}
}
