//! Networks as people have them, on loopback, for `tests/tls.rs`: a private certificate authority
//! made in the test ([`TestCa`], with rcgen), a TLS terminator that puts an https endpoint signed by
//! it in front of a real server ([`TlsTerminator`]: tokio-rustls, bytes forwarded both ways to
//! s3s-fs unchanged), and a forward proxy that logs what it carries ([`ForwardProxy`]: `CONNECT`
//! tunnels for https, absolute-form requests for http, forwarded as they are).
//!
//! Each runs on a thread of its own with its own tokio runtime, so synchronous tests that run the
//! `s3op` binary and async tests that use the library can both use them; dropping one stops it and
//! closes its connections.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::rustls;

/// The longest request head the proxy reads before deciding where it goes.
const MAX_HEAD: usize = 64 * 1024;

/// A certificate authority made for one test: its certificate (PEM) and what signs server
/// certificates.
pub struct TestCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Writes the CA certificate as a PEM file.
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, &self.pem).expect("write the CA bundle");
    }

    /// A server configuration with a certificate for `names` (host names or IP addresses) signed by
    /// this CA.
    pub fn server_config(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "s3op test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        let der_key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], der_key)
            .expect("server TLS config");
        Arc::new(config)
    }
}

/// A loopback service on its own thread and runtime, stopped on drop.
struct Background {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    fn start<F, Fut>(serve: F) -> Background
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener =
            std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("its address");
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(listener) else {
                    return;
                };
                let serve = Arc::new(serve);
                let accept = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let serve = serve.clone();
                        tokio::spawn(async move { serve(stream).await });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels every connection task, closing its sockets.
            drop(runtime);
        });
        Background {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An https endpoint on loopback that forwards every byte to `upstream` (plain HTTP).
pub struct TlsTerminator {
    inner: Background,
}

impl TlsTerminator {
    pub fn start(upstream: SocketAddr, config: Arc<rustls::ServerConfig>) -> TlsTerminator {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let inner = Background::start(move |stream| {
            let acceptor = acceptor.clone();
            async move {
                // A client that refuses the certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            }
        });
        TlsTerminator { inner }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.inner.addr.port())
    }

    /// `https://localhost:PORT`.
    pub fn endpoint_by_name(&self) -> String {
        format!("https://localhost:{}", self.inner.addr.port())
    }
}

/// An HTTP forward proxy on loopback: `CONNECT host:port` opens a tunnel; a request in absolute
/// form (`GET http://host:port/path HTTP/1.1`) goes to that host with its head unchanged (HTTP/1.1
/// servers accept the absolute form, and the signed `Host` header stays as it was). The first
/// request line of each connection is logged.
pub struct ForwardProxy {
    inner: Background,
    log: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    pub fn start() -> ForwardProxy {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        let inner = Background::start(move |stream| {
            let seen = seen.clone();
            async move {
                let _ = carry(stream, seen).await;
            }
        });
        ForwardProxy { inner, log }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.addr.port())
    }

    /// The first request line of each connection so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

async fn carry(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() > MAX_HEAD {
            return Ok(());
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let line = text.lines().next().unwrap_or_default().to_string();
    if let Ok(mut entries) = log.lock() {
        entries.push(line.clone());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    if method.eq_ignore_ascii_case("CONNECT") {
        let mut server = TcpStream::connect(target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        // Anything the client sent after the head already belongs to the tunnel.
        server.write_all(&head[end..]).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
        return Ok(());
    }
    let Some(authority) = target
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
    else {
        client
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let mut server = TcpStream::connect(authority).await?;
    server.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}
