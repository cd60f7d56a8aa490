//! Sparkplug B against a host the project did not write: `picktwin gateway --sparkplug` with
//! a `picktwin sim` behind it, Mosquitto, and pysparkplug (tests/peers/sparkplug_consumer.py)
//! decoding births, data and deaths with its own protobuf code. Module values must equal a
//! direct `picktwin snapshot` of the simulator; commands other than a rebirth are refused; a
//! controller going away is a DDEATH and its return a DBIRTH; a killed gateway's NDEATH
//! carries its bdSeq; a restarted one is born again. pharma_dc's births are measured.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use common::{Reaper, free_port, picktwin, text};
use serde_json::Value;

#[path = "support/fc16.rs"]
mod fc16;
#[path = "support/mosquitto.rs"]
mod mosquitto;
#[path = "support/wait.rs"]
mod wait;
#[path = "support/wire_watch.rs"]
mod wire_watch;
use wait::until;

/// A quiet simulator (no orders), its controllers' `NAME=HOST:PORT`.
fn sim(layout: &str, listen: &str, controllers: usize) -> (Reaper, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["sim", "--layout", layout, "--listen", listen, "--orders-per-day", "0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut endpoints = Vec::new();
    for line in stdout.lines().take(controllers) {
        let line = line.unwrap();
        let (name, rest) = line.split_once(" listening on ").unwrap();
        endpoints.push(format!("{name}={}", rest.split(' ').next().unwrap()));
    }
    (Reaper(child), endpoints)
}

/// `picktwin gateway --sparkplug plant/north`, its stdout and stderr to `log`.
fn gateway(layout: &str, broker: u16, endpoints: &[String], log: &PathBuf) -> Child {
    let mut args: Vec<String> =
        ["gateway", "--layout", layout, "--sparkplug", "plant/north"].map(String::from).into();
    args.extend(["--broker".into(), format!("mqtt://127.0.0.1:{broker}/north")]);
    for e in endpoints {
        args.extend(["--controller".into(), e.clone()]);
    }
    let file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap()
}

/// The pysparkplug host and the file it writes what it knows to.
struct Consumer {
    _child: Reaper,
    stdin: ChildStdin,
    out: PathBuf,
}

impl Consumer {
    fn start(broker: u16, name: &str) -> Self {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("spb-{name}.json"));
        let _ = std::fs::remove_file(&out);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/sparkplug_consumer.py");
        let mut child = Command::new("python3")
            .args([script, "--port", &broker.to_string(), "--group", "plant", "--edge", "north"])
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::piped())
            .spawn()
            .expect("python3 with pysparkplug (scripts/install-peers installs it)");
        let stdin = child.stdin.take().unwrap();
        let c = Self { _child: Reaper(child), stdin, out };
        assert!(until(Duration::from_secs(20), || c.state()["connected"] == true), "the consumer connected");
        c
    }

    fn state(&self) -> Value {
        std::fs::read_to_string(&self.out)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    }

    /// What the consumer saw, short enough for a failure message: births, deaths, errors.
    fn summary(&self) -> String {
        let s = self.state();
        format!(
            "events {} data {} errors {} seq errors {}",
            s["events"], s["data"], s["errors"], s["seq_errors"]
        )
    }

    fn events(&self, kind: &str) -> Vec<Value> {
        let s = self.state();
        s["events"].as_array().into_iter().flatten().filter(|e| e["type"] == kind).cloned().collect()
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }
}

/// Modules of a direct snapshot of the simulator.
fn snapshot(layout: &str, endpoints: &[String]) -> Vec<Value> {
    let mut args = vec!["snapshot", "--layout", layout];
    for e in endpoints {
        args.extend(["--controller", e]);
    }
    let out = picktwin(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["kind"] == "module")
        .collect()
}

/// Every module of the snapshot equals what the consumer holds for it (first difference named).
fn differences(consumer: &Consumer, modules: &[Value]) -> Option<String> {
    let s = consumer.state();
    for m in modules {
        let device = &s["devices"][m["controller"].as_str()?];
        if device["alive"] != true {
            return Some(format!("device {} not alive", m["controller"]));
        }
        let metrics = &device["metrics"];
        let loc = m["location"].as_str()?;
        let folder = if metrics.get(format!("Modules/{loc}/State")).is_some() {
            loc.to_owned()
        } else {
            format!("{loc}~{}", m["id"])
        };
        for (metric, field) in [
            ("State", "state"),
            ("Quantity", "quantity"),
            ("Location Text", "display"),
            ("Colour", "colour"),
            ("Confirmed Quantity", "confirmed_quantity"),
        ] {
            let got = &metrics[format!("Modules/{folder}/{metric}")];
            if got != &m[field] {
                return Some(format!("{loc} {metric}: Sparkplug {got}, snapshot {}", m[field]));
            }
        }
    }
    None
}

