//! One function per subcommand: settings in, exit status out.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::args::{
    CheckArgs, DriftArgs, GraphArgs, GraphFormat, ListFormat, LiveSourceKind, RulesCommand,
};
use super::output::{finish, write_stdout};
use super::settings::resolve;
use crate::checks::drift::scope::Scope;
use crate::error::{AppError, CheckError, RunError, Subject};
use crate::pipeline::check::{IamCheck, load_principal};
#[cfg(not(feature = "aws"))]
use crate::pipeline::drift::LiveRead;
use crate::pipeline::drift::{DriftOptions, LiveFiles, LiveSource};
use crate::report::ExitStatus;
use crate::rules::{RuleKind, RuleSet};

/// The IAM check of `--deploy-policy`/`--boundary` files and `--deploy-role`.
fn iam_check(args: &CheckArgs, errors: &mut Vec<CheckError>) -> Result<Option<IamCheck>, AppError> {
    if args.deploy_policy.is_empty() && args.deploy_role.is_none() {
        if !args.boundary.is_empty() {
            return Err(AppError::Usage(
                "--boundary needs --deploy-policy or --deploy-role".into(),
            ));
        }
        return Ok(None);
    }
    let (mut principal, file_errors) = load_principal(&args.deploy_policy, &args.boundary);
    errors.extend(file_errors.into_iter().map(CheckError::from));
    principal.region.clone_from(&args.region);
    principal.account.clone_from(&args.account_id);
    if let Some(role) = &args.deploy_role {
        #[cfg(feature = "aws")]
        {
            let aws = crate::aws::AwsOptions {
                profile: args.aws.profile.clone(),
                endpoint_url: args.aws.endpoint_url.clone(),
            };
            match crate::aws::iam::role_policies(role, &aws, args.region.as_deref()) {
                Ok(policies) => principal.policies.extend(policies),
                Err(e) => {
                    errors.push(RunError::new(Subject::Iam, format!("IAM role {role}"), e).into());
                    return Ok(None);
                }
            }
        }
        #[cfg(not(feature = "aws"))]
        {
            let _ = (RunError::new(Subject::Iam, role, ""), &args.aws);
            return Err(AppError::Usage(format!(
                "--deploy-role {role} reads IAM live: install mirrorguard with `--features aws`, or pass the role's policies with --deploy-policy"
            )));
        }
    }
    let operations = if args.operations.is_empty() {
        crate::checks::iam::Operation::ALL.to_vec()
    } else {
        args.operations.clone()
    };
    Ok(Some(IamCheck {
        principal,
        operations,
    }))
}

/// The preflight of `--live-file` or `--live`, if one was asked for.
fn preflight(args: &CheckArgs) -> Result<Option<crate::pipeline::preflight::Preflight>, AppError> {
    use crate::pipeline::preflight::{FactFiles, LiveFactsSource, Preflight};
    let source: Box<dyn LiveFactsSource> = if !args.live_file.is_empty() {
        Box::new(FactFiles {
            files: args.live_file.clone(),
        })
    } else if args.live {
        #[cfg(feature = "aws")]
        {
            Box::new(crate::aws::preflight::Ec2Facts {
                aws: crate::aws::AwsOptions {
                    profile: args.aws.profile.clone(),
                    endpoint_url: args.aws.endpoint_url.clone(),
                },
                region: args.region.clone(),
            })
        }
        #[cfg(not(feature = "aws"))]
        {
            return Err(AppError::Usage(
                "--live reads the account through the EC2 API: install mirrorguard with `--features aws`, or pass saved outputs with --live-file".into(),
            ));
        }
    } else {
        if !args.state.is_empty() || args.stack_name.is_some() {
            return Err(AppError::Usage(
                "--state and --stack-name say which live sessions are the declared ones: they need --live or --live-file".into(),
            ));
        }
        return Ok(None);
    };
    Ok(Some(Preflight {
        source,
        states: args.state.clone(),
        stack_name: args.stack_name.clone(),
    }))
}

