package mirrorguard.rules.mg021_test

import data.mirrorguard.rules.mg021

session := {"address": "S", "provider": "aws", "filter": [{"alt": 0, "filter": 0}]}

test_empty_filter_is_reported_at_the_session if {
	vs := mg021.deny with input as {"sessions": [session], "filters": [{"address": "F", "rules": [], "rules_unknown": null}]}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 0, "traffic_mirror_filter_id", 0]
	v.related[0].path == ["filters", 0]
}

test_filter_with_rules_passes if {
	count(mg021.deny) == 0 with input as {"sessions": [session], "filters": [{"address": "F", "rules": [0], "rules_unknown": null}]}
}

test_unknown_rules_pass if {
	count(mg021.deny) == 0 with input as {"sessions": [session], "filters": [{"address": "F", "rules": [], "rules_unknown": "a rule's filter is var.f"}]}
}

test_alibaba_sessions_are_not_checked if {
	ali := object.union(session, {"provider": "alicloud"})
	count(mg021.deny) == 0 with input as {"sessions": [ali], "filters": [{"address": "F", "rules": [], "rules_unknown": null}]}
}

test_one_finding_per_filter if {
	second := {"address": "S2", "provider": "aws", "filter": [{"alt": 0, "filter": 0}]}
	vs := mg021.deny with input as {"sessions": [session, second], "filters": [{"address": "F", "rules": [], "rules_unknown": null}]}
	count(vs) == 1
	some v in vs
	v.related[1].path == ["sessions", 1, "traffic_mirror_filter_id", 0]
}

test_filter_with_a_network_service_passes if {
	dns := {"address": "F", "rules": [], "rules_unknown": null, "network_services": [{"ref": 1, "when": [], "known": ["amazon-dns"]}]}
	count(mg021.deny) == 0 with input as {"sessions": [session], "filters": [dns]}
}

test_unknown_network_services_pass if {
	f := {"address": "F", "rules": [], "rules_unknown": null, "network_services": [{"ref": 1, "when": [], "unknown": "var.services has no value"}]}
	count(mg021.deny) == 0 with input as {"sessions": [session], "filters": [f]}
}

test_a_network_service_in_one_alternative_passes if {
	f := {"address": "F", "rules": [], "rules_unknown": null, "network_services": [
		{"ref": 1, "when": [{"condition": "C"}], "known": []},
		{"ref": 2, "when": [{"condition": "C", "negated": true}], "known": ["amazon-dns"]},
	]}
	count(mg021.deny) == 0 with input as {"sessions": [session], "filters": [f]}
}

test_no_network_service_is_reported if {
	none := [{"ref": 1, "when": [], "known": []}, {"ref": 2, "when": [], "known": null}, {"ref": 3, "when": [], "absent": true}]
	f := {"address": "F", "rules": [], "rules_unknown": null, "network_services": none}
	count(mg021.deny) == 1 with input as {"sessions": [session], "filters": [f]}
}
