//! TLS to PostgreSQL with rustls (tokio-postgres's `MakeTlsConnect`). Whenever a connection
//! is encrypted the server's certificate chain and name (host name or IP address in the URL)
//! are verified, as libpq's `sslmode=verify-full` does: against the CA certificates given
//! ([`crate::config::Persistence::ca_file`]) or else the system's roots. The URL's
//! `sslmode` picks whether TLS is used: `disable` (never), `prefer` (tokio-postgres's
//! default: when the server offers it), `require` (always; a server without TLS is refused).
//! Channel binding (SCRAM-SHA-256-PLUS) is not offered.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};

use crate::store::StoreError;

/// Makes a verified TLS connection per PostgreSQL connection.
#[derive(Clone)]
pub struct RustlsConnect {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for RustlsConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RustlsConnect")
    }
}

impl RustlsConnect {
    /// Trust the CA certificates in `ca_pem` (PEM), or the system's roots when `None` (read
    /// once per process: every store opened without a CA file shares them).
    pub fn new(ca_pem: Option<&[u8]>) -> Result<RustlsConnect, StoreError> {
        static SYSTEM: std::sync::OnceLock<Result<RustlsConnect, StoreError>> =
            std::sync::OnceLock::new();
        match ca_pem {
            None => SYSTEM.get_or_init(|| RustlsConnect::build(None)).clone(),
            Some(_) => RustlsConnect::build(ca_pem),
        }
    }

    fn build(ca_pem: Option<&[u8]>) -> Result<RustlsConnect, StoreError> {
        let bad = |what: String| StoreError::Backend(format!("database TLS: {what}"));
        let mut roots = rustls::RootCertStore::empty();
        match ca_pem {
            Some(pem) => {
                let mut reader = pem;
                for cert in rustls_pemfile::certs(&mut reader) {
                    let cert = cert.map_err(|e| bad(format!("CA file: {e}")))?;
                    roots.add(cert).map_err(|e| bad(format!("CA file: {e}")))?;
                }
                if roots.is_empty() {
                    return Err(bad("the CA file holds no certificate".to_owned()));
                }
            }
            None => {
                // Certificates the system store cannot parse are skipped, as browsers do.
                let native = rustls_native_certs::load_native_certs();
                let _ = roots.add_parsable_certificates(native.certs);
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(RustlsConnect {
            config: Arc::new(config),
        })
    }
}

impl<S> MakeTlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnector;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnector, Self::Error> {
        Ok(RustlsConnector {
            config: self.config.clone(),
            name: ServerName::try_from(domain.to_owned())?,
        })
    }
}

/// One pending TLS handshake with the server named in the URL.
#[derive(Debug)]
pub struct RustlsConnector {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await
                .map(|s| RustlsStream(Box::new(s)))
        })
    }
}

/// An encrypted connection to the server.
#[derive(Debug)]
pub struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}
