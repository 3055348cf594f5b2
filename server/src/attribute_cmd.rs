//! `verdict attribute`: the attribution engine as a command for analysts and scripts.
//!
//! Contract (stable): `verdict attribute --file F [--file F2 ...] [--experiment NAME ...]
//! [--convention mixpanel|optimizely|amplitude] --metric EVENT [--metric EVENT ...]
//! [--value EVENT:PROPERTY ...] [--window-days 14]` prints one JSON object on stdout; errors go
//! to stderr with a non-zero exit. Inputs are plain or gzip (sniffed from the magic bytes), or
//! `-` for stdin. A plain file is cut into blocks that worker threads read and parse while this
//! thread tallies them in order; a stream (gzip, stdin) is read by one thread and attributed by
//! another.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use anyhow::{bail, Context};

use app::domain::attribution;
use attribution::{
    Attributor, Config, ExposureConvention, Report, ValueMetric, Window, MAX_SKIPPED_RATIO,
};

/// Big enough to amortise syscalls, small enough to stay in a core's cache while parsed.
const BLOCK_BYTES: usize = 2 << 20;
/// Below this a plain file is read by one thread: starting more costs more than it saves.
const PARALLEL_MIN_BYTES: u64 = 32 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(clap::Args, Debug)]
pub struct AttributeArgs {
    /// Export file (newline-delimited JSON, plain or gzip); `-` reads stdin. Repeatable.
    #[arg(long = "file", value_name = "F", required = true)]
    pub files: Vec<String>,
    /// Experiment to report (repeatable); without it, every experiment found is reported.
    #[arg(long = "experiment", value_name = "NAME")]
    pub experiments: Vec<String>,
    /// Which exposure event and properties to read.
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
    /// Conversion window after the first exposure, in days (half-open).
    #[arg(long, value_name = "DAYS", default_value_t = attribution::DEFAULT_WINDOW_DAYS)]
    pub window_days: u32,
    /// Threads for plain files (default: every core).
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

pub fn run(args: &AttributeArgs) -> anyhow::Result<()> {
    let mut attributor = Attributor::new(config(args)?)?;
    let threads = args
        .threads
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let mut inputs: Vec<(&str, u64)> = Vec::new();
    for file in &args.files {
        let before = attributor.progress().lines;
        attribute_input(file, &mut attributor, threads)?;
        attributor.end_input();
        inputs.push((file, attributor.progress().lines - before));
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
    println!("{}", render(&report));
    Ok(())
}

fn config(args: &AttributeArgs) -> anyhow::Result<Config> {
    let convention = match (&args.exposure_event, &args.experiment_property, &args.variant_property) {
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
    config.window = Window::days(args.window_days)?;
    Ok(config)
}

/// Feeds one input to `attributor`.
fn attribute_input(name: &str, attributor: &mut Attributor, threads: usize) -> anyhow::Result<()> {
    if name == "-" {
        return attribute_stream(io::stdin(), attributor).context("reading stdin");
    }
    let path = Path::new(name);
    let mut file =
        File::open(path).with_context(|| format!("cannot open export file `{name}`"))?;
    let mut magic = Vec::with_capacity(2);
    (&mut file)
        .take(2)
        .read_to_end(&mut magic)
        .with_context(|| format!("cannot read `{name}`"))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot read `{name}`"))?;
    let result = if metadata.is_file()
        && magic != GZIP_MAGIC
        && threads > 1
        && metadata.len() >= PARALLEL_MIN_BYTES
    {
        attribute_parallel(path, metadata.len(), attributor, threads)
    } else {
        attribute_stream(io::Cursor::new(magic).chain(file), attributor)
    };
    result.with_context(|| format!("reading `{name}`"))
}

/// A stream (gzip or plain, told apart by its first bytes): one thread reads and
/// decompresses, the calling thread attributes.
fn attribute_stream(mut reader: impl Read + Send, attributor: &mut Attributor) -> anyhow::Result<()> {
    let mut magic = Vec::with_capacity(2);
    (&mut reader).take(2).read_to_end(&mut magic)?;
    let gzip = magic == GZIP_MAGIC;
    let reader = io::Cursor::new(magic).chain(reader);
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    thread::scope(|scope| -> anyhow::Result<()> {
        let reading = scope.spawn(move || -> io::Result<()> {
            let mut reader: Box<dyn Read + Send> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(
                    BLOCK_BYTES,
                    reader,
                )))
            } else {
                Box::new(reader)
            };
            loop {
                let mut buffer = empty_rx.try_recv().unwrap_or_else(|_| vec![0; BLOCK_BYTES]);
                let filled = fill(&mut reader, &mut buffer)?;
                if filled == 0 {
                    return Ok(());
                }
                buffer.truncate(filled);
                if full_tx.send(buffer).is_err() {
                    return Ok(());
                }
            }
        });
        for mut buffer in full_rx {
            attributor.feed_chunk(&buffer);
            buffer.resize(BLOCK_BYTES, 0);
            // The reader may have finished; a buffer it no longer takes is simply dropped.
            let _ = empty_tx.send(buffer);
        }
        match reading.join() {
            Ok(result) => Ok(result?),
            Err(_) => bail!("the reading thread panicked"),
        }
    })
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A plain file cut into fixed-size blocks; worker `k` reads and parses blocks `k`, `k + n`,
/// … and the calling thread absorbs them in file order, so one tally holds every user once
/// and line numbers stay those of the file.
fn attribute_parallel(
    path: &Path,
    size: u64,
    attributor: &mut Attributor,
    threads: usize,
) -> anyhow::Result<()> {
    let blocks = size.div_ceil(BLOCK_BYTES as u64);
    thread::scope(|scope| -> anyhow::Result<()> {
        let mut parsed = Vec::with_capacity(threads);
        for worker in 0..threads as u64 {
            let (tx, rx) = mpsc::sync_channel(2);
            parsed.push(rx);
            let mut parser = attributor.block_parser();
            scope.spawn(move || {
                let mut file = match File::open(path) {
                    Ok(file) => file,
                    Err(e) => return drop(tx.send(Err(e))),
                };
                let mut buffer = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
                for block in (worker..blocks).step_by(threads) {
                    let result = read_block(&mut file, block, size, &mut buffer)
                        .map(|lines| parser.parse(lines));
                    let failed = result.is_err();
                    if tx.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        for block in 0..blocks {
            let worker = &parsed[(block % threads as u64) as usize];
            let parsed_block = worker
                .recv()
                .map_err(|_| anyhow::anyhow!("a worker thread stopped early"))??;
            attributor.absorb(parsed_block)?;
        }
        Ok(())
    })
}

/// Block `index` holds the lines that start in `[index * BLOCK_BYTES, (index + 1) *
/// BLOCK_BYTES)`: it skips the line already begun before its start and reads past its end to
/// finish its last line. Returns those whole lines.
fn read_block<'b>(
    file: &mut File,
    index: u64,
    size: u64,
    buffer: &'b mut Vec<u8>,
) -> io::Result<&'b [u8]> {
    let block = BLOCK_BYTES as u64;
    let from = (index * block).saturating_sub(1);
    let to = ((index + 1) * block).min(size);
    file.seek(SeekFrom::Start(from))?;
    buffer.clear();
    (&mut *file).take(to - from).read_to_end(buffer)?;
    let mut position = from + buffer.len() as u64;
    while position < size && buffer.last() != Some(&b'\n') {
        let seen = buffer.len();
        let n = (&mut *file).take(64 << 10).read_to_end(buffer)?;
        if n == 0 {
            break;
        }
        position += n as u64;
        if let Some(newline) = buffer[seen..].iter().position(|&b| b == b'\n') {
            buffer.truncate(seen + newline + 1);
        }
    }
    let start = if index == 0 {
        0
    } else {
        buffer
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buffer.len(), |newline| newline + 1)
    };
    Ok(&buffer[start..])
}

/// Turns line numbers over all inputs into `file:line (reason)`.
fn locate(skipped: &[attribution::SkippedLine], inputs: &[(&str, u64)]) -> String {
    let place = |line: u64| {
        let mut before = 0;
        for (name, lines) in inputs {
            if line <= before + lines {
                return format!("{name}:{}", line - before);
            }
            before += lines;
        }
        format!("line {line}")
    };
    skipped
        .iter()
        .map(|s| format!("{} ({})", place(s.line), s.reason))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Notes on stderr that do not fail the run but deserve a look.
fn warn(report: &Report, inputs: &[(&str, u64)]) {
    if report.skipped.count > 0 {
        eprintln!(
            "note: skipped {} malformed or incomplete line(s), first at {}",
            report.skipped.count,
            locate(&report.skipped.first, inputs)
        );
    }
    for (name, counts) in &report.experiments {
        let exposed: u64 = counts.arms.values().map(|arm| arm.exposed).sum();
        if exposed == 0 && counts.multi_arm_users == 0 {
            eprintln!("warning: no exposures found for experiment `{name}`");
        } else if counts.multi_arm_users * 100 > exposed + counts.multi_arm_users {
            eprintln!(
                "warning: experiment `{name}`: {} users saw two or more arms (over 1% of exposed \
                 users); check the assignment",
                counts.multi_arm_users
            );
        }
    }
}

/// The contract's JSON, written by hand so that exact sums keep every digit
/// (`serde_json::Value` would round them through `f64`).
fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\n  \"lines\": {},\n  \"skipped_lines\": {},\n  \"duplicates\": {},\n  \"experiments\": {{",
        report.lines, report.skipped.count, report.duplicates
    );
    for (e, (name, counts)) in report.experiments.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    {}: {{\n      \"multi_arm_users\": {},\n      \"arms\": {{",
            comma(e),
            quote(name),
            counts.multi_arm_users
        );
        for (a, (arm, arm_counts)) in counts.arms.iter().enumerate() {
            let _ = write!(
                out,
                "{}\n        {}: {{\n          \"exposed\": {},\n          \"converted\": {{",
                comma(a),
                quote(arm),
                arm_counts.exposed
            );
            for (m, (metric, n)) in arm_counts.converted.iter().enumerate() {
                let _ = write!(out, "{}\n            {}: {n}", comma(m), quote(metric));
            }
            out.push_str(&close(arm_counts.converted.is_empty(), 10));
            out.push_str(",\n          \"values\": {");
            for (v, (key, sums)) in arm_counts.values.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}\n            {}: {{\"sum\": {}, \"sum_squares\": {}}}",
                    comma(v),
                    quote(key),
                    number(sums.sum),
                    number(sums.sum_squares)
                );
            }
            out.push_str(&close(arm_counts.values.is_empty(), 10));
            out.push_str("\n        }");
        }
        out.push_str(&close(counts.arms.is_empty(), 6));
        out.push_str("\n    }");
    }
    out.push_str(&close(report.experiments.is_empty(), 2));
    out.push_str("\n}");
    out
}

fn comma(index: usize) -> &'static str {
    if index == 0 {
        ""
    } else {
        ","
    }
}

fn close(empty: bool, indent: usize) -> String {
    if empty {
        "}".to_owned()
    } else {
        format!("\n{:indent$}}}", "")
    }
}

fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// JSON has no NaN or infinity; an overflowing float sum becomes `null`.
fn number(quantity: attribution::Quantity) -> String {
    match quantity {
        attribution::Quantity::Approx(value) if !value.is_finite() => "null".to_owned(),
        other => other.to_string(),
    }
}
