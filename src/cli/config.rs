//! `.mirrorguard.toml`: project settings, found from the working directory upward or named
//! with `--config`. The command line wins over the file, the file over the defaults; lists
//! (rule folders, variable and parameter files) from the file come first and command-line
//! entries after them, so that later ones win where order matters. Relative paths in the
//! file are relative to the file's folder.
//!
//! ```toml
//! fail_on = "warning"                 # error | warning | note | never
//! rules = ["policies"]                # extra rule folders
//! exclude = ["legacy/**", "**/*.generated.yaml"]
//! disable = ["MG011"]
//! region = "cn-hangzhou"
//!
//! [severity]
//! MG010 = "error"
//!
//! [cloudformation]
//! parameter_files = ["params/prod.json"]
//! parameters = { Environment = "prod" }
//!
//! [terraform]
//! var_files = ["prod.tfvars"]
//!
//! [stackql]
//! stack_env = "prd"
//! vars = { AWS_REGION = "eu-west-1" }
//!
//! [[drift.scope]]                     # `mirrorguard drift` with no paths runs every scope
//! paths = ["stacks/prod"]
//! account = "111111111111"
//! regions = ["eu-west-1", "us-east-1"]
//!
//! [[ignore]]                          # an external suppression: a reason is required
//! id = "MG010"
//! path = "vendor/**"
//! resource = "LegacySession"         # optional
//! reason = "vendored templates use documentation placeholders"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checks::suppress::IgnoreEntry;
use crate::error::AppError;

/// The file name looked for.
pub const FILE_NAME: &str = ".mirrorguard.toml";

/// A parsed configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Lowest severity that fails the check.
    pub fail_on: Option<String>,
    /// Extra rule folders.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Globs of paths not to check (relative to the config file's folder).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rule ids not to run.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Severity per rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Default region for provider configurations without one.
    pub region: Option<String>,
    /// CloudFormation settings.
    #[serde(default)]
    pub cloudformation: CloudFormationConfig,
    /// Terraform settings.
    #[serde(default)]
    pub terraform: TerraformConfig,
    /// stackql-deploy settings.
    #[serde(default)]
    pub stackql: StackqlConfig,
    /// External suppressions.
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    /// Drift settings.
    #[serde(default)]
    pub drift: DriftConfig,
    /// The folder of the file (set after loading).
    #[serde(skip)]
    pub dir: PathBuf,
    /// The file (set after loading).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[cloudformation]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFormationConfig {
    /// Parameter files.
    #[serde(default)]
    pub parameter_files: Vec<PathBuf>,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

/// `[terraform]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerraformConfig {
    /// Variable files applied to every module.
    #[serde(default)]
    pub var_files: Vec<PathBuf>,
}

/// `[stackql]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackqlConfig {
    /// Environment to check.
    pub stack_env: Option<String>,
    /// Template variables.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

/// `[drift]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    /// `[[drift.scope]]`: which declarations describe which account and regions.
    #[serde(default)]
    pub scope: Vec<ScopeConfig>,
}

/// One `[[drift.scope]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    /// How findings name it (default: `ACCOUNT/REGION,REGION`).
    pub name: Option<String>,
    /// Files and folders of its declarations (relative to the configuration's folder).
    pub paths: Vec<PathBuf>,
    /// The 12-digit account.
    pub account: String,
    /// Its regions.
    pub regions: Vec<String>,
}

impl Config {
    /// Finds `.mirrorguard.toml` in `start` or its ancestors.
    pub fn discover(start: &Path) -> Result<Option<Self>, AppError> {
        let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
        for dir in start.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Self::load(&candidate).map(Some);
            }
        }
        Ok(None)
    }

    /// Loads a configuration file.
    pub fn load(path: &Path) -> Result<Self, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| AppError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|e| {
            AppError::Usage(format!("{}: {}", path.display(), e.to_string().trim_end()))
        })?;
        // `--config mirrorguard.toml` has the empty parent: the working folder.
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        // A repository's configuration may only name what is inside the repository: its
        // folder and below, symbolic links resolved. Otherwise a pull request could make
        // the run read any file (`/proc/self/environ`) into its report.
        let home = dir.canonicalize().map_err(|source| AppError::Read {
            path: dir.clone(),
            source,
        })?;
        let confine = |p: &PathBuf, what: &str| -> Result<PathBuf, AppError> {
            let joined = if p.is_absolute() {
                p.clone()
            } else {
                dir.join(p)
            };
            let real = joined.canonicalize().map_err(|e| {
                AppError::Usage(format!(
                    "{}: {what} {} cannot be read: {e}",
                    path.display(),
                    p.display()
                ))
            })?;
            if !real.starts_with(&home) {
                return Err(AppError::Usage(format!(
                    "{}: {what} {} leads outside {} (symbolic links resolved); a configuration file may only name files in its own folder and below",
                    path.display(),
                    p.display(),
                    home.display()
                )));
            }
            Ok(relative_to_cwd(&joined))
        };
        config.rules = config
            .rules
            .iter()
            .map(|p| confine(p, "rules folder"))
            .collect::<Result<_, _>>()?;
        config.cloudformation.parameter_files = config
            .cloudformation
            .parameter_files
            .iter()
            .map(|p| confine(p, "parameter file"))
            .collect::<Result<_, _>>()?;
        config.terraform.var_files = config
            .terraform
            .var_files
            .iter()
            .map(|p| confine(p, "variables file"))
            .collect::<Result<_, _>>()?;
        for (i, scope) in config.drift.scope.iter_mut().enumerate() {
            let at = format!("{}: [[drift.scope]] #{}", path.display(), i + 1);
            if scope.account.len() != 12 || !scope.account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::Usage(format!(
                    "{at}: account must be a 12-digit AWS account id, not {:?}",
                    scope.account
                )));
            }
            if scope.paths.is_empty() || scope.regions.is_empty() {
                return Err(AppError::Usage(format!(
                    "{at}: paths and regions must each name at least one"
                )));
            }
            if let Some(bad) = scope.regions.iter().find(|r| {
                r.is_empty()
                    || !r
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }) {
                return Err(AppError::Usage(format!(
                    "{at}: {bad:?} is not a region name"
                )));
            }
            scope.paths = scope
                .paths
                .iter()
                .map(|p| confine(p, "scope path"))
                .collect::<Result<_, _>>()?;
        }
        for entry in &config.ignore {
            if entry.id.trim().is_empty() {
                return Err(AppError::Usage(format!(
                    "{}: every [[ignore]] needs an id",
                    path.display()
                )));
            }
        }
        config.dir = dir;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }
}

/// A path relative to the working directory when it is under it (as discovery shows paths).
fn relative_to_cwd(p: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
}
