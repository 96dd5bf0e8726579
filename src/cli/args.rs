//! The command line as clap sees it. Values that reach the library are converted to its
//! own types (`FailOn`, `Operation`, `OutputFormat`) here, so clap stays out of them.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::checks::iam::Operation;
use crate::report::FailOn;

/// Lints and audits traffic mirror sessions in CloudFormation and Terraform.
#[derive(Debug, Parser)]
#[command(name = "mirrorguard", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check files and folders for traffic mirror session mistakes.
    Check(Box<CheckArgs>),
    /// Compare declared sessions with live ones (DescribeTrafficMirrorSessions).
    Drift(Box<DriftArgs>),
    /// List, explain, document and test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Draw each unit's mirroring setup: source interfaces → sessions → targets, with
    /// findings marked (Mermaid, Graphviz DOT or JSON).
    Graph(Box<GraphArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `mirrorguard man > mirrorguard.1`.
    Man,
    /// Evaluates one user rule for a parent run (internal).
    #[command(name = "__eval-rule", hide = true)]
    EvalRule,
}

/// When to use colour in human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// miette diagnostics with source snippets (default on a terminal).
    Human,
    /// The versioned JSON report.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// A Markdown summary (GitHub job summaries, pull request comments).
    Markdown,
    /// GitHub workflow commands: one annotation per finding.
    Github,
}

fn fail_on(text: &str) -> Result<FailOn, String> {
    FailOn::parse(text).ok_or_else(|| format!("expected one of {}", FailOn::NAMES.join(", ")))
}

fn operation(text: &str) -> Result<Operation, String> {
    Operation::parse(text).ok_or_else(|| "expected create, update or delete".to_owned())
}

/// Where declarations come from and how they are read (shared by `check` and `drift`).
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Files and folders to check (folders recursively, honouring .gitignore); `-` reads
    /// one file from standard input (name it with --stdin-filename).
    #[arg(default_value = ".")]
    pub(crate) paths: Vec<PathBuf>,
    /// The name of the file read from standard input (`-`): its format comes from it.
    #[arg(long, value_name = "NAME")]
    pub(crate) stdin_filename: Option<PathBuf>,
    /// Configuration file (default: .mirrorguard.toml in the working folder or above).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,
    /// Ignore any .mirrorguard.toml.
    #[arg(long)]
    pub(crate) no_config: bool,
    /// The repository root every reported path is relative to [default: the nearest folder
    /// above the first PATH holding .git, else the configuration file's folder, else the
    /// working folder].
    #[arg(long, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,
    /// CloudFormation parameter value, `Key=Value` (repeatable; wins over --parameter-file).
    #[arg(long = "parameters", value_name = "KEY=VALUE")]
    pub(crate) parameters: Vec<String>,
    /// CloudFormation parameter file: `[{"ParameterKey": .., "ParameterValue": ..}]` or `{"Key": "Value"}`.
    #[arg(long, value_name = "FILE")]
    pub(crate) parameter_file: Vec<PathBuf>,
    /// Terraform variables file applied to every module (repeatable; later files win).
    #[arg(long, value_name = "FILE")]
    pub(crate) var_file: Vec<PathBuf>,
    /// Terraform plan JSON (`terraform show -json`); the Terraform folders among PATHs are its
    /// configuration, so findings also point at the declaring `.tf` lines (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) plan: Vec<PathBuf>,
    /// stackql-deploy environment to check (all environments the manifest names by default).
    #[arg(long, value_name = "ENV")]
    pub(crate) stack_env: Option<String>,
    /// stackql-deploy template variable, `KEY=VALUE` (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub(crate) vars: Vec<String>,
    /// Folder of additional Rego rules (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub(crate) rules: Vec<PathBuf>,
    /// Most seconds one rule may run on one template or module.
    #[arg(long, value_name = "SECONDS", default_value = "10")]
    pub(crate) rule_time_limit: f64,
    /// Parse every candidate file, even those that never name a traffic mirror resource
    /// (the byte-scan shortcut is then off; for comparing both paths).
    #[arg(long, hide = true)]
    pub(crate) full_parse: bool,
}

