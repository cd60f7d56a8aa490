//! Sparkplug B (Eclipse Sparkplug 3.0) from the gateway, for SCADA and historians: the gateway
//! is an edge node, each PTL controller a device. Births carry every metric with its alias
//! ([`catalog`]), data goes out by exception at most every 100 ms with `seq` 0–255, a device
//! dies when its controller is offline, stale or frozen and is born again once it has been
//! current for a second, NDEATH is the MQTT will with the session's `bdSeq`, an NCMD
//! `Node Control/Rebirth` sends the births again, and every other command is refused: the
//! gateway never writes to a controller. docs/gateway.md has the mapping table.

pub mod catalog;
pub mod proto;
mod run;
pub mod session;

pub use catalog::Catalog;
pub use run::{SparkplugOptions, SparkplugStats, run};
pub use session::{Edge, Publish, View};

/// The edge node's identity: `GROUP[/EDGE_NODE]` as given to `--sparkplug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkplugId {
    /// Group id.
    pub group: String,
    /// Edge node id; `None`: the site's name.
    pub edge_node: Option<String>,
}

impl std::str::FromStr for SparkplugId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (group, edge) = match s.split_once('/') {
            Some((g, e)) => (g, Some(e)),
            None => (s, None),
        };
        let check = |what: &str, v: &str| {
            if v.is_empty() || v.contains(['/', '+', '#']) {
                Err(format!(
                    "Sparkplug {what} {v:?} must be non-empty without '/', '+' or '#': write GROUP or GROUP/EDGE_NODE, e.g. picktwin/north-dc"
                ))
            } else {
                Ok(v.to_owned())
            }
        };
        Ok(Self {
            group: check("group id", group)?,
            edge_node: edge.map(|e| check("edge node id", e)).transpose()?,
        })
    }
}

/// The edge node's topics (`spBv1.0/<group>/<type>/<edge node>[/<device>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkplugTopics {
    /// Group id.
    pub group: String,
    /// Edge node id.
    pub edge_node: String,
}

impl SparkplugTopics {
    /// The topics of an edge node; a missing edge node id is the site's name.
    pub fn new(id: &SparkplugId, site: &str) -> Self {
        let edge_node = id.edge_node.clone().unwrap_or_else(|| catalog::topic_safe(site));
        Self { group: id.group.clone(), edge_node }
    }

    /// A node message topic: NBIRTH, NDATA, NDEATH, NCMD.
    pub fn node(&self, kind: &str) -> String {
        format!("spBv1.0/{}/{kind}/{}", self.group, self.edge_node)
    }

    /// A device message topic: DBIRTH, DDATA, DDEATH, DCMD.
    pub fn device(&self, kind: &str, device: &str) -> String {
        format!("spBv1.0/{}/{kind}/{}/{device}", self.group, self.edge_node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_what_to_write() {
        let id: SparkplugId = "plant/north".parse().unwrap();
        assert_eq!(id, SparkplugId { group: "plant".into(), edge_node: Some("north".into()) });
        let t = SparkplugTopics::new(&"plant".parse().unwrap(), "pharma-dc-north");
        assert_eq!(t.node("NBIRTH"), "spBv1.0/plant/NBIRTH/pharma-dc-north");
        assert_eq!(t.device("DDATA", "ptl-1"), "spBv1.0/plant/DDATA/pharma-dc-north/ptl-1");
        for bad in ["", "a/", "a/b/c", "a+/b", "#"] {
            let e = bad.parse::<SparkplugId>().unwrap_err();
            assert!(e.contains("GROUP/EDGE_NODE"), "{bad}: {e}");
        }
    }
}
