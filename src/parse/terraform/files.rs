//! `file()` and `path.module` / `path.root`: settings a module keeps in a YAML or JSON file
//! beside it (`jsondecode(file("${path.module}/sessions.json"))`, the decoding with the
//! other functions in `functions`) are read and checked.
//!
//! `file()` reads only a YAML or JSON file inside the repository, through the run's
//! [`DataFiles`]: once, when first asked, as discovery reads files (symbolic links resolved,
//! regular files under the size limit, UTF-8). Any other path (another kind of file, outside
//! the repository, absolute, not a regular file, not there) is an unknown value that says
//! why, never a read of the file system.

use std::sync::Arc;

use serde_json::Value as Json;

use super::eval::{Ev, Evaluator};
use super::modules::normalize;
use crate::model::Origin;
use crate::source::SourceFile;

/// The YAML and JSON files of a run that `file()` may read, by normalized path
/// (`modules/m/sessions.json`); the run reads them when first asked, within its limits.
pub(crate) trait DataFiles: Send + Sync + std::fmt::Debug {
    /// The file at `path`, or why it cannot be read.
    fn read(&self, path: &str) -> Result<Arc<SourceFile>, String>;
}

impl Evaluator<'_, '_> {
    /// `path.module` (the module's folder, relative to the root module's, as Terraform
    /// gives it) and `path.root` (`.`); `None` for any other name.
    pub(crate) fn path_value(&self, attr: &str) -> Option<Json> {
        let index = self.index();
        index.data?;
        match attr {
            "root" => Some(Json::String(".".into())),
            "module" => Some(Json::String(relative(&index.root_dir, &index.dir))),
            _ => None,
        }
    }

    /// The text of `path` (relative to the root module's folder), for `file()`.
    pub(crate) fn read_file(&self, path: &str) -> Ev {
        let index = self.index();
        let Some(data) = index.data else {
            return Ev::unknown("file() is not read here");
        };
        if path.starts_with('/') || path.starts_with('~') || path.contains(':') {
            return Ev::unknown(format!(
                "file(\"{path}\") reads outside the repository; mirrorguard does not"
            ));
        }
        let full = normalize(&format!("{}/{path}", index.root_dir));
        match data.read(&full) {
            Ok(src) => {
                let mut ev = Ev::known(Json::String(src.text.to_string()));
                ev.origin = Some(Origin::outside(format!("read from {}", src.display)));
                ev
            }
            Err(why) => Ev::unknown(format!("file(\"{path}\") is not read: {why}")),
        }
    }
}

/// `to`, relative to `from` (both normalized, `/`-separated, relative to the same folder).
fn relative(from: &str, to: &str) -> String {
    let parts = |p: &str| -> Vec<String> {
        if p == "." {
            Vec::new()
        } else {
            p.split('/').map(str::to_owned).collect()
        }
    };
    let (from, to) = (parts(from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(to[common..].iter().map(String::as_str));
    if out.is_empty() {
        ".".to_owned()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn path_module_is_relative_to_the_root_module() {
        assert_eq!(relative(".", "."), ".");
        assert_eq!(relative(".", "modules/m"), "modules/m");
        assert_eq!(relative("envs/prod", "modules/m"), "../../modules/m");
        assert_eq!(relative("envs/prod", "envs/prod"), ".");
        assert_eq!(relative("envs/prod", "envs/prod/sub"), "sub");
    }
}