/// How the report is written and when the run fails.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Format of the report on the terminal, and of `--output` files whose extension says
    /// none (`.sarif`, `.json` and `.md` say theirs).
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: OutputFormat,
    /// Also write the report to this file (repeatable; `-` is standard output). Its format
    /// comes from its extension: `.sarif`, `.json`, `.md`, `.annotations` (GitHub workflow
    /// commands); `--format` for any other. One run computes everything once.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Vec<PathBuf>,
    /// Link each finding of a Markdown report to this URL + `/PATH#Lline` (a job summary:
    /// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA`).
    #[arg(long, value_name = "URL")]
    pub(crate) link_base: Option<String>,
    /// Print nothing on the terminal but what could not be checked (the exit status says
    /// the rest).
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Lowest severity that fails the run (exit status 1) [default: error, or the config's].
    #[arg(long, value_parser = PossibleValuesParser::new(FailOn::NAMES).try_map(|s: String| fail_on(&s)))]
    pub(crate) fail_on: Option<FailOn>,
    /// Report only findings that this baseline file does not record.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) color: Color,
}

/// How to reach AWS (`aws` feature).
#[derive(Debug, Args)]
pub(crate) struct AwsArgs {
    /// AWS named profile.
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// AWS endpoint override (an emulator, a VPC endpoint).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
    /// Region for provider configurations that set none (Alibaba Cloud priorities are unique
    /// per region), and of the resource ARNs IAM checks evaluate.
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// IAM policy document of the deploying principal (repeatable): checks that it allows what
    /// creating, updating and deleting the sessions needs (MG020).
    #[arg(long, value_name = "FILE")]
    pub(crate) deploy_policy: Vec<PathBuf>,
    /// Role of the deploying principal, read live: inline and attached policies (aws feature).
    #[arg(long, value_name = "NAME|ARN")]
    pub(crate) deploy_role: Option<String>,
    /// Permission boundary or SCP document that must allow too (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(crate) boundary: Vec<PathBuf>,
    /// Operations whose permissions are checked [default: create,update,delete].
    #[arg(long, value_delimiter = ',', value_parser = PossibleValuesParser::new(["create", "update", "delete"]).try_map(|s: String| operation(&s)))]
    pub(crate) operations: Vec<Operation>,
    /// Account of the resource ARNs IAM checks evaluate (unknown parts make a match depend).
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// Preflight from saved AWS CLI outputs (repeatable): describe-traffic-mirror-sessions,
    /// -targets, -filters, describe-network-interfaces, describe-instances,
    /// describe-vpc-peering-connections, describe-transit-gateway-vpc-attachments.
    #[arg(long, value_name = "FILE", conflicts_with = "live")]
    pub(crate) live_file: Vec<PathBuf>,
    /// Preflight against the account itself (EC2 API, `aws` feature): what the declarations
    /// name is read before the rules run.
    #[arg(long)]
    pub(crate) live: bool,
    /// Terraform state file (repeatable): live sessions it records are the declared ones,
    /// not conflicts (a terraform.tfstate beside a module is used too).
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Vec<PathBuf>,
    /// CloudFormation stack name: live sessions tagged with it and a declared logical id are
    /// the declared ones, not conflicts.
    #[arg(long)]
    pub(crate) stack_name: Option<String>,
    /// Apply the safe fixes, then check again: the report shows what is left.
    #[arg(long, conflicts_with = "diff")]
    pub(crate) fix: bool,
    /// Print, as a unified diff, what --fix would change (with the same flags); change nothing.
    #[arg(long)]
    pub(crate) diff: bool,
    /// With --fix or --diff: apply the unsafe fixes too (they change behaviour).
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Drawing format.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub(crate) format: GraphFormat,
    /// Write the drawing to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Region for provider configurations that set none.
    #[arg(long)]
    pub(crate) region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// A Graphviz digraph (`dot -Tsvg`).
    Dot,
    /// Nodes and edges as JSON.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
    /// Saved `aws ec2 describe-traffic-mirror-sessions` output to compare with, instead of the
    /// live API (repeatable; no AWS SDK needed).
    #[arg(long, value_name = "FILE")]
    pub(crate) live_file: Vec<PathBuf>,
    /// AWS region to read (repeatable; default: the environment's).
    #[arg(long = "region", value_name = "REGION")]
    pub(crate) regions: Vec<String>,
    /// The audited account (default: the caller's, from STS); live sessions owned by other
    /// accounts are never reported as unmanaged.
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// Terraform state file giving each resource's session id (repeatable; a
    /// terraform.tfstate beside a module is used too).
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Vec<PathBuf>,
    /// CloudFormation stack name: sessions tagged with it and their logical id are matched.
    #[arg(long)]
    pub(crate) stack_name: Option<String>,
    /// Where live sessions come from: `ec2` (the EC2 API, per region; the default),
    /// `config` (AWS Config, the caller's account) or `config-aggregator:NAME` (every account
    /// and region of an AWS Config aggregator, in one query).
    #[arg(long, value_name = "SOURCE", value_parser = parse_live_source, conflicts_with = "live_file")]
    pub(crate) live_source: Option<LiveSourceKind>,
    /// Compare only AWS Config items captured within this long (`90m`, `12h`, `7d`, `1d12h`);
    /// older ones become skipped checks.
    #[arg(long, value_name = "DURATION", value_parser = parse_max_age)]
    pub(crate) max_age: Option<MaxAge>,
    /// Print only the remediation to standard output: Terraform import and resource blocks,
    /// a CloudFormation import, or an AWS CLI script (findings still go to -o files).
    #[arg(long, value_enum)]
    pub(crate) remediation: Option<Remediation>,
}

