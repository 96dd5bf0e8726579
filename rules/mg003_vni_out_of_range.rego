# METADATA
# title: VXLAN network id outside 0..16777215
# description: |
#   The virtual network id (VNI) is carried in the 24-bit VNI field of the VXLAN header, so only
#   0 to 16777215 can be encoded. Terraform's provider accepts 16777216, one more than fits, and
#   CloudFormation does not check it at all; the value then fails at deploy time or mirrors
#   under a VNI the sensor does not expect.
# related_resources:
#   - ref: https://datatracker.ietf.org/doc/html/rfc7348#section-5
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
# custom:
#   id: MG003
#   name: vni-out-of-range
#   severity: error
#   help: >-
#     Use 0 to 16777215 (RFC 7348 section 5: 24-bit VNI), or leave VirtualNetworkId out and
#     let EC2 pick an unused one (EC2 API reference, CreateTrafficMirrorSession).
#   scope: session
#   inputs: [virtual_network_id]
package mirrorguard.rules.mg003

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.virtual_network_id
	n := alt.known
	is_number(n)
	n < 0
	v := {
		"msg": sprintf("VXLAN network id %v is outside 0..16777215", [n]),
		"path": ["sessions", i, "virtual_network_id", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.virtual_network_id
	n := alt.known
	is_number(n)
	n > 16777215
	v := {
		"msg": sprintf("VXLAN network id %v is outside 0..16777215", [n]),
		"path": ["sessions", i, "virtual_network_id", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.virtual_network_id
	n := alt.known
	is_number(n)
	round(n) != n
	v := {
		"msg": sprintf("VXLAN network id %v is not a whole number", [n]),
		"path": ["sessions", i, "virtual_network_id", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.virtual_network_id
	x := alt.known
	not is_number(x)
	not is_null(x)
	v := {
		"msg": sprintf("VXLAN network id %v is not a whole number", [x]),
		"path": ["sessions", i, "virtual_network_id", j],
	}
}

# The Terraform AWS provider validates IntBetween(1, 16777216): 0 fails at plan time there.
deny contains v if {
	some i, s in input.sessions
	s.format == "terraform"
	s.provider == "aws"
	some j, alt in s.virtual_network_id
	alt.known == 0
	v := {
		"msg": "VXLAN network id 0 is rejected by the Terraform AWS provider (it accepts 1..16777216); leave virtual_network_id out instead",
		"path": ["sessions", i, "virtual_network_id", j],
	}
}
