//! Unit tests of the sources declaration: offsets, identifiers, URLs, frames, RON.

use super::*;

#[test]
fn utc_offsets() {
    assert_eq!(parse_utc_offset("+00:00"), Some(0));
    assert_eq!(parse_utc_offset("+01:30"), Some(5400));
    assert_eq!(parse_utc_offset("-05:00"), Some(-18000));
    for bad in ["", "01:00", "+1:00", "+15:00", "+01:60", "+01-00", "+aa:00"] {
        assert_eq!(parse_utc_offset(bad), None, "{bad}");
    }
}

#[test]
fn mqtt_urls() {
    assert_eq!(mqtt_host_port("mqtt://10.0.0.5:1884"), Some(("10.0.0.5".into(), 1884)));
    assert_eq!(mqtt_host_port("mqtt://rtls.local/"), Some(("rtls.local".into(), 1883)));
    for bad in ["", "mqtt://", "tcp://x:1", "mqtt://x:port", "mqtt://x:99999"] {
        assert_eq!(mqtt_host_port(bad), None, "{bad}");
    }
}

#[test]
fn identifiers() {
    for ok in ["wms_order", "public.wms_line", "_x1"] {
        assert!(is_sql_identifier(ok), "{ok}");
    }
    for bad in ["", "1a", "a b", "a;drop", "a.b.c", "\"x\"", "a.", "né"] {
        assert!(!is_sql_identifier(bad), "{bad}");
    }
}

#[test]
fn frame_rotates_scales_and_offsets() {
    let f = RtlsFrame { origin: Point2 { x: 10.0, y: 5.0 }, rotation_deg: 90.0, scale: 0.001 };
    let [x, y] = f.to_plan(2000.0, 1000.0);
    // (2, 1) m rotated 90° counter-clockwise is (-1, 2); plus the origin.
    // The scale is an f32 (0.001 is not exact in binary): micrometres of error.
    assert!((x - 9.0).abs() < 1e-6 && (y - 7.0).abs() < 1e-6, "{x} {y}");
    let [rx, ry] = f.to_rtls(x, y);
    assert!((rx - 2000.0).abs() < 1e-3 && (ry - 1000.0).abs() < 1e-3, "{rx} {ry}");
}

#[test]
fn sources_parse_from_ron() {
    let s: Sources = ron::from_str(
        r#"(orders: WmsSql((url: "sqlite:wms.db", poll_ms: 500)),
            pickers: RtlsMqtt((broker: "mqtt://127.0.0.1:1883", topic: "rtls/#",
                frame: (origin: (x: 1.0, y: 2.0), rotation_deg: 90.0),
                tags: [(tag: "T1", picker: "Ana")])))"#,
    )
    .unwrap();
    let OrderSource::WmsSql(w) = &s.orders else { panic!() };
    assert_eq!((w.poll_ms, w.batch, w.schema.orders.table.as_str()), (500, 500, "wms_order"));
    let PickerSource::RtlsMqtt(r) = &s.pickers else { panic!() };
    assert_eq!((r.frame.scale, r.tags.len(), r.stale_after_s), (1.0, 1, 10.0));
    let s: Sources = ron::from_str("(orders: None, pickers: Inferred(idle_after_s: 60))").unwrap();
    assert_eq!(s.pickers, PickerSource::Inferred { idle_after_s: 60 });
    assert!(Sources::default().is_default());
}
