//! Finding and reading the files to check.
//!
//! Files are found with the `ignore` crate (honouring `.gitignore`); files named on the
//! command line are always included. A Terraform file brings its folder's module with it,
//! and a stackql-deploy manifest its `resources/` query files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::jobs::ModuleLoader;
use crate::error::FileError;
use crate::parse::{Kind, kind_of};
use crate::source::SourceFile;

/// Files larger than this are reported instead of read (CloudFormation's own limit is 1 MB).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Finds the files to check under `paths` (files named explicitly are always included).
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            files.push(root.clone());
            // A Terraform file is part of its folder's module: the siblings give its context
            // (variables, locals, other resources), as when pre-commit passes one file.
            if matches!(kind_of(root), Some(Kind::Terraform | Kind::TfVars)) {
                let dir = root
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or_else(|| Path::new("."));
                files.extend(siblings(dir, |k| {
                    matches!(k, Kind::Terraform | Kind::TfVars)
                }));
            }
            continue;
        }
        if !root.exists() {
            errors.push(FileError::whole_file(
                display_path(root),
                "no such file or directory",
            ));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) && kind_of(e.path()).is_some() {
                        files.push(e.into_path());
                    }
                }
                Err(e) => errors.push(FileError::whole_file(display_path(root), e.to_string())),
            }
        }
    }
    // A manifest's query files live in its resources/ folder, even when only the manifest
    // was named on the command line.
    let manifests: Vec<PathBuf> = files
        .iter()
        .filter(|f| kind_of(f) == Some(Kind::Manifest))
        .cloned()
        .collect();
    for m in manifests {
        let resources = m
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("resources");
        files.extend(siblings(&resources, |k| k == Kind::Query));
    }
    // One spelling per file (`./main.tf` and `main.tf` are the same file, in the same module).
    for f in &mut files {
        if let Ok(stripped) = f.strip_prefix(".")
            && !stripped.as_os_str().is_empty()
        {
            *f = stripped.to_path_buf();
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// The files of a folder (not recursive) whose kind passes `keep`.
fn siblings(dir: &Path, keep: impl Fn(Kind) -> bool) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && kind_of(p).is_some_and(&keep))
        .collect()
}

/// The path shown in reports: relative to the working directory when under it, `/`-separated.
pub fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let abs = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            abs.strip_prefix(&cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Reads a file, refusing huge and non-UTF-8 files with a clear error.
pub fn read_source(path: &Path) -> Result<SourceFile, FileError> {
    let display = display_path(path);
    let meta = std::fs::metadata(path)
        .map_err(|e| FileError::whole_file(display.clone(), format!("cannot read: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileError::whole_file(
            display,
            format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES}-byte limit",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| FileError::whole_file(display.clone(), format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        FileError::whole_file(
            display.clone(),
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    Ok(SourceFile::new(
        path.to_path_buf(),
        display,
        Arc::from(text),
    ))
}

/// The repository a run checks: the nearest folder at or above the first input that holds
/// `.git`, else the working folder. Module calls are followed only inside it.
pub fn repo_root(paths: &[PathBuf]) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let start = paths
        .first()
        .map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            }
        })
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| cwd.clone());
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map_or(cwd, Path::to_path_buf)
}

/// Reads Terraform folders that module calls lead to, only inside the repository.
pub(crate) struct DiskLoader {
    root: Option<PathBuf>,
}

impl DiskLoader {
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.canonicalize().ok(),
        }
    }

    /// The folder when it is a real folder inside the repository (symlinks resolved).
    fn inside(&self, dir: &str) -> Option<PathBuf> {
        let real = Path::new(dir).canonicalize().ok()?;
        let root = self.root.as_ref()?;
        (real.starts_with(root) && real.is_dir()).then_some(real)
    }
}

/// Most bytes of a `modules.json` read.
const MAX_MODULES_JSON: u64 = 4 * 1024 * 1024;

impl ModuleLoader for DiskLoader {
    fn load(&self, dir: &str) -> Option<Vec<Arc<SourceFile>>> {
        self.inside(dir)?;
        let mut files: Vec<PathBuf> = siblings(Path::new(dir), |k| k == Kind::Terraform);
        files.sort();
        let sources: Vec<Arc<SourceFile>> = files
            .iter()
            .filter_map(|p| read_source(p).ok())
            .map(Arc::new)
            .collect();
        (!sources.is_empty()).then_some(sources)
    }

    fn registry(&self, root: &str) -> Vec<(String, String)> {
        let path = Path::new(root).join(".terraform/modules/modules.json");
        if self.inside(root).is_none()
            || std::fs::metadata(&path).map_or(true, |m| !m.is_file() || m.len() > MAX_MODULES_JSON)
        {
            return Vec::new();
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Vec::new();
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Vec::new();
        };
        doc.get("Modules")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let key = m.get("Key")?.as_str()?;
                let dir = m.get("Dir")?.as_str()?;
                (!key.is_empty()).then(|| (key.to_owned(), dir.to_owned()))
            })
            .collect()
    }
}
