//! `verdict attribute`: the attribution engine as a command for analysts and scripts.
//!
//! Contract (stable): `verdict attribute --file F [--file F2 ...] [--experiment NAME ...]
//! [--convention mixpanel|optimizely|amplitude] --metric EVENT [--metric EVENT ...]
//! [--value EVENT:PROPERTY ...] [--window-days 14]` prints one JSON object on stdout; errors go
//! to stderr with a non-zero exit. Inputs are plain or gzip (sniffed from the magic bytes), or
//! `-` for stdin. One thread reads, worker threads parse line-aligned blocks, and the calling
//! thread tallies them in order (see [`attribute_reader`]).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use anyhow::{bail, Context};

use app::domain::attribution;
use attribution::{
    Attributor, Config, ExposureConvention, Report, ValueMetric, Window, MAX_SKIPPED_RATIO,
};

/// Big enough to amortise syscalls, small enough to stay in a core's cache while parsed.
const BLOCK_BYTES: usize = 1 << 20;
/// How much of one line the reader holds before handing it over unsplit.
const MAX_CARRY: usize = 16 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(clap::Args, Debug)]
pub struct AttributeArgs {
    /// Export file (newline-delimited JSON, plain or gzip); `-` reads stdin. Repeatable.
    #[arg(long = "file", value_name = "F", required = true)]
    pub files: Vec<PathBuf>,
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

pub fn run(args: &AttributeArgs) -> anyhow::Result<()> {
    let mut attributor = Attributor::new(config(args)?)?;
    let threads = args
        .threads
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let mut inputs: Vec<(String, u64)> = Vec::new();
    for file in &args.files {
        let before = attributor.progress().lines;
        attribute_input(file, &mut attributor, threads)?;
        attributor.end_input();
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
    println!("{}", render(&report));
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
    config.window = Window::days(args.window_days)?;
    Ok(config)
}

/// Feeds one input (`-` is stdin) to `attributor`.
fn attribute_input(path: &Path, attributor: &mut Attributor, threads: usize) -> anyhow::Result<()> {
    if path == Path::new("-") {
        return attribute_reader(io::stdin(), attributor, threads).context("reading stdin");
    }
    let name = path.display();
    let file = File::open(path).with_context(|| format!("cannot open export file `{name}`"))?;
    attribute_reader(file, attributor, threads).with_context(|| format!("reading `{name}`"))
}

/// The pipeline: a reader thread reads (and gunzips, when the first bytes say gzip) the input
/// sequentially, which keeps the kernel's read-ahead happy, and cuts it into line-aligned
/// blocks; `threads` workers parse blocks round-robin; this thread absorbs the parsed blocks
/// in input order, so one tally holds every user once and line numbers stay the file's.
fn attribute_reader(
    mut input: impl Read + Send,
    attributor: &mut Attributor,
    threads: usize,
) -> anyhow::Result<()> {
    let mut magic = Vec::with_capacity(2);
    (&mut input).take(2).read_to_end(&mut magic)?;
    let gzip = magic == GZIP_MAGIC;
    let input = io::Cursor::new(magic).chain(input);
    let threads = threads.max(1);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    thread::scope(|scope| -> anyhow::Result<()> {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (block_tx, block_rx) = mpsc::sync_channel::<Block>(2);
            let (parsed_tx, parsed_rx) = mpsc::sync_channel(2);
            let mut parser = attributor.block_parser();
            let empty_tx = empty_tx.clone();
            scope.spawn(move || {
                for block in block_rx {
                    if parsed_tx
                        .send(parser.parse(&block.bytes[..block.len]))
                        .is_err()
                    {
                        return;
                    }
                    // The reader may be done; then the buffer is simply dropped.
                    let _ = empty_tx.send(block.bytes);
                }
            });
            to_workers.push(block_tx);
            from_workers.push(parsed_rx);
        }
        drop(empty_tx);
        let reading = scope.spawn(move || -> io::Result<()> {
            let mut input: Box<dyn Read + Send> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(
                    io::BufReader::with_capacity(BLOCK_BYTES, input),
                ))
            } else {
                Box::new(input)
            };
            split_into_blocks(&mut input, &to_workers, &empty_rx)
        });
        'blocks: for worker in (0..threads).cycle() {
            match from_workers[worker].recv() {
                Ok(parsed) => attributor.absorb(parsed)?,
                // Blocks go out round-robin: the first worker without one means no more.
                Err(_) => break 'blocks,
            }
        }
        drop(from_workers);
        match reading.join() {
            Ok(result) => Ok(result?),
            Err(_) => bail!("the reading thread panicked"),
        }
    })
}

