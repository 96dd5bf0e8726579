//! The command line: clap definitions and the dispatch from subcommands to the library.
//! This is the I/O edge: it reads flags and parameter files, and writes the rendered
//! report once, to stdout or `--output`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::{CheckOptions, Report, check_paths};
use crate::config::Config;
use crate::error::AppError;
use crate::parse::cloudformation::ParameterValues;
use crate::render::{self, OutputFormat};
use crate::rules::{RuleSet, Severity};

/// Lints and audits traffic mirror sessions in CloudFormation and Terraform.
#[derive(Debug, Parser)]
#[command(name = "mirrorguard", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check files and folders for traffic mirror session mistakes.
    Check(Box<CheckArgs>),
    /// Compare declared sessions with live ones (DescribeTrafficMirrorSessions).
    Drift(Box<DriftArgs>),
    /// List, explain and test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// The lowest severity that makes `check` exit with status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Note,
    /// Never (exit 0 unless a file could not be checked).
    Never,
}

/// When to use colour in human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Where declarations come from and how they are read (shared by `check` and `drift`).
#[derive(Debug, Args)]
struct InputArgs {
    /// Files and folders to check (folders recursively, honouring .gitignore).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Configuration file (default: .mirrorguard.toml in the working folder or above).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any .mirrorguard.toml.
    #[arg(long)]
    no_config: bool,
    /// CloudFormation parameter value, `Key=Value` (repeatable; wins over --parameter-file).
    #[arg(long = "parameters", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// CloudFormation parameter file: `[{"ParameterKey": .., "ParameterValue": ..}]` or `{"Key": "Value"}`.
    #[arg(long, value_name = "FILE")]
    parameter_file: Vec<PathBuf>,
    /// Terraform variables file applied to every module (repeatable; later files win).
    #[arg(long, value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// Terraform plan JSON (`terraform show -json`); the Terraform folders among PATHs are its
    /// configuration, so findings also point at the declaring `.tf` lines (repeatable).
    #[arg(long, value_name = "FILE")]
    plan: Vec<PathBuf>,
    /// stackql-deploy environment to check (all environments the manifest names by default).
    #[arg(long, value_name = "ENV")]
    stack_env: Option<String>,
    /// stackql-deploy template variable, `KEY=VALUE` (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// Folder of additional Rego rules (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Most seconds one rule may run on one template or module.
    #[arg(long, value_name = "SECONDS", default_value = "10")]
    rule_time_limit: f64,
    /// Parse every candidate file, even those that never name a traffic mirror resource
    /// (the byte-scan shortcut is then off; for comparing both paths).
    #[arg(long, hide = true)]
    full_parse: bool,
}

/// How the report is written and when the run fails.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Lowest severity that fails the run (exit status 1) [default: error, or the config's].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Report only findings that this baseline file does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Region for provider configurations that set none (Alibaba Cloud priorities are unique
    /// per region), and of the resource ARNs IAM checks evaluate.
    #[arg(long)]
    region: Option<String>,
    /// IAM policy document of the deploying principal (repeatable): checks that it allows what
    /// creating, updating and deleting the sessions needs (MG020).
    #[arg(long, value_name = "FILE")]
    deploy_policy: Vec<PathBuf>,
    /// Role of the deploying principal, read live: inline and attached policies (aws feature).
    #[arg(long, value_name = "NAME|ARN")]
    deploy_role: Option<String>,
    /// Permission boundary or SCP document that must allow too (repeatable).
    #[arg(long, value_name = "FILE")]
    boundary: Vec<PathBuf>,
    /// Operations whose permissions are checked.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "create,update,delete"
    )]
    operations: Vec<crate::iam::Operation>,
    /// Account of the resource ARNs IAM checks evaluate (unknown parts make a match depend).
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// AWS named profile (for --deploy-role).
    #[arg(long)]
    profile: Option<String>,
    /// AWS endpoint override (for --deploy-role).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
