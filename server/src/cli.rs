//! The `verdict` command line: serve the app (the default), load the demo program, attribute
//! exports, back up and restore, and manage accounts and tokens. `main.rs` only sets up logging
//! and calls `run`.

use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "verdict",
    version,
    about = "Verdict: the A/B-experimentation program's backlog and decisions"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web app (the default). DATABASE_URL and LEPTOS_SITE_ADDR configure it.
    Serve,
    /// Load the demo program (about thirty experiments) into an empty database.
    Demo,
    /// Count exposures and conversions per experiment and arm in raw event exports (plain or
    /// .gz, or - for stdin) and print one JSON object.
    Attribute(Box<crate::attribute_cmd::AttributeArgs>),
    /// Warehouse tools: load a Mixpanel export into a PostgreSQL table in the layout Mixpanel's
    /// JSON pipeline lands (to try `attribute --warehouse` or the warehouse source on a file).
    #[command(subcommand)]
    Warehouse(WarehouseCommand),
    /// Write a consistent copy of the database to FILE (safe while the app serves).
    Backup { file: std::path::PathBuf },
    /// Replace the database with the backup FILE (stop the app first).
    Restore { file: std::path::PathBuf },
    /// After `cargo leptos build --split`: pack each page piece of the built bundle with the
    /// chunks it needs into one file, so a first visit downloads one compressed stream
    /// (scripts/run.sh and scripts/test.sh run it).
    PackBundle {
        /// The bundle's folder.
        #[arg(default_value = "target/site/pkg")]
        dir: std::path::PathBuf,
    },
    /// Manage accounts (e.g. the first admin, when nobody can reach the setup page).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for scripts and monitoring.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum WarehouseCommand {
    /// Copy an export (newline-delimited JSON, plain or gzip) into TABLE, creating it when
    /// missing: event text, time bigint, distinct_id text, insert_id text, properties jsonb.
    Load {
        /// postgres://USER:PASSWORD@HOST:PORT/DATABASE
        #[arg(
            long,
            value_name = "URL",
            env = "VERDICT_WAREHOUSE_URL",
            hide_env_values = true
        )]
        warehouse: String,
        /// TABLE or SCHEMA.TABLE.
        #[arg(long, value_name = "NAME")]
        table: String,
        #[arg(long, value_name = "F")]
        file: std::path::PathBuf,
        /// Empty the table first (otherwise rows are added to what it holds).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an account. The password comes from VERDICT_PASSWORD, or is generated and printed.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: app::domain::account::Role,
        /// Shown on sign-offs and in the audit log (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed as the last line and never shown again.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: app::domain::account::Role,
        /// Days until the token stops working; 0 for never.
        #[arg(long, default_value_t = 90)]
        expires_days: u32,
        /// The account the token belongs to (its email): the token never exceeds its role and
        /// stops when it is disabled or demoted. Without it the token belongs to the command
        /// line, that is, to whoever runs this server.
        #[arg(long)]
        owner: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<app::domain::account::Role, String> {
    app::domain::account::Role::parse(s)
        .ok_or_else(|| format!("'{s}' is not a role: use viewer, editor or admin"))
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Attribute(args)) = &cli.command {
        // No database, no server: a pure command for analysts and scripts.
        return crate::attribute_cmd::run(args);
    }
    if let Some(Command::Warehouse(WarehouseCommand::Load {
        warehouse,
        table,
        file,
        replace,
    })) = &cli.command
    {
        return crate::attribute_cmd::load_warehouse(warehouse, table, file, *replace);
    }
    if let Some(Command::PackBundle { dir }) = &cli.command {
        match crate::pack::pack(dir)? {
            crate::pack::Packed::Already => println!("{}: already packed", dir.display()),
            crate::pack::Packed::Written(packs) => {
                for (file, parts) in packs {
                    println!("{}: {parts} parts", dir.join(file).display());
                }
            }
        }
        return Ok(());
    }
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Attribute(_) | Command::Warehouse(_) | Command::PackBundle { .. } => {
            unreachable!("handled above")
        }
        Command::Backup { file } => {
            let pool = crate::open_database(&config).await?;
            crate::backup::backup(&pool, &file).await?;
            println!("backed up to {}", file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let path = config
                .database_path()
                .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not a file database"))?;
            crate::backup::restore(&file, &path).await?;
            println!("restored {} into {}", file.display(), path.display());
            Ok(())
        }
        Command::Serve => serve(config).await,
        Command::User(UserCommand::Add { email, role, name }) => {
            let pool = crate::open_database(&config).await?;
            let generated = std::env::var("VERDICT_PASSWORD").is_err();
            let password = std::env::var("VERDICT_PASSWORD")
                .unwrap_or_else(|_| app::secret::generated_password());
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let account = app::domain::account::NewAccount {
                email,
                name,
                password: password.clone(),
            };
            let who = app::domain::account::Identity::system("command line");
            let user = app::auth::acting_as(
                who,
                app::db::accounts::create_user(&pool, &account, role, chrono::Utc::now()),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("added {} ({}) as {}", user.name, user.email, user.role);
            if generated {
                println!("password (shown once):");
                println!("{password}");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            name,
            role,
            expires_days,
            owner,
        }) => {
            let pool = crate::open_database(&config).await?;
            let who = app::domain::account::Identity::system("command line");
            let owner = match owner {
                Some(email) => Some(
                    app::db::accounts::identity_by_email(&pool, &email)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                        .ok_or_else(|| {
                            anyhow::anyhow!("no active account has the email {email}")
                        })?,
                ),
                None => None,
            };
            let owner = match &owner {
                Some(identity) => app::db::accounts::TokenOwner::Account(identity),
                None => app::db::accounts::TokenOwner::CommandLine,
            };
            let (token, secret) = app::auth::acting_as(
                who,
                app::db::accounts::create_token(
                    &pool,
                    &name,
                    role,
                    owner,
                    (expires_days > 0).then_some(expires_days),
                    chrono::Utc::now(),
                ),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let expiry = token.expires_at.map_or_else(
                || "never expires".to_owned(),
                |at| format!("expires {}", at.date_naive()),
            );
            println!(
                "created token '{}' ({}, {expiry}); use it as 'Authorization: Bearer <token>'",
                token.name, token.role
            );
            println!("{secret}");
            Ok(())
        }
        Command::Demo => {
            let pool = crate::open_database(&config).await?;
            let who = app::domain::account::Identity::system("verdict demo");
            let n = app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("loaded {n} demo experiments");
            Ok(())
        }
    }
}

/// The pages' code comes in lazily loaded pieces (`app::app`), which only `cargo leptos build
/// --split` produces. A bundle built without it links to a loader that is not there, so every
/// page would stay unhydrated with nothing but a console error: refuse to start instead. No
/// bundle at all is fine (the pages still read; the HTTP tests run so).
fn check_bundle(options: &leptos::config::LeptosOptions) -> anyhow::Result<()> {
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let script = pkg.join(format!("{}.js", options.output_name));
    if script.exists() && !pkg.join("__wasm_split_manifest.json").exists() {
        anyhow::bail!(
            "the bundle in {} was built without --split, so its pages cannot load their code: \
             build with `cargo leptos build --split` (scripts/run.sh does)",
            pkg.display()
        );
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let mut leptos_options = get_configuration(None)?.leptos_options;
    // cargo-leptos bakes the bundle's name in at build time, but a binary that plain `cargo`
    // rebuilt (tests do) has none; the name is fixed in Cargo.toml, so supply it (in the
    // options, not the process environment, which a running server must not change).
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "verdict".into();
    }
    if let Some(addr) = config.site_addr {
        leptos_options.site_addr = addr;
    }
    check_bundle(&leptos_options)?;
    let addr = leptos_options.site_addr;
    let pool = crate::open_database(&config).await?;
    let egress = app::pull::egress::Egress::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let pulls = app::pull::PullRegistry::default().with_egress(egress);
    app::pull::scheduler::spawn(pool.clone(), pulls.clone());
    crate::auth::spawn_session_purge(pool.clone());
    let app = crate::router_for(
        app::state::AppState {
            leptos_options,
            pool,
            pulls,
        },
        &config,
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    crate::serve::run(listener, app, config.http_limits(), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
