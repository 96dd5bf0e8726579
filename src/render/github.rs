//! GitHub workflow commands: one `::error`/`::warning`/`::notice` line per open finding,
//! which GitHub shows as annotations on the pull request's lines without code scanning
//! (private repositories without Advanced Security, pull requests from forks).
//!
//! `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=MG005 title::message`.
//! Property values escape `%`, CR, LF, `:` and `,`; the message escapes `%`, CR and LF.

use crate::error::CheckError;
use crate::report::{Report, Severity};
use crate::rules::RuleSet;

/// Escapes a command's message.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders a report as workflow commands, then the summary line.
pub(crate) fn render(report: &Report, rules: &RuleSet) -> String {
    let mut out = String::new();
    for f in report.findings.iter().filter(|f| f.suppression.is_none()) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let title = rules.find_meta(&f.rule_id).map_or_else(
            || f.rule_id.clone(),
            |m| format!("{} {}", f.rule_id, m.title),
        );
        let mut props = Vec::new();
        if let Some(l) = &f.location {
            props.push(format!("file={}", escape_property(l.file())));
            props.push(format!("line={}", l.start.line));
            props.push(format!("col={}", l.start.column));
            props.push(format!("endLine={}", l.end.line));
            props.push(format!("endColumn={}", l.end.column));
        }
        props.push(format!("title={}", escape_property(&title)));
        let message = if f.address.is_empty() {
            f.message.clone()
        } else {
            format!("{}: {}", f.address, f.message)
        };
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    for e in &report.errors {
        let mut props = vec![format!(
            "title={}",
            escape_property("mirrorguard could not check this")
        )];
        if let CheckError::File(f) = e {
            props.insert(0, format!("file={}", escape_property(&f.file)));
            if let Some(p) = f.position {
                props.insert(1, format!("line={}", p.line));
                props.insert(2, format!("col={}", p.column));
            }
        }
        let message = match e {
            CheckError::File(f) => f.message.clone(),
            CheckError::Run(r) => format!("{}: {}", r.name, r.message),
        };
        out.push_str(&format!(
            "::error {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    out.push_str(&crate::render::human::summary(report));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_syntax() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
