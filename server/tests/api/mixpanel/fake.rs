//! A stand-in for Mixpanel's export host on 127.0.0.1, answering a script of replies in order.
//! [`Reply::Project`] behaves like the real Raw Event Export API for one project (see
//! `project.rs`): credentials, `project_id`, the date format and the project's today, `event=`,
//! local time, gzip only over 1,400 bytes, and the ways a 200 can still go wrong.
//!
//! Written on a bare `TcpListener` rather than axum: the point is the exact wire format Mixpanel
//! uses (`Transfer-Encoding: chunked`, `Content-Encoding: gzip`, pauses between chunks), and a
//! streamed axum body needs a `Stream` implementation the test crate has no dependency for.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// 200 with the export, chunked, gzip-encoded when the client accepts gzip (as Mixpanel does),
    /// `chunk` bytes per chunk on the wire with `pause` between chunks.
    Export {
        body: Arc<Vec<u8>>,
        chunk: usize,
        pause: Duration,
    },
    /// Any other status, with extra header lines and a body.
    Status {
        code: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// The real API's behaviour for one project.
    Project(Arc<super::project::Project>),
}

impl Reply {
    pub fn export(body: Arc<Vec<u8>>) -> Self {
        Reply::Export {
            body,
            chunk: 16 * 1024,
            pause: Duration::ZERO,
        }
    }

    pub fn slow_export(body: Arc<Vec<u8>>) -> Self {
        Reply::Export {
            body,
            chunk: 4 * 1024,
            pause: Duration::from_millis(40),
        }
    }

    pub fn status(code: u16, body: &str) -> Self {
        Reply::Status {
            code,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }
}

/// What the client sent: the request target and the headers, names lowercased.
#[derive(Debug, Clone)]
pub struct Seen {
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct FakeMixpanel {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeMixpanel {
    /// Serves `script` in order; the last reply repeats once the script runs out.
    pub async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((socket, _)) = listener.accept().await {
                let reply = script[n.min(script.len() - 1)].clone();
                n += 1;
                tokio::spawn(serve(socket, reply, log.clone()));
            }
        });
        Self { base, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut socket: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Seen>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let seen = Seen { target, headers };
    let gzip = seen
        .header("accept-encoding")
        .is_some_and(|v| v.contains("gzip"));
    log.lock().unwrap().push(seen);
    // Write errors mean the client hung up (a cancelled pull): nothing more to do.
    let _ = match reply {
        Reply::Status {
            code,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {code} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            socket.write_all(out.as_bytes()).await
        }
        Reply::Export { body, chunk, pause } => {
            export(&mut socket, &body, gzip, chunk, pause).await
        }
        Reply::Project(project) => {
            let seen = log.lock().unwrap().last().cloned();
            match seen.map(|seen| project.answer(&seen)) {
                Some(super::project::Answer::Refuse { code, body }) => {
                    let out = format!(
                        "HTTP/1.1 {code} Refused\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    socket.write_all(out.as_bytes()).await
                }
                Some(super::project::Answer::Export { body, ending }) => {
                    tokio::time::sleep(project.first_byte_delay).await;
                    project_export(&mut socket, &body, gzip, ending).await
                }
                None => Ok(()),
            }
        }
    };
}

/// Mixpanel gzips a body only when it is larger than about 1,400 bytes (and the client asks).
const GZIP_OVER: usize = 1_400;

async fn project_export(
    socket: &mut TcpStream,
    body: &[u8],
    gzip: bool,
    ending: super::project::Ending,
) -> std::io::Result<()> {
    use super::project::Ending;
    let gzip = gzip && body.len() > GZIP_OVER;
    let mut wire = encode(body, gzip)?;
    if ending == Ending::GzipCut {
        // A gzip stream that stops before its end (and its checksum), sent as a complete body.
        wire.truncate(wire.len() * 2 / 3);
    }
    let dropped = ending == Ending::Dropped;
    let send = if dropped {
        &wire[..wire.len() / 2]
    } else {
        &wire[..]
    };
    chunked(socket, send, gzip, 8 * 1024, Duration::ZERO).await?;
    if dropped {
        // The connection dies mid-body: no last chunk, just a closed socket.
        return socket.shutdown().await;
    }
    socket.write_all(b"0\r\n\r\n").await
}

async fn export(
    socket: &mut TcpStream,
    body: &[u8],
    gzip: bool,
    chunk: usize,
    pause: Duration,
) -> std::io::Result<()> {
    let wire = encode(body, gzip)?;
    chunked(socket, &wire, gzip, chunk, pause).await?;
    socket.write_all(b"0\r\n\r\n").await
}

fn encode(body: &[u8], gzip: bool) -> std::io::Result<Vec<u8>> {
    if !gzip {
        return Ok(body.to_vec());
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// A 200's head and `wire` as chunks of `chunk` bytes with `pause` between them; the caller
/// ends the body (or does not).
async fn chunked(
    socket: &mut TcpStream,
    wire: &[u8],
    gzip: bool,
    chunk: usize,
    pause: Duration,
) -> std::io::Result<()> {
    let encoding = if gzip {
        "Content-Encoding: gzip\r\n"
    } else {
        ""
    };
    socket
        .write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n{encoding}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    for piece in wire.chunks(chunk) {
        socket
            .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .await?;
        socket.write_all(piece).await?;
        socket.write_all(b"\r\n").await?;
        socket.flush().await?;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok(())
}