fn light(endpoint: &str, address: u16, quantity: u16, seq: u16) {
    let mut stream = TcpStream::connect(endpoint.split_once('=').unwrap().1).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    fc16::light(&mut stream, seq, address, quantity, seq);
}

fn log_text(log: &PathBuf) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[test]
fn a_python_sparkplug_host_sees_the_simulator_deaths_and_rebirths() {
    let layout = "layouts/demo.ron";
    let broker = mosquitto::Broker::start_on(free_port());
    let (sim_proc, endpoints) = sim(layout, "127.0.0.1:0", 1);
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spb-gateway.log");
    let mut consumer = Consumer::start(broker.port, "demo");
    let mut gw = Reaper(gateway(layout, broker.port, &endpoints, &log));
    assert!(
        until(Duration::from_secs(20), || !consumer.events("DBIRTH").is_empty()),
        "no DBIRTH: {}\n{}",
        consumer.summary(),
        log_text(&log)
    );
    let nbirth = consumer.events("NBIRTH")[0].clone();
    assert_eq!((nbirth["seq"].as_u64(), nbirth["bdSeq"].as_u64()), (Some(0), Some(0)), "{nbirth}");

    // Data by exception: three modules lit over Modbus, then every module equals the snapshot.
    for (k, address) in [3u16, 17, 42].into_iter().enumerate() {
        light(&endpoints[0], address, 10 + k as u16, 1);
    }
    let mut diff = None;
    assert!(
        until(Duration::from_secs(10), || {
            diff = differences(&consumer, &snapshot(layout, &endpoints));
            diff.is_none()
        }),
        "{diff:?}"
    );
    assert!(consumer.state()["data"].as_u64() > Some(0));

    // Commands: a write, another node command and garbage are refused; a rebirth is obeyed.
    let demo = twin_model::Site::load(layout).unwrap();
    let target = &demo.modules[demo.module_at(0, 5).unwrap() as usize].location;
    consumer.send(&format!("dcmd ptl-1 9 Modules/{target}/Quantity"));
    consumer.send("ncmd Node Control/Reboot");
    consumer.send("garbage");
    consumer.send("rebirth");
    assert!(
        until(Duration::from_secs(10), || consumer.events("NBIRTH").len() == 2),
        "{}",
        consumer.summary()
    );
    let again = &consumer.events("NBIRTH")[1];
    assert_eq!((again["seq"].as_u64(), again["bdSeq"].as_u64()), (Some(0), Some(0)), "same session: {again}");
    assert!(until(Duration::from_secs(5), || consumer.events("DBIRTH").len() == 2));
    let snap = snapshot(layout, &endpoints);
    let five = snap.iter().find(|m| m["address"] == 5).unwrap();
    assert_eq!(five["quantity"], Value::Null, "the DCMD wrote nothing: {five}");
    assert!(
        until(Duration::from_secs(5), || log_text(&log).matches("refused").count() >= 1),
        "{}",
        log_text(&log)
    );

    // The controller goes away: DDEATH; back on the same port: DBIRTH, values equal again.
    let port = endpoints[0].rsplit_once(':').unwrap().1.to_owned();
    drop(sim_proc);
    assert!(
        until(Duration::from_secs(10), || !consumer.events("DDEATH").is_empty()),
        "{}",
        consumer.summary()
    );
    let (_sim, again) = sim(layout, &format!("127.0.0.1:{port}"), 1);
    assert_eq!(again, endpoints);
    assert!(
        until(Duration::from_secs(30), || consumer.events("DBIRTH").len() == 3),
        "{}",
        consumer.summary()
    );
    assert!(
        until(Duration::from_secs(10), || differences(&consumer, &snapshot(layout, &endpoints)).is_none())
    );

    // Killed: the broker delivers the NDEATH with the session's bdSeq; restarted: born again.
    gw.0.kill().unwrap();
    assert!(
        until(Duration::from_secs(10), || !consumer.events("NDEATH").is_empty()),
        "{}",
        consumer.summary()
    );
    assert_eq!(consumer.events("NDEATH")[0]["bdSeq"].as_u64(), nbirth["bdSeq"].as_u64());
    drop(gw);
    let _gw = Reaper(gateway(layout, broker.port, &endpoints, &log));
    assert!(until(Duration::from_secs(20), || consumer.events("NBIRTH").len() == 3));
    assert!(until(Duration::from_secs(20), || consumer.events("DBIRTH").len() == 4));
    println!("{}", consumer.summary());
    // One NDEATH, the kill's: a connection dropped while it connects would add one (crate
    // twin_gateway's mqtt.rs), as would any other takeover of the edge node's session.
    assert_eq!(consumer.events("NDEATH").len(), 1, "{}", consumer.summary());
    let s = consumer.state();
    assert_eq!(s["errors"], serde_json::json!([]), "pysparkplug decoded everything");
    assert_eq!(s["seq_errors"], serde_json::json!([]), "seq: NBIRTH 0, then +1 per message");
}

