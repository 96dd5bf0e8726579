//! `mirrorguard rules new ID NAME`: the three files of a new Rego rule, ready to fill in.

use std::path::{Path, PathBuf};

use crate::error::AppError;

/// Creates `<id>_<name>.rego`, `_test.rego` and `.yaml` in `dir`; refuses to overwrite.
pub(crate) fn create(
    dir: &Path,
    id: &str,
    name: &str,
    severity: &str,
) -> Result<Vec<PathBuf>, AppError> {
    let valid_id = id.len() >= 3
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && id.chars().any(|c| c.is_ascii_digit());
    if !valid_id {
        return Err(AppError::Usage(format!(
            "rule id {id} must be upper-case letters and digits, e.g. MG024 or ACME001"
        )));
    }
    let valid_name = !name.is_empty()
        && name.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid_name {
        return Err(AppError::Usage(format!(
            "rule name {name} must be kebab-case words naming the offence, e.g. session-without-description"
        )));
    }
    let lower = id.to_ascii_lowercase();
    let stem = format!("{lower}_{}", name.replace('-', "_"));
    let rego = format!(
        "# METADATA\n# title: TODO one line saying what is wrong\n# description: >-\n#   TODO why it matters, quoting the AWS or provider source.\n# related_resources:\n#   - ref: https://docs.aws.amazon.com/vpc/latest/mirroring/\n# custom:\n#   id: {id}\n#   name: {name}\n#   severity: {severity}\n#   help: TODO how to fix it, with the source of the limit.\n#   inputs: [session_number]\npackage mirrorguard.rules.{lower}\n\ndeny contains v if {{\n\tsome i, s in input.sessions\n\tsome j, alt in s.session_number\n\talt.known == 0\n\tv := {{\"msg\": \"TODO message\", \"path\": [\"sessions\", i, \"session_number\", j]}}\n}}\n"
    );
    let test = format!(
        "package mirrorguard.rules.{lower}_test\n\nimport data.mirrorguard.rules.{lower} as rule\n\ntest_flags_the_offence if {{\n\tcount(rule.deny) == 1 with input as {{\"sessions\": [{{\"session_number\": [{{\"known\": 0}}]}}]}}\n}}\n\ntest_accepts_a_good_session if {{\n\tcount(rule.deny) == 0 with input as {{\"sessions\": [{{\"session_number\": [{{\"known\": 1}}]}}]}}\n}}\n"
    );
    let examples = "cloudformation:\n  good:\n    - |\n      Resources:\n        Session:\n          Type: AWS::EC2::TrafficMirrorSession\n          Properties:\n            NetworkInterfaceId: eni-0123456789abcdef0\n            TrafficMirrorTargetId: tmt-0123456789abcdef0\n            SessionNumber: 1\n  bad:\n    - |\n      Resources:\n        Session:\n          Type: AWS::EC2::TrafficMirrorSession\n          Properties:\n            NetworkInterfaceId: eni-0123456789abcdef0\n            TrafficMirrorTargetId: tmt-0123456789abcdef0\n            SessionNumber: 0\n".to_owned();
    let files = [
        (dir.join(format!("{stem}.rego")), rego),
        (dir.join(format!("{stem}_test.rego")), test),
        (dir.join(format!("{stem}.yaml")), examples),
    ];
    for (path, _) in &files {
        if path.exists() {
            return Err(AppError::Usage(format!(
                "{} exists already; pick another id or name",
                path.display()
            )));
        }
    }
    let mut created = Vec::new();
    for (path, text) in files {
        std::fs::write(&path, text).map_err(|source| AppError::Write {
            path: path.clone(),
            source,
        })?;
        created.push(path);
    }
    Ok(created)
}