/// `--live-source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveSourceKind {
    Ec2,
    Config,
    ConfigAggregator(String),
}

fn parse_live_source(text: &str) -> Result<LiveSourceKind, String> {
    match text.split_once(':') {
        None if text == "ec2" => Ok(LiveSourceKind::Ec2),
        None if text == "config" => Ok(LiveSourceKind::Config),
        Some(("config-aggregator", name)) if !name.trim().is_empty() => {
            Ok(LiveSourceKind::ConfigAggregator(name.trim().to_owned()))
        }
        _ => Err("expected ec2, config or config-aggregator:NAME".into()),
    }
}

/// `--max-age`: the limit and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MaxAge {
    pub(crate) limit: std::time::Duration,
    pub(crate) text: String,
}

/// `90m`, `12h`, `7d`, `2w`, `1d12h`, `45s`: a positive duration of at most ten years.
pub(crate) fn parse_max_age(text: &str) -> Result<MaxAge, String> {
    let bad = || format!("{text}: expected a duration such as 90m, 12h, 7d or 1d12h");
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 || total > 10 * 366 * 86_400 {
        return Err(bad());
    }
    Ok(MaxAge {
        limit: std::time::Duration::from_secs(total),
        text: text.trim().to_owned(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Remediation {
    Terraform,
    Cloudformation,
    AwsCli,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules.
    List {
        /// Folder of additional Rego rules (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// `text` (aligned columns) or `markdown` (the README's rule table).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Show everything about one rule.
    Explain {
        /// Rule id, e.g. MG001.
        id: String,
        /// Folder of additional Rego rules (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run each rule's Rego tests (`test_*`) and its good/bad examples.
    Test {
        /// A folder of rules; the built-in rules when omitted.
        dir: Option<PathBuf>,
    },
    /// Write one documentation page per rule (`docs/rules/<ID>.md`).
    Docs {
        /// Folder to write the pages to.
        #[arg(long, value_name = "DIR", default_value = "docs/rules")]
        out: PathBuf,
        /// Folder of additional Rego rules (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Print the rule input of each unit (what Rego rules read as `input`), as JSON.
    Input {
        #[command(flatten)]
        input: Box<InputArgs>,
        /// Region for provider configurations that set none.
        #[arg(long)]
        region: Option<String>,
    },
    /// Create the three files of a new Rego rule in a rules folder.
    New {
        /// Rule id, e.g. MG024 or ACME001.
        id: String,
        /// Kebab-case name of the offending pattern, e.g. `session-without-description`.
        name: String,
        /// Folder to create the files in.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
        /// Default severity.
        #[arg(long, default_value = "error", value_parser = ["error", "warning", "note"])]
        severity: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Text,
    Markdown,
}
