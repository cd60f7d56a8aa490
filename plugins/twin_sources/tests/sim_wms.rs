//! `picktwin` with no arguments, end to end: the simulator writes its orders into its SQLite
//! WMS, the twin reads them through the SQL connector (the Modbus board is not read), and for
//! a simulated hour the queue and the KPIs equal the simulator's own ground truth exactly.

use std::sync::Arc;
use std::time::Duration;

use twin_link::{LinkMessage, SourceKind, SourceState};
use twin_model::codes::OrderStatus;
use twin_model::sources::{OrderSource, WmsSql};
use twin_sim::{Listen, SimConfig, SimExtras, SimOptions};
use twin_sources::SourceOverrides;

mod common;
use common::{Twin, layout, temp_dir};

#[test]
fn a_simulated_hour_through_the_sql_connector_matches_the_simulator_exactly() {
    let site = Arc::new(layout("demo.ron"));
    assert!(matches!(site.layout.sources.orders, OrderSource::WmsSql(_)), "the default layout reads the WMS");
    let dir = temp_dir("sim-wms");
    let wms = dir.join("wms.sqlite");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let hold = Arc::new(tokio::sync::Notify::new());
    let start_ms = SimConfig::default().start_ms;
    let extras = SimExtras {
        wms: Some(wms.clone()),
        hold: Some(hold.clone()),
        until_ms: Some(start_ms + 3_600_000),
        ..SimExtras::default()
    };
    // 240×: an hour in 15 s; with 50 ms polls the connector reads every 12 simulated seconds.
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 240.0,
        config: SimConfig { seed: 5, orders_per_day: 2400.0, ..SimConfig::default() },
    };
    let sim = rt.block_on(twin_sim::start_with(site.clone(), options, extras)).unwrap();
    let endpoints: Vec<String> = sim.addresses().iter().map(ToString::to_string).collect();
    let overrides = SourceOverrides {
        wms: Some(WmsSql { poll_ms: 50, ..WmsSql::new(format!("sqlite:{}", wms.display())) }),
        ..Default::default()
    };
    let mut twin = Twin::start(&site, &endpoints, &overrides);
    // The connector is up before the floor starts moving.
    assert!(twin.until(Duration::from_secs(10), |t| t.seen.iter().any(|m| matches!(
        m,
        LinkMessage::Source { source: SourceKind::Orders, health } if health.state == SourceState::Ok
    ))));
    hold.notify_one();
    assert!(twin.until(Duration::from_secs(60), |_| sim.totals().stopped), "the simulated hour ends");
    let truth = sim.totals();
    assert!(truth.orders_done > 20 && truth.lines_done > 50, "a busy hour: {truth:?}");
    // Then the twin catches up with the last rows.
    let matched = twin.until(Duration::from_secs(20), |t| {
        t.ops.refresh();
        let k = t.ops.kpis();
        k.orders_done == truth.orders_done && k.lines == truth.lines_done
    });
    let k = twin.ops.kpis().clone();
    assert!(matched, "KPIs {} orders / {} lines, simulator {truth:?}", k.orders_done, k.lines);
    eprintln!("simulated hour: {truth:?}; twin: {} orders done, {} lines", k.orders_done, k.lines);
    // The queue: every order the simulator released, open ones still open.
    let book = twin.ops.orders.orders();
    assert_eq!(book.len() as u32, truth.released, "one queue entry per released order");
    let done = book.iter().filter(|o| o.status == OrderStatus::Done).count() as u32;
    assert_eq!(done, truth.orders_done);
    assert!(
        book.iter().all(|o| o.first_job == 0 && o.modules.len() == usize::from(o.lines_total)),
        "lines name modules"
    );
    // No order board reads: the link never published a board slot of its own.
    assert!(twin.seen.iter().all(|m| !matches!(m, LinkMessage::Order { order, .. } if order.first_job != 0)));
    drop(twin);
    rt.block_on(sim.shutdown());
    std::fs::remove_dir_all(&dir).unwrap();
}
