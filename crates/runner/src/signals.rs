//! SIGINT and SIGTERM as one awaitable source: the first ends the run gracefully, a second one
//! cuts the graceful stop short.
//!
//! Both handlers are installed once and live as long as the run: a signal that arrives while
//! nobody is waiting is kept until the next [`ShutdownSignals::recv`] (a fresh `ctrl_c()` per
//! call would miss a SIGINT landing between two calls).

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
pub struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl std::fmt::Debug for ShutdownSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShutdownSignals")
    }
}

#[cfg(unix)]
async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal.as_mut() {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

impl ShutdownSignals {
    /// Installs the handlers (inside a tokio runtime).
    pub fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            ShutdownSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            ShutdownSignals {}
        }
    }

    /// Resolves at the next signal (one received since the last call counts).
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            if self.interrupt.is_none() {
                // No SIGINT handler could be installed: fall back to tokio's Ctrl-C listener.
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = next(&mut self.terminate) => {}
                }
                return;
            }
            tokio::select! {
                _ = next(&mut self.interrupt) => {}
                _ = next(&mut self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

impl Default for ShutdownSignals {
    fn default() -> Self {
        Self::new()
    }
}
