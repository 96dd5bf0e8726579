# METADATA
# title: Invalid filter rule CIDR block, or source and destination of different families
# description: |
#   A filter rule's source and destination CIDR blocks are required, must be valid CIDR
#   blocks, and must both be IPv4 or both be IPv6. IPv6 rules are valid (the AWS guide shows
#   `::/0`; cfn-lint's IPv4-only format check is wrong about this). Terraform's AWS provider
#   also requires the network address itself (`10.0.0.0/24`, not `10.0.0.1/24`).
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorFilterRule.html
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filters.html
# custom:
#   id: MG018
#   name: invalid-cidr-block
#   severity: error
#   help: >-
#     Write both CIDR blocks as address/prefix of one family, e.g. 0.0.0.0/0 with 10.0.0.0/8,
#     or ::/0 with 2001:db8::/32 ("SourceCidrBlock … DestinationCidrBlock", EC2 API
#     CreateTrafficMirrorFilterRule); use two rules to match both families.
#   inputs: [filter_rules.source_cidr_block, filter_rules.destination_cidr_block]
package mirrorguard.rules.mg018

fields := ["source_cidr_block", "destination_cidr_block"]

deny contains v if {
	some r, rule in input.filter_rules
	some f in fields
	some j, c in rule[f]
	c.cidr_invalid
	v := {
		"msg": sprintf("%v of %v is not a valid CIDR block: %v", [f, rule.address, c.cidr_invalid]),
		"path": ["filter_rules", r, f, j],
	}
}

deny contains v if {
	some r, rule in input.filter_rules
	some j, s in rule.source_cidr_block
	some k, d in rule.destination_cidr_block
	s.cidr.family != d.cidr.family
	not contradicts(s.when, d.when)
	v := {
		"msg": sprintf("%v mixes an IPv%v source (%v) with an IPv%v destination (%v); both must be of one family", [rule.address, s.cidr.family, s.known, d.cidr.family, d.known]),
		"path": ["filter_rules", r, "destination_cidr_block", k],
		"related": [{"path": ["filter_rules", r, "source_cidr_block", j], "msg": sprintf("the source is IPv%v", [s.cidr.family])}],
	}
}

deny contains v if {
	input.format == "terraform"
	some r, rule in input.filter_rules
	rule.provider == "aws"
	some f in fields
	some j, c in rule[f]
	c.cidr.network == false
	v := {
		"msg": sprintf("%v of %v is not a network address; Terraform's AWS provider rejects it (write %v)", [f, rule.address, c.cidr.canonical]),
		"path": ["filter_rules", r, f, j],
	}
}

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
