//! `verdict`: serve the app (default), load the demo program, or attribute exports.

use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use server::config::Config;

#[derive(Parser)]
#[command(
    name = "verdict",
    version,
    about = "Verdict: the A/B-experimentation program's backlog and decisions"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default). DATABASE_URL and LEPTOS_SITE_ADDR configure it.
    Serve,
    /// Load the demo program (about thirty experiments) into an empty database.
    Demo,
    /// Count exposures and conversions per experiment and arm in raw event exports (plain or
    /// .gz, or - for stdin) and print one JSON object.
    Attribute(server::attribute_cmd::AttributeArgs),
    /// Write a consistent copy of the database to FILE (safe while the app serves).
    Backup { file: std::path::PathBuf },
    /// Replace the database with the backup FILE (stop the app first).
    Restore { file: std::path::PathBuf },
}

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
    let cli = Cli::parse();
    if let Some(Command::Attribute(args)) = &cli.command {
        // No database, no server: a pure command for analysts and scripts.
        return server::attribute_cmd::run(args);
    }
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Attribute(_) => unreachable!("handled above"),
        Command::Backup { file } => {
            let pool = server::open_database(&config).await?;
            server::backup::backup(&pool, &file).await?;
            println!("backed up to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let path = config
                .database_path()
                .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not a file database"))?;
            server::backup::restore(&file, &path).await?;
            println!("restored {} into {}", file.display(), path.display());
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::Demo => {
            let pool = server::open_database(&config).await?;
            let n = app::db::demo::load(&pool, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("loaded {n} demo experiments");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // cargo-leptos bakes the bundle's name in at build time, but a binary that plain `cargo`
    // rebuilt (tests do) has none; the name is fixed in Cargo.toml, so supply it.
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        std::env::set_var("LEPTOS_OUTPUT_NAME", "verdict");
    }
    let mut leptos_options = get_configuration(None)?.leptos_options;
    if let Some(addr) = config.site_addr {
        leptos_options.site_addr = addr;
    }
    let addr = leptos_options.site_addr;
    let pool = server::open_database(&config).await?;
    let pulls = app::pull::PullRegistry::default();
    app::pull::scheduler::spawn(pool.clone(), pulls.clone());
    let app = server::router_with(app::state::AppState {
        leptos_options,
        pool,
        pulls,
    });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
