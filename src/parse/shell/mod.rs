//! Shell scripts (`.sh`, `.bash`, `.zsh`, `.ksh`) that run the AWS CLI: each
//! `aws ec2 create-traffic-mirror-session` command line is a session, each
//! `aws ec2 modify-traffic-mirror-session` a partial one (it changes only what it names),
//! wherever the command is (a branch, a loop, a function, `ID=$(aws …)`).
//!
//! Values are literal words, variables the script sets once to a literal (see `vars`), or
//! unknown (the environment, a command's output, a loop variable): never guessed. A
//! command in a branch of an `if` or `case` exists only in that branch: two sessions in
//! different branches of one `if` never both exist. A script that cannot be read to its end
//! (a quote never closed) is an error at that place; the commands before it are checked.

mod aws;
pub(crate) mod embedded;
mod graph;
mod scan;
mod session;
mod vars;

use std::sync::Arc;

use super::Read;
use crate::model::{Format, Loc, Unit};
use crate::source::{SourceFile, Span};

/// Whether a file name is a shell script mirrorguard reads.
pub(crate) fn is_script(name: &str) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    ["sh", "bash", "zsh", "ksh"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

/// Whether a script could run a traffic mirror command: it names one, also when quotes or
/// `\`-continued lines cut the name (`create-traffic-mirror-"session"`).
pub(crate) fn could_declare(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, NAME).is_some() || named_when_joined(bytes)
}

/// The name of the traffic mirror commands.
const NAME: &[u8] = b"traffic-mirror";

/// Whether [`NAME`] appears once quotes and `\`-continued lines are taken out
/// (`create-traffic-"mirror"-session`).
pub(crate) fn named_when_joined(bytes: &[u8]) -> bool {
    if memchr::memmem::find(bytes, b"mirror").is_none() {
        return false;
    }
    let mut joined = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'\\' => {
                // A continued line goes on without its break.
                if bytes.get(i) == Some(&b'\r') {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\'' | b'"' => {}
            _ => joined.push(b),
        }
    }
    memchr::memmem::find(&joined, NAME).is_some()
}

/// Reads a script into a unit of the sessions and mirror graph its commands declare
/// (`None` when it runs no such command and can be read to its end).
pub(crate) fn read(source: &Arc<SourceFile>) -> Read {
    read_text(source, &source.text)
}

/// Reads `text`, the script of `source` as the shell sees it (the file's own text, or for
/// commands inside YAML the file with everything else blanked: see `embedded`).
fn read_text(source: &Arc<SourceFile>, text: &str) -> Read {
    let script = scan::scan(text);
    let calls: Vec<(&scan::Command, aws::Call<'_>)> = script
        .commands
        .iter()
        .filter_map(|c| Some((c, aws::call(c)?)))
        .collect();
    // Each command is numbered per operation; what one creates is named by that number.
    let mut counts = std::collections::HashMap::new();
    let numbered: Vec<String> = calls
        .iter()
        .map(|(_, call)| {
            let n = counts.entry(call.operation.name()).or_insert(0usize);
            *n += 1;
            format!("{} #{n}", call.operation.name())
        })
        .collect();
    let created: std::collections::HashMap<Span, String> = calls
        .iter()
        .zip(&numbered)
        .filter(|((_, call), _)| call.operation.creates())
        .filter_map(|((c, _), address)| Some((c.inside?, vars::created_by(address))))
        .collect();
    let vars = vars::Variables::of(text, &script.commands, &created);
    let mut unit = Unit::new(Format::AwsCli, source.display.clone(), vec![source.clone()]);
    for ((command, call), address) in calls.iter().zip(&numbered) {
        for items in copies(&script, command, text) {
            let mut named = address.clone();
            if !items.is_empty() {
                let keys: Vec<&str> = items.iter().map(|i| i.word.text.as_str()).collect();
                named = format!("{named}[{}]", keys.join(","));
            }
            let identity = vars::created_by(&named);
            match call.operation {
                aws::Operation::CreateSession | aws::Operation::ModifySession => {
                    unit.push_session(session::session(command, call, named, &vars, &items));
                }
                _ => {
                    if let Some(r) =
                        graph::resource(command, call, named, identity.clone(), &vars, &items)
                    {
                        unit.created.insert(identity);
                        unit.resources.push(r);
                    }
                }
            }
        }
    }
    graph::network_services(&mut unit.resources, &calls, &vars);
    graph::leaving_filters(&mut unit.resources, &script, &calls, &vars, text);
    if let Some((at, why)) = script.error {
        unit.errors.push((
            Loc {
                file: 0,
                span: Span::new(at, at),
            },
            format!("the script cannot be read past this point: {why}; commands after it are not checked"),
        ));
    }
    let declares = !unit.sessions.is_empty() || !unit.resources.is_empty();
    Read {
        unit: (declares || !unit.errors.is_empty()).then_some(unit),
        errors: Vec::new(),
    }
}

/// Most copies of one command its `for` loops expand to; a command in loops over more items
/// is read once, its loop variables unknown.
const MAX_COPIES: usize = 1_000;

/// The copies of a command its `for` loops make: one per item of each loop over literal
/// words whose variable the command uses and that nothing in the loop sets again (`for eni in
/// eni-a eni-b; do aws … --network-interface-id "$eni"`), none for a loop over no words, and
/// one copy with nothing bound otherwise.
fn copies<'a>(
    script: &'a scan::Script,
    command: &scan::Command,
    text: &str,
) -> Vec<Vec<vars::Item<'a>>> {
    let mut out: Vec<Vec<vars::Item<'a>>> = vec![Vec::new()];
    for l in command.loops.iter().filter_map(|&i| script.loops.get(i)) {
        let used = command
            .words
            .iter()
            .any(|w| w.variable.as_deref() == Some(l.name.as_str()));
        let Some(items) = l
            .items
            .as_ref()
            .filter(|items| items.iter().all(|w| w.dynamic.is_none()))
        else {
            continue;
        };
        let body = text.get(l.body.start..l.body.end).unwrap_or("");
        if !used || vars::occurrences(body, &l.name) > 0 {
            continue;
        }
        if out.len().saturating_mul(items.len()) > MAX_COPIES {
            return vec![Vec::new()];
        }
        out = out
            .iter()
            .flat_map(|bound| {
                items.iter().map(move |word| {
                    let mut next = bound.clone();
                    next.push(vars::Item {
                        name: &l.name,
                        word,
                        line: l.line,
                    });
                    next
                })
            })
            .collect();
    }
    out
}

/// Where the comments of a script are.
pub(crate) fn comment_spans(text: &str) -> Vec<Span> {
    scan::scan(text).comments
}

#[cfg(test)]
mod tests;
