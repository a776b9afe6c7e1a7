//! SIMULATOR of a province's system receiving motcua's webhook of dossier
//! events (the subscriber side of `motcua_domain::webhook`). A small
//! HTTP/1.1 server written from the protocol as documented in the README:
//! it parses the request itself, checks `X-Motcua-Signature` with its own
//! HMAC-SHA256, records every delivery and can be told to answer 5xx, to
//! hang or to drop the connection.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the simulator answers the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200.
    Accept,
    /// This status, e.g. 500 or 503.
    Status(u16),
    /// Read the request and never answer (the connection stays open).
    Hang,
    /// Close the connection without answering.
    Drop,
}

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub path: String,
    pub delivery_id: Option<String>,
    pub body: String,
    /// The signature header verified with the configured secret.
    pub signature_ok: bool,
    /// What was answered (None: hung or dropped).
    pub answered: Option<u16>,
}

#[derive(Default)]
struct State {
    /// Print each delivery on standard output (the demo).
    echo: bool,
    secret: Vec<u8>,
    script: VecDeque<Behaviour>,
    received: Vec<Received>,
    hanging: usize,
}

/// The simulator, listening until dropped.
pub struct WebhookReceiverSimulator {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookReceiverSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

impl WebhookReceiverSimulator {
    /// Listen on `addr` (e.g. "127.0.0.1:0").
    pub async fn start(addr: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, st.clone()));
            }
        });
        Ok(Self { addr, state, task })
    }

    /// The address to subscribe.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The secret the subscription was given (to check signatures).
    pub fn set_secret(&self, secret: &str) {
        lock(&self.state).secret = secret.as_bytes().to_vec();
    }

    /// Print each delivery as it arrives (the demo shows what a province's
    /// system would receive).
    pub fn echo(&self, on: bool) {
        lock(&self.state).echo = on;
    }

    /// Answer the next requests this way, in order; then accept again.
    pub fn then(&self, b: Behaviour) {
        lock(&self.state).script.push_back(b);
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// Requests read and not answered (Hang).
    pub fn hanging(&self) -> usize {
        lock(&self.state).hanging
    }
}

/// HMAC-SHA256 (RFC 2104), written here rather than taken from the sender.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// `t=<secs>,v1=<hex>` checked against the body.
fn signature_ok(secret: &[u8], header: Option<&str>, body: &str) -> bool {
    let Some(header) = header else { return false };
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mac = hmac_sha256(secret, format!("{t}.{body}").as_bytes());
    let expected: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    expected.len() == v1.len()
        && expected
            .bytes()
            .zip(v1.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn serve(mut conn: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Headers: up to the blank line.
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return;
        }
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(length);
    let body = String::from_utf8_lossy(&body).to_string();
    let behaviour = {
        let mut s = lock(&state);
        let b = s.script.pop_front().unwrap_or(Behaviour::Accept);
        let ok = signature_ok(
            &s.secret,
            headers.get("x-motcua-signature").map(String::as_str),
            &body,
        );
        s.received.push(Received {
            path,
            delivery_id: headers.get("x-motcua-delivery").cloned(),
            body,
            signature_ok: ok,
            answered: match b {
                Behaviour::Accept => Some(200),
                Behaviour::Status(c) => Some(c),
                Behaviour::Hang | Behaviour::Drop => None,
            },
        });
        if b == Behaviour::Hang {
            s.hanging += 1;
        }
        if s.echo
            && let Some(r) = s.received.last()
        {
            println!(
                "[SIMULATOR hệ thống của tỉnh] nhận {} ({}): {}",
                r.delivery_id.as_deref().unwrap_or("?"),
                if r.signature_ok {
                    "chữ ký đúng"
                } else {
                    "CHỮ KÝ SAI"
                },
                r.body
            );
        }
        b
    };
    let status = match behaviour {
        Behaviour::Accept => 200,
        Behaviour::Status(c) => c,
        Behaviour::Drop => return,
        Behaviour::Hang => {
            // Held open until the sender gives up or the simulator stops.
            let _ = conn.read(&mut chunk).await;
            lock(&state).hanging -= 1;
            return;
        }
    };
    let answer = format!(
        "HTTP/1.1 {status} SIM\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok"
    );
    let _ = conn.write_all(answer.as_bytes()).await;
    let _ = conn.shutdown().await;
}
