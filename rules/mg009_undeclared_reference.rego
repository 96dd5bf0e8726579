# METADATA
# title: Reference to something not declared
# description: |
#   A session or target refers to a parameter, resource, variable, local, condition or mapping
#   that the template or module does not declare. CloudFormation and Terraform reject the
#   whole stack or plan; until then, every check on that value is blind.
# related_resources:
#   - ref: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-ref.html
#   - ref: https://developer.hashicorp.com/terraform/language/expressions/references
# custom:
#   id: MG009
#   name: undeclared-reference
#   severity: warning
#   help: >-
#     Declare the parameter, resource or variable, or fix the spelling of the reference
#     (CloudFormation: Ref and Fn::GetAtt must name a parameter, pseudo parameter or resource
#     of the template; Terraform: every var.*, local.* and resource reference must be declared).
#   scope: outside-sessions
#   inputs: []
package mirrorguard.rules.mg009

deny contains v if {
	some i, r in input.references
	r.declared == false
	v := {
		"msg": sprintf("%v %v is not declared", [r.kind, r.name]),
		"path": ["references", i],
	}
}