/// A `--parameters` key that no template checked declares is most likely a typo.
fn warn_unknown_parameters(args: &super::args::InputArgs, report: &crate::report::Report) {
    for pair in &args.parameters {
        let key = pair.split_once('=').map_or(pair.as_str(), |(k, _)| k);
        if !report.parameters.contains(key) {
            super::output::write_stderr(&format!(
                "mirrorguard: warning: --parameters {key}: no template checked declares a parameter {key}\n"
            ));
        }
    }
}

/// Files named by flags must exist before anything is checked: a missing one would
/// otherwise give findings computed from defaults, or invented ones.
fn require_files(flags: &[(&str, &[PathBuf])]) -> Result<(), AppError> {
    for (flag, paths) in flags {
        for p in *paths {
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() => {}
                Ok(_) => {
                    return Err(AppError::Usage(format!(
                        "{flag} {}: not a regular file",
                        p.display()
                    )));
                }
                Err(e) => {
                    return Err(AppError::Usage(format!("{flag} {}: {e}", p.display())));
                }
            }
        }
    }
    Ok(())
}

fn input_files<'a>(
    args: &'a super::args::InputArgs,
    out: &'a super::args::OutputArgs,
) -> Vec<(&'static str, &'a [PathBuf])> {
    vec![
        ("--var-file", args.var_file.as_slice()),
        ("--parameter-file", args.parameter_file.as_slice()),
        ("--plan", args.plan.as_slice()),
        ("--baseline", out.baseline.as_slice()),
    ]
}

pub(crate) fn run_check(args: CheckArgs) -> Result<ExitStatus, AppError> {
    let mut flags = input_files(&args.input, &args.output);
    flags.push(("--deploy-policy", args.deploy_policy.as_slice()));
    flags.push(("--boundary", args.boundary.as_slice()));
    flags.push(("--state", args.state.as_slice()));
    let live_paths: Vec<PathBuf> = args
        .live_file
        .iter()
        .map(|p| crate::pipeline::drift::live_file_path(p))
        .collect();
    flags.push(("--live-file", live_paths.as_slice()));
    require_files(&flags)?;
    if !args.operations.is_empty() && args.deploy_policy.is_empty() && args.deploy_role.is_none() {
        return Err(AppError::Usage(
            "--operations needs the deploying principal: --deploy-policy or --deploy-role".into(),
        ));
    }
    if args.unsafe_fixes && !args.fix && !args.diff {
        return Err(AppError::Usage(
            "--unsafe-fixes says which fixes --fix or --diff apply: give one of them".into(),
        ));
    }
    let mut settings = resolve(&args.input, args.output.fail_on, args.region.as_deref())?;
    settings.check.draw = super::output::wants_markdown(&args.output);
    settings.check.live = preflight(&args)?.map(std::sync::Arc::new);
    let mut errors = Vec::new();
    settings.check.iam = iam_check(&args, &mut errors)?;
    let check = || {
        let mut report =
            crate::pipeline::check_paths(&args.input.paths, &settings.check, &settings.rules);
        report.errors.extend(errors.iter().cloned());
        report.finish();
        report
    };
    let report = if args.fix || args.diff {
        let outcome = crate::pipeline::fix::fix_until_clean(&check, args.unsafe_fixes, args.fix);
        crate::pipeline::fix::discard_in_memory_changes();
        let files = outcome.changed.values().filter(|(_, a, b)| a != b).count();
        if args.diff {
            let diff = crate::pipeline::fix::unified_diff(&outcome.changed);
            write_stdout(&diff)?;
            super::output::write_stderr(&format!(
                "mirrorguard: {} {} would be applied to {files} {}\n",
                outcome.applied,
                if outcome.applied == 1 { "fix" } else { "fixes" },
                if files == 1 { "file" } else { "files" },
            ));
            return Ok(if !outcome.report.errors.is_empty() {
                ExitStatus::Error
            } else if diff.is_empty() {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            });
        }
        super::output::write_stderr(&format!(
            "mirrorguard: {} {} applied to {files} {}\n",
            outcome.applied,
            if outcome.applied == 1 { "fix" } else { "fixes" },
            if files == 1 { "file" } else { "files" },
        ));
        outcome.report
    } else {
        check()
    };
    warn_unknown_parameters(&args.input, &report);
    let status = finish(
        report,
        &settings.rules,
        &args.output,
        settings.fail_on,
        "check",
    );
    // The process ends next: freeing the prepared rule engines would only delay the exit.
    std::mem::forget(settings);
    status
}

