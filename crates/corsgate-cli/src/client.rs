//! The HTTP(S) client side shared by `check` and `scan`: rustls with the webpki roots plus
//! `--cacert`, and errors that say whether TLS or the connection failed.

/// http and https connector.
pub type Connector =
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// http and https, trusting the webpki roots plus the `--cacert` certificates.
pub fn https_connector(cacert: Option<&std::path::Path>) -> Result<Connector, String> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = cacert {
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read CA certificates from {}: {e}\n  fix: pass a PEM file with -----BEGIN CERTIFICATE----- blocks", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{} holds no certificate\n  fix: pass a PEM file with -----BEGIN CERTIFICATE----- blocks", path.display()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("{}: unusable CA certificate: {e}", path.display()))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS set-up failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build())
}

/// One line for a failed request: a TLS failure (with the `--cacert` hint), a refused
/// connection, or another failure, with the deepest cause.
pub fn describe_error(e: &hyper_util::client::legacy::Error, target: &str) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut detail = e.to_string();
    let mut tls = false;
    while let Some(s) = source {
        detail = s.to_string();
        // rustls errors arrive wrapped in io::Error by the TLS stream.
        tls |= s.downcast_ref::<rustls::Error>().is_some()
            || s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        source = s.source();
    }
    // The wrapping differs between connector versions; rustls's messages are recognisable too.
    let lower = detail.to_ascii_lowercase();
    tls |= [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "peer sent",
        "alert",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if e.is_connect() && tls {
        format!("TLS error with {target}: {detail}\n  fix: for a private or self-signed CA pass --cacert FILE; check that the port speaks https")
    } else if e.is_connect() {
        format!("cannot connect to {target}: {detail} (is the server running?)")
    } else {
        format!("request to {target} failed: {detail}")
    }
}
