# METADATA
# title: Mirror target without exactly one destination
# description: |
#   A traffic mirror target names exactly one destination: a network interface, a Network
#   Load Balancer or a Gateway Load Balancer endpoint. A target with none cannot be created,
#   and one with two or more is rejected (Terraform declares the three arguments
#   `ExactlyOneOf`; the API and CloudFormation accept the request shape and fail later).
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-targets.html
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorTarget.html
# custom:
#   id: MG015
#   name: target-destination-count
#   severity: error
#   help: >-
#     Set exactly one of NetworkInterfaceId, NetworkLoadBalancerArn or
#     GatewayLoadBalancerEndpointId ("A Traffic Mirror target can be a network interface, a
#     Network Load Balancer, or a Gateway Load Balancer endpoint", CreateTrafficMirrorTarget);
#     declare one target per destination.
#   inputs: [targets.network_interface_id, targets.network_load_balancer_arn, targets.gateway_load_balancer_endpoint_id]
package mirrorguard.rules.mg015

destinations := ["network_interface_id", "network_load_balancer_arn", "gateway_load_balancer_endpoint_id"]

labels := {
	"network_interface_id": "network interface",
	"network_load_balancer_arn": "Network Load Balancer",
	"gateway_load_balancer_endpoint_id": "Gateway Load Balancer endpoint",
}

# A value that is certainly set: a literal, something the unit creates, or (stackql-deploy)
# a column the INSERT always sends.
present(a) if {
	not is_null(a.known)
	a.known != ""
}

present(a) if a.created

present(a) if {
	a.symbol
	input.format == "stackql"
}

# A value that is certainly not set: removed where it is written (not by a variable's default).
absent(a) if {
	a.absent
	not a.origin
}

set_at(target, d) := [j | some j, a in target[d]; present(a)]

deny contains v if {
	some t, target in input.targets
	firsts := [i | some i, d in destinations; count(set_at(target, d)) > 0]
	count(firsts) > 1
	first := destinations[firsts[0]]
	some i in array.slice(firsts, 1, count(firsts))
	d := destinations[i]
	some j in set_at(target, d)
	some k in set_at(target, first)
	not contradicts(target[d][j].when, target[first][k].when)
	v := {
		"msg": sprintf("mirror target %v names a %v and a %v; a target has exactly one destination", [target.address, labels[first], labels[d]]),
		"path": ["targets", t, d, j],
		"related": [{"path": ["targets", t, first, k], "msg": sprintf("the %v is set here", [labels[first]])}],
	}
}

deny contains v if {
	some t, target in input.targets
	not names_destination(target)
	v := {
		"msg": sprintf("mirror target %v names no destination: set a network interface, a Network Load Balancer or a Gateway Load Balancer endpoint", [target.address]),
		"path": ["targets", t],
	}
}

# Whether any destination is set or possibly set (`every` is avoided: the compiled VM
# evaluates `every` over a literal list as always true).
names_destination(target) if {
	some d in destinations
	some a in target[d]
	not absent(a)
}

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
