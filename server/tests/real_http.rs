//! The server loop itself, over real TCP on 127.0.0.1: what a raw client can send that the
//! in-process router tests cannot (an un-normalised request line, a half-sent request).

use std::time::Duration;

use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(pool: SqlitePool, header_timeout: Duration) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router(
        LeptosOptions::builder().output_name("verdict").build(),
        pool,
    );
    let limits = server::serve::HttpLimits {
        header_read_timeout: header_timeout,
        ..Default::default()
    };
    tokio::spawn(server::serve::run(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Sends `raw` as is (curl --path-as-is) and returns the whole answer.
async fn exchange(addr: std::net::SocketAddr, raw: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn raw_dot_segments_are_refused_on_the_wire(pool: SqlitePool) {
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(&pool, chrono::Utc::now()))
        .await
        .unwrap();
    let addr = start(pool, Duration::from_secs(5)).await;
    for path in [
        "/pkg/../",
        "/pkg/%2e%2e/settings",
        "/pkg/..\\settings",
        "/pkg/../program",
    ] {
        let answer = exchange(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: verdict.test\r\nAccept: text/html\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(!answer.contains("One-page checkout"), "{path}: {answer}");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn half_open_connections_are_closed_and_delay_nobody(pool: SqlitePool) {
    let addr = start(pool, Duration::from_secs(1)).await;
    // Three hundred slow-loris clients: a request line and one header, then silence.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stalled.push(s);
    }
    // Meanwhile a real client is served at once.
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        exchange(
            addr,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ),
    )
    .await
    .expect("a normal request is not held up by stalled ones");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
        "{answer}"
    );
    // And the stalled ones are closed once the header timeout passes.
    for mut s in stalled {
        let mut buf = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
        assert!(closed.is_ok(), "a stalled connection was left open");
    }
}
