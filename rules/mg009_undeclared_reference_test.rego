package mirrorguard.rules.mg009_test

import data.mirrorguard.rules.mg009

test_undeclared_is_reported if {
	vs := mg009.deny with input as {"references": [{"ref": 0, "kind": "parameter", "name": "Eni", "declared": false}]}
	count(vs) == 1
	some v in vs
	v.msg == "parameter Eni is not declared"
}

test_declared_passes if {
	count(mg009.deny) == 0 with input as {"references": [{"ref": 0, "kind": "resource", "name": "T", "declared": true}]}
}
