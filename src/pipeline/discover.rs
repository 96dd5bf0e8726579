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

/// A file to check, and whether the user named it on the command line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The path.
    pub path: PathBuf,
    /// Named on the command line.
    pub named: bool,
}

/// Finds the files to check under `paths`. Files named explicitly are always included
/// (when a named path is neither a file nor a folder, a FIFO say, that is an error). In
/// folders, a symbolic link is followed only when it leads to a file inside `root`;
/// otherwise it is reported, never silently skipped.
pub fn discover(paths: &[PathBuf], root: &Path) -> (Vec<Found>, Vec<FileError>) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut files: Vec<Found> = Vec::new();
    let mut errors = Vec::new();
    let found = |path: PathBuf, named: bool| Found { path, named };
    for start in paths {
        let meta = std::fs::metadata(start);
        if meta.as_ref().is_ok_and(std::fs::Metadata::is_file) {
            files.push(found(start.clone(), true));
            // A Terraform file is part of its folder's module: the siblings give its context
            // (variables, locals, other resources), as when pre-commit passes one file.
            if matches!(kind_of(start), Some(Kind::Terraform | Kind::TfVars)) {
                let dir = start
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or_else(|| Path::new("."));
                files.extend(
                    siblings(dir, |k| matches!(k, Kind::Terraform | Kind::TfVars))
                        .into_iter()
                        .map(|p| found(p, false)),
                );
            }
            continue;
        }
        match meta {
            Err(_) => {
                errors.push(FileError::whole_file(
                    display_path(start),
                    "no such file or directory",
                ));
                continue;
            }
            Ok(m) if !m.is_dir() => {
                errors.push(FileError::whole_file(
                    display_path(start),
                    "not a regular file or folder (a FIFO, socket or device): not read",
                ));
                continue;
            }
            Ok(_) => {}
        }
        // The repository's ignore files, never the user's global one (`core.excludesFile`):
        // what a run checks must not depend on who runs it. (Reading Git's configuration for
        // it also cost a sixth of a run in an empty folder.)
        let walker = ignore::WalkBuilder::new(start)
            .require_git(false)
            .git_global(false)
            .follow_links(false)
            .hidden(false)
            .filter_entry(|e| {
                e.depth() == 0 || !is_hidden(e.file_name()) || is_ci_config(e.file_name())
            })
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    let Some(t) = e.file_type() else { continue };
                    if kind_of(e.path()).is_none() {
                        continue;
                    }
                    if t.is_file() {
                        files.push(found(e.into_path(), false));
                    } else if t.is_symlink() {
                        match e.path().canonicalize() {
                            Ok(real) if real.starts_with(&root) && real.is_file() => {
                                files.push(found(e.into_path(), false));
                            }
                            Ok(real) if !real.starts_with(&root) => {
                                errors.push(FileError::whole_file(
                                    display_path(e.path()),
                                    "a symbolic link that leads outside the repository: not read",
                                ))
                            }
                            _ => errors.push(FileError::whole_file(
                                display_path(e.path()),
                                "a symbolic link that does not lead to a file: not read",
                            )),
                        }
                    } else if !t.is_dir() {
                        errors.push(FileError::whole_file(
                            display_path(e.path()),
                            "not a regular file (a FIFO, socket or device): not read",
                        ));
                    }
                }
                Err(e) => errors.push(FileError::whole_file(display_path(start), e.to_string())),
            }
        }
    }
    // A manifest's query files live in its resources/ folder, even when only the manifest
    // was named on the command line.
    let manifests: Vec<PathBuf> = files
        .iter()
        .filter(|f| kind_of(&f.path) == Some(Kind::Manifest))
        .map(|f| f.path.clone())
        .collect();
    for m in manifests {
        let resources = m
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("resources");
        files.extend(
            siblings(&resources, |k| k == Kind::Query)
                .into_iter()
                .map(|p| found(p, false)),
        );
    }
    // One spelling per file (`./main.tf` and `main.tf` are the same file, in the same module).
    for f in &mut files {
        if let Ok(stripped) = f.path.strip_prefix(".")
            && !stripped.as_os_str().is_empty()
        {
            f.path = stripped.to_path_buf();
        }
    }
    // Sorted by path, a named spelling first, then one entry per path.
    files.sort_by(|a, b| (&a.path, !a.named).cmp(&(&b.path, !b.named)));
    files.dedup_by(|a, b| a.path == b.path);
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

