# METADATA
# title: Alibaba Cloud session name or description not accepted
# description: |
#   Alibaba Cloud accepts a session name of 2 to 128 characters that starts with a letter and
#   holds only letters, digits, underscores and hyphens, and a description of 2 to 256
#   characters that does not start with http:// or https://. Anything else fails the
#   CreateTrafficMirrorSession call (or Terraform's validation) at deploy time.
# related_resources:
#   - ref: https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createtrafficmirrorsession
#   - ref: https://registry.terraform.io/providers/aliyun/alicloud/latest/docs/resources/vpc_traffic_mirror_session
# custom:
#   id: MG012
#   name: invalid-alicloud-name-or-description
#   severity: error
#   help: >-
#     Name: 2-128 characters, starting with a letter, letters, digits, _ and - only; description:
#     2-256 characters, not starting with http:// or https:// (alicloud provider,
#     StringLenBetween(2, 128) and StringLenBetween(2, 256); CreateTrafficMirrorSession API).
#   scope: session
#   inputs: [name, description]
package mirrorguard.rules.mg012

deny contains v if {
	some i, s in input.sessions
	s.provider == "alicloud"
	some j, alt in s.name
	name := alt.known
	is_string(name)
	problem := name_problem(name)
	v := {"msg": sprintf("session name %q %v", [name, problem]), "path": ["sessions", i, "name", j]}
}

deny contains v if {
	some i, s in input.sessions
	s.provider == "alicloud"
	some j, alt in s.description
	text := alt.known
	is_string(text)
	problem := description_problem(text)
	v := {"msg": sprintf("session description %v", [problem]), "path": ["sessions", i, "description", j]}
}

name_problem(name) := sprintf("is %v characters long; 2 to 128 are allowed", [count(name)]) if {
	not count_between(name, 2, 128)
} else := "must start with a letter" if {
	not regex.match(`^[A-Za-z]`, name)
} else := "may hold only letters, digits, _ and -" if {
	not regex.match(`^[A-Za-z][A-Za-z0-9_-]*$`, name)
}

description_problem(text) := sprintf("is %v characters long; 2 to 256 are allowed", [count(text)]) if {
	not count_between(text, 2, 256)
} else := "must not start with http:// or https://" if {
	regex.match(`^https?://`, text)
}

count_between(s, lo, hi) if {
	count(s) >= lo
	count(s) <= hi
}
