# METADATA
# title: Packet length outside 1..8500
# description: |
#   The packet length is the number of bytes of each packet, after the VXLAN header, that are
#   mirrored. EC2 rejects values above 8500 ("Setting a PacketLength greater than 8500 will result
#   in an error response") and below 1; omit it to mirror whole packets. Neither the
#   CloudFormation schema nor the Terraform provider checks this range.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
# custom:
#   id: MG002
#   name: packet-length-out-of-range
#   severity: error
#   help: >-
#     Use 1 to 8500, or leave PacketLength out to mirror the whole packet (EC2 API reference,
#     CreateTrafficMirrorSession, PacketLength: "Valid values are 1-8500").
#   scope: session
#   inputs: [packet_length]
package mirrorguard.rules.mg002

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some j, alt in s.packet_length
	n := alt.known
	is_number(n)
	n < 1
	v := {
		"msg": sprintf("packet length %v is outside 1..8500", [n]),
		"path": ["sessions", i, "packet_length", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some j, alt in s.packet_length
	n := alt.known
	is_number(n)
	n > 8500
	v := {
		"msg": sprintf("packet length %v is outside 1..8500", [n]),
		"path": ["sessions", i, "packet_length", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some j, alt in s.packet_length
	n := alt.known
	is_number(n)
	round(n) != n
	v := {
		"msg": sprintf("packet length %v is not a whole number", [n]),
		"path": ["sessions", i, "packet_length", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	not s.provider == "alicloud"
	some j, alt in s.packet_length
	x := alt.known
	not is_number(x)
	not is_null(x)
	v := {
		"msg": sprintf("packet length %v is not a whole number", [x]),
		"path": ["sessions", i, "packet_length", j],
	}
}
