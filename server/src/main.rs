//! `verdict`: the command line is in `server::cli`; this sets up logging and runs it.

use clap::Parser;

/// Many small allocations from many threads (page renders, rows from SQLite's worker threads):
/// a thread-caching allocator instead of glibc's locked arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
