//! Reading inputs: gzip sniffed from the magic bytes, `-` for stdin; one thread reads and
//! splits line-aligned blocks, worker threads parse them, the calling thread tallies in order.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use anyhow::{bail, Context};

use app::domain::attribution::Attributor;

/// Big enough to amortise syscalls, small enough to stay in a core's cache while parsed.
pub(super) const BLOCK_BYTES: usize = 1 << 20;
/// How much of one line the reader holds before handing it over unsplit.
const MAX_CARRY: usize = 16 << 20;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Feeds one input (`-` is stdin) to `attributor`.
pub(super) fn attribute_input(
    path: &Path,
    attributor: &mut Attributor,
    threads: usize,
) -> anyhow::Result<()> {
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
pub(super) fn attribute_reader(
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
