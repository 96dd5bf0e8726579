# METADATA
# title: Filter network service other than amazon-dns
# description: |
#   A traffic mirror filter's network services select traffic the filter's rules cannot
#   express; `amazon-dns` is the only one there is. Any other value is rejected by the API,
#   CloudFormation and Terraform.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorFilter.html
# custom:
#   id: MG025
#   name: unsupported-network-service
#   severity: error
#   help: >-
#     Use `amazon-dns` or leave network services out ("NetworkServices: The network service
#     that is associated with the traffic mirror filter. Valid values: amazon-dns",
#     CreateTrafficMirrorFilter).
#   inputs: [filters.network_services]
package mirrorguard.rules.mg025

deny contains v if {
	some f, filter in input.filters
	some j, a in filter.network_services
	is_array(a.known)
	some service in a.known
	service != "amazon-dns"
	v := {
		"msg": sprintf("network service %v of filter %v is not one AWS offers; the only one is amazon-dns", [service, filter.address]),
		"path": ["filters", f, "network_services", j],
	}
}