/// `graph`: the drawing of every unit, with the findings of a check marked on it. Findings
/// do not fail the command; files that cannot be read do (exit 2, named on stderr).
pub(crate) fn run_graph(args: GraphArgs) -> Result<ExitStatus, AppError> {
    require_files(&[
        ("--var-file", args.input.var_file.as_slice()),
        ("--parameter-file", args.input.parameter_file.as_slice()),
        ("--plan", args.input.plan.as_slice()),
    ])?;
    let mut settings = resolve(&args.input, None, args.region.as_deref())?;
    settings.check.draw = true;
    let mut report =
        crate::pipeline::check_paths(&args.input.paths, &settings.check, &settings.rules);
    report.finish();
    if !report.usage_errors.is_empty() {
        return Err(AppError::Usage(report.usage_errors.join("; ")));
    }
    let text = match args.format {
        GraphFormat::Mermaid => crate::render::graph::mermaid(&report.topologies),
        GraphFormat::Dot => crate::render::graph::dot(&report.topologies),
        GraphFormat::Json => crate::render::graph::json(&report.topologies),
    };
    match &args.output {
        Some(path) => super::output::write_file(path, &[text], &report.inputs)?,
        None => {
            write_stdout(&text)?;
        }
    }
    for e in &report.errors {
        super::output::write_stderr(&format!("mirrorguard: {e}\n"));
    }
    Ok(if report.errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Error
    })
}

/// The live source of a drift run: saved outputs, else the API (`aws` feature): EC2 in the
/// given regions (else the scopes' regions), or AWS Config.
fn live_source(args: &DriftArgs, scopes: &[Scope]) -> Box<dyn LiveSource> {
    if !args.live_file.is_empty() {
        return Box::new(LiveFiles {
            files: args.live_file.clone(),
            region: match args.regions.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            },
            account_id: args.account_id.clone(),
        });
    }
    #[cfg(feature = "aws")]
    {
        let aws = crate::aws::AwsOptions {
            profile: args.aws.profile.clone(),
            endpoint_url: args.aws.endpoint_url.clone(),
        };
        let region = args.regions.iter().find(|r| *r != "all").cloned();
        match &args.live_source {
            Some(LiveSourceKind::Config) => {
                return Box::new(crate::aws::config::ConfigInventory {
                    aws,
                    region,
                    aggregator: None,
                });
            }
            Some(LiveSourceKind::ConfigAggregator(name)) => {
                return Box::new(crate::aws::config::ConfigInventory {
                    aws,
                    region,
                    aggregator: Some(name.clone()),
                });
            }
            Some(LiveSourceKind::Ec2) | None => {}
        }
        let mut regions = args.regions.clone();
        if regions.is_empty() {
            regions = scopes.iter().flat_map(|s| s.regions.clone()).collect();
            regions.sort();
            regions.dedup();
        }
        Box::new(crate::aws::ec2::Ec2Sessions {
            aws,
            regions,
            account_id: args.account_id.clone(),
        })
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = scopes;
        Box::new(NoSdk(match &args.live_source {
            Some(LiveSourceKind::Config) => "AWS Config".to_owned(),
            Some(LiveSourceKind::ConfigAggregator(name)) => {
                format!("the AWS Config aggregator {name}")
            }
            Some(LiveSourceKind::Ec2) | None => "the EC2 API".to_owned(),
        }))
    }
}

/// The live source of a build without the AWS SDK: an error, never an empty account.
#[cfg(not(feature = "aws"))]
struct NoSdk(String);

