package mirrorguard.rules.mg025_test

import data.mirrorguard.rules.mg025

filter(services) := {"address": "F", "network_services": [{"ref": 0, "when": [], "known": services}]}

test_other_service_is_reported if {
	vs := mg025.deny with input as {"filters": [filter(["amazon-dns", "amazon-ntp"])]}
	count(vs) == 1
	some v in vs
	v.path == ["filters", 0, "network_services", 0]
}

test_amazon_dns_passes if {
	count(mg025.deny) == 0 with input as {"filters": [filter(["amazon-dns"])]}
	count(mg025.deny) == 0 with input as {"filters": [filter([])]}
}
