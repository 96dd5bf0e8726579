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

#[derive(Debug, Args)]
struct CheckArgs {
    /// Files and folders to check (folders recursively, honouring .gitignore).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Lowest severity that fails the check (exit status 1) [default: error, or the config's].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: .mirrorguard.toml in the working folder or above).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any .mirrorguard.toml.
    #[arg(long)]
    no_config: bool,
    /// Report only findings that this baseline file does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
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
    /// Region for provider configurations that set none (Alibaba Cloud priorities are unique
    /// per region).
    #[arg(long)]
    region: Option<String>,
    /// Folder of additional Rego rules (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
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

/// Settings for `check`: the command line over the configuration file over defaults.
fn resolve(args: &CheckArgs) -> Result<(Config, RuleSet, CheckOptions, FailOn), AppError> {
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

    let mut parameters = parameter_values(&[], &config.cloudformation.parameter_files)?;
    parameters.extend(config.cloudformation.parameters.clone());
    parameters.extend(parameter_values(&args.parameters, &args.parameter_file)?);
    let mut var_files = config.terraform.var_files.clone();
    var_files.extend(args.var_file.iter().cloned());
    let mut vars = config.stackql.vars.clone();
    vars.extend(key_values(&args.vars, "--var")?);
    let fail_on = match (args.fail_on, &config.fail_on) {
        (Some(f), _) => f,
        (None, Some(text)) => parse_fail_on(text)?,
        (None, None) => FailOn::Error,
    };
    let options = CheckOptions {
        parameters,
        var_files,
        plans: args.plan.clone(),
        region: args.region.clone().or_else(|| config.region.clone()),
        stackql: crate::parse::stackql::StackqlOptions {
            stack_env: args
                .stack_env
                .clone()
                .or_else(|| config.stackql.stack_env.clone()),
            vars,
        },
        exclude: config.exclude.clone(),
        ignore: config.ignore.clone(),
        base: config
            .path
            .as_ref()
            .map(|p| (config.dir.clone(), Some(p.clone()))),
    };
    Ok((config, rules, options, fail_on))
}

fn run_check(args: CheckArgs) -> Result<ExitStatus, AppError> {
    let (_config, rules, options, fail_on) = resolve(&args)?;
    let mut report = check_paths(&args.paths, &options, &rules);
    if let Some(path) = &args.baseline {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::baseline::apply(&mut report, &text)
            .map_err(|m| AppError::Usage(format!("{}: {m}", path.display())))?;
    }
    if let Some(path) = &args.write_baseline {
        std::fs::write(path, crate::baseline::render(&report))?;
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match args.format {
        OutputFormat::Human => render::human::render(&report, &rules, color, 100),
        OutputFormat::Json => render::json::render(&report, "check"),
        OutputFormat::Sarif => render::sarif::render(&report, &rules, "mirrorguard-check"),
        OutputFormat::Markdown => render::markdown::render(&report, "mirrorguard check"),
    };
    match &args.output {
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
