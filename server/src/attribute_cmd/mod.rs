//! `verdict attribute`: the attribution engine as a command for analysts and scripts.
//!
//! Contract (stable): `verdict attribute --file F [--file F2 ...] [--experiment NAME ...]
//! [--convention mixpanel|optimizely|amplitude] --metric EVENT [--metric EVENT ...]
//! [--value EVENT:PROPERTY ...] [--window-days 14] [--local-time ZONE]` prints one JSON object
//! (`--warehouse URL --table NAME [--columns ROLE=COLUMN,...]` in place of `--file` computes the
//! same counts inside a PostgreSQL warehouse, `warehouse.rs`)
//! on stdout; errors go to stderr with a non-zero exit (a file whose last line is Mixpanel's
//! `terminated early` note is one). Inputs are plain or gzip (sniffed from the magic bytes), or
//! `-` for stdin. One thread reads, worker threads parse line-aligned blocks, and the calling
//! thread tallies them in order (see `reader.rs`); `render.rs` prints the report
//! and its warnings.

mod reader;
mod render;
mod warehouse;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::thread;

use anyhow::bail;

use app::domain::attribution;
use attribution::{
    Attributor, Cap, Clock, Config, ExposureConvention, Ratio, Retention, ValueMetric, Window,
    MAX_SKIPPED_RATIO,
};

pub use warehouse::load as load_warehouse;

use reader::attribute_input;
use render::{locate, render, warn, Blocks};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["files", "table"])))]
pub struct AttributeArgs {
    /// Export file (newline-delimited JSON, plain or gzip); `-` reads stdin. Repeatable.
    #[arg(long = "file", value_name = "F")]
    pub files: Vec<PathBuf>,
    /// The warehouse's connection URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE; without
    /// it, VERDICT_WAREHOUSE_URL (which keeps the password out of the process list).
    #[arg(long, value_name = "URL", requires = "table")]
    pub warehouse: Option<String>,
    /// Compute inside the warehouse, from this events table (TABLE or SCHEMA.TABLE), instead
    /// of reading files.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// Column names where they differ from Mixpanel's pipeline layout (event, time,
    /// distinct_id, insert_id, properties), e.g. `time=ts,properties=props`.
    #[arg(long, value_name = "ROLE=COLUMN,...", requires = "table")]
    pub columns: Option<String>,
    /// The longest the warehouse query may run, in seconds.
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub timeout_secs: u64,
    /// Experiment to report (repeatable); without it, every experiment found is reported.
    #[arg(long = "experiment", value_name = "NAME")]
    pub experiments: Vec<String>,
    /// Which exposure event and properties to read. Optimizely names an experiment by its
    /// `rule_key` (else `flag_key`), Amplitude by its `experiment_key` (else `flag_key`).
    #[arg(long, value_enum, default_value = "mixpanel")]
    pub convention: Convention,
    /// A custom exposure event; needs --experiment-property and --variant-property.
    #[arg(long, value_name = "EVENT", requires_all = ["experiment_property", "variant_property"], conflicts_with = "convention")]
    pub exposure_event: Option<String>,
    /// Property naming the experiment on a custom exposure event.
    #[arg(long, value_name = "PROPERTY", requires = "exposure_event")]
    pub experiment_property: Option<String>,
    /// Property naming the arm on a custom exposure event.
    #[arg(long, value_name = "PROPERTY", requires = "exposure_event")]
    pub variant_property: Option<String>,
    /// Conversion event (repeatable): a user converts when one falls in their window.
    #[arg(long = "metric", value_name = "EVENT", required = true)]
    pub metrics: Vec<String>,
    /// Mean metric (repeatable): per exposed user, the sum of PROPERTY over EVENT in the window.
    #[arg(long = "value", value_name = "EVENT:PROPERTY", value_parser = parse_value_metric)]
    pub values: Vec<ValueMetric>,
    /// Count metric (repeatable): per exposed user, the number of EVENT events in the window,
    /// reported as the value `EVENT.#count`.
    #[arg(long = "count", value_name = "EVENT")]
    pub counts: Vec<String>,
    /// Retention (repeatable): users with an EVENT event (`*`: any event but the exposure) on
    /// day N after their first exposure, `[t0 + N days, t0 + N + 1 days)`.
    #[arg(long = "retention", value_name = "EVENT:N", value_parser = parse_retention)]
    pub retention: Vec<Retention>,
    /// Ratio (repeatable) of two value specs, `EVENT:PROPERTY` or `EVENT:#count` each.
    #[arg(long = "ratio", value_name = "A/B", value_parser = parse_ratio)]
    pub ratios: Vec<Ratio>,
    /// Winsorize a --value or --count spec at the NN-th percentile (nearest rank, arms pooled)
    /// or at a fixed number X.
    #[arg(long = "cap", value_name = "SPEC:pNN|SPEC:X", value_parser = parse_cap)]
    pub caps: Vec<Cap>,
    /// The pre-exposure period in days: per metric, its covariate (CUPED, the retro A/A check).
    #[arg(long, value_name = "D")]
    pub pre_days: Option<u32>,
    /// Break every arm down by this property of the user's first exposure (repeatable);
    /// `#new_vs_returning` splits users by whether they had any event before the pre-period
    /// (before exposure without `--pre-days`).
    #[arg(long = "segment", value_name = "PROPERTY")]
    pub segments: Vec<String>,
    /// Conversion window after the first exposure, in days (half-open).
    #[arg(long, value_name = "DAYS", default_value_t = attribution::DEFAULT_WINDOW_DAYS)]
    pub window_days: u32,
    /// The export's `time` values are wall-clock time in this IANA zone (Mixpanel projects
    /// created before 2023 export project-local time); they are converted to UTC.
    #[arg(long, value_name = "ZONE")]
    pub local_time: Option<String>,
    /// Parsing threads (default: one per core); one more thread reads.
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    Mixpanel,
    Optimizely,
    Amplitude,
}

