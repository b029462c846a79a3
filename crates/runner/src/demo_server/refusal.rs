//! `--fault refused:RATE`: the listener is closed for `RATE` of each second, so connections
//! made then are refused (nothing listens), and reopened on the same address.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::RunnerError;

/// When the listener closes and for how long.
#[derive(Debug)]
pub struct Refusal {
    open: Duration,
    closed: Duration,
    next_close: Instant,
}

impl Refusal {
    /// Open for `open`, then closed for `closed`, over and over from now.
    pub fn new((open, closed): (Duration, Duration)) -> Refusal {
        Refusal {
            open,
            closed,
            next_close: Instant::now() + open,
        }
    }

    /// Resolves when the listener must close; never without a refusal.
    pub async fn until_closing(refusal: Option<&Refusal>) {
        match refusal {
            Some(refusal) => tokio::time::sleep_until(refusal.next_close).await,
            None => std::future::pending().await,
        }
    }

    /// Waits out the closed time (the listener dropped already), then listens on `address`
    /// again (retrying while the address is still taken).
    pub async fn reopen(&mut self, address: SocketAddr) -> Result<TcpListener, RunnerError> {
        tokio::time::sleep(self.closed).await;
        let mut tries = 0;
        loop {
            match super::bind(address).and_then(|std| {
                TcpListener::from_std(std)
                    .map_err(|e| RunnerError::InvalidSetting(format!("{address}: {e}")))
            }) {
                Ok(listener) => {
                    self.next_close = Instant::now() + self.open;
                    return Ok(listener);
                }
                Err(error) if tries >= 100 => return Err(error),
                Err(_) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}
