//! Real peers the source tests start on loopback (a throw-away PostgreSQL cluster, Mosquitto)
//! and the twin's side as a site runs it: the link, the sources, and the overlay's model fed
//! from the link's lossless stream.
#![allow(dead_code, reason = "each test binary uses a part of the helpers")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin};
use crossbeam_channel::Receiver;
use twin_link::{
    Link, LinkMessage, LinkPlugin, LinkReceiver, LinkSite, Picker, PickerEntities, PickerReading,
};
use twin_model::Site;
use twin_overlay::ops::{LinkFeeder, Ops, OpsConfig};
use twin_sources::{RunningSources, SourceOverrides};

/// A still floor (no simulated orders) for `site` on loopback at 1×, with `extras`: the test
/// plays the WMS and lights modules itself. Returns the runtime, the simulator and its
/// controllers' endpoints.
pub fn still_sim(
    site: &Arc<Site>,
    extras: twin_sim::SimExtras,
) -> (tokio::runtime::Runtime, twin_sim::RunningSim, Vec<String>) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let options = twin_sim::SimOptions {
        listen: twin_sim::Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 1.0,
        config: twin_sim::SimConfig { orders_per_day: 0.0, ..twin_sim::SimConfig::default() },
    };
    let sim = rt.block_on(twin_sim::start_with(site.clone(), options, extras)).unwrap();
    let endpoints = sim.addresses().iter().map(ToString::to_string).collect();
    (rt, sim, endpoints)
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A layout of the repository's `layouts/`.
pub fn layout(name: &str) -> Site {
    Site::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../layouts").join(name)).unwrap()
}

/// A fresh directory under the system's temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("picktwin-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pg_bin(name: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (.ci/run installs it: apt-get install postgresql)")
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("{name} not found under /usr/lib/postgresql/*/bin"))
}

fn is_root() -> bool {
    String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap().trim() == "0"
}

/// A command as the `postgres` user when we are root (initdb and pg_ctl refuse root).
fn pg_command(bin: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

#[path = "../../../../tests/support/certs.rs"]
mod certs;

/// A throw-away PostgreSQL cluster on 127.0.0.1 with a `wms` database and the user `twin`
/// (trust authentication), stopped and removed on drop.
pub struct Postgres {
    dir: PathBuf,
    /// Its port.
    pub port: u16,
    /// Extra server options (`-c ssl=on ...`).
    options: String,
}

impl Postgres {
    /// Initialises and starts a cluster (about 2 s).
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// A cluster that accepts TLS with a certificate for 127.0.0.1 signed by a test CA
    /// ([`Postgres::ca`]); made with openssl.
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    /// The test CA's certificate (PEM file) when started with TLS.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn start_with(tls: bool) -> Self {
        let dir = temp_dir("pg");
        let mut options = String::new();
        if tls {
            certs::loopback_certs(&dir);
            let p = |f: &str| dir.join(f).display().to_string();
            options = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                p("server.crt"),
                p("server.key")
            );
        }
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap();
            assert!(ok.success(), "chown {}", dir.display());
        }
        let data = dir.join("data");
        let out = pg_command(&pg_bin("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-A", "trust", "-U", "twin", "--no-sync"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let pg = Self { dir, port: free_port(), options };
        pg.pg_ctl_start();
        let out = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "twin", "-d", "postgres", "-qc"])
            .arg("CREATE DATABASE wms")
            .output()
            .unwrap();
        assert!(out.status.success(), "createdb: {}", String::from_utf8_lossy(&out.stderr));
        pg
    }

    fn pg_ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}",
            self.port,
            self.dir.display(),
            self.options
        );
        let out = pg_command(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-o", &opts, "-l"])
            .arg(self.dir.join("log"))
            .args(["-w", "start"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Stops the server (fast shutdown: connections are cut, as when a server goes away).
    pub fn stop(&self) {
        let _ = pg_command(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// The connection URL of the `wms` database.
    pub fn url(&self) -> String {
        format!("postgres://twin@127.0.0.1:{}/wms", self.port)
    }

    /// A client for the test's own writes (the WMS side).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(
            &format!("host=127.0.0.1 port={} user=twin dbname=wms", self.port),
            postgres::NoTls,
        )
        .unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[path = "../../../../tests/support/mosquitto.rs"]
mod mosquitto;
pub use mosquitto::Broker;

impl Broker {
    /// Starts one on a free loopback port.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }
}

/// The twin as a site runs it: link (pointed at `endpoints`), sources, the ECS fed from the
/// view channel, and the overlay model fed from a lossless subscription.
pub struct Twin {
    pub app: App,
    pub link: Option<Link>,
    pub sources: Option<RunningSources>,
    pub stream: Receiver<LinkMessage>,
    pub ops: Ops,
    pub feeder: LinkFeeder,
    /// Every message seen, in order.
    pub seen: Vec<LinkMessage>,
}

impl Twin {
    /// Starts the link and the sources for `site`.
    pub fn start(site: &Arc<Site>, endpoints: &[String], overrides: &SourceOverrides) -> Self {
        let mut b = Link::builder(site.clone());
        for (i, e) in endpoints.iter().enumerate() {
            b = b.endpoint(i, e.clone());
        }
        let stream = b.lossless();
        let infer = twin_sources::needs_stream(site).then(|| b.lossless());
        let mut link = b.spawn().unwrap();
        let mut app = App::new();
        app.add_plugins((TaskPoolPlugin::default(), LinkPlugin))
            .insert_resource(LinkSite(site.clone()))
            .insert_resource(LinkReceiver(link.take_view().unwrap()));
        app.update();
        let sources = twin_sources::start(site.clone(), overrides, link.publisher(), infer).unwrap();
        Self {
            app,
            link: Some(link),
            sources: Some(sources),
            stream,
            ops: Ops::new(OpsConfig::for_site(site)),
            feeder: LinkFeeder::default(),
            seen: Vec::new(),
        }
    }

    /// The ECS's reading of picker `i`.
    pub fn picker(&self, i: usize) -> PickerReading {
        let e = self.app.world().resource::<PickerEntities>().0[i];
        self.app.world().get::<Picker>(e).unwrap().reading
    }

    /// Runs a frame and feeds everything that arrived; returns how many messages.
    pub fn pump(&mut self) -> usize {
        self.app.update();
        let wall =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let mut n = 0;
        while let Ok(m) = self.stream.try_recv() {
            self.feeder.feed(&mut self.ops, &m, wall);
            self.seen.push(m);
            n += 1;
        }
        n
    }

    /// Pumps until `done` holds (checked after every pump) or `limit` passes; whether it held.
    pub fn until(&mut self, limit: Duration, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            self.pump();
            if done(self) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        if let Some(s) = self.sources.take() {
            s.stop();
        }
        if let Some(l) = self.link.take() {
            l.stop();
        }
    }
}
