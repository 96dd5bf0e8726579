# METADATA
# title: Source interface on an instance type that cannot be a mirror source
# description: |
#   Traffic mirroring is not available on every instance type. Bare-metal instances cannot
#   be sources; of the instance types not built on the Nitro System only C4, D2, G3, G3s, H1,
#   I3, M4, P2, P3, R4, X1 and X1e can (T2 cannot); and a growing list of Nitro families
#   (M6i, C6i, R6i, M7g, C7g and others) cannot either. A session whose source interface
#   belongs to such an instance fails at create time. The instance type table, with its
#   sources and the date it was verified, is `rules/data/instance-types.json`; a type it
#   does not know is a skipped check, never a finding.
# related_resources:
#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/traffic-mirroring-network-limitations.html
# custom:
#   id: MG014
#   name: unsupported-source-instance-type
#   severity: error
#   help: >-
#     Mirror from an instance type that supports traffic mirroring (for example M5, C5, R5 or
#     M6g), or mirror the traffic at a different hop ("Traffic Mirroring is not available on
#     the following virtualized Nitro instance types", Traffic Mirroring network limitations).
#   inputs: [network_interface_id, instances.instance_type]
package mirrorguard.rules.mg014

deny contains v if {
	some i, s in input.sessions
	some l in s.source_instance
	inst := input.instances[l.instance]
	some k, t in inst.instance_type
	t.source_support == "unsupported"
	eni := s.network_interface_id[l.alt]
	not contradicts(array.concat(eni.when, s.conditions), array.concat(t.when, inst.conditions))
	v := {
		"msg": sprintf("the source network interface belongs to instance %v (%v), which cannot be a traffic mirror source: %v", [inst.address, t.known, t.source_support_why]),
		"path": ["sessions", i, "network_interface_id", l.alt],
		"related": [{
			"path": ["instances", l.instance, "instance_type", k],
			"msg": sprintf("%v is declared with instance type %v", [inst.address, t.known]),
		}],
	}
}

contradicts(a, b) if {
	some x in a
	some y in b
	x.name == y.name
	x.value != y.value
}
