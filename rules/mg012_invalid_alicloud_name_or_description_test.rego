package mirrorguard.rules.mg012_test

import data.mirrorguard.rules.mg012

session(name, description) := {"sessions": [{
	"provider": "alicloud",
	"name": [{"ref": 0, "when": [], "known": name}],
	"description": [{"ref": 1, "when": [], "known": description}],
}]}

test_valid_name_and_description_pass if {
	count(mg012.deny) == 0 with input as session("mirror-web_1", "web tier to the IDS")
}

test_name_must_start_with_a_letter if {
	vs := mg012.deny with input as session("1mirror", "ok text")
	count(vs) == 1
	some v in vs
	contains(v.msg, "start with a letter")
}

test_short_name_and_url_description if {
	count(mg012.deny) == 2 with input as session("m", "https://example.com/x")
}

test_aws_sessions_are_not_checked if {
	inp := {"sessions": [{"provider": "aws", "name": [], "description": [{"ref": 1, "when": [], "known": "x"}]}]}
	count(mg012.deny) == 0 with input as inp
}
