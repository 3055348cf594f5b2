//! `verdict`: the command line is in `server::cli`; this sets up logging and runs it.

use clap::Parser;

/// Many small allocations from many threads (page renders, rows from SQLite's worker threads):
/// a thread-caching allocator instead of glibc's locked arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .enable_all()
        .build()?
        .block_on(run())
}

/// Two worker threads per core unless `TOKIO_WORKER_THREADS` says otherwise. A page render is
/// one long poll (milliseconds for the review at 10,000 experiments); with one worker per core
/// a writer holding SQLite's one write turn waited behind such renders at each of its steps,
/// and every other writer waited for it. With spare workers the kernel shares the cores and
/// the writer's short steps run at once. Measured (`scripts/bench_pages.sh`'s mixed run at
/// 10,000 experiments, 30 s, 2 cores): p99 125 ms with 2 workers, 70 ms with 4 (twice), 83 ms
/// with 6, 78 ms with 8.
fn worker_threads() -> usize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
}

async fn run() -> anyhow::Result<()> {
    // Logs go to stderr: stdout belongs to command output (`verdict attribute` prints JSON).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    server::cli::run(server::cli::Cli::parse()).await
}
