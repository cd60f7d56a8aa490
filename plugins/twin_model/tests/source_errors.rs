//! Validation errors of the layout's `sources`: each names the field where it is written and
//! says what to write instead.

mod common;
use common::*;

fn with_sources(sources: &str) -> String {
    edit(&[("    stations: [", &format!("    sources: {sources},\n    stations: ["))])
}

#[test]
fn a_password_in_the_wms_url_is_refused_where_it_is_written() {
    let src = with_sources(r#"(orders: WmsSql((url: "postgres://twin:s3cret@db:5432/wms")))"#);
    let d = expect_one(&src, "the WMS url carries a password", pos(&src, "url:", 0));
    assert!(d.help.as_deref().unwrap_or("").contains("password_env"), "{d}");
}

#[test]
fn unknown_scheme_bad_offset_and_bounds() {
    let src = with_sources(
        r#"(orders: WmsSql((url: "mysql://db/wms", utc_offset: "CET", poll_ms: 10, max_lines: 0)))"#,
    );
    let errs = errors(&src);
    let msgs: Vec<&str> = errs.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "WMS url \"mysql://db/wms\" is neither postgres://… nor sqlite:…",
            "utc_offset \"CET\" is not ±HH:MM",
            "poll_ms 10 is outside 50..=600000",
            "max_lines 0 is outside 1..=1000",
        ],
        "in file order"
    );
    assert_eq!((errs[1].at.line, errs[1].at.col), pos(&src, "utc_offset", 0));
}

#[test]
fn a_column_name_that_is_not_an_identifier() {
    let src = with_sources(
        r#"(orders: WmsSql((url: "sqlite:wms.db", schema: (lines: (sku: "sku; DROP TABLE x")))))"#,
    );
    expect_one(&src, "\"sku; DROP TABLE x\" is not a plain SQL name", pos(&src, "sku:", 0));
}

#[test]
fn rtls_tags_of_unknown_pickers_and_a_bad_frame() {
    let src = with_sources(
        r#"(pickers: RtlsMqtt((broker: "mqtt://rtls:1883", topic: "rtls/#", frame: (scale: 0.0),
            tags: [(tag: "T1", picker: "P1"), (tag: "T1", picker: "P9")])))"#,
    );
    let errs = errors(&src);
    let msgs: Vec<&str> = errs.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "RTLS frame scale must be positive, found 0",
            "tag \"T1\" is assigned twice",
            "tag \"T1\" is worn by unknown picker \"P9\"",
        ]
    );
    assert_eq!((errs[1].at.line, errs[1].at.col), pos(&src, "tag: \"T1\"", 1));
    assert_eq!((errs[2].at.line, errs[2].at.col), pos(&src, "picker: \"P9\"", 0));
    assert!(errs[2].help.as_deref().unwrap_or("").contains("known pickers: P1"));
}

#[test]
fn an_rtls_broker_that_is_not_mqtt() {
    let src = with_sources(r#"(pickers: RtlsMqtt((broker: "http://rtls", topic: "t", tags: [])))"#);
    expect_one(&src, "RTLS broker \"http://rtls\" is not an mqtt:// URL", pos(&src, "broker:", 0));
}
