//! A live role's policies (cargo feature `aws`): inline policies (`GetRolePolicy`) and
//! attached managed policies at their default version (`GetPolicyVersion`). Documents come
//! percent-encoded from the real API and plain from some emulators; both are accepted.

use aws_smithy_types::error::display::DisplayErrorContext;

use super::{AwsOptions, block_on, sdk_config};
use crate::checks::iam::policy::{self, Policy, PolicyError};

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a document that may be percent-encoded.
pub fn parse_document(name: &str, text: &str) -> Result<Policy, PolicyError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        policy::from_json(name, text)
    } else {
        policy::from_json(name, &percent_decode(text))
    }
}

/// The role name of a role name or ARN (`arn:aws:iam::1:role/path/name` → `name`).
pub fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap_or(role)
}

/// Reads every policy of a role.
pub fn role_policies(
    role: &str,
    aws: &AwsOptions,
    region: Option<&str>,
) -> Result<Vec<Policy>, String> {
    block_on(async {
        let config = sdk_config(aws, Some(region.unwrap_or("us-east-1"))).await;
        let iam = aws_sdk_iam::Client::new(&config);
        read_role(&iam, role_name(role)).await
    })?
}

/// Inline and attached policies of a role, through a client (tests use the replay client).
pub async fn read_role(iam: &aws_sdk_iam::Client, role: &str) -> Result<Vec<Policy>, String> {
    let err = |what: &str, e: &dyn std::error::Error| {
        format!("{what} for role {role} failed: {}", DisplayErrorContext(e))
    };
    let mut out = Vec::new();
    let mut inline = iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    let mut names = Vec::new();
    while let Some(name) = inline.next().await {
        names.push(name.map_err(|e| err("ListRolePolicies", &e))?);
    }
    for name in names {
        let doc = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(&name)
            .send()
            .await
            .map_err(|e| err("GetRolePolicy", &e))?;
        out.push(parse_document(
            &format!("role {role} inline policy {name}"),
            doc.policy_document(),
        )?);
    }
    let mut attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send();
    let mut arns = Vec::new();
    while let Some(p) = attached.next().await {
        if let Some(arn) = p
            .map_err(|e| err("ListAttachedRolePolicies", &e))?
            .policy_arn()
        {
            arns.push(arn.to_owned());
        }
    }
    for arn in arns {
        let meta = iam
            .get_policy()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| err("GetPolicy", &e))?;
        let version = meta
            .policy()
            .and_then(|p| p.default_version_id())
            .ok_or(format!("policy {arn} has no default version"))?;
        let doc = iam
            .get_policy_version()
            .policy_arn(&arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| err("GetPolicyVersion", &e))?;
        let text = doc
            .policy_version()
            .and_then(|v| v.document())
            .ok_or(format!("policy {arn} version {version} has no document"))?;
        out.push(parse_document(&format!("{arn} ({version})"), text)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_and_plain_documents() {
        let plain = r#"{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}"#;
        let encoded = "%7B%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22ec2%3A%2A%22%2C%20%22Resource%22%3A%20%22%2A%22%7D%5D%7D";
        assert_eq!(
            parse_document("a", plain).map(|p| p.statements.len()),
            Ok(1)
        );
        assert_eq!(
            parse_document("b", encoded).map(|p| p.statements.len()),
            Ok(1)
        );
        assert_eq!(
            role_name("arn:aws:iam::111111111111:role/ci/deployer"),
            "deployer"
        );
    }
}
