package mirrorguard.rules.mg022_test

import data.mirrorguard.rules.mg022

session(i) := {
	"address": sprintf("S%v", [i]), "conditions": [],
	"network_interface_id": [{"ref": 0, "when": [], "known": sprintf("eni-%v", [i]), "id": sprintf("eni-%v", [i])}],
	"traffic_mirror_target_id": [{"ref": 0, "when": []}],
	"target": [{"alt": 0, "target": 0}],
}

target := {"address": "T", "network_interface_id": [{"ref": 0, "when": []}], "instance": [{"alt": 0, "instance": 0, "attachment": 0}]}

instance(limit) := {"address": "I", "conditions": [], "instance_type": [{"ref": 0, "when": [], "known": "m5.large", "sources_per_target": limit}]}

test_eleven_sources_on_a_ten_source_target_are_reported if {
	vs := mg022.deny with input as {"sessions": [session(i) | some i in numbers.range(1, 11)], "targets": [target], "instances": [instance(10)]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 10, "traffic_mirror_target_id", 0]
	v.related[0].path == ["targets", 0, "network_interface_id", 0]
}

test_ten_sources_pass if {
	count(mg022.deny) == 0 with input as {"sessions": [session(i) | some i in numbers.range(1, 10)], "targets": [target], "instances": [instance(10)]}
}

test_the_same_source_twice_counts_once if {
	same := [object.union(session(i), {"network_interface_id": session(1).network_interface_id}) | some i in numbers.range(1, 11)]
	count(mg022.deny) == 0 with input as {"sessions": same, "targets": [target], "instances": [instance(10)]}
}

var(i) := object.union(session(i), {"network_interface_id": [{"ref": 0, "when": [], "symbol": sprintf("var.eni%v", [i]), "id": sprintf("ref:var.eni%v", [i])}]})

test_variables_are_not_counted_as_different if {
	count(mg022.deny) == 0 with input as {"sessions": [var(i) | some i in numbers.range(1, 11)], "targets": [target], "instances": [instance(10)]}
}

test_unknown_limit_passes if {
	inst := {"address": "I", "conditions": [], "instance_type": [{"ref": 0, "when": [], "known": "m5.16xlarge", "sources_per_target_unknown": "not in the table"}]}
	count(mg022.deny) == 0 with input as {"sessions": [session(i) | some i in numbers.range(1, 11)], "targets": [target], "instances": [inst]}
}

live(i) := object.union(session(i), {"live": true})

test_live_sessions_count_but_the_finding_is_on_a_declared_one if {
	sessions := array.concat([live(i) | some i in numbers.range(1, 10)], [session(11)])
	vs := mg022.deny with input as {"sessions": sessions, "targets": [target], "instances": [instance(10)]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 10, "traffic_mirror_target_id", 0]
}
