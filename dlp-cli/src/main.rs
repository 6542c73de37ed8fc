//! The `dlp` command: scan files, standard input and packet captures for
//! personal data with the dlp engine.

mod output;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dlp_core::{Engine, EngineBuilder};

/// Finds personal data (French NIR, US SSN, card numbers, IBAN, email) in
/// files, standard input and packet captures.
#[derive(Parser, Debug)]
#[command(name = "dlp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan files, directories (recursively), standard input (`-`) and
    /// pcap/pcapng captures. Exit status: 0 nothing found, 1 found, 2 error.
    Scan(ScanArgs),
    /// List or check sensor definitions.
    #[command(subcommand)]
    Sensors(SensorsCommand),
}

#[derive(Subcommand, Debug)]
enum SensorsCommand {
    /// Show the loaded sensors and their rules.
    List(SensorArgs),
    /// Validate a definition file and print its errors.
    Check {
        /// The definition file (TOML).
        file: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub(crate) struct SensorArgs {
    /// Load sensors from this definition file too (repeatable).
    #[arg(long = "sensors", value_name = "FILE")]
    sensors: Vec<PathBuf>,
    /// Leave out the built-in sensors.
    #[arg(long)]
    no_builtin: bool,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct ScanArgs {
    /// Files, directories or `-` for standard input (the default).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    sensors: SensorArgs,
    /// Print one JSON object per finding (see the README for the fields).
    #[arg(long)]
    json: bool,
    /// Include the raw matched values in the output.
    #[arg(long)]
    show_values: bool,
    /// Number of files scanned at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Sensors(SensorsCommand::List(args)) => list(&args),
        Command::Sensors(SensorsCommand::Check { file }) => check(&file),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("dlp: {message}");
            ExitCode::from(2)
        }
    }
}

/// Builds the engine the flags ask for.
pub(crate) fn build_engine(args: &SensorArgs) -> Result<Engine, String> {
    if args.no_builtin && args.sensors.is_empty() {
        return Err(
            "--no-builtin leaves no sensors; add --sensors FILE".to_string()
        );
    }
    if !args.no_builtin && args.sensors.is_empty() {
        return Ok(Engine::builtin());
    }
    let mut builder = EngineBuilder::new();
    if !args.no_builtin {
        builder.add_builtin().map_err(|err| err.to_string())?;
    }
    for path in &args.sensors {
        builder.add_file(path).map_err(|err| err.to_string())?;
    }
    builder.build().map_err(|err| err.to_string())
}

fn list(args: &SensorArgs) -> Result<ExitCode, String> {
    let engine = build_engine(args)?;
    for sensor in engine.sensors() {
        println!(
            "{} ({}): {}",
            sensor.name,
            sensor.severity.as_str(),
            sensor.description
        );
        for rule in &sensor.rules {
            let mut notes = vec![format!("context {}", rule.context)];
            if let Some(validator) = &rule.validator {
                notes.push(format!("validator {validator}"));
            }
            if !rule.hotwords.is_empty() {
                let required = if rule.hotwords_required {
                    "required"
                } else {
                    "optional"
                };
                notes.push(format!(
                    "hotwords {required}: {}",
                    rule.hotwords.join(", ")
                ));
            }
            println!("  {}: {}", rule.name, notes.join("; "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(file: &PathBuf) -> Result<ExitCode, String> {
    let engine = Engine::from_file(file).map_err(|err| err.to_string())?;
    let rules: usize = engine.sensors().iter().map(|s| s.rules.len()).sum();
    println!(
        "{}: ok, {} sensors, {} rules",
        file.display(),
        engine.sensors().len(),
        rules
    );
    Ok(ExitCode::SUCCESS)
}
