package mirrorguard.rules.mg008_test

import data.mirrorguard.rules.mg008

tag(k, v) := {"ref": 0, "key": {"ref": 1, "when": [], "known": k}, "value": {"ref": 2, "when": [], "known": v}}

with_tags(items) := {"sessions": [{"address": "S", "tags": [{"ref": 3, "when": [], "items": items}]}]}

test_valid_tags_pass if {
	count(mg008.deny) == 0 with input as with_tags([tag("Name", "ids"), tag("team", "net")])
}

test_reserved_prefix_any_case if {
	count(mg008.deny) == 1 with input as with_tags([tag("AWS:owner", "x")])
}

test_long_key_and_value if {
	long := concat("", [x | some x in array.slice(split(sprintf("%v", [numbers.range(1, 200)]), ""), 0, 300)])
	count(mg008.deny) == 2 with input as with_tags([tag(long, long)])
}

test_duplicate_key_reported_once_on_the_later_tag if {
	vs := mg008.deny with input as with_tags([tag("Name", "a"), tag("x", "b"), tag("Name", "c")])
	count(vs) == 1
	some v in vs
	v.path == ["sessions", 0, "tags", 0, "items", 2, "key"]
}

test_too_many_tags if {
	items := [tag(sprintf("k%v", [n]), "v") | some n in numbers.range(1, 51)]
	count(mg008.deny) == 1 with input as with_tags(items)
}

test_empty_key if {
	count(mg008.deny) == 1 with input as with_tags([tag("", "v")])
}
