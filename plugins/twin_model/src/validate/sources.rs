//! The layout's `sources`: a WMS connection that can be opened and queried safely, a register
//! block for each Modbus source, and RTLS tags worn by known pickers.

use super::*;
use crate::sources::{OrderSource, PickerSource, SqlTls, WmsSql, is_sql_identifier};

/// Checks `layout.sources` against the maps of its controllers (`controller_map`).
pub(super) fn check_sources(
    layout: &SiteLayout,
    ck: &mut Checker,
    maps: &[RegisterMap],
    controller_map: &[Option<usize>],
) {
    let root = ValuePath::root().field("sources");
    let first_map = controller_map.first().copied().flatten().and_then(|m| maps.get(m));
    match &layout.sources.orders {
        OrderSource::None => {}
        OrderSource::ModbusBoard => {
            if let Some(m) = first_map
                && m.orders.is_none()
                && !layout.controllers.is_empty()
            {
                ck.warning(
                    root.field("orders"),
                    format!("orders come from the order board, but register map {:?} has none", m.name),
                    "declare `sources: (orders: WmsSql(...))` or `orders: None`; the overlay says \"no order source\"",
                );
            }
        }
        OrderSource::WmsSql(w) => check_wms(ck, root.field("orders").index(0), w),
    }
    let pickers = root.field("pickers");
    match &layout.sources.pickers {
        PickerSource::None | PickerSource::Inferred { .. } => {}
        PickerSource::ModbusBlock => {
            if let Some(m) = first_map
                && m.pickers.is_none()
                && !layout.controllers.is_empty()
                && !layout.pickers.is_empty()
            {
                ck.warning(
                    pickers,
                    format!("pickers come from the picker block, but register map {:?} has none", m.name),
                    "declare `pickers: Inferred(idle_after_s: 120)`, `RtlsMqtt(...)` or `None`",
                );
            }
        }
        PickerSource::RtlsMqtt(r) => {
            let path = pickers.index(0);
            if crate::sources::mqtt_host_port(&r.broker).is_none() {
                ck.error(
                    path.field("broker"),
                    format!("RTLS broker {:?} is not an mqtt:// URL", r.broker),
                    "write it as mqtt://host:port",
                );
            }
            if r.topic.is_empty() {
                ck.error(
                    path.field("topic"),
                    "RTLS topic is empty",
                    "name the topic the tags' updates arrive on",
                );
            }
            let f = &r.frame;
            if !(f.scale.is_finite() && f.scale > 0.0) {
                ck.error(
                    path.field("frame").field("scale"),
                    format!("RTLS frame scale must be positive, found {}", f.scale),
                    "plan metres per RTLS unit: 1.0 for metres, 0.001 for millimetres",
                );
            }
            if !(f.rotation_deg.is_finite() && f.origin.x.is_finite() && f.origin.y.is_finite()) {
                ck.error(path.field("frame"), "RTLS frame has a non-finite number", "");
            }
            if !(r.stale_after_s.is_finite() && r.stale_after_s > 0.0) {
                ck.error(path.field("stale_after_s"), "stale_after_s must be positive", "");
            }
            let known: HashMap<&str, ()> = layout.pickers.iter().map(|p| (p.id.as_str(), ())).collect();
            let mut tags: HashMap<&str, usize> = HashMap::new();
            let mut worn: HashMap<&str, usize> = HashMap::new();
            for (i, t) in r.tags.iter().enumerate() {
                let at = path.field("tags").index(i);
                if !known.contains_key(t.picker.as_str()) {
                    let ids: Vec<&str> = layout.pickers.iter().map(|p| p.id.as_str()).collect();
                    ck.error(
                        at.field("picker"),
                        format!("tag {:?} is worn by unknown picker {:?}", t.tag, t.picker),
                        format!("known pickers: {}", ids.join(", ")),
                    );
                }
                if let Some(&first) = tags.get(t.tag.as_str()) {
                    ck.error(at.field("tag"), format!("tag {:?} is assigned twice", t.tag), "");
                    ck.related(path.field("tags").index(first).field("tag"), "first assigned here");
                } else {
                    tags.insert(&t.tag, i);
                }
                if let Some(&first) = worn.get(t.picker.as_str()) {
                    ck.error(at.field("picker"), format!("picker {:?} wears two tags", t.picker), "");
                    ck.related(path.field("tags").index(first).field("picker"), "first tag here");
                } else {
                    worn.insert(&t.picker, i);
                }
            }
        }
    }
}