/// The folder reported paths are relative to (see [`set_report_root`]).
static REPORT_ROOT: std::sync::RwLock<Option<PathBuf>> = std::sync::RwLock::new(None);

/// Sets the folder every reported path is relative to: the repository root, so that paths,
/// SARIF URIs, fingerprints and baselines are the same from whatever folder mirrorguard
/// runs. One value per process (the command line sets it once); the working folder when
/// never set.
pub fn set_report_root(root: &Path) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if let Ok(mut r) = REPORT_ROOT.write() {
        *r = Some(root);
    }
}

/// The folder reported paths are relative to.
pub fn report_root() -> PathBuf {
    REPORT_ROOT
        .read()
        .ok()
        .and_then(|r| r.clone())
        .unwrap_or_else(working_dir)
}

/// Lexically normalized (no `.`, no `..` after a name), `/`-separated.
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The path shown in reports: relative to the report root (the repository) when under it,
/// `/`-separated and normalized; otherwise the absolute path.
pub fn display_path(path: &Path) -> String {
    let root = report_root();
    let cwd = working_dir();
    let abs = normalized(&if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    });
    // Compare real locations (a symlinked temp folder, a bind mount), keep the file name.
    let real = match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => real_dir(dir).map_or_else(|| abs.clone(), |d| d.join(name)),
        _ => abs.clone(),
    };
    let shown = real
        .strip_prefix(&root)
        .or_else(|_| abs.strip_prefix(&root))
        .map(Path::to_path_buf)
        .unwrap_or(abs);
    let s = shown.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_owned() } else { s }
}

/// The working folder, asked of the system once: every file read asks for its reported path.
fn working_dir() -> PathBuf {
    static CWD: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
        .clone()
}

/// The real location of an absolute folder, remembered for the rest of the process: the files
/// of a repository share a few folders, and resolving one costs a system call for each part
/// of its path (on 1,000 files, most of the time spent on a file that names no mirror
/// resource). A folder that cannot be resolved is asked again next time.
fn real_dir(dir: &Path) -> Option<PathBuf> {
    static REAL: std::sync::Mutex<std::collections::BTreeMap<PathBuf, PathBuf>> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    if let Some(real) = REAL.lock().ok().and_then(|m| m.get(dir).cloned()) {
        return Some(real);
    }
    let real = dir.canonicalize().ok()?;
    if let Ok(mut m) = REAL.lock() {
        m.insert(dir.to_path_buf(), real.clone());
    }
    Some(real)
}

/// Whether a reported path lies outside the report root (an absolute path).
pub fn is_outside_root(display: &str) -> bool {
    display.starts_with('/') || display.as_bytes().get(1) == Some(&b':')
}

/// Reads a file, refusing huge and non-UTF-8 files with a clear error.
pub fn read_source(path: &Path) -> Result<SourceFile, FileError> {
    if let Some(source) = overlaid(path) {
        return Ok(source);
    }
    read_text(path, |text| source_of(path, text))
}

/// Reads a file as [`read_source`] does, but keeps it only when `keep` accepts its text
/// (`None` otherwise). A file it refuses costs a read into a buffer the thread reuses and a
/// UTF-8 check: no copy of its text, no reported path (most files of a repository name no
/// traffic mirror resource, and a run over 1,000 of them was mostly allocating, copying and
/// freeing their texts). Errors are the same as [`read_source`]'s.
pub(crate) fn read_source_if(
    path: &Path,
    keep: impl FnOnce(&str) -> bool,
) -> Result<Option<SourceFile>, FileError> {
    if let Some(source) = overlaid(path) {
        return Ok(Some(source));
    }
    read_text(path, |text| keep(text).then(|| source_of(path, text)))
}

/// Whether a file or folder name is hidden (`.terraform`, `.git`, `.aws-sam`): tools' caches
/// and build output, copies of what the repository declares, never walked into.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// The hidden names that hold CI pipelines, which may run the AWS CLI: walked like any other.
fn is_ci_config(name: &std::ffi::OsStr) -> bool {
    matches!(
        name.to_str(),
        Some(".github" | ".gitlab" | ".gitlab-ci.yml" | ".circleci" | ".buildkite" | ".travis.yml")
    )
}