/// A buffer and how much of it holds data. Buffers keep their length between uses so they are
/// never zeroed again: the whole input passes through a handful of them.
struct Block {
    bytes: Vec<u8>,
    len: usize,
}

/// Reads `input` into blocks of about [`BLOCK_BYTES`] that end at a newline (the rest of the
/// last line moves to the next block) and deals them to the workers in turn.
fn split_into_blocks(
    input: &mut impl Read,
    workers: &[mpsc::SyncSender<Block>],
    empty: &mpsc::Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut carry: Vec<u8> = Vec::new();
    let mut next = 0;
    loop {
        let mut bytes = empty.try_recv().unwrap_or_default();
        let start = carry.len();
        if bytes.len() < start + BLOCK_BYTES {
            bytes.resize(start + BLOCK_BYTES, 0);
        }
        bytes[..start].copy_from_slice(&carry);
        carry.clear();
        let read = fill(input, &mut bytes[start..start + BLOCK_BYTES])?;
        let mut len = start + read;
        let ended = read < BLOCK_BYTES;
        if !ended {
            match bytes[..len].iter().rposition(|&b| b == b'\n') {
                Some(newline) => {
                    carry.extend_from_slice(&bytes[newline + 1..len]);
                    len = newline + 1;
                }
                // No line ends in this block: read on, up to a bound past which the line is
                // handed over as it is (the parser counts it as too long).
                None if len < MAX_CARRY => {
                    carry.extend_from_slice(&bytes[..len]);
                    continue;
                }
                None => {}
            }
        }
        if len > 0 {
            if workers[next].send(Block { bytes, len }).is_err() {
                return Ok(());
            }
            next = (next + 1) % workers.len();
        }
        if ended {
            return Ok(());
        }
    }
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

/// Turns line numbers over all inputs into `file:line (reason)`.
fn locate(skipped: &[attribution::SkippedLine], inputs: &[(String, u64)]) -> String {
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
fn warn(report: &Report, inputs: &[(String, u64)]) {
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// The committed 20k-event export (gzip) and its true counts, from the app crate.
    fn testdata() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../app/src/domain/attribution/testdata/events_20k.jsonl.gz")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("verdict-attribute-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join(name)
    }

    fn plain_export() -> Vec<u8> {
        let mut text = Vec::new();
        let file = File::open(testdata()).expect("testdata present");
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut text)
            .expect("testdata is gzip");
        text
    }

    fn args(files: &[&Path]) -> AttributeArgs {
        AttributeArgs {
            files: files.iter().map(|f| f.to_path_buf()).collect(),
            experiments: Vec::new(),
            convention: Convention::Mixpanel,
            exposure_event: None,
            experiment_property: None,
            variant_property: None,
            metrics: vec!["signup_completed".into(), "purchase_completed".into()],
            values: vec![ValueMetric::parse("purchase_completed:amount").expect("valid")],
            window_days: 14,
            threads: None,
        }
    }

    fn report_for(path: &Path, threads: usize) -> Report {
        let mut attributor =
            Attributor::new(config(&args(&[path])).expect("config")).expect("valid config");
        attribute_input(path, &mut attributor, threads).expect("reads");
        attributor.finish().expect("finishes")
    }

    #[test]
    fn gzip_is_recognised_by_its_bytes_and_counts_like_plain_text() {
        let plain = scratch("export.jsonl");
        std::fs::write(&plain, plain_export()).expect("write plain");
        let gz_without_extension = scratch("export.data");
        std::fs::copy(testdata(), &gz_without_extension).expect("copy gzip");
        let from_plain = report_for(&plain, 1);
        let from_gzip = report_for(&gz_without_extension, 1);
        assert_eq!(from_gzip.experiments, from_plain.experiments);
        assert_eq!(from_gzip.skipped, from_plain.skipped);
        assert_eq!(from_plain.lines, 20_000);
    }

    #[test]
    fn parallel_blocks_count_exactly_like_one_stream() {
        // 12 MB: a dozen blocks, so lines straddle block boundaries.
        let plain = scratch("parallel.jsonl");
        let text = plain_export();
        std::fs::write(&plain, &text).expect("write plain");
        let mut one_stream =
            Attributor::new(config(&args(&[&plain])).expect("config")).expect("valid config");
        one_stream.feed_chunk(&text);
        let streamed = one_stream.finish().expect("finishes");
        for threads in [2, 3, 5] {
            let parallel = report_for(&plain, threads);
            assert_eq!(parallel, streamed, "{threads} threads");
        }
    }

    #[test]
    fn a_file_without_final_newline_and_with_crlf_loses_no_line() {
        let path = scratch("crlf.jsonl");
        let mut file = File::create(&path).expect("create");
        let exposure = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"u1","Experiment name":"e","Variant name":"a"}}"#;
        write!(file, "{exposure}\r\n{{broken\r\n{exposure}").expect("write");
        drop(file);
        let report = report_for(&path, 1);
        assert_eq!((report.lines, report.skipped.count), (3, 1));
        assert_eq!(report.experiments["e"].arms["a"].exposed, 1);
    }

    #[test]
    fn a_line_longer_than_a_block_stays_one_line() {
        let path = scratch("long-line.jsonl");
        let exposure = r#"{"event":"$experiment_started","properties":{"time":1714521600,"distinct_id":"u1","Experiment name":"e","Variant name":"a"}}"#;
        let long = format!(
            r#"{{"event":"page_view","properties":{{"time":1,"distinct_id":"u2","blob":"{}"}}}}"#,
            "x".repeat(3 * BLOCK_BYTES)
        );
        std::fs::write(&path, format!("{exposure}\n{long}\n{{broken\n{exposure}\n"))
            .expect("write");
        let report = report_for(&path, 2);
        assert_eq!((report.lines, report.skipped.count), (4, 1));
        assert_eq!(report.skipped.first[0].line, 3);
    }

    #[test]
    fn the_json_has_the_contract_shape_and_exact_sums() {
        let report = report_for(&testdata(), 2);
        let json: serde_json::Value =
            serde_json::from_str(&render(&report)).expect("render writes valid JSON");
        assert_eq!(json["lines"], 20_000);
        assert_eq!(json["skipped_lines"], report.skipped.count);
        assert_eq!(json["duplicates"], report.duplicates);
        let experiment = &json["experiments"]["onboarding_checklist_v2"];
        assert!(experiment["multi_arm_users"].is_u64());
        let control = &experiment["arms"]["control"];
        assert!(control["exposed"].as_u64().is_some_and(|n| n > 0));
        assert!(control["converted"]["purchase_completed"].is_u64());
        let revenue = &control["values"]["purchase_completed.amount"];
        let sum = report.experiments["onboarding_checklist_v2"].arms["control"].values
            ["purchase_completed.amount"]
            .sum;
        assert_eq!(revenue["sum"].to_string(), sum.to_string());
    }

    #[test]
    fn skipped_lines_are_located_in_their_own_file() {
        let skipped = [
            attribution::SkippedLine {
                line: 3,
                reason: attribution::SkipReason::InvalidJson,
            },
            attribution::SkippedLine {
                line: 12,
                reason: attribution::SkipReason::MissingTime,
            },
        ];
        let inputs = [("a.jsonl".to_owned(), 10), ("b.jsonl.gz".to_owned(), 5)];
        assert_eq!(
            locate(&skipped, &inputs),
            "a.jsonl:3 (not valid JSON), b.jsonl.gz:2 (no numeric properties.time)"
        );
    }

    #[test]
    fn more_than_one_percent_of_bad_lines_fails_naming_count_and_lines() {
        let path = scratch("mostly-bad.jsonl");
        let good = r#"{"event":"page_view","properties":{"time":1,"distinct_id":"u"}}"#;
        std::fs::write(&path, format!("{good}\n{{\"event\":\n{good}\n")).expect("write");
        let message = format!("{:#}", run(&args(&[&path])).expect_err("33% is too many"));
        assert!(message.contains("1 of 3 lines (33.33%)"), "{message}");
        assert!(
            message.contains("mostly-bad.jsonl:2 (not valid JSON)"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let error =
            run(&args(&[Path::new("/no/such/export.jsonl")])).expect_err("missing file fails");
        assert!(format!("{error:#}").contains("/no/such/export.jsonl"));
    }
}
