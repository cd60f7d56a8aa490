//! What travels through the broker (docs/gateway.md): the topic scheme, the versioned envelope
//! (postcard, deflated), and broker addresses (`mqtt://[user:pass@]host:port/site`, `mqtts://`).

use std::io::Write;

use serde::{Deserialize, Serialize};
use twin_link::LinkMessage;
use twin_record::TwinState;

/// Envelope version this build writes and reads.
pub const WIRE_VERSION: u16 = 3;

/// Topics of one site: `picktwin/<site>/v3/<leaf>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// Ordered deltas (QoS 1, not retained).
    pub deltas: String,
    /// The full state (QoS 1, retained): a late joiner's starting point.
    pub keyframe: String,
    /// `online` / `offline` (retained; `offline` is the gateway's last will).
    pub status: String,
}

impl Topics {
    /// Topics for a site name (anything but `/`, `+`, `#` kept; those become `_`).
    pub fn new(site: &str) -> Self {
        let site: String = site.chars().map(|c| if matches!(c, '/' | '+' | '#') { '_' } else { c }).collect();
        let base = format!("picktwin/{site}/v{WIRE_VERSION}");
        Self {
            deltas: format!("{base}/deltas"),
            keyframe: format!("{base}/keyframe"),
            status: format!("{base}/status"),
        }
    }
}

/// What one message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// Link messages in the order the link produced them.
    Deltas(Vec<LinkMessage>),
    /// The full state after delta `seq`.
    Keyframe(TwinState),
}

/// Every payload: version, layout identity, ordering, send time, body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// [`WIRE_VERSION`].
    pub version: u16,
    /// The layout's id (`twin_record::layout_id`): a viewer with another layout refuses.
    pub layout_id: String,
    /// Identifies one gateway run: sequence numbers restart with it.
    pub epoch: u64,
    /// Deltas: this batch's number (1, 2, ...). Keyframe: the last batch it includes.
    pub seq: u64,
    /// Gateway wall clock when sent, milliseconds since the Unix epoch (for lag).
    pub sent_ms: u64,
    /// Wall clock when the oldest message in it left the link (for end-to-end latency).
    pub first_ms: u64,
    /// Content.
    pub body: Body,
}

/// Why a payload is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// Not decodable.
    #[error("undecodable payload: {0}")]
    Decode(String),
    /// Another envelope version.
    #[error(
        "the gateway speaks wire version {found}; this picktwin reads version {supported}: run the same picktwin version on both"
    )]
    Version {
        /// Found.
        found: u16,
        /// Supported.
        supported: u16,
    },
}

/// Encodes an envelope: a version prefix (2 bytes, little-endian) then deflate(postcard).
pub fn encode(e: &Envelope) -> Vec<u8> {
    let raw = postcard::to_stdvec(e).unwrap_or_default();
    let mut z = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(raw.len() / 3 + 16),
        flate2::Compression::fast(),
    );
    let _ = z.write_all(&raw);
    let mut out = WIRE_VERSION.to_le_bytes().to_vec();
    out.extend(z.finish().unwrap_or_default());
    out
}

/// Decodes a payload; the version is checked before anything else, and a body that inflates
/// past `limit` bytes (`Bounds::max_decoded_bytes` of the viewer's layout) is refused while
/// inflating.
pub fn decode(payload: &[u8], limit: usize) -> Result<Envelope, WireError> {
    let (v, rest) = payload.split_at_checked(2).ok_or_else(|| WireError::Decode("too short".into()))?;
    let found = u16::from_le_bytes([v[0], v[1]]);
    if found != WIRE_VERSION {
        return Err(WireError::Version { found, supported: WIRE_VERSION });
    }
    let raw = twin_record::inflate_bounded(rest, limit).map_err(WireError::Decode)?;
    let e: Envelope = postcard::from_bytes(&raw).map_err(|e| WireError::Decode(e.to_string()))?;
    // The prefix and the envelope must agree: a spliced payload is not trusted.
    if e.version != WIRE_VERSION {
        return Err(WireError::Version { found: e.version, supported: WIRE_VERSION });
    }
    Ok(e)
}

