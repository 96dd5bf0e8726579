//! A Markdown summary, for a GitHub job summary (`$GITHUB_STEP_SUMMARY`) or a PR comment:
//! the summary line and one table row per open finding, with suppressed and skipped counts.

use crate::report::Report;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders a report as Markdown.
pub(crate) fn render(report: &Report, title: &str) -> String {
    let mut out = format!(
        "### {title}\n\n{}\n\n",
        crate::render::human::summary(report)
    );
    let open: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    if !open.is_empty() {
        out.push_str("| | Rule | Location | Resource | Finding |\n|---|---|---|---|---|\n");
        for f in open {
            let icon = match f.severity {
                crate::report::Severity::Error => "❌",
                crate::report::Severity::Warning => "⚠️",
                crate::report::Severity::Note => "ℹ️",
            };
            let at = f.location.as_ref().map_or_else(
                || "live".to_owned(),
                |l| format!("`{}:{}:{}`", cell(l.file()), l.start.line, l.start.column),
            );
            out.push_str(&format!(
                "| {icon} | {} | {at} | `{}` | {} |\n",
                f.rule_id,
                cell(&f.address),
                cell(&f.message)
            ));
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        out.push_str("**Could not check:**\n\n");
        for e in &report.errors {
            let place = match e.position() {
                Some(p) => format!("{}:{}:{}", e.name(), p.line, p.column),
                None => e.name().to_owned(),
            };
            out.push_str(&format!("- `{}` {}\n", cell(&place), cell(e.message())));
        }
        out.push('\n');
    }
    out
}