struct DriftArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Saved `aws ec2 describe-traffic-mirror-sessions` output to compare with, instead of the
    /// live API (repeatable; no AWS SDK needed).
    #[arg(long, value_name = "FILE")]
    live_file: Vec<PathBuf>,
    /// AWS region to read (repeatable; default: the environment's).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// AWS named profile.
    #[arg(long)]
    profile: Option<String>,
    /// AWS endpoint override (an emulator, a VPC endpoint).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The audited account (default: the caller's, from STS); live sessions owned by other
    /// accounts are never reported as unmanaged.
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Terraform state file giving each resource's session id (repeatable; a
    /// terraform.tfstate beside a module is used too).
    #[arg(long, value_name = "FILE")]
    state: Vec<PathBuf>,
    /// CloudFormation stack name: sessions tagged with it and their logical id are matched.
    #[arg(long)]
    stack_name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the rules.
    List {
        /// Folder of additional Rego rules (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// `text` (aligned columns) or `markdown` (the README's rule table).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Show everything about one rule.
    Explain {
        /// Rule id, e.g. MG001.
        id: String,
        /// Folder of additional Rego rules (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run each rule's Rego tests (`test_*`) and its good/bad examples.
    Test {
        /// A folder of rules; the built-in rules when omitted.
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Markdown,
}

/// How a run ended: 0 nothing at or above `--fail-on`, 1 findings, 2 an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report at or above the threshold.
    Clean = 0,
    /// Findings at or above the threshold.
    Findings = 1,
    /// A usage, parse or runtime error.
    Error = 2,
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<ExitStatus, AppError> {
    match cli.command {
        Command::Check(args) => run_check(*args),
        Command::Drift(args) => run_drift(*args),
        Command::Rules(cmd) => run_rules(cmd),
    }
}

fn write_stdout(text: &str) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Parses repeated `KEY=VALUE` flags.
fn key_values(
    pairs: &[String],
    flag: &str,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let mut out = std::collections::BTreeMap::new();
    for pair in pairs {
        match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_owned(), v.to_owned());
            }
            _ => {
                return Err(AppError::Usage(format!(
                    "{flag} needs KEY=VALUE, got `{pair}`"
                )));
            }
        }
    }
    Ok(out)
}

/// Parses `Key=Value` parameters and parameter files into one map (flags win).
pub(crate) fn parameter_values(
    pairs: &[String],
    files: &[PathBuf],
) -> Result<ParameterValues, AppError> {
    let mut out = ParameterValues::new();
    for file in files {
        out.extend(read_parameter_file(file)?);
    }
    for pair in pairs {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            AppError::Usage(format!("--parameters needs KEY=VALUE, got `{pair}`"))
        })?;
        if k.is_empty() {
            return Err(AppError::Usage(format!(
                "--parameters needs a key, got `{pair}`"
            )));
        }
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}

