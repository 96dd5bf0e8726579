# METADATA
# title: Target in another VPC with no peering or transit gateway to the source
# description: |
#   Mirrored packets are encapsulated in VXLAN and routed with the source subnet's route
#   table: the target must be in the source's VPC, or in a VPC joined to it by an active
#   peering connection or a transit gateway both VPCs are attached to. Otherwise the session
#   is created but the sensor never sees a packet. Checked from live facts: the VPC of each
#   interface (describe-network-interfaces) and the peering connections and transit
#   gateway attachments of the account; without those the check is listed as skipped.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-how-it-works.html
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-targets.html
# custom:
#   id: MG024
#   name: target-not-reachable
#   severity: warning
#   help: >-
#     Put the target in the source's VPC, or join the two VPCs with an intra-Region peering
#     connection or a transit gateway and route VXLAN (UDP 4789) between them ("The source and
#     target can be in the same VPC or in different VPCs connected through intra-Region VPC
#     peering or a transit gateway", Traffic Mirroring targets).
#   scope: session
#   inputs: [network_interface_id, traffic_mirror_target_id]
package mirrorguard.rules.mg024

vpc(eni) := input.live.interface_vpcs[eni]

joined(a, b) if {
	some p in input.live.peerings
	{p[0], p[1]} == {a, b}
}

joined(a, b) if {
	some gw in input.live.transit_gateways[a]
	gw in input.live.transit_gateways[b]
}

deny contains v if {
	input.live.peerings != null
	input.live.transit_gateways != null
	some i, s in input.sessions
	not s.live
	some a in s.network_interface_id
	src := vpc(a.known)
	some l in s.target
	target := input.targets[l.target]
	some k, b in target.network_interface_id
	dst := vpc(b.known)
	src != dst
	not joined(src, dst)
	v := {
		"msg": sprintf("the source interface %v is in %v and the target's interface %v in %v, and no active peering connection or transit gateway joins them: nothing mirrored arrives", [a.known, src, b.known, dst]),
		"path": ["sessions", i, "traffic_mirror_target_id", l.alt],
		"related": [{"path": ["targets", l.target, "network_interface_id", k], "msg": sprintf("the target sends to %v in %v", [b.known, dst])}],
	}
}
