//! What the link's integration tests share: a twin (the link, an ECS app with `LinkPlugin` and
//! the lossless event stream) and running frames until a condition holds.

#![allow(dead_code, reason = "each test file uses its own part of the helpers")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use crossbeam_channel::Receiver;
use twin_link::{
    ControllerHealth, LightModule, Link, LinkEvent, LinkHealth, LinkMessage, LinkOptions, LinkPlugin,
    LinkReceiver, LinkSite, ModuleEntities, ModuleReading,
};
use twin_model::Site;

/// A shipped layout.
pub fn layout(name: &str) -> Arc<Site> {
    let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

/// The link polling the first controller at `endpoint` (the others at a closed port), applied
/// to an ECS app.
pub struct Twin {
    pub app: App,
    pub link: Link,
    pub events: Receiver<LinkMessage>,
    pub seen: Vec<LinkEvent>,
}

pub fn twin(site: &Arc<Site>, endpoint: String, options: LinkOptions) -> Twin {
    let mut builder = Link::builder(site.clone()).endpoint(0, endpoint).options(options);
    for i in 1..site.layout.controllers.len() {
        builder = builder.endpoint(i, "127.0.0.1:1".to_owned());
    }
    let events = builder.lossless();
    let mut link = builder.spawn().unwrap();
    let mut app = App::new();
    app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
        .insert_resource(LinkSite(site.clone()))
        .insert_resource(LinkReceiver(link.take_view().unwrap()));
    app.update();
    Twin { app, link, events, seen: Vec::new() }
}

impl Twin {
    /// Runs frames (~100 fps) until `cond` holds; false after `limit`.
    pub fn until(&mut self, limit: Duration, mut cond: impl FnMut(&mut Twin) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            self.app.update();
            for m in self.events.try_iter() {
                if let LinkMessage::Event(e) = m {
                    self.seen.push(e);
                }
            }
            if cond(self) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The ECS reading of module `index`.
    pub fn module(&self, index: usize) -> ModuleReading {
        let e = self.app.world().resource::<ModuleEntities>().0[index];
        self.app.world().get::<LightModule>(e).unwrap().reading
    }

    /// The ECS reading of the first controller's module at `address`.
    pub fn module_at(&self, site: &Site, address: u16) -> ModuleReading {
        self.module(site.module_at(0, address).unwrap() as usize)
    }

    /// The first controller's health.
    pub fn health(&self) -> ControllerHealth {
        self.app.world().resource::<LinkHealth>().controllers[0]
    }

    /// Whether an event like this was seen.
    pub fn saw(&self, f: impl Fn(&LinkEvent) -> bool) -> bool {
        self.seen.iter().any(f)
    }
}
