package mirrorguard.rules.mg014_test

import data.mirrorguard.rules.mg014

eni := {"ref": 0, "when": [], "symbol": "aws_instance.a.primary_network_interface_id", "id": "ref:aws_instance.a.primary_network_interface_id"}

session := {"address": "S", "conditions": [], "network_interface_id": [eni], "source_instance": [{"alt": 0, "instance": 0, "attachment": 0}]}

instance(t) := {"address": "aws_instance.a", "conditions": [], "instance_type": [t]}

test_unsupported_type_is_reported_at_the_interface if {
	t := {"ref": 1, "when": [], "known": "m6i.large", "source_support": "unsupported", "source_support_why": "m6i is listed"}
	vs := mg014.deny with input as {"sessions": [session], "instances": [instance(t)]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 0, "network_interface_id", 0]
	v.related[0].path == ["instances", 0, "instance_type", 0]
}

test_supported_and_unknown_types_pass if {
	ok := {"ref": 1, "when": [], "known": "m5.large", "source_support": "supported"}
	unknown := {"ref": 1, "when": [], "known": "zz9.large", "source_support": "unknown"}
	count(mg014.deny) == 0 with input as {"sessions": [session], "instances": [instance(ok)]}
	count(mg014.deny) == 0 with input as {"sessions": [session], "instances": [instance(unknown)]}
}

test_exclusive_branches_do_not_meet if {
	t := {"ref": 1, "when": [{"name": "Big", "value": false}], "known": "t2.micro", "source_support": "unsupported", "source_support_why": "x"}
	s := object.union(session, {"conditions": [{"name": "Big", "value": true}]})
	count(mg014.deny) == 0 with input as {"sessions": [s], "instances": [instance(t)]}
}
