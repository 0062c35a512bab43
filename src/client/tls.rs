//! The HTTP client's trust and proxies, from [`Network`](crate::config::Network): the system's
//! store and the bundled web roots plus a CA bundle, certificate checking switched off on request,
//! and proxies taken from the configuration rather than from the process environment behind its
//! back. Also tells a refused certificate in words: the TLS error buried in a transport error's
//! source chain becomes "certificate not trusted: UnknownIssuer (pass --ca-bundle FILE …)". It
//! sends nothing itself.

use std::error::Error as StdError;

use rustls::CertificateError;

use crate::config::{ConfigError, Network};
use crate::error::Error;

/// Roots, verification and proxies applied to a reqwest builder. With `direct`, no proxy is used
/// (instance metadata and container endpoints).
pub(super) fn configure(
    builder: reqwest::ClientBuilder,
    network: &Network,
    direct: bool,
) -> Result<reqwest::ClientBuilder, Error> {
    // reqwest reads HTTP(S)_PROXY from the process by default; the configuration has already
    // read them from its `Environment`, so switch that off and add exactly what it says.
    let mut builder = builder.no_proxy();
    if !direct {
        let no_proxy = network
            .proxies
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string);
        // The configuration checked the URL already; reqwest's message may quote it (and its
        // password), so say only where it came from.
        let proxy_error = |_: reqwest::Error, origin: &str| {
            Error::Config(ConfigError::InvalidSetting {
                key: "proxy".to_owned(),
                value: "***".to_owned(),
                origin: origin.to_owned(),
                expected: "a proxy URL the HTTP client accepts".to_owned(),
            })
        };
        if let Some(proxy) = &network.proxies.http {
            let p = reqwest::Proxy::http(proxy.url().as_str())
                .map_err(|e| proxy_error(e, &proxy.origin))?;
            builder = builder.proxy(p.no_proxy(no_proxy.clone()));
        }
        if let Some(proxy) = &network.proxies.https {
            let p = reqwest::Proxy::https(proxy.url().as_str())
                .map_err(|e| proxy_error(e, &proxy.origin))?;
            builder = builder.proxy(p.no_proxy(no_proxy.clone()));
        }
    }
    if let Some(bundle) = &network.ca_bundle {
        for der in &bundle.certificates {
            let certificate = reqwest::Certificate::from_der(der).map_err(|e| {
                Error::Config(ConfigError::CaBundle {
                    path: bundle.path.clone(),
                    origin: bundle.origin.clone(),
                    reason: e.to_string(),
                })
            })?;
            builder = builder.add_root_certificate(certificate);
        }
    }
    if network.no_verify_ssl {
        builder = builder.danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// A TLS failure in `e`'s source chain, in words with what to do about it; `None` when the
/// failure was not TLS.
pub(crate) fn tls_problem(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(tls) = as_rustls(err) {
            return Some(describe(tls));
        }
        next = err.source();
    }
    None
}

/// The rustls error in `err`, itself or inside `io::Error`s (reqwest's connector wraps it in two;
/// `io::Error::source()` skips the error it wraps, so the chain alone would miss it).
fn as_rustls<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut err = err;
    loop {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => err = inner,
            None => return None,
        }
    }
}

fn describe(tls: &rustls::Error) -> String {
    let rustls::Error::InvalidCertificate(problem) = tls else {
        return format!("TLS handshake failed: {tls}");
    };
    match problem {
        CertificateError::UnknownIssuer => "certificate not trusted: UnknownIssuer (it is not \
             signed by a CA this client trusts; pass --ca-bundle FILE with the CA, or set \
             AWS_CA_BUNDLE or the profile's ca_bundle, or install it in the system store)"
            .to_owned(),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "certificate does not match the host name: {tls} (use the host name the \
                 certificate was issued for in the endpoint URL)"
            )
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => format!(
            "certificate outside its validity period: {tls} (check the server's certificate \
             and this machine's clock)"
        ),
        _ => format!("certificate refused: {tls}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_error_is_found_inside_an_io_error() {
        // As reqwest hands it over: an io::Error in an io::Error.
        let io = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        ));
        let text = tls_problem(&io).expect("found");
        assert!(
            text.starts_with("certificate not trusted: UnknownIssuer"),
            "{text}"
        );
        assert!(text.contains("--ca-bundle FILE"), "{text}");
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert!(tls_problem(&expired)
            .expect("found")
            .starts_with("certificate outside its validity period"));
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(tls_problem(&plain), None);
    }
}
