# METADATA
# title: Invalid session tags
# description: |
#   EC2 tags on a session must have a key of 1 to 127 characters that does not start with
#   `aws:` (reserved for AWS), a value of at most 256 characters, at most 50 tags per
#   resource and no key twice. A bad tag fails the whole create call (tags are applied on
#   create), so the session is never created.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
# custom:
#   id: MG008
#   name: invalid-tags
#   severity: error
#   help: >-
#     Keep tag keys to 1-127 characters without the reserved `aws:` prefix, values to 256
#     characters, at most 50 tags and each key once (EC2 API reference, Tag; EC2 user guide,
#     "Tag restrictions").
#   scope: session
#   inputs: [tags]
package mirrorguard.rules.mg008

item_path(i, t, k, part) := ["sessions", i, "tags", t, "items", k, part]

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	some k, item in set.items
	key := item.key.known
	is_string(key)
	count(key) == 0
	v := {"msg": "tag key is empty", "path": item_path(i, t, k, "key")}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	some k, item in set.items
	key := item.key.known
	is_string(key)
	count(key) > 127
	v := {"msg": sprintf("tag key is %v characters long; the limit is 127", [count(key)]), "path": item_path(i, t, k, "key")}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	some k, item in set.items
	key := item.key.known
	is_string(key)
	startswith(lower(key), "aws:")
	v := {"msg": sprintf("tag key %v uses the reserved aws: prefix", [key]), "path": item_path(i, t, k, "key")}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	some k, item in set.items
	value := item.value.known
	is_string(value)
	count(value) > 256
	v := {"msg": sprintf("tag value is %v characters long; the limit is 256", [count(value)]), "path": item_path(i, t, k, "value")}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	count(set.items) > 50
	v := {"msg": sprintf("%v tags; a resource can have at most 50", [count(set.items)]), "path": ["sessions", i, "tags", t]}
}

# Duplicate keys: sort, compare neighbours, then report every later occurrence.
deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some t, set in s.tags
	count(set.items) > 1
	keys := sort([x.key.known | some x in set.items; is_string(x.key.known)])
	count(keys) != count({k | some k in keys})
	dups := {keys[p] | some p, _ in keys; p > 0; keys[p] == keys[p - 1]}
	count(dups) > 0
	some k, item in set.items
	item.key.known in dups
	first := min({b | some b, y in set.items; y.key.known == item.key.known})
	k > first
	v := {
		"msg": sprintf("tag key %v appears more than once", [item.key.known]),
		"path": item_path(i, t, k, "key"),
		"related": [{"path": item_path(i, t, first, "key"), "msg": "first use of the key"}],
	}
}
