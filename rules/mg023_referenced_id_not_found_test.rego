package mirrorguard.rules.mg023_test

import data.mirrorguard.rules.mg023

id(x, kind) := {"ref": 0, "when": [], "known": x, "id": x, "ec2_id": kind}

session(filter) := {"address": "S", "network_interface_id": [id("eni-1", "eni")], "traffic_mirror_target_id": [id("tmt-1", "tmt")], "traffic_mirror_filter_id": [id(filter, "tmf")]}

live(all, covered) := {
	"source": "--live-file live.json",
	"listings": {
		"filter": {"ids": {"tmf-1": true}, "all": all, "covered": covered},
		"target": {"ids": {"tmt-1": true}, "all": true, "covered": {}},
	},
}

test_a_filter_missing_from_a_complete_listing_is_reported if {
	vs := mg023.deny with input as {"sessions": [session("tmf-2")], "live": live(true, {})}
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 0, "traffic_mirror_filter_id", 0]
}

test_existing_ids_and_unlisted_kinds_pass if {
	# The interface kind was not listed at all: nothing is known about eni-1.
	count(mg023.deny) == 0 with input as {"sessions": [session("tmf-1")], "live": live(true, {})}
}

test_an_incomplete_listing_says_nothing_about_other_ids if {
	count(mg023.deny) == 0 with input as {"sessions": [session("tmf-2")], "live": live(false, {"tmf-9": true})}
	count(mg023.deny) == 1 with input as {"sessions": [session("tmf-2")], "live": live(false, {"tmf-2": true})}
}

test_without_live_facts_nothing_is_checked if {
	count(mg023.deny) == 0 with input as {"sessions": [session("tmf-2")], "live": null}
}

test_live_sessions_are_not_judged if {
	s := object.union(session("tmf-2"), {"live": true})
	count(mg023.deny) == 0 with input as {"sessions": [s], "live": live(true, {})}
}
