//! What the edge node publishes: every metric's name, alias and data type, fixed by the layout
//! (the mapping table in docs/gateway.md is this file), and how a value is read from the twin's
//! state. Aliases are dense and unique across the edge node: the node's metrics first, then
//! each controller's link metrics followed by its modules' metrics, in layout order.

use twin_link::{ControllerHealth, ModuleReading};
use twin_model::codes::{self, ModuleState};
use twin_model::{ModuleIndex, Site};

use super::proto::{DataType, Metric, Value};

/// One metric's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// Full name (`/` separates folders).
    pub name: String,
    /// Data type in births.
    pub datatype: DataType,
    /// A double is published again only when it moved by more than this fraction of the last
    /// published value (0: any change).
    pub deadband: f64,
}

/// A value as published.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// Null (a blank quantity).
    Null,
    /// Boolean.
    Bool(bool),
    /// Unsigned up to 32 bits.
    U32(u32),
    /// Signed 64 bits.
    I64(i64),
    /// Double.
    F64(f64),
    /// String.
    Text(String),
}

impl Val {
    /// Sets the metric's value field for this value's data type (or `is_null`).
    pub fn write_to(&self, m: &mut Metric) {
        m.value = match self {
            Val::Null => {
                m.is_null = Some(true);
                None
            }
            Val::Bool(b) => Some(Value::Boolean(*b)),
            Val::U32(u) => Some(Value::Int(*u)),
            Val::I64(i) => Some(Value::Long(*i as u64)),
            Val::F64(x) => Some(Value::Double(*x)),
            Val::Text(t) => Some(Value::String(t.clone())),
        };
    }

    /// Whether `self`, as last published, should be published again as `new` under `def`.
    pub fn differs(&self, new: &Val, def: &Def) -> bool {
        match (self, new) {
            (Val::F64(a), Val::F64(b)) if def.deadband > 0.0 => (b - a).abs() > def.deadband * a.abs(),
            _ => self != new,
        }
    }
}

/// The node's metrics, in alias order: name, type, deadband.
pub const NODE: [(&str, DataType, f64); 14] = [
    ("bdSeq", DataType::Int64, 0.0),
    ("Node Control/Rebirth", DataType::Boolean, 0.0),
    ("Site/Name", DataType::String, 0.0),
    ("Site/Layout Id", DataType::String, 0.0),
    ("KPI/Orders per Hour", DataType::Double, 0.0),
    ("KPI/Lines per Hour", DataType::Double, 0.0),
    ("KPI/Orders Done", DataType::UInt32, 0.0),
    ("KPI/Lines Done", DataType::UInt32, 0.0),
    ("KPI/Open Orders", DataType::UInt32, 0.0),
    ("KPI/Late Orders", DataType::UInt32, 0.0),
    ("Alarms/Open", DataType::UInt32, 0.0),
    ("Data Age s", DataType::UInt32, 0.0),
    ("Controllers/Fresh", DataType::UInt32, 0.0),
    ("Controllers/Total", DataType::UInt32, 0.0),
];

/// Index of `bdSeq` among the node's metrics.
pub const BD_SEQ: usize = 0;
/// Index of `Node Control/Rebirth`.
pub const REBIRTH: usize = 1;
/// The rebirth metric's name, as hosts send it in NCMD.
pub const REBIRTH_NAME: &str = NODE[REBIRTH].0;

/// A controller's link metrics, in alias order. Latencies move by 10 % before they are sent
/// again: a healthy link's jitter would otherwise be most of the traffic.
pub const DEVICE: [(&str, DataType, f64); 8] = [
    ("Link/Connection", DataType::String, 0.0),
    ("Link/Data Age s", DataType::UInt32, 0.0),
    ("Link/Latency p50 ms", DataType::Double, 0.1),
    ("Link/Latency p99 ms", DataType::Double, 0.1),
    ("Link/Errors", DataType::UInt32, 0.0),
    ("Link/Exceptions", DataType::UInt32, 0.0),
    ("Link/Reconnects", DataType::UInt32, 0.0),
    ("Link/Missing Blocks", DataType::String, 0.0),
];

