//! Writing what a run found: baselines, the report in its format, the exit status.

use std::io::{IsTerminal, Write};

use super::args::{Color, OutputArgs, OutputFormat};
use crate::checks::baseline;
use crate::error::AppError;
use crate::render;
use crate::report::{ExitStatus, FailOn, Report};
use crate::rules::RuleSet;

pub(crate) fn write_stdout(text: &str) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| AppError::Write {
            path: "-".into(),
            source,
        })
}

pub(crate) fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Applies the baseline flags, renders the report and writes it; returns the exit status.
pub(crate) fn finish(
    mut report: Report,
    rules: &RuleSet,
    out: &OutputArgs,
    fail_on: FailOn,
    command: &str,
) -> Result<ExitStatus, AppError> {
    if let Some(path) = &out.baseline {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Read {
            path: path.clone(),
            source,
        })?;
        baseline::apply(&mut report, &text)
            .map_err(|e| AppError::Usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &out.write_baseline {
        std::fs::write(path, baseline::render(&report)).map_err(|source| AppError::Write {
            path: path.clone(),
            source,
        })?;
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
            std::fs::write(path, text.as_bytes()).map_err(|source| AppError::Write {
                path: path.clone(),
                source,
            })?;
            write_stderr(&format!(
                "{}\nreport written to {}\n",
                render::human::summary(&report),
                path.display()
            ));
        }
        None => write_stdout(&text)?,
    }
    Ok(report.exit_status(fail_on))
}
