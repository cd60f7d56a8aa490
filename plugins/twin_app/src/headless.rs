//! The headless twin: the live link applied to the ECS without a window, one status line on
//! stdout every few seconds (lit modules, pickers, the order board, controller health), and a
//! stop on Ctrl-C, SIGTERM or `--for`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bevy::app::{App, AppExit, ScheduleRunnerPlugin, TaskPoolPlugin};
use bevy::prelude::*;
use twin_link::{
    ConnectionState, LightModule, LinkHealth, LinkPlugin, LinkReceiver, LinkSite, OrderBoard, Picker,
    ViewReceiver,
};
use twin_model::codes::{ModuleState, OrderStatus, PickerState};
use twin_overlay::ops::{SourceView, Sources};

use crate::ShellPlugin;
use twin_link::clock::wall_ms;

/// How the headless twin runs.
#[derive(Debug, Clone, Default)]
pub struct HeadlessOptions {
    /// Between status lines (None: no status lines).
    pub status_every: Option<Duration>,
    /// Stop after this long.
    pub run_for: Option<Duration>,
}

/// When to print and when to stop.
#[derive(Resource)]
pub struct Console {
    every: Option<Duration>,
    last: Instant,
    started: Instant,
    run_for: Option<Duration>,
    stop: Arc<AtomicBool>,
}

/// No window: the link applied to the ECS and a status line; stops on Ctrl-C, SIGTERM or `--for`.
pub fn headless_app(
    options: &HeadlessOptions,
    site: Arc<twin_model::Site>,
    view: ViewReceiver,
    runtime: &tokio::runtime::Runtime,
) -> App {
    let stop = Arc::new(AtomicBool::new(false));
    let signal_stop = stop.clone();
    runtime.spawn(async move {
        crate::source::shutdown_signal().await;
        signal_stop.store(true, Ordering::Relaxed);
    });

    let mut app = App::new();
    app.add_plugins((
        TaskPoolPlugin::default(),
        ScheduleRunnerPlugin::run_loop(Duration::from_secs_f64(1.0 / 30.0)),
        LinkPlugin,
        ShellPlugin,
    ))
    .insert_resource(LinkSite(site))
    .insert_resource(LinkReceiver(view))
    .insert_resource(Console {
        every: options.status_every,
        last: Instant::now(),
        started: Instant::now(),
        run_for: options.run_for,
        stop,
    });
    app
}

/// Exits on a signal or when `--for` is over.
pub(crate) fn stop_when_asked(console: Res<Console>, mut exit: MessageWriter<AppExit>) {
    let timed_out = console.run_for.is_some_and(|d| console.started.elapsed() >= d);
    if timed_out || console.stop.load(Ordering::Relaxed) {
        exit.write(AppExit::Success);
    }
}

/// One line: lit modules, pickers, the order board, controller health.
pub(crate) fn print_status(
    mut console: ResMut<Console>,
    site: Res<LinkSite>,
    modules: Query<&LightModule>,
    pickers: Query<&Picker>,
    board: Res<OrderBoard>,
    health: Res<LinkHealth>,
) {
    let Some(every) = console.every else { return };
    if console.last.elapsed() < every {
        return;
    }
    console.last = Instant::now();
    let (mut lit, mut confirmed, mut stale) = (0, 0, 0);
    for m in &modules {
        lit += usize::from(m.reading.state == ModuleState::Lit as u16);
        confirmed += usize::from(m.reading.confirm_latch || m.reading.shortage_latch);
        stale += usize::from(m.reading.stale);
    }
    let mut by_state = [0usize; 6];
    for p in &pickers {
        if let Some(s) = by_state.get_mut(usize::from(p.reading.state)) {
            *s += 1;
        }
    }
    let count = |s: OrderStatus| board.slots.iter().filter(|o| o.status == s as u16).count();
    let controllers: Vec<String> = site
        .0
        .layout
        .controllers
        .iter()
        .zip(&health.controllers)
        .map(|(c, h)| {
            // "ok" only for fresh data; the age is always printed.
            let state = match (h.connection, h.stale) {
                (ConnectionState::Refused, _) => "REFUSED",
                (ConnectionState::Disconnected, _) => "down",
                _ if h.frozen => "FROZEN",
                (_, true) => "STALE",
                (ConnectionState::Connected, _) => "ok",
                (ConnectionState::Connecting, _) => "connecting",
            };
            let age =
                h.age_ms(wall_ms()).map_or("never".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
            let missing = twin_overlay::ops::missing_names(h);
            let missing = if missing.is_empty() { String::new() } else { format!(" missing [{missing}]") };
            format!(
                "{} {state} age {age}{missing} p50 {:.2} ms p99 {:.2} ms polls {} err {} exc {}",
                c.name,
                f64::from(h.latency_p50_us) / 1e3,
                f64::from(h.latency_p99_us) / 1e3,
                h.polls,
                h.errors,
                h.exceptions
            )
        })
        .collect();
    // Where the layout declares no source, or the first controller's map has no block for a
    // controller source, there is no data: say so instead of counting defaults as idle
    // pickers. Other sources print their state and data age.
    let map = site.0.controller_map(0);
    let views = Sources::of(&site.0.layout.sources, health.order_source, health.picker_source);
    let has = |view: &SourceView, block: bool| match view {
        SourceView::NotConfigured => false,
        SourceView::Controller => block,
        SourceView::Waiting | SourceView::Reported(_) => true,
    };
    let tag = |view: &SourceView| match view {
        SourceView::Reported(_) | SourceView::Waiting => format!(" [{}]", view.state_text(wall_ms())),
        _ => String::new(),
    };
    let no_source = |view: &SourceView| match view {
        SourceView::NotConfigured => "no source configured".to_owned(),
        _ => "no source".to_owned(),
    };
    let pickers = if has(&views.pickers, map.is_some_and(|m| m.pickers.is_some())) {
        format!(
            "{} walking, {} picking, {} packing, {} idle, {} on break",
            by_state[PickerState::Walking as usize],
            by_state[PickerState::Picking as usize],
            by_state[PickerState::Packing as usize],
            by_state[PickerState::Idle as usize],
            by_state[PickerState::Break as usize],
        ) + &tag(&views.pickers)
    } else {
        no_source(&views.pickers)
    };
    let orders = if has(&views.orders, map.is_some_and(|m| m.orders.is_some())) {
        format!(
            "{} pending, {} active, {} done",
            count(OrderStatus::Pending),
            count(OrderStatus::Active),
            count(OrderStatus::Done)
        ) + &tag(&views.orders)
    } else {
        no_source(&views.orders)
    };
    println!(
        "modules: {lit} lit, {confirmed} latched, {stale} stale | pickers: {pickers} | orders: {orders} | {}",
        controllers.join(" · ")
    );
}
