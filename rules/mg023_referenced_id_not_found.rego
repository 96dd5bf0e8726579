# METADATA
# title: Referenced filter, target or interface does not exist
# description: |
#   A literal id the declarations name (a session's filter, target or source interface, a
#   target's interface, a rule's filter) that the account does not have. The create call
#   fails (InvalidTrafficMirrorFilterId.NotFound, InvalidTrafficMirrorTargetId.NotFound,
#   InvalidNetworkInterfaceID.NotFound), usually because the id was copied from another
#   account, region or environment. Checked only against a complete listing of the kind
#   (`check --live` or `--live-file` with a full describe output); a listing that was paged
#   incompletely or filtered says nothing about ids it did not cover.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
# custom:
#   id: MG023
#   name: referenced-id-not-found
#   severity: error
#   help: >-
#     Use the id the account really has (aws ec2 describe-traffic-mirror-filters, -targets,
#     describe-network-interfaces in the target region), or reference the resource that
#     creates it instead of a literal id.
#   scope: session
#   inputs: [network_interface_id, traffic_mirror_target_id, traffic_mirror_filter_id]
package mirrorguard.rules.mg023

kinds := {
	"network_interface_id": ["interface", "eni", "network interface"],
	"traffic_mirror_target_id": ["target", "tmt", "mirror target"],
	"traffic_mirror_filter_id": ["filter", "tmf", "mirror filter"],
}

# `ids` and `covered` are keyed by id: one lookup per reference, where a list would be
# scanned for every reference (with `--live`, `covered` holds every interface the
# declarations name).
covered(kind, id) if input.live.listings[kind].all == true

covered(kind, id) if input.live.listings[kind].covered[id]

missing(kind, id) if {
	covered(kind, id)
	not input.live.listings[kind].ids[id]
}

message(k, id) := sprintf("%v %v does not exist in the account (%v)", [k[2], id, input.live.source])

deny contains v if {
	# Without listings (no preflight) nothing is missing: stop before any iteration.
	input.live.listings
	some i, s in input.sessions
	not s.live
	some field, k in kinds
	some j, a in s[field]
	a.ec2_id == k[1]
	missing(k[0], a.known)
	v := {"msg": message(k, a.known), "path": ["sessions", i, field, j]}
}

deny contains v if {
	# Without listings (no preflight) nothing is missing: stop before any iteration.
	input.live.listings
	some t, target in input.targets
	not target.live
	k := kinds.network_interface_id
	some j, a in target.network_interface_id
	a.ec2_id == k[1]
	missing(k[0], a.known)
	v := {"msg": message(k, a.known), "path": ["targets", t, "network_interface_id", j]}
}

deny contains v if {
	# Without listings (no preflight) nothing is missing: stop before any iteration.
	input.live.listings
	some r, rule in input.filter_rules
	not rule.live
	k := kinds.traffic_mirror_filter_id
	some j, a in rule.traffic_mirror_filter_id
	a.ec2_id == k[1]
	missing(k[0], a.known)
	v := {"msg": message(k, a.known), "path": ["filter_rules", r, "traffic_mirror_filter_id", j]}
}
