//! HTTPS for the demo server: a self-signed certificate made at start (for `localhost`,
//! `127.0.0.1` and `::1`), ALPN (`h2` only with `--http2`) and session resumption by tickets.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::RunnerError;

/// The names the certificate is valid for.
pub const CERTIFICATE_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The server's certificate and the acceptor that presents it.
#[derive(Clone)]
pub struct TlsIdentity {
    certificate_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A fresh self-signed certificate and key; ALPN offers `h2` and `http/1.1` when `http2`,
    /// else `http/1.1` only; session tickets (and the default session cache) allow resumption.
    pub fn generate(http2: bool) -> Result<TlsIdentity, RunnerError> {
        let failed = |what: &str, error: &dyn std::fmt::Display| {
            RunnerError::InvalidSetting(format!("--tls: cannot {what}: {error}"))
        };
        let names: Vec<String> = CERTIFICATE_NAMES.iter().map(|n| n.to_string()).collect();
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| failed("make a certificate", &e))?;
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| failed("choose the TLS versions", &e))?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .map_err(|e| failed("use the certificate", &e))?;
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        config.ticketer = rustls::crypto::ring::Ticketer::new()
            .map_err(|e| failed("make a session ticketer", &e))?;
        Ok(TlsIdentity {
            certificate_pem: certified.cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The certificate in PEM, for a client's trust store (`--cacert`).
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The acceptor that runs the server side of a handshake.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
