//! Writing what a run found: baselines, every requested report (each computed from the one
//! run), the terminal view, and the exit status.
//!
//! Files are written safely, since a pull request controls what is in the checkout: to a
//! new temporary file beside the destination, then renamed over it. A destination that is
//! a symbolic link, not a regular file (a FIFO), or one of the files the run read is
//! refused. A closed pipe ends the output but keeps the run's exit status.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::args::{Color, OutputArgs, OutputFormat};
use crate::checks::baseline;
use crate::error::AppError;
use crate::render;
use crate::report::{ExitStatus, FailOn, Report};
use crate::rules::RuleSet;

/// Writes to standard output; a closed pipe is reported as `Ok(false)`.
pub(crate) fn write_stdout(text: &str) -> Result<bool, AppError> {
    write_stdout_pieces(&[text])
}

/// Writes pieces of text to standard output, one after the other; a closed pipe is
/// reported as `Ok(false)`.
fn write_stdout_pieces<S: AsRef<[u8]>>(pieces: &[S]) -> Result<bool, AppError> {
    let mut out = std::io::stdout().lock();
    let written = pieces
        .iter()
        .try_for_each(|p| out.write_all(p.as_ref()))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(source) => Err(AppError::Write {
            path: "-".into(),
            source,
        }),
    }
}

pub(crate) fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

/// Writes a file safely (see the module documentation).
pub(crate) fn write_file<S: AsRef<[u8]>>(
    path: &Path,
    pieces: &[S],
    inputs: &[PathBuf],
) -> Result<(), AppError> {
    let refuse =
        |why: &str| AppError::Usage(format!("refusing to write {}: {why}", path.display()));
    // The null device is the one non-regular destination asked for on purpose (benchmarks,
    // runs kept for their exit status only): nothing is written.
    if path == Path::new("/dev/null") {
        return Ok(());
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(refuse("it is a symbolic link"));
        }
        if !meta.is_file() {
            return Err(refuse("it is not a regular file"));
        }
        if let Ok(real) = path.canonicalize()
            && inputs
                .iter()
                .any(|i| i.canonicalize().is_ok_and(|r| r == real))
        {
            return Err(refuse("it is one of the files this run checks"));
        }
    }
    let write_err = |source: std::io::Error| AppError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.mirrorguard-{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(write_err)?;
    let written = pieces
        .iter()
        .try_for_each(|p| file.write_all(p.as_ref()))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(())
}

/// The format of an output file: by its extension, else `--format`.
fn format_of(path: &Path, default: OutputFormat) -> OutputFormat {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("sarif") => OutputFormat::Sarif,
        Some("json") => OutputFormat::Json,
        Some("md" | "markdown") => OutputFormat::Markdown,
        Some("annotations") => OutputFormat::Github,
        _ => default,
    }
}

/// Whether any report requested is Markdown (which embeds the mirror graph).
pub(crate) fn wants_markdown(out: &OutputArgs) -> bool {
    out.format == OutputFormat::Markdown
        || out
            .output
            .iter()
            .any(|p| format_of(p, out.format) == OutputFormat::Markdown)
}

fn render(
    report: &Report,
    rules: &RuleSet,
    format: OutputFormat,
    color: bool,
    command: &str,
    link_base: Option<&str>,
) -> Vec<String> {
    match format {
        OutputFormat::Human => vec![render::human::render(report, rules, color, 100)],
        OutputFormat::Json => vec![render::json::render(report, command)],
        OutputFormat::Sarif => {
            render::sarif::render(report, rules, &format!("mirrorguard-{command}"))
        }
        OutputFormat::Markdown => vec![render::markdown::render(
            report,
            rules,
            &format!("mirrorguard {command}"),
            link_base,
        )],
        OutputFormat::Github => vec![render::github::render(report, rules)],
    }
}

