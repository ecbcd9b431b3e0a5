//! HTTPS served by the service itself: a client that trusts the
//! configured certificate gets its answers over TLS; plain HTTP on the
//! same port gets none.

use std::sync::Arc;

use escalator_integration_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Sends one request over `stream` and reads the whole response.
async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    request: &str,
) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut response),
    )
    .await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn the_api_is_served_over_tls_with_the_configured_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(config_dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(
        config_dir.path().join("key.pem"),
        cert.signing_key.serialize_pem(),
    )
    .unwrap();
    let server = TestServer::start_unready_with_config_file_in_dir(
        "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
        tempfile::tempdir().unwrap(),
        config_dir,
    )
    .await;

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(client));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let tcp = TcpStream::connect(server.addr()).await.unwrap();
        let mut tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect("the handshake succeeds with the configured certificate");
        let ready = exchange(
            &mut tls,
            "GET /readyz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
        )
        .await;
        if ready.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ready: {ready}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the handshake succeeds with the configured certificate");
    let response = exchange(
        &mut tls,
        "GET /v1/store HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"backend\""), "{response}");
    // The configuration names the files, not where they are.
    let config = exchange(
        &mut connector
            .connect(
                ServerName::try_from("localhost").unwrap(),
                TcpStream::connect(server.addr()).await.unwrap(),
            )
            .await
            .unwrap(),
        "GET /v1/config HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(config.contains("\"cert\":\"cert.pem\""), "{config}");

    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(server.addr()).await.unwrap();
    let response = exchange(
        &mut plain,
        "GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(!response.starts_with("HTTP/1.1 200"), "{response}");
}
