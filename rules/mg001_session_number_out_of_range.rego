# METADATA
# title: Session number outside 1..32766
# description: |
#   The session number orders the sessions of one source network interface: the first
#   session whose filter matches a packet mirrors it. EC2 accepts only 1 to 32766
#   (1 is the highest priority); any other value fails CreateTrafficMirrorSession at
#   deploy time. CloudFormation's schema and cfn-lint do not check this range.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-session.html
# custom:
#   id: MG001
#   name: session-number-out-of-range
#   severity: error
#   help: >-
#     Use a whole number from 1 to 32766 (EC2 API reference, CreateTrafficMirrorSession,
#     SessionNumber: "Valid values are 1-32766"; Terraform validates IntBetween(1, 32766); Alibaba
#     Cloud's priority has the same range, alicloud_vpc_traffic_mirror_session).
#   scope: session
#   inputs: [session_number]
package mirrorguard.rules.mg001

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.session_number
	n := alt.known
	is_number(n)
	n < 1
	v := {
		"msg": sprintf("%v %v is outside 1..32766", [label(s), n]),
		"path": ["sessions", i, "session_number", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.session_number
	n := alt.known
	is_number(n)
	n > 32766
	v := {
		"msg": sprintf("%v %v is outside 1..32766", [label(s), n]),
		"path": ["sessions", i, "session_number", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.session_number
	n := alt.known
	is_number(n)
	round(n) != n
	v := {
		"msg": sprintf("%v %v is not a whole number", [label(s), n]),
		"path": ["sessions", i, "session_number", j],
	}
}

deny contains v if {
	some i, s in input.sessions
	some j, alt in s.session_number
	x := alt.known
	not is_number(x)
	not is_null(x)
	v := {
		"msg": sprintf("%v %v is not a whole number", [label(s), x]),
		"path": ["sessions", i, "session_number", j],
	}
}

# Alibaba Cloud calls the session number `priority` (same range, same meaning).
label(s) := "priority" if s.provider == "alicloud"

else := "session number"
