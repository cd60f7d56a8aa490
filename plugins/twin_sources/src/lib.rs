//! Site data beyond the controllers, from where a real site keeps it (docs/sources.md): orders
//! and lines from the WMS database ([`wms`], PostgreSQL or SQLite), picker positions from an
//! RTLS over MQTT ([`rtls`]) or inferred from confirmed lines ([`infer`]). Each runs on its own
//! thread and publishes through the link's [`Publisher`], so the view, the recorder and the
//! gateway carry its data like the controllers'. No Bevy here.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use twin_link::{LinkMessage, Publisher};
use twin_model::Site;
use twin_model::sources::{OrderSource, PickerSource, WmsSql};

pub mod infer;
pub mod rtls;
pub mod wms;

pub use wms::sql::{POSTGRES_REFERENCE_SCHEMA, SQLITE_REFERENCE_SCHEMA};

/// Overrides for the layout's sources (the embedded simulator points the WMS at its own
/// SQLite file, as it points the link at its own controllers).
#[derive(Debug, Clone, Default)]
pub struct SourceOverrides {
    /// Use this WMS connection instead of the layout's.
    pub wms: Option<WmsSql>,
    /// Use this RTLS broker URL instead of the layout's.
    pub rtls_broker: Option<String>,
}

/// Whether the site's picker source needs the link's lossless stream ([`start`]'s `lossless`).
pub fn needs_stream(site: &Site) -> bool {
    matches!(site.layout.sources.pickers, PickerSource::Inferred { .. })
}

/// The running source threads; stopping (or dropping) ends them.
pub struct RunningSources {
    stop: Vec<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl RunningSources {
    /// Stops every source thread and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for RunningSources {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the threads the site's `sources` need (none for Modbus blocks or `None`).
/// `lossless` is a lossless subscription of the link (needed when [`needs_stream`]).
pub fn start(
    site: Arc<Site>,
    overrides: &SourceOverrides,
    publisher: Publisher,
    lossless: Option<Receiver<LinkMessage>>,
) -> std::io::Result<RunningSources> {
    let mut running = RunningSources { stop: Vec::new(), threads: Vec::new() };
    let wms = match (&overrides.wms, &site.layout.sources.orders) {
        (Some(w), _) => Some(w.clone()),
        (None, OrderSource::WmsSql(w)) => Some((**w).clone()),
        _ => None,
    };
    if let Some(cfg) = wms {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (site, publisher) = (site.clone(), publisher.clone());
        let t = std::thread::Builder::new()
            .name("picktwin-wms".into())
            .spawn(move || wms::run(&site, cfg, publisher, rx))?;
        running.stop.push(tx);
        running.threads.push(t);
    }
    match site.layout.sources.pickers.clone() {
        PickerSource::RtlsMqtt(mut cfg) => {
            if let Some(b) = &overrides.rtls_broker {
                cfg.broker = b.clone();
            }
            let (tx, rx) = crossbeam_channel::bounded(1);
            let s = site.clone();
            let t = std::thread::Builder::new()
                .name("picktwin-rtls".into())
                .spawn(move || rtls::run(&s, *cfg, publisher, rx))?;
            running.stop.push(tx);
            running.threads.push(t);
        }
        PickerSource::Inferred { idle_after_s } => {
            if let Some(input) = lossless {
                let (tx, rx) = crossbeam_channel::bounded(1);
                let s = site.clone();
                let t = std::thread::Builder::new()
                    .name("picktwin-infer".into())
                    .spawn(move || infer::run(&s, idle_after_s, input, publisher, rx))?;
                running.stop.push(tx);
                running.threads.push(t);
            }
        }
        PickerSource::None | PickerSource::ModbusBlock => {}
    }
    Ok(running)
}