fn parse_value_metric(spec: &str) -> Result<ValueMetric, String> {
    ValueMetric::parse(spec).map_err(|e| e.to_string())
}

fn parse_retention(spec: &str) -> Result<Retention, String> {
    Retention::parse(spec).map_err(|e| e.to_string())
}

fn parse_ratio(spec: &str) -> Result<Ratio, String> {
    Ratio::parse(spec).map_err(|e| e.to_string())
}

fn parse_cap(spec: &str) -> Result<Cap, String> {
    Cap::parse(spec).map_err(|e| e.to_string())
}

pub fn run(args: &AttributeArgs) -> anyhow::Result<()> {
    let config = config(args)?;
    let blocks = Blocks::of(&config);
    if args.table.is_some() {
        let url = match &args.warehouse {
            Some(url) => url.clone(),
            None => std::env::var("VERDICT_WAREHOUSE_URL").map_err(|_| {
                anyhow::anyhow!(
                    "--table reads a warehouse: give --warehouse URL or set VERDICT_WAREHOUSE_URL"
                )
            })?,
        };
        let report = warehouse::run(args, &url, &config)?;
        warn(&report, &[]);
        println!("{}", render(&report, blocks));
        return Ok(());
    }
    let mut attributor = Attributor::new(config)?;
    let threads = args
        .threads
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let mut inputs: Vec<(String, u64)> = Vec::new();
    for file in &args.files {
        let before = attributor.progress().lines;
        attribute_input(file, &mut attributor, threads)?;
        attributor.end_input();
        if attributor.truncated() {
            bail!(
                "`{}` ends with Mixpanel's `terminated early` note: the export was cut short and \
                 the rest of its data is missing ({}); pull it again, in smaller date ranges if \
                 it keeps happening",
                file.display(),
                attribution::reached_words(attributor.latest_event(), chrono_tz::Tz::UTC)
            );
        }
        inputs.push((
            file.display().to_string(),
            attributor.progress().lines - before,
        ));
    }
    let report = attributor.finish()?;
    if let Err(too_many) = report.check_skipped(MAX_SKIPPED_RATIO) {
        bail!(
            "{} of {} lines ({:.2}%) are malformed or incomplete, more than the {}% allowed; \
             first at {}",
            too_many.skipped,
            too_many.lines,
            report.skipped_ratio() * 100.0,
            MAX_SKIPPED_RATIO * 100.0,
            locate(&too_many.first, &inputs)
        );
    }
    warn(&report, &inputs);
    println!("{}", render(&report, blocks));
    Ok(())
}

fn config(args: &AttributeArgs) -> anyhow::Result<Config> {
    let convention = match (
        &args.exposure_event,
        &args.experiment_property,
        &args.variant_property,
    ) {
        (Some(event), Some(experiment), Some(variant)) => ExposureConvention::Custom {
            event: event.clone(),
            experiment_property: experiment.clone(),
            variant_property: variant.clone(),
        },
        _ => match args.convention {
            Convention::Mixpanel => ExposureConvention::Mixpanel,
            Convention::Optimizely => ExposureConvention::Optimizely,
            Convention::Amplitude => ExposureConvention::Amplitude,
        },
    };
    let mut config = Config::new(convention);
    config.experiments = args.experiments.clone();
    config.metrics = args.metrics.clone();
    config.values = args.values.clone();
    for event in &args.counts {
        config.values.push(ValueMetric::count(event)?);
    }
    config.retention = args.retention.clone();
    config.ratios = args.ratios.clone();
    config.caps = args.caps.clone();
    config.pre_days = args.pre_days;
    config.segments = args.segments.clone();
    config.window = Window::days(args.window_days)?;
    if let Some(zone) = &args.local_time {
        config.clock = Clock::local(zone)?;
    }
    Ok(config)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