#[cfg(not(feature = "aws"))]
impl LiveSource for NoSdk {
    fn read(&self) -> LiveRead {
        LiveRead {
            errors: vec![RunError::new(
                Subject::Live,
                "live sessions",
                format!("this mirrorguard was built without the `aws` feature, so it cannot read {}: pass saved outputs with --live-file, or install with `cargo install mirrorguard --features aws`", self.0),
            )
            .into()],
            ..LiveRead::default()
        }
    }
}

/// The scopes of a drift run: every `[[drift.scope]]` when no path is given (and no
/// `--account-id`), else one scope of the paths when `--account-id` and `--region` say
/// which account and regions they describe, else none (the whole live read).
fn drift_scopes(args: &DriftArgs, configured: Vec<Scope>) -> Vec<Scope> {
    let no_paths = args.input.paths.iter().all(|p| p.as_os_str() == ".");
    if no_paths && args.account_id.is_none() && !configured.is_empty() {
        return configured;
    }
    match (&args.account_id, args.regions.as_slice()) {
        (Some(account), regions) if !regions.is_empty() && !regions.iter().any(|r| r == "all") => {
            vec![Scope {
                label: None,
                paths: args.input.paths.clone(),
                account: Some(account.clone()),
                regions: regions.to_vec(),
            }]
        }
        _ => Vec::new(),
    }
}

pub(crate) fn run_drift(args: DriftArgs) -> Result<ExitStatus, AppError> {
    let live_files: Vec<PathBuf> = args
        .live_file
        .iter()
        .map(|f| crate::pipeline::drift::live_file_path(f))
        .collect();
    let mut flags = input_files(&args.input, &args.output);
    flags.push(("--live-file", live_files.as_slice()));
    flags.push(("--state", args.state.as_slice()));
    require_files(&flags)?;
    let settings = resolve(&args.input, args.output.fail_on, None)?;
    let options = DriftOptions {
        check: settings.check,
        states: args.state.clone(),
        stack_name: args.stack_name.clone(),
        max_age: args.max_age.as_ref().map(|m| (m.limit, m.text.clone())),
    };
    let scopes = drift_scopes(&args, settings.scopes);
    let live = live_source(&args, &scopes).read();
    let (report, plan) = if scopes.is_empty() {
        if live.coverage.is_some() {
            return Err(AppError::Usage(
                "an AWS Config inventory spans accounts and regions: name the audited ones with --account-id and --region, or with [[drift.scope]] in .mirrorguard.toml".into(),
            ));
        }
        crate::pipeline::drift::run_with_plan(&args.input.paths, &options, &settings.rules, live)
    } else {
        crate::pipeline::drift::run_scopes(&scopes, &options, &settings.rules, live)
    };
    warn_unknown_parameters(&args.input, &report);
    let Some(kind) = args.remediation else {
        return finish(
            report,
            &settings.rules,
            &args.output,
            settings.fail_on,
            "drift",
        );
    };
    // The remediation alone on stdout; the report to -o files, its summary to stderr.
    use super::args::Remediation;
    let text = match kind {
        Remediation::Terraform => crate::render::remediation::terraform(&plan),
        Remediation::Cloudformation => crate::render::remediation::cloudformation(&plan),
        Remediation::AwsCli => crate::render::remediation::aws_cli(
            &plan,
            match args.regions.as_slice() {
                [one] if one != "all" => Some(one.as_str()),
                _ => None,
            },
        ),
    };
    super::output::write_stderr(&format!("{}\n", crate::render::human::summary(&report)));
    let mut output = args.output.clone();
    output.quiet = true;
    let status = finish(report, &settings.rules, &output, settings.fail_on, "drift")?;
    write_stdout(&text)?;
    Ok(status)
}

fn list(set: &RuleSet, format: ListFormat) -> String {
    let mut out = String::new();
    if format == ListFormat::Markdown {
        out.push_str("| ID | Severity | Name | What it catches |\n|---|---|---|---|\n");
    }
    for m in set.metas() {
        let _ = match format {
            ListFormat::Markdown => writeln!(
                out,
                "| {} | {} | `{}` | {} |",
                m.id,
                m.severity.as_str(),
                m.name,
                m.title
            ),
            ListFormat::Text => writeln!(
                out,
                "{:<8} {:<8} {:<40} {}",
                m.id,
                m.severity.as_str(),
                m.name,
                m.title
            ),
        };
    }
    out
}

