//! SIGINT and SIGTERM as one awaitable source: the first ends the run gracefully, a second one
//! cuts the graceful stop short.

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl std::fmt::Debug for ShutdownSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShutdownSignals")
    }
}

impl ShutdownSignals {
    /// Installs the handlers (inside a tokio runtime).
    pub fn new() -> Self {
        ShutdownSignals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    /// Resolves at the next signal.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let terminate = async {
                match self.terminate.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate => {}
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
