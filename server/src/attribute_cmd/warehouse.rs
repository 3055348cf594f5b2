//! `verdict attribute --warehouse URL --table NAME`: the same counts computed by one query in
//! the warehouse (`app::warehouse`). Ctrl-C stops the query in the warehouse too.

use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use app::db::warehouse::{attribute, Target};
use app::domain::attribution::{Config, Report};
use app::warehouse::layout::{Columns, Layout, TableName};

use super::AttributeArgs;

/// Runs `work` to its end from the command line's synchronous code, inside `main`'s runtime.
fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
}

pub(super) fn run(args: &AttributeArgs, url: &str, config: &Config) -> anyhow::Result<Report> {
    let table = args.table.as_deref().context("--warehouse needs --table")?;
    let layout = Layout {
        table: TableName::parse(table)?,
        columns: match &args.columns {
            Some(spec) => Columns::parse(spec)?,
            None => Columns::default(),
        },
    };
    let target = Target {
        url,
        layout: &layout,
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
    };
    block_on(async {
        let (cancel, mut cancelled) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = cancel.send(true);
            }
            std::future::pending::<()>().await;
        });
        Ok(attribute(&target, config, None, &mut cancelled).await?)
    })
}

/// `verdict warehouse load`: copies an export (plain or gzip) into `table`, created in Mixpanel's
/// pipeline layout when missing, and says how many rows went in.
pub fn load(url: &str, table: &str, file: &std::path::Path, replace: bool) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    use std::io::{BufRead, BufReader, Read};

    app::db::warehouse::check_url(url)?;
    let layout = Layout {
        table: TableName::parse(table)?,
        columns: Columns::default(),
    };
    let mut input = BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(file)
            .with_context(|| format!("cannot open export file `{}`", file.display()))?,
    );
    let gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(input),
        ))
    } else {
        Box::new(input.take(u64::MAX))
    };
    let loaded = block_on(async {
        let mut conn = sqlx::postgres::PgConnection::connect(url)
            .await
            .context("could not connect to the warehouse")?;
        app::db::warehouse_load::create_table(&mut conn, &layout).await?;
        if replace {
            app::db::warehouse_load::empty_table(&mut conn, &layout).await?;
        }
        anyhow::Ok(app::db::warehouse_load::load(&mut conn, &layout, input).await?)
    })?;
    println!(
        "loaded {} events into {} ({} lines were not events and were left out)",
        loaded.rows, layout.table, loaded.skipped
    );
    Ok(())
}
