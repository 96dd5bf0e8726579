package mirrorguard.rules.mg011_test

import data.mirrorguard.rules.mg011

# Which sessions share a target and a VNI is computed in Rust (`groups.target_vni` of the
# input, tested in src/model/input/groups.rs and by this rule's examples); these tests give
# the groups as the input holds them and pin what the rule makes of them.

session(addr, target, vni, conds) := {
	"address": addr, "conditions": conds,
	"traffic_mirror_target_id": [{"ref": 0, "when": [], "known": target, "id": target}],
	"virtual_network_id": [{"ref": 1, "when": [], "known": vni}],
}

group(members) := {"key": ["tmt-1", 7], "members": members}

test_same_target_same_vni_is_reported if {
	inp := {
		"sessions": [session("A", "tmt-1", 7, []), session("B", "tmt-1", 7, [])],
		"groups": {"target_vni": [group([[0, 0, "tmt-1"], [1, 0, "tmt-1"]])]},
	}
	vs := mg011.deny with input as inp
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 1, "virtual_network_id", 0]
	v.related[0].path == ["sessions", 0, "virtual_network_id", 0]
	v.msg == "VNI 7 is also used by A, which sends to the same target tmt-1"
}

test_no_group_no_finding if {
	inp := {"sessions": [session("A", "tmt-1", 7, []), session("B", "tmt-1", 8, [])], "groups": {"target_vni": []}}
	count(mg011.deny) == 0 with input as inp
}

test_exclusive_conditions_do_not_collide if {
	inp := {
		"sessions": [
			session("A", "tmt-1", 7, [{"name": "IsProd", "value": true}]),
			session("B", "tmt-1", 7, [{"name": "IsProd", "value": false}]),
		],
		"groups": {"target_vni": [group([[0, 0, "tmt-1"], [1, 0, "tmt-1"]])]},
	}
	count(mg011.deny) == 0 with input as inp
}