/// Applies the baseline flags, writes every report and returns the exit status.
pub(crate) fn finish(
    mut report: Report,
    rules: &RuleSet,
    out: &OutputArgs,
    fail_on: FailOn,
    command: &str,
) -> Result<ExitStatus, AppError> {
    if !report.usage_errors.is_empty() {
        return Err(AppError::Usage(report.usage_errors.join("\n")));
    }
    if let Some(path) = &out.baseline {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::Read {
            path: path.clone(),
            source,
        })?;
        baseline::apply(&mut report, &text)
            .map_err(|e| AppError::Usage(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &out.write_baseline {
        write_file(path, &[baseline::render(&report)], &report.inputs)?;
    }
    // SARIF URIs are relative to the repository root: a file outside it cannot be placed.
    let wants_sarif = out.format == OutputFormat::Sarif
        || out
            .output
            .iter()
            .any(|p| format_of(p, out.format) == OutputFormat::Sarif);
    if wants_sarif {
        let mut outside: Vec<String> = report
            .findings
            .iter()
            .map(|f| f.file().to_owned())
            .filter(|f| crate::pipeline::is_outside_root(f))
            .collect();
        outside.sort();
        outside.dedup();
        for file in outside {
            report.errors.push(
                crate::error::RunError::new(
                    crate::error::Subject::Usage,
                    file,
                    format!(
                        "outside the repository root {}: SARIF paths must be relative to it (pass --root)",
                        crate::pipeline::report_root().display()
                    ),
                )
                .into(),
            );
        }
    }
    let status = report.exit_status(fail_on);
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let color = match out.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let to_stdout = out.output.iter().any(|p| p.as_os_str() == "-");
    let terminal = !out.quiet || to_stdout;
    // Each format is rendered once, however many destinations take it (a large report
    // takes seconds to render); the null device takes none.
    let files: Vec<(&PathBuf, OutputFormat)> = out
        .output
        .iter()
        .filter(|p| p.as_os_str() != "-" && p.as_path() != Path::new("/dev/null"))
        .map(|p| (p, format_of(p, out.format)))
        .collect();
    let mut wanted: Vec<(OutputFormat, bool)> = files.iter().map(|(_, f)| (*f, false)).collect();
    if terminal {
        wanted.push((out.format, color));
    }
    let mut rendered: Vec<((OutputFormat, bool), Vec<String>)> = Vec::new();
    for key in wanted {
        if !rendered.iter().any(|(k, _)| *k == key) {
            let text = render(
                &report,
                rules,
                key.0,
                key.1,
                command,
                out.link_base.as_deref(),
            );
            rendered.push((key, text));
        }
    }
    let text_of = |key: (OutputFormat, bool)| {
        rendered
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[][..], |(_, t)| t.as_slice())
    };
    for (path, format) in files {
        write_file(path, text_of((format, false)), &report.inputs)?;
    }
    if terminal && !write_stdout_pieces(text_of((out.format, color)))? {
        return Ok(status);
    }
    // What could not be checked is named on stderr whatever the outputs are.
    let shown = terminal && out.format == OutputFormat::Human;
    if !shown && !report.errors.is_empty() {
        let mut text = String::new();
        for e in &report.errors {
            text.push_str(&format!("mirrorguard: could not check {}\n", error_line(e)));
        }
        write_stderr(&text);
    }
    if !out.output.is_empty() && !out.quiet && out.format != OutputFormat::Human {
        write_stderr(&format!("{}\n", render::human::summary(&report)));
    }
    if report.units == 0 && report.errors.is_empty() && !out.quiet {
        write_stderr(
            "mirrorguard: nothing to check: no template, module, manifest or CLI input here declares a traffic mirror resource\n",
        );
    }
    Ok(status)
}

fn error_line(e: &crate::error::CheckError) -> String {
    match e.position() {
        Some(p) => format!("{}:{}:{}: {}", e.name(), p.line, p.column, e.message()),
        None => format!("{}: {}", e.name(), e.message()),
    }
}