fn read_parameter_file(path: &Path) -> Result<ParameterValues, AppError> {
    let text = std::fs::read_to_string(path).map_err(|e| AppError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let bad = |m: &str| AppError::Usage(format!("parameter file {}: {m}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut out = ParameterValues::new();
    match json {
        serde_json::Value::Array(items) => {
            for item in items {
                let key = item
                    .get("ParameterKey")
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| bad("every entry needs ParameterKey"))?;
                let value = item
                    .get("ParameterValue")
                    .and_then(scalar)
                    .ok_or_else(|| bad("every entry needs ParameterValue"))?;
                out.insert(key.to_owned(), value);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let value = scalar(&v).ok_or_else(|| {
                    bad(&format!("value of {k} must be a string, number or boolean"))
                })?;
                out.insert(k, value);
            }
        }
        _ => {
            return Err(bad(
                "must be a JSON list of {ParameterKey, ParameterValue} or an object",
            ));
        }
    }
    Ok(out)
}

/// The exit status for a report under a `--fail-on` threshold.
pub(crate) fn exit_status(report: &Report, fail_on: FailOn) -> ExitStatus {
    if !report.errors.is_empty() {
        return ExitStatus::Error;
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    match threshold {
        Some(t)
            if report
                .findings
                .iter()
                .any(|f| f.suppression.is_none() && f.severity >= t) =>
        {
            ExitStatus::Findings
        }
        _ => ExitStatus::Clean,
    }
}

fn parse_fail_on(text: &str) -> Result<FailOn, AppError> {
    FailOn::from_str(text, true).map_err(|_| {
        AppError::Usage(format!(
            "fail_on must be error, warning, note or never, not {text}"
        ))
    })
}

/// Settings for `check` and `drift`: the command line over the configuration file over
/// defaults.
fn resolve(
    args: &InputArgs,
    fail_on: Option<FailOn>,
    region: Option<&str>,
) -> Result<(RuleSet, CheckOptions, FailOn), AppError> {
    let config = if args.no_config {
        Config::default()
    } else if let Some(path) = &args.config {
        Config::load(path)?
    } else {
        Config::discover(Path::new("."))?.unwrap_or_default()
    };
    let mut rule_dirs = config.rules.clone();
    rule_dirs.extend(args.rules.iter().cloned());
    let mut rules = RuleSet::load(&rule_dirs)?;
    rules.configure(&config.severity, &config.disable)?;
    if !(args.rule_time_limit > 0.0 && args.rule_time_limit.is_finite()) {
        return Err(AppError::Usage(
            "--rule-time-limit must be a positive number of seconds".into(),
        ));
    }
    rules.set_time_limit(std::time::Duration::from_secs_f64(args.rule_time_limit));

    let mut parameters = parameter_values(&[], &config.cloudformation.parameter_files)?;
    parameters.extend(config.cloudformation.parameters.clone());
    parameters.extend(parameter_values(&args.parameters, &args.parameter_file)?);
    let mut var_files = config.terraform.var_files.clone();
    var_files.extend(args.var_file.iter().cloned());
    let mut vars = config.stackql.vars.clone();
    vars.extend(key_values(&args.vars, "--var")?);
    let fail_on = match (fail_on, &config.fail_on) {
        (Some(f), _) => f,
        (None, Some(text)) => parse_fail_on(text)?,
        (None, None) => FailOn::Error,
    };
    let options = CheckOptions {
        parameters,
        var_files,
        plans: args.plan.clone(),
        region: region.map(str::to_owned).or_else(|| config.region.clone()),
        stackql: crate::parse::stackql::StackqlOptions {
            stack_env: args
                .stack_env
                .clone()
                .or_else(|| config.stackql.stack_env.clone()),
            vars,
        },
        iam: None,
        full_parse: args.full_parse,
        exclude: config.exclude.clone(),
        ignore: config.ignore.clone(),
        base: config
            .path
            .as_ref()
            .map(|p| (config.dir.clone(), Some(p.clone()))),
    };
    Ok((rules, options, fail_on))
}

/// Applies the baseline flags, renders the report and writes it; returns the exit status.
fn finish(
    mut report: Report,
    rules: &RuleSet,
    out: &OutputArgs,
    fail_on: FailOn,
    command: &str,
) -> Result<ExitStatus, AppError> {
    if let Some(path) = &out.baseline {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::baseline::apply(&mut report, &text)
            .map_err(|m| AppError::Usage(format!("{}: {m}", path.display())))?;
    }
    if let Some(path) = &out.write_baseline {
        std::fs::write(path, crate::baseline::render(&report))?;
    }
    let to_terminal = out.output.is_none() && std::io::stdout().is_terminal();
    let color = match out.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match out.format {
        OutputFormat::Human => render::human::render(&report, rules, color, 100),
        OutputFormat::Json => render::json::render(&report, command),
        OutputFormat::Sarif => {
            render::sarif::render(&report, rules, &format!("mirrorguard-{command}"))
        }
        OutputFormat::Markdown => {
            render::markdown::render(&report, &format!("mirrorguard {command}"))
        }
    };
    match &out.output {
        Some(path) => {
            std::fs::write(path, text.as_bytes())?;
            write_stderr(&format!(
                "{}\nreport written to {}\n",
                render::human::summary(&report),
                path.display()
            ));
        }
        None => write_stdout(&text)?,
    }
    Ok(exit_status(&report, fail_on))
}

/// The deploying principal of `--deploy-policy`/`--boundary` files and `--deploy-role`.
fn principal(
    args: &CheckArgs,
    errors: &mut Vec<crate::error::FileError>,
) -> Result<Option<crate::iam::Principal>, AppError> {
    if args.deploy_policy.is_empty() && args.deploy_role.is_none() {
        if !args.boundary.is_empty() {
            return Err(AppError::Usage(
                "--boundary needs --deploy-policy or --deploy-role".into(),
            ));
        }
        return Ok(None);
    }
    let mut p = crate::iam::Principal::from_files(&args.deploy_policy, &args.boundary, errors);
    p.region.clone_from(&args.region);
    p.account.clone_from(&args.account_id);
    if let Some(role) = &args.deploy_role {
        #[cfg(feature = "aws")]
        match crate::iam::aws::role_policies(
            role,
            args.profile.as_deref(),
            args.endpoint_url.as_deref(),
            args.region.as_deref(),
        ) {
            Ok(policies) => p.policies.extend(policies),
            Err(e) => {
                errors.push(crate::error::FileError::whole_file(
                    format!("IAM role {role}"),
                    e,
                ));
                return Ok(None);
            }
        }
        #[cfg(not(feature = "aws"))]
        return Err(AppError::Usage(format!(
            "--deploy-role {role} reads IAM live: install mirrorguard with `--features aws`, or pass the role's policies with --deploy-policy"
        )));
    }
    Ok(Some(p))
}

fn run_check(args: CheckArgs) -> Result<ExitStatus, AppError> {
    let (rules, mut options, fail_on) =
        resolve(&args.input, args.output.fail_on, args.region.as_deref())?;
    let mut errors = Vec::new();
    if let Some(p) = principal(&args, &mut errors)? {
        options.iam = Some((p, args.operations.clone()));
    }
    let mut report = check_paths(&args.input.paths, &options, &rules);
    report.errors.extend(errors);
    crate::check::finish_report(&mut report);
    finish(report, &rules, &args.output, fail_on, "check")
}

fn run_drift(args: DriftArgs) -> Result<ExitStatus, AppError> {
    let (rules, check, fail_on) = resolve(&args.input, args.output.fail_on, None)?;
    let options = crate::drift::DriftOptions {
        check,
        live: crate::drift::LiveOptions {
            live_files: args.live_file.clone(),
            regions: args.regions.clone(),
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
            account_id: args.account_id.clone(),
        },
        states: args.state.clone(),
        stack_name: args.stack_name.clone(),
    };
    let live = crate::drift::read_live(&options.live);
    let report = crate::drift::run(&args.input.paths, &options, &rules, live);
    finish(report, &rules, &args.output, fail_on, "drift")
}

fn run_rules(cmd: RulesCommand) -> Result<ExitStatus, AppError> {
    match cmd {
        RulesCommand::List { rules, format } => {
            let set = RuleSet::load(&rules)?;
            let mut out = String::new();
            if format == ListFormat::Markdown {
                out.push_str("| ID | Severity | Name | What it catches |\n|---|---|---|---|\n");
            }
            for m in set.metas() {
                out.push_str(&match format {
                    ListFormat::Markdown => {
                        format!(
                            "| {} | {} | `{}` | {} |\n",
                            m.id,
                            m.severity.as_str(),
                            m.name,
                            m.title
                        )
                    }
                    ListFormat::Text => {
                        format!(
                            "{:<8} {:<8} {:<40} {}\n",
                            m.id,
                            m.severity.as_str(),
                            m.name,
                            m.title
                        )
                    }
                });
            }
            write_stdout(&out)?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Explain { id, rules } => {
            let set = RuleSet::load(&rules)?;
            let m = set.find_meta(&id).ok_or_else(|| {
                AppError::Usage(format!(
                    "no rule with id {id}; see `mirrorguard rules list`"
                ))
            })?;
            let origin = set
                .find(&id)
                .map_or("built into mirrorguard (about suppressions)", |r| {
                    r.origin.as_str()
                });
            let mut out = format!(
                "{} {} ({})\n\nSeverity: {}\nRule: {}\n\nWhy:\n{}\n\nFix:\n{}\n",
                m.id,
                m.title,
                m.name,
                m.severity.as_str(),
                origin,
                m.description,
                m.help
            );
            if !m.related.is_empty() {
                out.push_str("\nReferences:\n");
                for r in &m.related {
                    out.push_str(&format!("  {r}\n"));
                }
            }
            write_stdout(&out)?;
            Ok(ExitStatus::Clean)
        }
        RulesCommand::Test { dir } => {
            let set = match &dir {
                Some(d) => RuleSet::load_dir_only(d)?,
                None => RuleSet::load(&[])?,
            };
            let outcome = crate::rules::test_runner::run_all(&set);
            write_stdout(&outcome.text)?;
            Ok(if outcome.failed == 0 {
                ExitStatus::Clean
            } else {
                ExitStatus::Findings
            })
        }
    }
}