/// A module's metrics under `Modules/<location>/`, in alias order.
pub const MODULE: [(&str, DataType); 5] = [
    ("State", DataType::String),
    ("Quantity", DataType::UInt16),
    ("Location Text", DataType::String),
    ("Colour", DataType::String),
    ("Confirmed Quantity", DataType::UInt16),
];

/// One controller as a Sparkplug device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Device id in the topics (the controller's name, made topic-safe).
    pub id: String,
    /// Index of the first of its metrics in the edge node's metric list.
    pub first: usize,
    /// Its modules, in address order.
    pub modules: Vec<ModuleIndex>,
    /// Its metrics: the link's ([`DEVICE`]), then [`MODULE`] for each module.
    pub defs: Vec<Def>,
}

/// Every metric of the edge node.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// The node's metrics ([`NODE`]).
    pub node: Vec<Def>,
    /// One device per controller, in layout order.
    pub devices: Vec<Device>,
    /// For each module of the site: its device and its position there.
    pub slots: Vec<(u16, u32)>,
}

/// A Sparkplug id element: no `/`, `+` or `#`, not empty.
pub fn topic_safe(name: &str) -> String {
    let s: String = name.chars().map(|c| if matches!(c, '/' | '+' | '#') { '_' } else { c }).collect();
    if s.is_empty() { "_".to_owned() } else { s }
}

impl Catalog {
    /// The catalogue of a site. A module's folder is its layout location (`/` made `_`); a
    /// location that two modules of a controller share gets `~<module id>` on every copy.
    pub fn for_site(site: &Site) -> Self {
        let def = |name: String, (datatype, deadband)| Def { name, datatype, deadband };
        let node: Vec<Def> = NODE.iter().map(|&(n, t, d)| def(n.to_owned(), (t, d))).collect();
        let mut first = node.len();
        let mut slots = vec![(0u16, 0u32); site.modules.len()];
        let mut devices = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (c, plan) in site.controllers.iter().enumerate() {
            let mut id = topic_safe(&site.layout.controllers[c].name);
            if !ids.insert(id.clone()) {
                id = format!("{id}~{c}");
                ids.insert(id.clone());
            }
            let mut defs: Vec<Def> = DEVICE.iter().map(|&(n, t, d)| def(n.to_owned(), (t, d))).collect();
            let mut count = std::collections::HashMap::<&str, u32>::new();
            for &m in &plan.modules {
                *count.entry(&site.modules[m as usize].location).or_default() += 1;
            }
            for (j, &m) in plan.modules.iter().enumerate() {
                let module = &site.modules[m as usize];
                let mut folder = topic_safe(&module.location).replace('/', "_");
                if count.get(&*module.location).copied().unwrap_or(0) > 1 {
                    folder = format!("{folder}~{}", module.id.0);
                }
                for &(n, t) in &MODULE {
                    defs.push(def(format!("Modules/{folder}/{n}"), (t, 0.0)));
                }
                if let Some(s) = slots.get_mut(m as usize) {
                    *s = (c as u16, j as u32);
                }
            }
            let len = defs.len();
            devices.push(Device { id, first, modules: plan.modules.clone(), defs });
            first += len;
        }
        Self { node, devices, slots }
    }

    /// Metrics in all: the size of the last-published table.
    pub fn len(&self) -> usize {
        self.node.len() + self.devices.iter().map(|d| d.defs.len()).sum::<usize>()
    }

    /// Whether there are no metrics (never: the node always has its own).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The alias of the metric at `index` in the edge node's list (aliases start at 1).
    pub fn alias(index: usize) -> u64 {
        index as u64 + 1
    }
}