#[test]
fn pharma_dc_births_fit_and_equal_the_snapshot_module_by_module() {
    let layout = "layouts/pharma_dc.ron";
    let site = twin_model::Site::load(layout).unwrap();
    let broker = mosquitto::Broker::start_on(free_port());
    let (_sim, endpoints) = sim(layout, "127.0.0.1:0", site.layout.controllers.len());
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spb-pharma.log");
    let consumer = Consumer::start(broker.port, "pharma");
    let mut gw = Reaper(gateway(layout, broker.port, &endpoints, &log));
    assert!(
        until(Duration::from_secs(60), || consumer.events("DBIRTH").len() == 8),
        "{:?}\n{}",
        consumer.events("DBIRTH"),
        log_text(&log)
    );
    for e in consumer.events("DBIRTH") {
        let c = site.controller_index(e["device"].as_str().unwrap()).unwrap();
        assert_eq!(e["metrics"].as_u64(), Some(8 + 5 * site.controllers[c].modules.len() as u64), "{e}");
    }
    let modules = snapshot(layout, &endpoints);
    assert_eq!(modules.len(), 14_280);
    let mut diff = None;
    assert!(
        until(Duration::from_secs(20), || {
            diff = differences(&consumer, &modules);
            diff.is_none()
        }),
        "{diff:?}"
    );
    // A clean stop prints the largest payload sent (a DBIRTH).
    let _ = Command::new("kill").args(["-INT", &gw.0.id().to_string()]).status();
    let _ = gw.0.wait();
    let out = log_text(&log);
    let line = out.lines().rfind(|l| l.starts_with("sparkplug ")).unwrap_or_else(|| panic!("{out}"));
    println!("pharma_dc: {line}");
    let largest: u64 = line.split("largest ").nth(1).and_then(|r| r.split(' ').next()?.parse().ok()).unwrap();
    assert!(largest < 1024, "a controller's DBIRTH under 1 MB: {largest} kB");
    assert!(
        until(Duration::from_secs(5), || consumer.events("NDEATH").len() == 1),
        "a clean stop sends its NDEATH"
    );
}

#[test]
fn sparkplug_commands_put_no_write_on_the_modbus_wire() {
    // The gateway polls through a proxy that records every request's function code while a
    // Sparkplug host sends writes of every kind it can name, and rebirths.
    let layout = "layouts/demo.ron";
    let broker = mosquitto::Broker::start_on(free_port());
    let (_sim, endpoints) = sim(layout, "127.0.0.1:0", 1);
    let codes = wire_watch::Codes::default();
    let via = wire_watch::proxy(endpoints[0].split_once('=').unwrap().1.to_owned(), codes.clone());
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spb-wire.log");
    let mut consumer = Consumer::start(broker.port, "wire");
    let _gw = Reaper(gateway(layout, broker.port, &[format!("ptl-1={via}")], &log));
    assert!(
        until(Duration::from_secs(20), || !consumer.events("DBIRTH").is_empty()),
        "{}",
        consumer.summary()
    );
    let demo = twin_model::Site::load(layout).unwrap();
    for m in demo.modules.iter().take(20) {
        for metric in ["Quantity", "Confirmed Quantity", "State"] {
            consumer.send(&format!("dcmd ptl-1 7 Modules/{}/{metric}", m.location));
        }
    }
    for other in ["Node Control/Reboot", "Node Control/Next Server", "Link/Errors"] {
        consumer.send(&format!("ncmd {other}"));
    }
    consumer.send("rebirth");
    assert!(
        until(Duration::from_secs(10), || consumer.events("NBIRTH").len() == 2),
        "{}",
        consumer.summary()
    );
    std::thread::sleep(Duration::from_secs(2));
    let codes = codes.lock().unwrap().clone();
    let reads: u64 = [1u8, 2, 3, 4].iter().filter_map(|c| codes.get(c)).sum();
    assert!(reads > 10, "the gateway polled through the proxy: {codes:?}");
    assert!(codes.keys().all(|c| [1, 2, 3, 4].contains(c)), "only read codes on the wire: {codes:?}");
    let refused = log_text(&log);
    assert!(
        refused.contains("refused: device command") && refused.contains("refused: node command"),
        "{refused}"
    );
}
