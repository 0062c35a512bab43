//! How connections are made, as settings: the certificate authorities trusted beyond the
//! platform's own (a PEM bundle from `--ca-bundle`, else `AWS_CA_BUNDLE`, else the profile's
//! `ca_bundle`, the AWS CLI's order), whether certificates are checked at all (`--no-verify-ssl`),
//! and which proxy carries requests (`https_proxy`/`HTTPS_PROXY` for https URLs,
//! `http_proxy`/`HTTP_PROXY` for http URLs, `all_proxy`/`ALL_PROXY` for either when those are
//! unset, `no_proxy`/`NO_PROXY` for hosts reached directly). It reads the bundle file and takes the
//! variables from [`Environment`], never from the process; it builds no HTTP client (the client
//! module does, from [`Network`]).
//!
//! As in the AWS CLI (Python's `urllib`), a lower-case proxy variable wins over its upper-case
//! twin, and `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set: under CGI, a request's `Proxy:`
//! header arrives as `HTTP_PROXY` ("httpoxy"). A proxy URL may carry `user:password@`; it never
//! appears in an error message or in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use url::Url;

use super::endpoint::redact_userinfo;
use super::ini::{expand_home, Profile};
use super::{ConfigError, ConfigInputs, Environment};

/// TLS trust and proxies for the connections a client makes.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Certificate authorities trusted besides the system store and the bundled web roots.
    pub ca_bundle: Option<CaBundle>,
    /// `--no-verify-ssl`: accept any certificate (the CLI warns on stderr).
    pub no_verify_ssl: bool,
    pub proxies: Proxies,
}

