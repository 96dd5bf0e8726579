package mirrorguard.rules.mg004_test

import data.mirrorguard.rules.mg004

alt(v) := {"ref": 1, "when": [], "known": v}

complete := {
	"address": "S", "format": "cloudformation", "provider": "aws", "ref": 0,
	"network_interface_id": [alt("eni-1")],
	"traffic_mirror_target_id": [alt("tmt-1")],
	"traffic_mirror_filter_id": [alt("tmf-1")],
	"session_number": [alt(1)],
}

test_complete_session_passes if {
	count(mg004.deny) == 0 with input as {"sessions": [complete]}
}

test_missing_filter_is_reported_at_the_resource if {
	s := object.union(complete, {"traffic_mirror_filter_id": []})
	some v in mg004.deny with input as {"sessions": [s]}
	v.path == ["sessions", 0]
	contains(v.msg, "TrafficMirrorFilterId")
}

test_terraform_names_are_used if {
	s := object.union(complete, {"format": "terraform", "session_number": []})
	some v in mg004.deny with input as {"sessions": [s]}
	contains(v.msg, "session_number")
}

test_removed_in_a_branch_is_reported_at_the_branch if {
	s := object.union(complete, {"session_number": [alt(1), {"ref": 2, "when": [{"name": "C", "value": false}], "absent": true}]})
	some v in mg004.deny with input as {"sessions": [s]}
	v.path == ["sessions", 0, "session_number", 1]
}

test_unknown_value_counts_as_present if {
	s := object.union(complete, {"network_interface_id": [{"ref": 3, "when": [], "symbol": "Ref(P)", "unknown": "no default"}]})
	count(mg004.deny) == 0 with input as {"sessions": [s]}
}

test_alicloud_needs_the_target_type if {
	s := object.union(complete, {"provider": "alicloud", "format": "terraform", "target_type": []})
	some v in mg004.deny with input as {"sessions": [s]}
	contains(v.msg, "traffic_mirror_target_type")
}

test_partial_declarations_need_nothing if {
	s := object.union(complete, {"partial": true, "session_number": []})
	count(mg004.deny) == 0 with input as {"sessions": [s]}
}

test_an_empty_id_is_reported_at_the_value if {
	some v in mg004.deny with input as {"sessions": [{
		"format": "terraform", "provider": "aws", "partial": false,
		"network_interface_id": [{"known": "", "ref": 1}],
		"traffic_mirror_target_id": [{"known": "tmt-0123456789abcdef0"}],
		"traffic_mirror_filter_id": [{"known": "tmf-0123456789abcdef0"}],
		"session_number": [{"known": 1}],
	}]}
	v.msg == "required property network_interface_id is empty"
	v.path == ["sessions", 0, "network_interface_id", 0]
}

test_an_unknown_id_is_not_empty if {
	count(mg004.deny) == 0 with input as {"sessions": [{
		"format": "terraform", "provider": "aws", "partial": false,
		"network_interface_id": [{"symbol": "var.eni", "unknown": "no value"}],
		"traffic_mirror_target_id": [{"known": "tmt-0123456789abcdef0"}],
		"traffic_mirror_filter_id": [{"known": "tmf-0123456789abcdef0"}],
		"session_number": [{"known": 1}],
	}]}
}
