//! `check --fix` and `check --diff`: applies the fixes findings carry, pass after pass.
//!
//! Each pass applies every applicable fix whose edits touch bytes no other fix of the pass
//! touches (the others wait for the next pass, after a fresh check, as ruff does), then
//! the files are checked again. A file that changed on disk since it was read is not
//! written. `--diff` runs exactly the same passes on in-memory copies and prints the
//! difference; nothing is written.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{CheckError, FileError};
use crate::report::{Applicability, Edit, Report};

/// Most passes before giving up (fixes that keep producing fixes).
const MAX_PASSES: usize = 10;

/// What a fixing run did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// The last report (of what is left).
    pub report: Report,
    /// Fixes applied.
    pub applied: usize,
    /// Per file changed: (shown name, text before, text after).
    pub changed: BTreeMap<PathBuf, (String, Arc<str>, Arc<str>)>,
}

/// Runs `check` and applies fixes until none applies; `write` false keeps them in memory.
pub fn fix_until_clean(check: &dyn Fn() -> Report, unsafe_fixes: bool, write: bool) -> FixOutcome {
    let mut out = FixOutcome::default();
    let mut errors: Vec<CheckError> = Vec::new();
    for _ in 0..MAX_PASSES {
        let report = check();
        let mut by_file: BTreeMap<PathBuf, Vec<&Edit>> = BTreeMap::new();
        let mut taken: BTreeMap<PathBuf, Vec<(usize, usize)>> = BTreeMap::new();
        let mut applied_now = 0usize;
        for f in report.findings.iter().filter(|f| f.suppression.is_none()) {
            let Some(fix) = &f.fix else { continue };
            let allowed = match fix.applicability {
                Applicability::Safe => true,
                Applicability::Unsafe => unsafe_fixes,
                Applicability::DisplayOnly => false,
            };
            if !allowed || fix.edits.is_empty() {
                continue;
            }
            // A fix is applied whole or not at all in this pass.
            let clashes = fix.edits.iter().any(|e| {
                let path = &e.location.source.path;
                let (a, b) = (e.location.span.start, e.location.span.end);
                taken.get(path).is_some_and(|spans| {
                    spans.iter().any(|&(s, t)| {
                        a < t && s < b
                            || (a == b && s <= a && a <= t)
                            || (s == t && a <= s && s <= b)
                    })
                })
            });
            if clashes {
                continue;
            }
            for e in &fix.edits {
                let path = e.location.source.path.clone();
                taken
                    .entry(path.clone())
                    .or_default()
                    .push((e.location.span.start, e.location.span.end));
                by_file.entry(path).or_default().push(e);
            }
            applied_now += 1;
        }
        if by_file.is_empty() {
            out.report = report;
            break;
        }
        let mut wrote = false;
        for (path, mut edits) in by_file {
            let Some(first) = edits.first() else { continue };
            let source = first.location.source.clone();
            edits.sort_by_key(|e| (e.location.span.start, e.location.span.end));
            let mut text = String::with_capacity(source.text.len());
            let mut at = 0;
            for e in &edits {
                let (s, t) = (e.location.span.start, e.location.span.end);
                text.push_str(source.text.get(at..s).unwrap_or(""));
                text.push_str(&e.replacement);
                at = t;
            }
            text.push_str(source.text.get(at..).unwrap_or(""));
            match store(&path, &source.text, &text, write) {
                Ok(()) => {
                    wrote = true;
                    let entry = out.changed.entry(path.clone()).or_insert_with(|| {
                        (
                            source.display.clone(),
                            source.text.clone(),
                            source.text.clone(),
                        )
                    });
                    entry.2 = Arc::from(text.as_str());
                }
                Err(e) => errors.push(e.into()),
            }
        }
        out.applied += applied_now;
        out.report = report;
        if !wrote {
            break;
        }
    }
    // The report describes what is left: a final check after the last pass.
    if out.applied > 0 {
        out.report = check();
    }
    out.report.errors.extend(errors);
    out
}

/// Writes a fixed file (or keeps it in memory for `--diff`); refuses a file that changed
/// since it was read.
fn store(path: &std::path::Path, read: &str, fixed: &str, write: bool) -> Result<(), FileError> {
    let display = super::discover::display_path(path);
    if !write {
        super::discover::overlay_set(path, Arc::from(fixed));
        return Ok(());
    }
    let now = std::fs::read(path).map_err(|e| {
        FileError::whole_file(
            display.clone(),
            format!("not fixed: cannot read it again: {e}"),
        )
    })?;
    let bom = now.starts_with(b"\xef\xbb\xbf");
    let body = if bom { &now[3..] } else { &now[..] };
    if body != read.as_bytes() {
        return Err(FileError::whole_file(
            display,
            "not fixed: the file changed on disk since it was read",
        ));
    }
    let mut bytes = Vec::with_capacity(fixed.len() + 3);
    if bom {
        bytes.extend_from_slice(b"\xef\xbb\xbf");
    }
    bytes.extend_from_slice(fixed.as_bytes());
    let tmp = path.with_extension(format!(
        "{}.mirrorguard-fix",
        path.extension().and_then(|e| e.to_str()).unwrap_or("tmp")
    ));
    std::fs::write(&tmp, &bytes)
        .and_then(|()| {
            if let Ok(meta) = std::fs::metadata(path) {
                let _ = std::fs::set_permissions(&tmp, meta.permissions());
            }
            std::fs::rename(&tmp, path)
        })
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            FileError::whole_file(display, format!("not fixed: cannot write: {e}"))
        })
}

/// A unified diff of every changed file, in path order.
pub fn unified_diff(changed: &BTreeMap<PathBuf, (String, Arc<str>, Arc<str>)>) -> String {
    let mut out = String::new();
    for (name, before, after) in changed.values() {
        if before == after {
            continue;
        }
        let diff = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// Forgets the in-memory changes of a `--diff` run.
pub fn discard_in_memory_changes() {
    super::discover::overlay_clear();
}
