//! Entry points for the fuzz targets in `fuzz/`: each runs one parser (or the whole check
//! pipeline) on arbitrary bytes. They must never panic, whatever the input; errors are
//! values. Not a stable API.

use std::sync::Arc;

use crate::parse::{cloudformation, json, stackql, terraform, tfplan, yaml};
use crate::pipeline::{CheckOptions, check_sources};
use crate::rules::RuleSet;
use crate::source::SourceFile;

fn source(name: &str, data: &[u8]) -> Option<Arc<SourceFile>> {
    let text = std::str::from_utf8(data).ok()?;
    Some(Arc::new(SourceFile::in_memory(name, text)))
}

/// CloudFormation YAML: YAML loader, then the template reader. The loader's parse in parts
/// must give its one-pass tree (or leave the file to one pass).
pub fn cloudformation_yaml(data: &[u8]) {
    let Some(src) = source("t.yaml", data) else {
        return;
    };
    assert!(
        yaml::parts_agree(&src),
        "parsed in parts, a different tree from one pass"
    );
    if let Ok(Some(root)) = yaml::parse(&src) {
        let shape = cloudformation::shape(&root);
        let _ = cloudformation::read(src.clone(), &root, shape, &Default::default()).to_input();
    }
}

/// CloudFormation conditions decided by given values: the first line holds
/// `Key=Value;Key=Value` parameters (and `AWS::Region=...`), the rest is the template.
pub fn cloudformation_conditions(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, template) = text.split_once('\n').unwrap_or(("", text));
    let mut options = crate::parse::ReadOptions::default();
    for pair in first.split(';') {
        if let Some((k, v)) = pair.split_once('=') {
            if k == "AWS::Region" {
                options.region = Some(v.to_owned());
            } else {
                options.parameters.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    let src = Arc::new(SourceFile::in_memory("t.yaml", template));
    if let Ok(Some(root)) = yaml::parse(&src) {
        let shape = cloudformation::shape(&root);
        let _ = cloudformation::read(src.clone(), &root, shape, &options).to_input();
    }
}

/// Terraform modules: the bytes before the first NUL are a root module (`r/main.tf`), the
/// rest a child module at `r/m/main.tf` (call it with `source = "./m"`); the whole
/// pipeline runs on them.
pub fn terraform_modules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (root, child) = text.split_once('\0').unwrap_or((text, ""));
    RULES.with(|rules| {
        let Some(rules) = rules else { return };
        let report = check_sources(
            vec![
                SourceFile::in_memory("r/main.tf", root),
                SourceFile::in_memory("r/m/main.tf", child),
            ],
            &CheckOptions::default(),
            rules,
        );
        let _ = crate::render::json::render(&report, "fuzz");
    });
}

/// The byte-scan shortcut never skips what full parsing reads: a text the scan calls
/// unable to declare a traffic mirror resource must give no session when parsed, as YAML,
/// JSON or HCL. Panics (a finding for the fuzzer) otherwise.
pub fn byte_scan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if crate::parse::could_declare_mirroring(text) {
        return;
    }
    RULES.with(|rules| {
        let Some(rules) = rules else { return };
        let options = CheckOptions {
            read: crate::parse::ReadOptions {
                full_parse: true,
                ..Default::default()
            },
            ..CheckOptions::default()
        };
        for name in ["t.yaml", "t.json", "m/main.tf"] {
            let report = check_sources(vec![SourceFile::in_memory(name, text)], &options, rules);
            #[expect(
                clippy::panic,
                reason = "a fuzz target reports a broken property by panicking"
            )]
            if report.sessions > 0 {
                panic!("the byte scan would skip {name}, which declares a session");
            }
        }
    });
}

/// Shell scripts: the reader never panics, and a script the byte scan would skip
/// (`parse::shell::could_declare`) declares no session.
pub fn shell_script(data: &[u8]) {
    let Some(src) = source("s.sh", data) else {
        return;
    };
    let read = crate::parse::shell::read(&src);
    let sessions = read.unit.as_ref().map_or(0, |u| u.sessions.len());
    #[expect(
        clippy::panic,
        reason = "a fuzz target reports a broken property by panicking"
    )]
    if sessions > 0 && !crate::parse::shell::could_declare(data) {
        panic!("the byte scan would skip a script that declares {sessions} sessions");
    }
    if let Some(unit) = read.unit {
        let _ = unit.to_input();
    }
}

/// CloudFormation JSON: strict JSON loader, then the template reader.
pub fn cloudformation_json(data: &[u8]) {
    let Some(src) = source("t.json", data) else {
        return;
    };
    if let Ok(Some(root)) = json::parse(&src) {
        let shape = cloudformation::shape(&root);
        let _ = cloudformation::read(src.clone(), &root, shape, &Default::default()).to_input();
    }
}

/// Terraform: HCL parser, then module evaluation.
pub fn terraform_hcl(data: &[u8]) {
    let Some(src) = source("m/main.tf", data) else {
        return;
    };
    if let Ok(parsed) = terraform::parse_file(&src) {
        let _ = terraform::read_module("m".into(), vec![parsed], Vec::new(), None).to_input();
    }
}

/// stackql-deploy manifest (with a query file built from the same bytes).
pub fn stackql_manifest(data: &[u8]) {
    let Some(src) = source("s/stackql_manifest.yml", data) else {
        return;
    };
    if let Ok(Some(root)) = yaml::parse(&src) {
        let mut queries = std::collections::BTreeMap::new();
        queries.insert("resources/web.iql".to_owned(), src.clone());
        let _ = stackql::read(src.clone(), &root, &queries, &Default::default()).to_input();
    }
}

/// Terraform plan JSON.
pub fn terraform_plan(data: &[u8]) {
    let Some(src) = source("plan.json", data) else {
        return;
    };
    if let Ok(Some(root)) = json::parse(&src)
        && tfplan::is_plan(&root)
    {
        let _ = tfplan::read(src.clone(), &root, None).to_input();
    }
}

thread_local! {
    static RULES: Option<RuleSet> = RuleSet::load(&[]).ok();
}

/// The whole pipeline: the first byte picks the file kind, the rest is the file, and the
/// built-in rules run on it and every renderer renders the report.
pub fn check_pipeline(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let name = match kind % 5 {
        0 => "t.yaml",
        1 => "t.json",
        2 => "m/main.tf",
        3 => "m/main.tf.json",
        _ => "s/stackql_manifest.yml",
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    RULES.with(|rules| {
        let Some(rules) = rules else { return };
        let report = check_sources(
            vec![SourceFile::in_memory(name, text)],
            &CheckOptions::default(),
            rules,
        );
        let _ = crate::render::sarif::render(&report, rules, "fuzz");
        let _ = crate::render::json::render(&report, "fuzz");
        let _ = crate::render::human::render(&report, rules, false, 80);
    });
}