fn explain(set: &RuleSet, id: &str) -> Result<String, AppError> {
    let rule = set.find(id).ok_or_else(|| {
        AppError::Usage(format!(
            "no rule with id {id}; see `mirrorguard rules list`"
        ))
    })?;
    let m = &rule.meta;
    let kind = match rule.kind {
        RuleKind::Rego => "Rego rule",
        RuleKind::Builtin => "built-in check (metadata and examples)",
    };
    let mut out = format!(
        "{} {} ({})\n\nSeverity: {}\nRule: {} ({kind})\n\nWhy:\n{}\n\nFix:\n{}\n",
        m.id,
        m.title,
        m.name,
        m.severity.as_str(),
        rule.origin,
        m.description,
        m.help
    );
    if let Some(uri) = rule.help_uri() {
        let _ = writeln!(out, "\nDocumentation: {uri}");
    }
    if !m.related.is_empty() {
        out.push_str("\nReferences:\n");
        for r in &m.related {
            let _ = writeln!(out, "  {r}");
        }
    }
    Ok(out)
}

pub(crate) fn run_rules(cmd: RulesCommand) -> Result<ExitStatus, AppError> {
    match cmd {
        RulesCommand::List { rules, format } => {
            write_stdout(&list(&RuleSet::load(&rules)?, format))?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Explain { id, rules } => {
            write_stdout(&explain(&RuleSet::load(&rules)?, &id)?)?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Test { dir } => {
            let set = match &dir {
                Some(d) => RuleSet::load_dir_only(d)?,
                None => RuleSet::load(&[])?,
            };
            let outcome = crate::pipeline::rules_test::run_all(&set);
            write_stdout(&outcome.text)?;
            Ok(if outcome.failed == 0 {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            })
        }
        RulesCommand::Docs { out, rules } => {
            let set = RuleSet::load(&rules)?;
            std::fs::create_dir_all(&out).map_err(|source| AppError::Write {
                path: out.clone(),
                source,
            })?;
            let pages = crate::rules::docs::pages(&set);
            for (name, text) in &pages {
                let path = out.join(name);
                std::fs::write(&path, text).map_err(|source| AppError::Write { path, source })?;
            }
            write_stdout(&format!(
                "{} pages written to {}\n",
                pages.len(),
                out.display()
            ))?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Input { input, region } => {
            require_files(&[
                ("--var-file", input.var_file.as_slice()),
                ("--parameter-file", input.parameter_file.as_slice()),
                ("--plan", input.plan.as_slice()),
            ])?;
            let settings = resolve(&input, None, region.as_deref())?;
            let declared = crate::pipeline::check::declared_units(&input.paths, &settings.check);
            // Secrets stay out of this output as out of reports.
            let mut text = String::from("[\n");
            for (i, u) in declared.units.iter().enumerate() {
                let json = serde_json::to_string_pretty(&u.to_input().json)
                    .map_err(|e| AppError::Usage(format!("cannot print the rule input: {e}")))?;
                if i > 0 {
                    text.push_str(",\n");
                }
                text.push_str(&u.redactor().apply(&json));
            }
            text.push_str("\n]\n");
            write_stdout(&text)?;
            let status = if declared.errors.is_empty() {
                ExitStatus::Clean
            } else {
                for e in &declared.errors {
                    super::output::write_stderr(&format!("mirrorguard: {e}\n"));
                }
                ExitStatus::Error
            };
            Ok(status)
        }
        RulesCommand::New {
            id,
            name,
            dir,
            severity,
        } => {
            let created = crate::rules::scaffold::create(&dir, &id, &name, &severity)?;
            let mut text = String::new();
            for p in created {
                let _ = writeln!(text, "created {}", p.display());
            }
            text.push_str("next: write the rule and its tests, then run `mirrorguard rules test` and `mirrorguard rules docs` (see CONTRIBUTING.md)\n");
            write_stdout(&text)?;
            Ok(ExitStatus::Clean)
        }
    }
}