fn check_wms(ck: &mut Checker, path: ValuePath, w: &WmsSql) {
    let url_ok = w.url.starts_with("postgres://")
        || w.url.starts_with("postgresql://")
        || w.url.starts_with("sqlite:");
    if !url_ok || w.url.ends_with(':') || w.url.ends_with("//") {
        ck.error(
            path.field("url"),
            format!("WMS url {:?} is neither postgres://… nor sqlite:…", w.url),
            "write postgres://user@host:port/database (password from password_env) or sqlite:path/to/wms.sqlite",
        );
    }
    if w.url.starts_with("postgres")
        && w.url.split_once("://").is_some_and(|(_, rest)| {
            rest.split('@').next().is_some_and(|user| rest.contains('@') && user.contains(':'))
        })
    {
        ck.error(
            path.field("url"),
            "the WMS url carries a password",
            "remove it from the layout and name an environment variable in password_env",
        );
    }
    if w.url.starts_with("sqlite:") && w.tls != SqlTls::Disable {
        ck.error(path.field("tls"), "TLS applies to PostgreSQL only", "remove tls for a sqlite: url");
    }
    if let Some(v) = &w.password_env
        && (v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        ck.error(path.field("password_env"), format!("{v:?} is not an environment variable name"), "");
    }
    if !(50..=600_000).contains(&w.poll_ms) {
        ck.error(path.field("poll_ms"), format!("poll_ms {} is outside 50..=600000", w.poll_ms), "");
    }
    if !(1..=10_000).contains(&w.batch) {
        ck.error(path.field("batch"), format!("batch {} is outside 1..=10000", w.batch), "");
    }
    if w.reread_s > 3600 {
        ck.error(
            path.field("reread_s"),
            format!("reread_s {} is over 3600", w.reread_s),
            "0 turns the re-read off",
        );
    }
    if !(1..=16_384).contains(&w.max_open) {
        ck.error(path.field("max_open"), format!("max_open {} is outside 1..=16384", w.max_open), "");
    }
    if !(1..=1000).contains(&w.max_lines) {
        ck.error(path.field("max_lines"), format!("max_lines {} is outside 1..=1000", w.max_lines), "");
    }
    if w.utc_offset_s().is_none() {
        ck.error(
            path.field("utc_offset"),
            format!("utc_offset {:?} is not ±HH:MM", w.utc_offset),
            "for example \"+01:00\"",
        );
    }
    let o = &w.schema.orders;
    let l = &w.schema.lines;
    let names: [(&'static str, &'static str, &str); 18] = [
        ("orders", "table", &o.table),
        ("orders", "id", &o.id),
        ("orders", "priority", &o.priority),
        ("orders", "zone", &o.zone),
        ("orders", "released_at", &o.released_at),
        ("orders", "due_at", &o.due_at),
        ("orders", "status", &o.status),
        ("orders", "picker", &o.picker),
        ("orders", "revision", &o.revision),
        ("lines", "table", &l.table),
        ("lines", "id", &l.id),
        ("lines", "order_id", &l.order_id),
        ("lines", "location", &l.location),
        ("lines", "sku", &l.sku),
        ("lines", "quantity", &l.quantity),
        ("lines", "confirmed", &l.confirmed),
        ("lines", "status", &l.status),
        ("lines", "revision", &l.revision),
    ];
    for (table, field, name) in names {
        if !is_sql_identifier(name) {
            ck.error(
                path.field("schema").field(table).field(field),
                format!("{name:?} is not a plain SQL name"),
                "letters, digits and _ (optionally schema.name); map other shapes with a view",
            );
        }
    }
}
