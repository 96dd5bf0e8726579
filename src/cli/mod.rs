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
        Command::EvalRule => Ok(match crate::pipeline::sandbox::serve() {
            0 => ExitStatus::Clean,
            _ => ExitStatus::Error,
        }),
    }
}
