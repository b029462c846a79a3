//! TLS for `https://` targets with rustls (ring provider): which roots are trusted, client
//! certificates, session resumption, and failures named the way a person reads them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::{ring as provider, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::ClientError;

/// How connections to `https://` services are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Extra certificate authorities to trust (PEM, one or more), beside the platform's roots.
    pub cacert: Option<PathBuf>,
    /// Client certificate chain for mutual TLS (PEM).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
    /// Skip certificate verification (curl -k, requests `verify=False`).
    pub insecure: bool,
    /// Resume TLS sessions (tickets) when a user reconnects; off measures full handshakes.
    pub resumption: bool,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            cacert: None,
            cert: None,
            key: None,
            insecure: false,
            resumption: true,
        }
    }
}

fn read(path: &Path, flag: &'static str) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::File {
        flag,
        path: path.to_owned(),
        problem: source.to_string(),
    })
}

fn certificates(
    path: &Path,
    flag: &'static str,
) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let pem = read(path, flag)?;
    let bad = |problem: String| ClientError::File {
        flag,
        path: path.to_owned(),
        problem,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(bad(
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

fn root_store(settings: &TlsSettings) -> Result<RootCertStore, ClientError> {
    let mut roots = RootCertStore::empty();
    // The platform's store; webpki-roots when it has none (a scratch container).
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = &settings.cacert {
        for cert in certificates(path, "--cacert")? {
            roots.add(cert).map_err(|e| ClientError::File {
                flag: "--cacert",
                path: path.clone(),
                problem: format!("not a usable CA certificate ({e})"),
            })?;
        }
    }
    Ok(roots)
}

/// A client certificate chain and its key, checked to belong together.
type ClientKey = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_key(settings: &TlsSettings) -> Result<Option<ClientKey>, ClientError> {
    let (cert, key) = match (&settings.cert, &settings.key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        (Some(_), None) => return Err(ClientError::Setting("--cert needs --key FILE".into())),
        (None, Some(_)) => return Err(ClientError::Setting("--key needs --cert FILE".into())),
    };
    let chain = certificates(cert, "--cert")?;
    let bad_key = |problem: String| ClientError::File {
        flag: "--key",
        path: key.clone(),
        problem,
    };
    let key_der = PrivateKeyDer::from_pem_slice(&read(key, "--key")?)
        .map_err(|e| bad_key(format!("not a PEM private key ({e})")))?;
    let provider = Arc::new(provider::default_provider());
    let mismatch = || {
        bad_key(format!(
            "does not match the certificate in {}",
            cert.display()
        ))
    };
    let certified =
        rustls::sign::CertifiedKey::from_der(chain.clone(), key_der.clone_key(), &provider)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    mismatch()
                }
                other => bad_key(format!("not a usable private key ({other})")),
            })?;
    certified.keys_match().map_err(|_| mismatch())?;
    Ok(Some((chain, key_der)))
}

/// Builds the client configuration shared by every user; each user takes a copy with its own
/// session store ([`per_user`]).
pub fn client_config(settings: &TlsSettings, http2: bool) -> Result<ClientConfig, ClientError> {
    let provider = Arc::new(provider::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Setting(format!("TLS: {e}")))?;
    let builder = if settings.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let pinned = match &settings.cacert {
            Some(path) => certificates(path, "--cacert")?,
            None => Vec::new(),
        };
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(root_store(settings)?), provider)
                .build()
                .map_err(|e| ClientError::Setting(format!("TLS roots: {e}")))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(WebPkiOrPinned { webpki, pinned }))
    };
    let mut config = match client_key(settings)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| ClientError::Setting(format!("--cert/--key: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    if !settings.resumption {
        config.resumption = Resumption::disabled();
    }
    Ok(config)
}

/// A copy of `shared` with a session store of its own, so a user resumes only its own
/// sessions and its first connection pays a full handshake, like a real client's.
pub fn per_user(shared: &ClientConfig, resumption: bool) -> Arc<ClientConfig> {
    let mut config = shared.clone();
    if resumption {
        config.resumption = Resumption::in_memory_sessions(4);
    }
    Arc::new(config)
}

/// The name the server's certificate must match (an IP address or a DNS name; SNI for names).
pub fn server_name(host: &str) -> Option<ServerName<'static>> {
    ServerName::try_from(host.to_owned()).ok()
}

/// The failure text for a TLS error, in the words requests would use and without secrets.
pub fn failure_text(error: &rustls::Error) -> String {
    use rustls::Error;
    match error {
        Error::InvalidCertificate(problem) => {
            let what = match problem {
                CertificateError::UnknownIssuer => "unknown issuer".to_owned(),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => "hostname mismatch".into(),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "certificate has expired".into()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "certificate is not yet valid".into()
                }
                CertificateError::Revoked => "certificate revoked".into(),
                CertificateError::BadSignature => "bad signature".into(),
                CertificateError::Other(other)
                    if format!("{other:?}").contains("CaUsedAsEndEntity") =>
                {
                    "a CA certificate is the server's own".into()
                }
                other => format!("{other:?}"),
            };
            format!("SSLError(certificate verify failed: {what})")
        }
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            "SSLError('[SSL: WRONG_VERSION_NUMBER] wrong version number: not TLS (a plain-HTTP port?)')".to_owned()
        }
        other => format!("SSLError(handshake: {other})"),
    }
}

/// The platform's and `--cacert`'s roots, as webpki checks them; and, as OpenSSL does, a
/// self-signed certificate given in `--cacert` that the server presents itself (webpki refuses a
/// CA certificate as a server's own, which `openssl req -x509` makes by default) when it names
/// the host.
#[derive(Debug)]
struct WebPkiOrPinned {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for WebPkiOrPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                let parsed = ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `--insecure`: accepts any certificate but still checks the handshake's signatures.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
