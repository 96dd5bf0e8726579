# METADATA
# title: Invalid port range on a filter rule
# description: |
#   A filter rule's source and destination port ranges take ports 0-65535 with the from port
#   not above the to port, and they apply only to TCP (protocol 6) and UDP (protocol 17). A
#   port outside the range or a reversed range is rejected; a port range on an ICMP or other
#   rule is rejected too (Terraform's provider re-sends the protocol with every port range
#   for that reason). Alibaba Cloud writes ranges as `from/to`, with `-1/-1` for all ports.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TrafficMirrorPortRangeRequest.html
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-filters.html
# custom:
#   id: MG017
#   name: invalid-port-range
#   severity: error
#   help: >-
#     Use ports 0-65535 with FromPort <= ToPort, and set port ranges only on TCP (6) or UDP
#     (17) rules ("The source port range. This is only valid for TCP and UDP", EC2 API
#     TrafficMirrorFilterRule); drop the range to match every port.
#   inputs: [filter_rules.protocol, filter_rules.source_port_range.from_port, filter_rules.source_port_range.to_port, filter_rules.destination_port_range.from_port, filter_rules.destination_port_range.to_port]
package mirrorguard.rules.mg017

sides := ["source_port_range", "destination_port_range"]

valid(rule, n) if {
	n >= 0
	n <= 65535
}

valid(rule, -1) if rule.provider == "alicloud"

deny contains v if {
	some r, rule in input.filter_rules
	some side in sides
	some end in ["from_port", "to_port"]
	some j, p in rule[side][end]
	is_number(p.known)
	not valid(rule, p.known)
	v := {
		"msg": sprintf("port %v in %v of %v is outside 0-65535", [p.known, side, rule.address]),
		"path": ["filter_rules", r, side, end, j],
	}
}

deny contains v if {
	some r, rule in input.filter_rules
	some side in sides
	some end in ["from_port", "to_port"]
	some j, p in rule[side][end]
	is_string(p.known)
	v := {
		"msg": sprintf("%v in %v of %v is not a port number", [p.known, side, rule.address]),
		"path": ["filter_rules", r, side, end, j],
	}
}

deny contains v if {
	some r, rule in input.filter_rules
	some side in sides
	some j, from in rule[side].from_port
	some k, to in rule[side].to_port
	is_number(from.known)
	is_number(to.known)
	from.known > to.known
	to.known >= 0
	not contradicts(from.when, to.when)
	v := {
		"msg": sprintf("%v of %v runs from %v down to %v; the from port must not be above the to port", [side, rule.address, from.known, to.known]),
		"path": ["filter_rules", r, side, "from_port", j],
		"related": [{"path": ["filter_rules", r, side, "to_port", k], "msg": sprintf("the to port is %v", [to.known])}],
	}
}

# The first written end of a range: where a finding about the whole range points.
range_at(rule, side) := ["from_port", j] if {
	some j, p in rule[side].from_port
	not p.absent
} else := ["to_port", j] if {
	some j, p in rule[side].to_port
	not p.absent
}

deny contains v if {
	some r, rule in input.filter_rules
	rule.provider != "alicloud"
	some side in sides
	at := range_at(rule, side)
	port := rule[side][at[0]][at[1]]
	some k, proto in rule.protocol
	is_number(proto.protocol_number)
	not proto.protocol_number in {6, 17}
	not contradicts(port.when, proto.when)
	v := {
		"msg": sprintf("%v of %v is set on a rule for protocol %v; port ranges apply only to TCP (6) and UDP (17)", [side, rule.address, proto.known]),
		"path": ["filter_rules", r, side, at[0], at[1]],
		"related": [{"path": ["filter_rules", r, "protocol", k], "msg": sprintf("the protocol is %v", [proto.known])}],
	}
}

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
