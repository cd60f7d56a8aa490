//! Controller addresses: `host:port` or `[v6]:port`, normalised for duplicate detection.

/// Checks `host:port` (or `[v6]:port`) and returns it normalised for duplicate detection.
pub(super) fn parse_endpoint(address: &str) -> Result<String, String> {
    let (host, port) = address.rsplit_once(':').ok_or_else(|| format!("address {address:?} has no port"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty()
        || host.contains(char::is_whitespace)
        || (host.contains(':') && !address.starts_with('['))
    {
        return Err(format!("address {address:?} has no valid host"));
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("address {address:?} has no valid port (1–65535)")),
        Ok(p) => Ok(format!("{}:{p}", host.to_ascii_lowercase())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn endpoints() {
        assert_eq!(parse_endpoint("10.0.0.5:502"), Ok("10.0.0.5:502".into()));
        assert_eq!(parse_endpoint("PLC-1.local:1502"), Ok("plc-1.local:1502".into()));
        assert_eq!(parse_endpoint("[fd00::5]:502"), Ok("fd00::5:502".into()));
        assert!(parse_endpoint("10.0.0.5").is_err());
        assert!(parse_endpoint("10.0.0.5:0").is_err());
        assert!(parse_endpoint("10.0.0.5:70000").is_err());
        assert!(parse_endpoint(":502").is_err());
        assert!(parse_endpoint("fd00::5:502").is_err());
    }
}
