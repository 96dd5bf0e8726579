//! The command line: the I/O edge. It parses flags, resolves settings with the
//! configuration file, runs a subcommand of the library and writes the rendered report.
//!
//! * `args`: clap definitions (the only place that names clap);
//! * `settings`: the command line over `.mirrorguard.toml` over defaults;
//! * `config`: `.mirrorguard.toml` itself;
//! * `commands`: one function per subcommand;
//! * `output`: baselines, rendering, writing, the exit status.

mod args;
mod commands;
pub mod config;
mod output;
mod settings;

pub use args::Cli;
use args::Command;

use crate::error::AppError;
pub use crate::report::ExitStatus;

/// Runs the command line.
pub fn run(cli: Cli) -> Result<ExitStatus, AppError> {
    match cli.command {
        Command::Check(args) => commands::run_check(*args),
        Command::Drift(args) => commands::run_drift(*args),
        Command::Rules(cmd) => commands::run_rules(cmd),
        Command::Graph(args) => commands::run_graph(*args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mirrorguard", &mut out);
            output::write_stdout(&String::from_utf8_lossy(&out))?;
            Ok(ExitStatus::Clean)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(|source| AppError::Write {
                    path: "-".into(),
                    source,
                })?;
            output::write_stdout(&String::from_utf8_lossy(&out))?;
            Ok(ExitStatus::Clean)
        }
        Command::EvalRule => Ok(match crate::pipeline::sandbox::serve() {
            0 => ExitStatus::Clean,
            _ => ExitStatus::Error,
        }),
    }
}
