//! Serving the router on a TCP listener, plain or with rustls, with graceful shutdown.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::host::HostError;

/// The certificates a client presented on a mutual-TLS connection (DER, its own first),
/// put in every request's extensions by [`serve`].
#[derive(Clone, Debug)]
pub struct ClientCertificates(pub Vec<Vec<u8>>);

/// Asks clients for a certificate and takes any they prove they hold the key of (the TLS
/// handshake's CertificateVerify, checked here), without judging it: whether it
/// authenticates a client is the engine's decision (RFC 8705 §2: a CA of
/// `mtlsTrustedCaCertificates`, or the client's own registered certificate), and a client
/// without one is served as before.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::server::danger::ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Load a rustls server configuration from PEM files (certificate chain, private key).
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, HostError> {
    tls_config_with(cert, key, false)
}

/// [`tls_config`] that also asks clients for a certificate (mutual TLS, optional), for the
/// listener of the endpoints' `mtls_endpoint_aliases` (RFC 8705 §5).
pub fn mtls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, HostError> {
    tls_config_with(cert, key, true)
}

fn tls_config_with(
    cert: &Path,
    key: &Path,
    client_certificates: bool,
) -> Result<Arc<rustls::ServerConfig>, HostError> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).map_err(|e| HostError::io("read", cert, e))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| HostError::invalid(cert, e))?;
    if certs.is_empty() {
        return Err(HostError::invalid(cert, "holds no certificate"));
    }
    let key_file = key;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).map_err(|e| HostError::io("read", key, e))?,
    ))
    .map_err(|e| HostError::invalid(key_file, e))?
    .ok_or_else(|| HostError::invalid(key_file, "holds no private key"))?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| HostError::setting("TLS", e))?;
    let builder = if client_certificates {
        builder.with_client_cert_verifier(Arc::new(AnyClientCertificate { algorithms }))
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        HostError::invalid(key_file, format!("does not match the certificate: {e}"))
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve `router` on `listener` until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(tls) = tls else {
        use axum::serve::ListenerExt as _;
        // Responses are written in one go; do not let Nagle hold them back.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        return axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let tls_stream = match tokio::time::timeout(
                std::time::Duration::from_secs(10),
                acceptor.accept(stream),
            )
            .await
            {
                Ok(Ok(s)) => s,
                _ => return,
            };
            let mut router = router.layer(axum::Extension(axum::extract::ConnectInfo(peer)));
            if let Some(certs) = tls_stream.get_ref().1.peer_certificates()
                && !certs.is_empty()
            {
                let certs = certs.iter().map(|c| c.as_ref().to_vec()).collect();
                router = router.layer(axum::Extension(ClientCertificates(certs)));
            }
            let service = TowerToHyperService::new(router);
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
            let _ = watcher.watch(conn.into_owned()).await;
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