/// Reads a shell script when it could run a traffic mirror command
/// (`parse::shell::could_declare`): others are not parsed, and one that is not UTF-8 (an
/// installer with a binary payload) is an error only when it names such a command.
pub(crate) fn read_script(path: &Path) -> Result<Option<SourceFile>, FileError> {
    if let Some(source) = overlaid(path) {
        return Ok(Some(source));
    }
    read_bytes(path, |bytes| {
        if !crate::parse::shell::could_declare(bytes) {
            return Ok(None);
        }
        Ok(Some(source_of(path, text_of(path, bytes)?)))
    })?
}

/// `check --diff` fixes files in memory: what it has "written" is read instead of the file.
fn overlaid(path: &Path) -> Option<SourceFile> {
    overlay_get(path).map(|text| SourceFile::new(path.to_path_buf(), display_path(path), text))
}

/// The source file `path` holding a copy of `text`.
fn source_of(path: &Path, text: &str) -> SourceFile {
    SourceFile::new(path.to_path_buf(), display_path(path), Arc::from(text))
}

/// A read buffer kept larger than this is given back after the read that grew it: a huge
/// file does not hold memory for the rest of the run.
const KEPT_BUFFER_BYTES: usize = 1024 * 1024;

/// Reads a file (see [`read_bytes`]) and hands its text (valid UTF-8, without a leading
/// byte-order mark) to `with`.
fn read_text<R>(path: &Path, with: impl FnOnce(&str) -> R) -> Result<R, FileError> {
    read_bytes(path, |bytes| text_of(path, bytes).map(with))?
}

/// The text of a file's bytes: valid UTF-8, without its leading byte-order mark.
fn text_of<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str, FileError> {
    std::str::from_utf8(bytes)
        .map(without_bom)
        .map_err(|e| FileError::whole_file(display_path(path), not_utf8(&e)))
}

/// Reads a file into the thread's reusable buffer and hands its bytes to `with`. The file
/// is opened once and its size taken from the open file; a file over [`MAX_FILE_BYTES`], or
/// growing past it while read, is refused.
fn read_bytes<R>(path: &Path, with: impl FnOnce(&[u8]) -> R) -> Result<R, FileError> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let cannot =
        |e: std::io::Error| FileError::whole_file(display_path(path), format!("cannot read: {e}"));
    let too_long = |size: u64| {
        FileError::whole_file(
            display_path(path),
            format!("file is {size} bytes, more than the {MAX_FILE_BYTES}-byte limit"),
        )
    };
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err(too_long(size));
    }
    BUFFER.with(|buffer| {
        let mut taken = buffer.take();
        let result = fill_limited(&mut file, size, &mut taken)
            .map_err(cannot)
            .and_then(|read| read.map_err(|n| too_long(n as u64)))
            .map(|()| with(&taken));
        taken.clear();
        if taken.capacity() <= KEPT_BUFFER_BYTES {
            buffer.replace(taken);
        }
        result
    })
}

/// What is wrong with a text that is not UTF-8.
fn not_utf8(e: &std::str::Utf8Error) -> String {
    format!(
        "not valid UTF-8 (first bad byte at offset {})",
        e.valid_up_to()
    )
}

/// A text without its leading byte-order mark, which is not part of it.
fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Reads `reader` to its end, but never more than one byte past [`MAX_FILE_BYTES`]: the
/// bytes, or how many were read when that is over the limit. `size` is the expected length.
pub(crate) fn read_limited(
    reader: impl std::io::Read,
    size: u64,
) -> std::io::Result<Result<Vec<u8>, usize>> {
    let mut bytes = Vec::new();
    Ok(fill_limited(reader, size, &mut bytes)?.map(|()| bytes))
}

