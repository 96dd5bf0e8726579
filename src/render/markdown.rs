//! A Markdown summary, for a GitHub job summary (`$GITHUB_STEP_SUMMARY`) or a PR comment:
//! the summary line, then the open findings grouped per rule in collapsible sections, each
//! linked to its line when a link base is given (`https://github.com/o/r/blob/<sha>`). The
//! text stays under GitHub's 1 MiB summary limit: findings past the limit are counted, not
//! listed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::{Finding, Report, Severity};
use crate::rules::RuleSet;

/// GitHub refuses a job summary over 1 MiB; leave room for what the Action appends.
pub(crate) const MAX_SUMMARY_BYTES: usize = 1_000_000;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    }
}

fn place(f: &Finding, link_base: Option<&str>) -> String {
    match (&f.location, link_base) {
        (Some(l), Some(base)) => format!(
            "[`{}:{}`]({}/{}#L{})",
            cell(l.file()),
            l.start.line,
            base.trim_end_matches('/'),
            l.file(),
            l.start.line
        ),
        (Some(l), None) => format!("`{}:{}:{}`", cell(l.file()), l.start.line, l.start.column),
        (None, _) => "live".to_owned(),
    }
}

/// Renders a report as Markdown.
pub(crate) fn render(
    report: &Report,
    rules: &RuleSet,
    title: &str,
    link_base: Option<&str>,
) -> String {
    let mut out = format!(
        "### {title}\n\n{}\n\n",
        crate::render::human::summary(report)
    );
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.suppression.is_none()) {
        by_rule.entry(f.rule_id.as_str()).or_default().push(f);
    }
    let mut left_out = 0usize;
    for (id, findings) in &by_rule {
        let name = rules.find_meta(id).map_or("", |m| m.title.as_str());
        let severity = findings.first().map_or(Severity::Note, |f| f.severity);
        let mut section = format!(
            "<details><summary>{} <b>{id}</b> {} ({})</summary>\n\n| Location | Resource | Finding |\n|---|---|---|\n",
            icon(severity),
            cell(name),
            findings.len()
        );
        let mut shown = 0usize;
        for f in findings {
            let row = format!(
                "| {} | `{}` | {} |\n",
                place(f, link_base),
                cell(&f.address),
                cell(&f.message)
            );
            if out.len() + section.len() + row.len() + 64 > MAX_SUMMARY_BYTES {
                break;
            }
            section.push_str(&row);
            shown += 1;
        }
        left_out += findings.len() - shown;
        section.push_str("\n</details>\n\n");
        if shown > 0 {
            out.push_str(&section);
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "{left_out} more findings are not listed here (GitHub's summary limit); see the SARIF or JSON report.\n"
        );
    }
    if !report.errors.is_empty() {
        out.push_str("**Could not check:**\n\n");
        for e in &report.errors {
            let place = match e.position() {
                Some(p) => format!("{}:{}:{}", e.name(), p.line, p.column),
                None => e.name().to_owned(),
            };
            let line = format!("- `{}` {}\n", cell(&place), cell(e.message()));
            if out.len() + line.len() > MAX_SUMMARY_BYTES {
                break;
            }
            out.push_str(&line);
        }
        out.push('\n');
    }
    graphs(report, &mut out);
    out
}

/// GitHub renders Mermaid up to this many characters per diagram (its `maxTextSize`).
const MAX_MERMAID_BYTES: usize = 50_000;
/// ... and up to this many edges (its `maxEdges`).
const MAX_MERMAID_EDGES: usize = 500;

/// The Mermaid drawing of every unit with findings, as long as the summary has room; a
/// drawing GitHub would refuse to render is named instead.
fn graphs(report: &Report, out: &mut String) {
    let with_findings: Vec<_> = report
        .topologies
        .iter()
        .filter(|t| t.has_findings())
        .collect();
    if with_findings.is_empty() {
        return;
    }
    out.push_str("#### Mirror graph\n\nSources → sessions → targets of each template or module with findings (red: a finding, dashed: a value not known before deployment).\n\n");
    let mut left_out = Vec::new();
    for t in with_findings {
        let drawing = crate::render::graph::mermaid_one(t);
        if drawing.len() > MAX_MERMAID_BYTES || t.edges.len() > MAX_MERMAID_EDGES {
            left_out.push(format!("`{}` (too large to draw here)", cell(&t.unit)));
            continue;
        }
        let block = format!(
            "<details><summary>{}</summary>\n\n```mermaid\n{drawing}```\n\n</details>\n\n",
            cell(&t.unit)
        );
        if out.len() + block.len() + 256 > MAX_SUMMARY_BYTES {
            left_out.push(format!("`{}`", cell(&t.unit)));
            continue;
        }
        out.push_str(&block);
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "Not drawn: {}; run `mirrorguard graph` for the full drawing.\n",
            left_out.join(", ")
        );
    }
}
