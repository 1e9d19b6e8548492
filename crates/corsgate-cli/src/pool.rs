//! One worker's pool of HTTP/1.1 connections to the upstream, made with hyper's connection API.
//!
//! Every request and its upstream exchange stay on the worker's thread, so the pool is a short
//! list behind an uncontended lock: a connection goes back on the list as soon as its request is
//! handed to it, and is picked again once hyper says it is ready (the previous response read to
//! the end). Closed connections are dropped when seen, idle ones after `idle_timeout`.

use crate::proxy::ProgressBody;
use http::uri::Authority;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Why a request got no response from the upstream.
#[derive(Debug)]
pub enum PoolError {
    /// The TCP connection could not be made (refused, unreachable, name not found).
    Connect(std::io::Error),
    /// Nor within `connect_timeout`.
    ConnectTimeout,
    /// The HTTP exchange failed: reset, closed before a response, a response that is not HTTP.
    Http(hyper::Error),
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect(e) => write!(f, "{e}"),
            PoolError::ConnectTimeout => f.write_str("connect timeout"),
            PoolError::Http(e) => {
                // hyper's message, then its innermost cause ("connection reset by peer").
                write!(f, "{e}")?;
                let mut cause = std::error::Error::source(e);
                let mut last = None;
                while let Some(c) = cause {
                    last = Some(c);
                    cause = c.source();
                }
                if let Some(c) = last {
                    write!(f, ": {c}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::Connect(e) => Some(e),
            PoolError::ConnectTimeout => None,
            PoolError::Http(e) => Some(e),
        }
    }
}

struct Conn {
    sender: SendRequest<ProgressBody>,
    last_used: Instant,
}

pub struct Pool {
    /// `host:port` to connect to.
    address: String,
    connect_timeout: Duration,
    idle_timeout: Duration,
    conns: Mutex<Vec<Conn>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub fn new(authority: &Authority, connect_timeout: Duration, idle_timeout: Duration) -> Self {
        Pool {
            address: format!(
                "{}:{}",
                authority.host(),
                authority.port_u16().unwrap_or(80)
            ),
            connect_timeout,
            idle_timeout,
            conns: Mutex::new(Vec::new()),
        }
    }

    /// Sends a request (origin-form URI, `Host` set) on a pooled connection or a new one.
    pub async fn send(
        &self,
        mut req: Request<ProgressBody>,
    ) -> Result<Response<Incoming>, PoolError> {
        // A pooled connection that turns out not to take the request gives it back untouched;
        // after a few, a new connection.
        for _ in 0..4 {
            let Some(mut sender) = self.checkout() else {
                break;
            };
            let sent = sender.try_send_request(req);
            self.checkin(sender);
            match sent.await {
                Ok(resp) => return Ok(resp),
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => return Err(PoolError::Http(e.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let sent = sender.send_request(req);
        self.checkin(sender);
        sent.await.map_err(PoolError::Http)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        // Nothing is left half-done under this lock (a push, a retain, a removal).
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checkout(&self) -> Option<SendRequest<ProgressBody>> {
        let mut conns = self.lock();
        let now = Instant::now();
        let idle_timeout = self.idle_timeout;
        // Drop the closed connections and those idle for too long.
        conns.retain(|c| {
            let idle_too_long =
                c.sender.is_ready() && now.duration_since(c.last_used) > idle_timeout;
            !c.sender.is_closed() && !idle_too_long
        });
        // The most recently used ready connection: a few connections stay warm.
        let i = conns.iter().rposition(|c| c.sender.is_ready())?;
        Some(conns.swap_remove(i).sender)
    }

    fn checkin(&self, sender: SendRequest<ProgressBody>) {
        if sender.is_closed() {
            return;
        }
        self.lock().push(Conn {
            sender,
            last_used: Instant::now(),
        });
    }

    async fn connect(&self) -> Result<SendRequest<ProgressBody>, PoolError> {
        let stream = match tokio::time::timeout(
            self.connect_timeout,
            tokio::net::TcpStream::connect(self.address.as_str()),
        )
        .await
        {
            Err(_) => return Err(PoolError::ConnectTimeout),
            Ok(Err(e)) => return Err(PoolError::Connect(e)),
            Ok(Ok(stream)) => stream,
        };
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(PoolError::Http)?;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(target: "corsgate::gateway", "upstream connection ended: {e}");
            }
        });
        Ok(sender)
    }
}