/// A PEM file of one or more CA certificates, read and checked.
#[derive(Clone)]
pub struct CaBundle {
    pub path: PathBuf,
    /// `--ca-bundle`, `AWS_CA_BUNDLE` or the profile and its file.
    pub origin: String,
    /// The certificates, DER-encoded, in file order.
    pub certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("origin", &self.origin)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

/// The proxies requests go through, by the scheme of the URL they go to.
#[derive(Clone, Debug, Default)]
pub struct Proxies {
    /// For `http://` URLs.
    pub http: Option<ProxyUrl>,
    /// For `https://` URLs (tunnelled with `CONNECT`).
    pub https: Option<ProxyUrl>,
    /// Hosts reached directly, as `NO_PROXY` lists them (`host`, `.domain`, an IP, a CIDR
    /// block, `*`).
    pub no_proxy: Option<String>,
}

/// A proxy's URL (`http://` or `https://`, user info allowed) and the variable it came from.
/// `Debug` and `Display` hide the user info.
#[derive(Clone)]
pub struct ProxyUrl {
    url: Url,
    pub origin: String,
}

impl ProxyUrl {
    /// The URL with its user info: hand it to the HTTP client, never to a message.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if !shown.username().is_empty() || shown.password().is_some() {
            let _ = shown.set_password(None);
            let _ = shown.set_username("***");
        }
        write!(f, "{shown} (from {})", self.origin)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

pub(super) fn resolve_network(
    inputs: &ConfigInputs,
    env: &Environment,
    profile: &Profile,
) -> Result<Network, ConfigError> {
    let flag = inputs
        .ca_bundle
        .as_deref()
        .filter(|p| !p.as_os_str().is_empty());
    let source = match flag {
        Some(path) => Some((path.to_path_buf(), "--ca-bundle".to_owned())),
        None => match env.var("AWS_CA_BUNDLE") {
            Some(path) => Some((expand_home(path, env.home()), "AWS_CA_BUNDLE".to_owned())),
            None => profile
                .text("ca_bundle")
                .map(|(path, file)| (expand_home(path, env.home()), profile.origin(file))),
        },
    };
    let ca_bundle = source
        .map(|(path, origin)| read_ca_bundle(&path, origin))
        .transpose()?;
    Ok(Network {
        ca_bundle,
        no_verify_ssl: inputs.no_verify_ssl,
        proxies: resolve_proxies(env)?,
    })
}

/// Reads a PEM bundle; one that cannot be read, holds no certificate, or holds one that cannot be
/// a trust anchor is refused with the file and its source named.
pub fn read_ca_bundle(path: &Path, origin: String) -> Result<CaBundle, ConfigError> {
    let fail = |reason: String| ConfigError::CaBundle {
        path: path.to_path_buf(),
        origin: origin.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = item.map_err(|e| fail(format!("PEM block {} is damaged: {e}", index + 1)))?;
        // A block that parses as PEM may still not be a certificate a TLS client can anchor on:
        // say so now, naming the file, rather than when the first connection is made.
        let mut store = rustls::RootCertStore::empty();
        store.add(der.clone()).map_err(|e| {
            fail(format!(
                "certificate {} is not a usable CA certificate: {e}",
                index + 1
            ))
        })?;
        certificates.push(der.as_ref().to_vec());
    }
    if certificates.is_empty() {
        return Err(fail(
            "it holds no certificate (expected PEM blocks `-----BEGIN CERTIFICATE-----`)"
                .to_owned(),
        ));
    }
    Ok(CaBundle {
        path: path.to_path_buf(),
        origin,
        certificates,
    })
}

fn resolve_proxies(env: &Environment) -> Result<Proxies, ConfigError> {
    // Under CGI, HTTP_PROXY is the client's `Proxy:` header: never trust it there.
    let cgi = env.var("REQUEST_METHOD").is_some();
    let http_names: &[&str] = if cgi {
        &["http_proxy"]
    } else {
        &["http_proxy", "HTTP_PROXY"]
    };
    let all = proxy_var(env, &["all_proxy", "ALL_PROXY"])?;
    let http = proxy_var(env, http_names)?.or_else(|| all.clone());
    let https = proxy_var(env, &["https_proxy", "HTTPS_PROXY"])?.or(all);
    let no_proxy = ["no_proxy", "NO_PROXY"]
        .iter()
        .find_map(|name| env.var(name))
        .map(str::to_owned);
    Ok(Proxies {
        http,
        https,
        no_proxy,
    })
}

/// The first of `names` that is set, as a proxy URL (`http://` assumed when no scheme is given).
fn proxy_var(env: &Environment, names: &[&str]) -> Result<Option<ProxyUrl>, ConfigError> {
    let Some((name, value)) = names
        .iter()
        .find_map(|name| env.var(name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    let invalid = |reason: &str| ConfigError::InvalidSetting {
        key: "proxy".to_owned(),
        value: redact_userinfo(value),
        origin: name.to_owned(),
        expected: format!(
            "an http:// or https:// proxy URL such as http://proxy.example:3128 ({reason})"
        ),
    };
    let text = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&format!(
            "the scheme `{}` is not supported",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    Ok(Some(ProxyUrl {
        url,
        origin: name.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_vars(pairs.iter().copied(), None)
    }

    #[test]
    fn lower_case_wins_all_proxy_fills_in_and_cgi_ignores_http_proxy() {
        let proxies = resolve_proxies(&env(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "lower:2"),
            ("ALL_PROXY", "http://all:3"),
            ("NO_PROXY", "localhost,.internal"),
        ]))
        .expect("valid");
        let http = proxies.http.expect("http proxy");
        assert_eq!(http.url().as_str(), "http://lower:2/");
        assert_eq!(http.origin, "http_proxy");
        let https = proxies.https.expect("all_proxy for https");
        assert_eq!(https.url().as_str(), "http://all:3/");
        assert_eq!(proxies.no_proxy.as_deref(), Some("localhost,.internal"));

        let cgi = resolve_proxies(&env(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://attacker:1"),
        ]))
        .expect("valid");
        assert!(cgi.http.is_none(), "{cgi:?}");
    }

    #[test]
    fn proxy_passwords_never_show() {
        let proxies =
            resolve_proxies(&env(&[("HTTPS_PROXY", "http://alice:s3cr3t@proxy:3128")])).unwrap();
        let https = proxies.https.clone().expect("https proxy");
        assert_eq!(https.url().password(), Some("s3cr3t"));
        for shown in [format!("{https}"), format!("{proxies:?}")] {
            assert!(
                !shown.contains("s3cr3t") && !shown.contains("alice"),
                "{shown}"
            );
            assert!(shown.contains("proxy:3128"), "{shown}");
        }
        for bad in [
            "http://alice:s3cr3t@[::1",
            "socks5://alice:s3cr3t@proxy:1080",
        ] {
            let e = resolve_proxies(&env(&[("HTTPS_PROXY", bad)])).unwrap_err();
            let text = e.to_string();
            assert!(text.contains("HTTPS_PROXY"), "{text}");
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }
}
