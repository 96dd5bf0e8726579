package mirrorguard.rules.mg007_test

import data.mirrorguard.rules.mg007

eni(id) := {"ref": 0, "when": [], "known": id, "id": id}

test_same_eni_is_reported if {
	inp := {
		"sessions": [{"address": "S", "network_interface_id": [eni("eni-1")]}],
		"targets": [{"address": "T", "network_interface_id": [eni("eni-1")]}],
	}
	vs := mg007.deny with input as inp
	count(vs) == 1
	some v in vs
	v.related[0].path == ["targets", 0, "network_interface_id", 0]
}

test_different_eni_passes if {
	inp := {
		"sessions": [{"address": "S", "network_interface_id": [eni("eni-1")]}],
		"targets": [{"address": "T", "network_interface_id": [eni("eni-2")]}],
	}
	count(mg007.deny) == 0 with input as inp
}

test_unknown_enis_are_not_compared if {
	u := {"ref": 0, "when": [], "unknown": "?"}
	inp := {
		"sessions": [{"address": "S", "network_interface_id": [u]}],
		"targets": [{"address": "T", "network_interface_id": [u]}],
	}
	count(mg007.deny) == 0 with input as inp
}
