# METADATA
# title: Alibaba Cloud target type not NetworkInterface or SLB
# description: |
#   An Alibaba Cloud mirror session sends to an elastic network interface or an
#   internal-facing SLB instance, named by traffic_mirror_target_type exactly as
#   `NetworkInterface` or `SLB` (the provider compares case-sensitively). Any other value is
#   rejected at plan time.
# related_resources:
#   - ref: https://registry.terraform.io/providers/aliyun/alicloud/latest/docs/resources/vpc_traffic_mirror_session
# custom:
#   id: MG013
#   name: invalid-alicloud-target-type
#   severity: error
#   help: >-
#     Set traffic_mirror_target_type to NetworkInterface or SLB, spelled exactly so
#     (alicloud provider: StringInSlice({"NetworkInterface", "SLB"}, false)).
#   scope: session
#   inputs: [target_type]
package mirrorguard.rules.mg013

allowed := {"NetworkInterface", "SLB"}

deny contains v if {
	some i, s in input.sessions
	s.provider == "alicloud"
	some j, alt in s.target_type
	t := alt.known
	not t in allowed
	v := {
		"msg": sprintf("target type \"%v\" is not NetworkInterface or SLB (case-sensitive)", [t]),
		"path": ["sessions", i, "target_type", j],
	}
}