/// A broker address.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// TLS (`mqtts://`).
    pub tls: bool,
    /// Host.
    pub host: String,
    /// Port (1883, or 8883 with TLS, by default).
    pub port: u16,
    /// User name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Site name (the path), if given.
    pub site: Option<String>,
}

impl std::fmt::Debug for BrokerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        write!(f, "{}", self)
    }
}

impl std::fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        let user = self.username.as_deref().map_or(String::new(), |u| format!("{u}@"));
        let site = self.site.as_deref().map_or(String::new(), |s| format!("/{s}"));
        write!(f, "{scheme}://{user}{}:{}{site}", self.host, self.port)
    }
}

impl std::str::FromStr for BrokerUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("{s:?}: {why} (expected mqtt://[USER:PASSWORD@]HOST:PORT[/SITE] or mqtts://...)")
        };
        let (tls, rest) = if let Some(r) = s.strip_prefix("mqtt://") {
            (false, r)
        } else if let Some(r) = s.strip_prefix("mqtts://") {
            (true, r)
        } else {
            return Err(bad("unknown scheme"));
        };
        let (authority, site) = match rest.split_once('/') {
            Some((a, p)) => (a, (!p.is_empty()).then(|| p.to_owned())),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (username, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (Some(n.to_owned()), Some(p.to_owned())),
                None => (Some(u.to_owned()), None),
            },
            None => (None, None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse::<u16>().map_err(|_| bad("bad port"))?),
            None => (hostport.to_owned(), if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Self { tls, host, port, username, password, site })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_versions_are_checked() {
        let e = Envelope {
            version: WIRE_VERSION,
            layout_id: "abc".into(),
            epoch: 7,
            seq: 3,
            sent_ms: 10,
            first_ms: 9,
            body: Body::Deltas(vec![LinkMessage::Event(twin_link::LinkEvent::Stale { controller: 2 })]),
        };
        let bytes = encode(&e);
        const LIMIT: usize = 1 << 20;
        assert_eq!(decode(&bytes, LIMIT).unwrap(), e);
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(
            decode(&other, LIMIT).unwrap_err(),
            WireError::Version { found: 9, supported: WIRE_VERSION }
        );
        assert!(matches!(decode(&bytes[..5], LIMIT), Err(WireError::Decode(_))));
        assert!(matches!(decode(b"x", LIMIT), Err(WireError::Decode(_))));
    }

    #[test]
    fn a_body_inflating_past_the_limit_is_refused_while_inflating() {
        // 64 MiB of zeros deflate to ~64 KiB: a bomb against a 1 MiB limit.
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..64 {
            z.write_all(&chunk).unwrap();
        }
        let mut payload = WIRE_VERSION.to_le_bytes().to_vec();
        payload.extend(z.finish().unwrap());
        assert!(payload.len() < 200 << 10, "{}", payload.len());
        let err = decode(&payload, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("inflates past 1048576 bytes"), "{err}");
    }

    #[test]
    fn broker_urls() {
        let u: BrokerUrl = "mqtt://10.0.0.5:1884/north".parse().unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.site.as_deref()),
            (false, "10.0.0.5", 1884, Some("north"))
        );
        let u: BrokerUrl = "mqtts://gw:s3cret@broker.site".parse().unwrap();
        assert_eq!(
            (u.tls, u.port, u.username.as_deref(), u.password.as_deref()),
            (true, 8883, Some("gw"), Some("s3cret"))
        );
        assert_eq!(format!("{u:?}"), "mqtts://gw@broker.site:8883", "no password in logs");
        assert!("http://x".parse::<BrokerUrl>().is_err());
        assert!("mqtt://:1883".parse::<BrokerUrl>().is_err());
        assert!("mqtt://h:99999".parse::<BrokerUrl>().is_err());
        assert_eq!(Topics::new("north/1").deltas, "picktwin/north_1/v3/deltas");
    }
}
