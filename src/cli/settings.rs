//! Settings for `check` and `drift`: the command line over the configuration file over
//! defaults, resolved into the library's option structs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::args::InputArgs;
use super::config::Config;
use crate::error::AppError;
use crate::parse::{ParameterValues, ReadOptions, StackqlOptions};
use crate::pipeline::CheckOptions;
use crate::pipeline::check::ConfigLocation;
use crate::report::FailOn;
use crate::rules::RuleSet;

/// Everything a `check` or `drift` run is configured with.
pub(crate) struct Settings {
    pub(crate) rules: RuleSet,
    pub(crate) check: CheckOptions,
    pub(crate) fail_on: FailOn,
    /// `[[drift.scope]]` of the configuration.
    pub(crate) scopes: Vec<crate::checks::drift::scope::Scope>,
}

/// Parses repeated `KEY=VALUE` flags.
pub(crate) fn key_values(
    pairs: &[String],
    flag: &str,
) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
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
    out.extend(key_values(pairs, "--parameters")?);
    Ok(out)
}

fn read_parameter_file(path: &Path) -> Result<ParameterValues, AppError> {
    let text = std::fs::read_to_string(path).map_err(|source| AppError::Read {
        path: path.to_path_buf(),
        source,
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

/// Resolves the settings of a run: the configuration file (found or named), the rules it
/// adds and configures, and every input flag.
pub(crate) fn resolve(
    args: &InputArgs,
    fail_on: Option<FailOn>,
    region: Option<&str>,
) -> Result<Settings, AppError> {
    let config = if args.no_config {
        Config::default()
    } else if let Some(path) = &args.config {
        Config::load(path)?
    } else {
        Config::discover(Path::new("."))?.unwrap_or_default()
    };
    // Every reported path is relative to the repository root, from whatever folder this runs.
    let root = match &args.root {
        Some(r) if r.is_dir() => r.clone(),
        Some(r) => {
            return Err(AppError::Usage(format!(
                "--root {} is not a folder",
                r.display()
            )));
        }
        None => crate::pipeline::repo_root(
            &args.paths,
            config.path.as_ref().map(|_| config.dir.as_path()),
        ),
    };
    crate::pipeline::set_report_root(&root);
    if args.paths.iter().any(|p| p.as_os_str() == "-") && args.stdin_filename.is_none() {
        return Err(AppError::Usage(
            "reading `-` (standard input) needs --stdin-filename NAME: the name says its format"
                .into(),
        ));
    }
    let mut rule_dirs = config.rules.clone();
    rule_dirs.extend(args.rules.iter().cloned());
    let mut rules = RuleSet::load(&rule_dirs)?;
    rules.configure(&config.severity, &config.disable)?;
    let limit = std::time::Duration::try_from_secs_f64(args.rule_time_limit)
        .ok()
        .filter(|d| !d.is_zero() && *d <= std::time::Duration::from_secs(24 * 3600))
        .ok_or_else(|| {
            AppError::Usage(
                "--rule-time-limit must be a positive number of seconds, at most one day".into(),
            )
        })?;
    rules.set_time_limit(limit);
    rules.set_engine_kind(crate::rules::engine::EngineKind::from_env()?);

    let mut parameters = parameter_values(&[], &config.cloudformation.parameter_files)?;
    parameters.extend(config.cloudformation.parameters.clone());
    parameters.extend(parameter_values(&args.parameters, &args.parameter_file)?);
    let mut var_files = config.terraform.var_files.clone();
    var_files.extend(args.var_file.iter().cloned());
    let mut vars = config.stackql.vars.clone();
    vars.extend(key_values(&args.vars, "--var")?);
    let fail_on = match (fail_on, &config.fail_on) {
        (Some(f), _) => f,
        (None, Some(text)) => FailOn::parse(text).ok_or_else(|| {
            AppError::Usage(format!(
                "fail_on must be error, warning, note or never, not {text}"
            ))
        })?,
        (None, None) => FailOn::Error,
    };
    let check = CheckOptions {
        read: ReadOptions {
            parameters,
            stackql: StackqlOptions {
                stack_env: args
                    .stack_env
                    .clone()
                    .or_else(|| config.stackql.stack_env.clone()),
                vars,
            },
            region: region.map(str::to_owned).or_else(|| config.region.clone()),
            full_parse: args.full_parse,
        },
        var_files,
        plans: args.plan.clone(),
        exclude: config.exclude.clone(),
        ignore: config.ignore.clone(),
        config: config.path.as_ref().map(|file| ConfigLocation {
            dir: config.dir.clone(),
            file: file.clone(),
        }),
        iam: None,
        stdin_name: args.stdin_filename.clone(),
        draw: false,
        live: None,
    };
    let scopes = config
        .drift
        .scope
        .iter()
        .map(|s| {
            crate::checks::drift::scope::Scope::configured(
                s.name.as_deref(),
                s.paths.clone(),
                &s.account,
                s.regions.clone(),
            )
        })
        .collect();
    Ok(Settings {
        rules,
        check,
        fail_on,
        scopes,
    })
}