/// The link metrics' values, in [`DEVICE`] order.
pub fn device_values(h: &ControllerHealth, now_ms: u64) -> [Val; 8] {
    let age = h.age_ms(now_ms).map_or(Val::Null, |a| Val::U32(u32::try_from(a / 1000).unwrap_or(u32::MAX)));
    [
        Val::Text(h.connection.name().to_owned()),
        age,
        Val::F64(f64::from(h.latency_p50_us) / 1000.0),
        Val::F64(f64::from(h.latency_p99_us) / 1000.0),
        Val::U32(h.errors),
        Val::U32(h.exceptions),
        Val::U32(h.reconnects),
        Val::Text(twin_ops::missing_names(h)),
    ]
}

/// A module's values, in [`MODULE`] order (names as `picktwin snapshot` prints them).
pub fn module_values(r: &ModuleReading) -> [Val; 5] {
    [
        Val::Text(ModuleState::from_register(r.state).map_or("unknown", ModuleState::name).to_owned()),
        if r.quantity == codes::QUANTITY_BLANK { Val::Null } else { Val::U32(u32::from(r.quantity)) },
        Val::Text(r.location.as_str().to_owned()),
        Val::Text(codes::COLOURS.get(usize::from(r.colour)).map_or("unknown", |c| c.0).to_owned()),
        Val::U32(u32::from(r.confirmed_quantity)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str) -> Site {
        Site::load(format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn aliases_are_dense_and_names_unique_per_device() {
        let s = site("pharma_dc.ron");
        let c = Catalog::for_site(&s);
        assert_eq!(c.devices.len(), 8);
        assert_eq!(c.len(), NODE.len() + 8 * DEVICE.len() + 14_280 * MODULE.len());
        let mut next = NODE.len();
        for d in &c.devices {
            assert_eq!(d.first, next);
            next += d.defs.len();
            let names: std::collections::HashSet<&str> = d.defs.iter().map(|d| d.name.as_str()).collect();
            assert_eq!(names.len(), d.defs.len(), "{}: names unique", d.id);
        }
        let m = &s.modules[0];
        let (dev, j) = c.slots[0];
        let d = &c.devices[usize::from(dev)];
        assert_eq!(d.defs[DEVICE.len() + j as usize * 5].name, format!("Modules/{}/State", m.location));
        assert_eq!(Catalog::alias(0), 1);
    }

    #[test]
    fn ids_and_folders_are_topic_safe_and_the_deadband_holds_jitter() {
        assert_eq!(topic_safe("ptl/1+#"), "ptl_1__");
        assert_eq!(topic_safe(""), "_");
        let d = Def { name: "x".into(), datatype: DataType::Double, deadband: 0.1 };
        assert!(!Val::F64(1.0).differs(&Val::F64(1.09), &d));
        assert!(Val::F64(1.0).differs(&Val::F64(1.11), &d));
        assert!(Val::F64(0.0).differs(&Val::F64(0.01), &d));
        assert!(Val::Null.differs(&Val::F64(0.0), &d));
        let exact = Def { deadband: 0.0, ..d };
        assert!(Val::F64(1.0).differs(&Val::F64(1.01), &exact));
    }

    #[test]
    fn values_read_like_the_snapshot() {
        let r = ModuleReading {
            state: ModuleState::Lit as u16,
            quantity: 12,
            colour: 1,
            confirmed_quantity: 3,
            ..Default::default()
        };
        let v = module_values(&r);
        assert_eq!(v[0], Val::Text("lit".into()));
        assert_eq!((v[1].clone(), v[4].clone()), (Val::U32(12), Val::U32(3)));
        assert_eq!(v[3], Val::Text(codes::COLOURS[1].0.to_owned()));
        let blank = ModuleReading { quantity: codes::QUANTITY_BLANK, ..r };
        assert_eq!(module_values(&blank)[1], Val::Null);
        let h = ControllerHealth { last_good_poll_ms: 10_000, latency_p99_us: 1500, ..Default::default() };
        let v = device_values(&h, 12_600);
        assert_eq!((v[1].clone(), v[3].clone()), (Val::U32(2), Val::F64(1.5)));
        assert_eq!(device_values(&ControllerHealth::default(), 1)[1], Val::Null);
    }
}
