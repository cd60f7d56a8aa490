//! From what a user gives (a broker URL, TLS files, a site name) to a [`Connection`]: files
//! read with errors naming them, the password from `PICKTWIN_MQTT_PASSWORD`, the site's topic
//! name.

use std::path::{Path, PathBuf};

use crate::gateway::Connection;
use crate::wire::BrokerUrl;

/// TLS files for an `mqtts://` broker, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// CA certificate (PEM).
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM).
    pub client_cert: Option<PathBuf>,
    /// Client private key (PEM).
    pub client_key: Option<PathBuf>,
}

/// A client certificate and its key, PEM.
pub type ClientAuth = (Vec<u8>, Vec<u8>);

/// The TLS files read (CA, client auth), or a message naming the file that could not be read.
pub fn read_tls(tls: &TlsFiles) -> Result<(Option<Vec<u8>>, Option<ClientAuth>), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let ca = tls.ca.as_deref().map(read).transpose()?;
    let auth = match (&tls.client_cert, &tls.client_key) {
        (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
        _ => None,
    };
    Ok((ca, auth))
}

/// The URL with a password from PICKTWIN_MQTT_PASSWORD when it names a user but no password.
pub fn with_password(mut url: BrokerUrl) -> BrokerUrl {
    if url.username.is_some() && url.password.is_none() {
        url.password = std::env::var("PICKTWIN_MQTT_PASSWORD").ok();
    }
    url
}

/// A name for topics and files: lower case ASCII letters and digits, `-` for the rest.
pub fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// A site name from the URL's path or the layout's name ([`slug`]).
pub fn site_name(url: &BrokerUrl, given: Option<&str>, layout_name: &str) -> String {
    given.map(str::to_owned).or_else(|| url.site.clone()).unwrap_or_else(|| slug(layout_name))
}

/// Where to connect: the URL (password from the environment if needed), the site name, TLS.
pub fn connection(
    url: &BrokerUrl,
    tls: &TlsFiles,
    site: Option<&str>,
    layout_name: &str,
) -> Result<Connection, String> {
    let (ca_pem, client_auth) = read_tls(tls)?;
    let broker = with_password(url.clone());
    let site = site_name(&broker, site, layout_name);
    Ok(Connection { broker, site, ca_pem, client_auth })
}