/// Reads `reader` to its end into `bytes` (emptied first), never more than one byte past
/// [`MAX_FILE_BYTES`]: how many bytes were read is the error when that is over the limit.
/// `size` is the expected length.
fn fill_limited(
    reader: impl std::io::Read,
    size: u64,
    bytes: &mut Vec<u8>,
) -> std::io::Result<Result<(), usize>> {
    let capacity = size.min(MAX_FILE_BYTES).saturating_add(1);
    bytes.clear();
    bytes.reserve(usize::try_from(capacity).unwrap_or(0));
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, MAX_FILE_BYTES + 1), bytes)?;
    Ok(if bytes.len() as u64 > MAX_FILE_BYTES {
        Err(bytes.len())
    } else {
        Ok(())
    })
}

/// The source file `path` (shown as `display`) holding `bytes`: refused unless they are valid
/// UTF-8; a leading byte-order mark is not part of the text.
pub(crate) fn source_of_bytes(
    path: &Path,
    display: String,
    bytes: Vec<u8>,
) -> Result<SourceFile, FileError> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| FileError::whole_file(display.clone(), not_utf8(&e)))?;
    let text: Arc<str> = Arc::from(without_bom(text));
    Ok(SourceFile::new(path.to_path_buf(), display, text))
}

/// The repository a run checks: the nearest folder at or above the first input that holds
/// `.git`, else `fallback` (the folder of the configuration file), else the working folder.
/// Module calls are followed only inside it, and reported paths are relative to it.
pub fn repo_root(paths: &[PathBuf], fallback: Option<&Path>) -> PathBuf {
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
        .map(Path::to_path_buf)
        .or_else(|| fallback.and_then(|f| f.canonicalize().ok()))
        .unwrap_or(cwd)
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

    fn data_files(&self) -> Option<Arc<dyn crate::parse::terraform::files::DataFiles>> {
        Some(Arc::new(DiskData {
            root: self.root.clone(),
            read: std::sync::Mutex::default(),
        }))
    }
}

/// The YAML and JSON files Terraform's `file()` reads, from disk when first asked and only
/// inside the repository (symbolic links resolved first), as discovery reads files: regular
/// files under the size limit, valid UTF-8. Each file is read once per run.
#[derive(Debug)]
pub(crate) struct DiskData {
    root: Option<PathBuf>,
    read: std::sync::Mutex<std::collections::BTreeMap<String, Result<Arc<SourceFile>, String>>>,
}

impl DiskData {
    fn read_now(&self, path: &str) -> Result<Arc<SourceFile>, String> {
        if kind_of(Path::new(path)) != Some(Kind::Document) {
            return Err("only YAML and JSON files are read".into());
        }
        let real = Path::new(path)
            .canonicalize()
            .map_err(|_| "there is no such file".to_owned())?;
        if !self.root.as_ref().is_some_and(|r| real.starts_with(r)) {
            return Err("it is outside the repository".into());
        }
        if !real.is_file() {
            return Err("it is not a regular file".into());
        }
        read_source(&real).map(Arc::new).map_err(|e| e.message)
    }
}

impl crate::parse::terraform::files::DataFiles for DiskData {
    fn read(&self, path: &str) -> Result<Arc<SourceFile>, String> {
        if let Ok(done) = self.read.lock()
            && let Some(r) = done.get(path)
        {
            return r.clone();
        }
        let r = self.read_now(path);
        if let Ok(mut done) = self.read.lock() {
            done.insert(path.to_owned(), r.clone());
        }
        r
    }
}

/// Files changed in memory only (`check --diff`), by the path they are read with.
static OVERLAY: std::sync::OnceLock<
    std::sync::RwLock<std::collections::BTreeMap<PathBuf, Arc<str>>>,
> = std::sync::OnceLock::new();

fn overlay() -> &'static std::sync::RwLock<std::collections::BTreeMap<PathBuf, Arc<str>>> {
    OVERLAY.get_or_init(Default::default)
}

fn overlay_get(path: &Path) -> Option<Arc<str>> {
    overlay().read().ok()?.get(path).cloned()
}

/// Reads `path` as `text` from now on (in this process), without touching the disk.
pub(crate) fn overlay_set(path: &Path, text: Arc<str>) {
    if let Ok(mut o) = overlay().write() {
        o.insert(path.to_path_buf(), text);
    }
}

/// Forgets every in-memory change.
pub(crate) fn overlay_clear() {
    if let Ok(mut o) = overlay().write() {
        o.clear();
    }
}
