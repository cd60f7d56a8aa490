//! Fan-out through a broker, in one run: the simulator (`picktwin sim`, pharma_dc, its own
//! process), one gateway (`picktwin gateway --controller ...`, its own process, so its CPU is
//! its own), Mosquitto, and N in-process subscribers for N = 1, 10, 50. Register changes are
//! written into the simulator over Modbus (FC16, like a WCS lighting a module); latency runs from
//! that write to each subscriber receiving the module's new state. Gateway CPU is read from
//! /proc for each N (baseline: N = 1).
//!
//! Then Sparkplug's cost: fresh gateways without and with `--sparkplug`, alternating, over the
//! same writes (gateway CPU, ratio to the run without before it).
//!
//! `cargo bench --workspace --profile dev --bench fanout [-- --changes 15] [--sim-speed 60]`
//! (needs mosquitto).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use twin_gateway::{BrokerUrl, Sink, Viewer, ViewerOptions};
use twin_link::LinkMessage;
use twin_model::Site;

fn free_base(n: u16) -> u16 {
    // n consecutive free ports.
    'outer: for base in (20_000u16..60_000).step_by(97) {
        for p in base..base + n {
            if std::net::TcpListener::bind(("127.0.0.1", p)).is_err() {
                continue 'outer;
            }
        }
        return base;
    }
    panic!("no free ports");
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        // SIGINT first: the gateway publishes `offline` and the simulator stops cleanly.
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        thread::sleep(Duration::from_millis(300));
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// CPU seconds (user + system) of a process so far.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

#[path = "../tests/support/fc16.rs"]
mod fc16;
use fc16::light;

fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned());
    let changes: u16 = arg("--changes").and_then(|v| v.parse().ok()).unwrap_or(15);
    // A busier floor: `--sim-speed 60` runs the simulated shift 60× faster (orders, lights).
    let sim_speed = arg("--sim-speed").unwrap_or_else(|| "1".into());
    let bin = env!("CARGO_BIN_EXE_picktwin");
    let layout = concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/pharma_dc.ron");
    let site = Arc::new(Site::load(layout).unwrap());
    let n_ctrl = site.layout.controllers.len() as u16;

    // The controllers' ports, then the broker's, all free now.
    let base = free_base(n_ctrl + 1);
    let _sim = Proc(
        Command::new(bin)
            .args([
                "sim",
                "--layout",
                layout,
                "--listen",
                &format!("127.0.0.1:{base}"),
                "--speed",
                &sim_speed,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let broker_port = base + n_ctrl;
    let _broker = Proc(
        Command::new("mosquitto")
            .args(["-p", &broker_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (apt-get install mosquitto)"),
    );
    wait_port(base);
    wait_port(broker_port);
    let start_gateway = |extra: &[&str]| {
        let mut gw_args: Vec<String> = vec!["gateway".into(), "--layout".into(), layout.into()];
        gw_args.extend(["--broker".into(), format!("mqtt://127.0.0.1:{broker_port}/bench")]);
        for (i, c) in site.layout.controllers.iter().enumerate() {
            gw_args.extend(["--controller".into(), format!("{}=127.0.0.1:{}", c.name, base + i as u16)]);
        }
        gw_args.extend(extra.iter().map(|a| a.to_string()));
        Proc(Command::new(bin).args(&gw_args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
    };
    let gateway = start_gateway(&[]);
    let gw_pid = gateway.0.id();
    thread::sleep(Duration::from_secs(3));

    let url: BrokerUrl = format!("mqtt://127.0.0.1:{broker_port}/bench").parse().unwrap();
    // Module address 5 on the first controller: the one the changes are written to.
    let module = site.module_at(0, 5).unwrap();

    println!(
        "fan-out: pharma_dc ({} modules, {n_ctrl} controllers), simulator at {sim_speed}×, {changes} register changes per N",
        site.modules.len()
    );
    println!("| subscribers | latency p50 | latency p99 | received | gateway CPU | CPU vs N=1 |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut seq = 100u16;
    let mut cpu_one = None;
    for n in [1usize, 10, 50] {
        // Each subscriber reports (quantity, arrival) for the watched module.
        let (arrivals_tx, arrivals_rx) = crossbeam_channel::unbounded::<(u16, Instant)>();
        let mut viewers = Vec::new();
        for _ in 0..n {
            let (tx, rx) = crossbeam_channel::unbounded::<LinkMessage>();
            let options =
                ViewerOptions { broker: url.clone(), site: "bench".into(), ca_pem: None, client_auth: None };
            viewers.push(Viewer::spawn(site.clone(), options, Some(Sink::Channels(vec![tx]))).unwrap());
            let out = arrivals_tx.clone();
            thread::spawn(move || {
                // The first arrival of each change counts (later keyframes repeat it).
                let mut seen = std::collections::HashSet::new();
                for m in rx {
                    if let LinkMessage::Module { module: m_, reading } = m
                        && m_ == module
                        && seen.insert(reading.quantity)
                    {
                        let _ = out.send((reading.quantity, Instant::now()));
                    }
                }
            });
        }
        // Everyone has the keyframe before measuring.
        let deadline = Instant::now() + Duration::from_secs(30);
        while viewers.iter().any(|v| v.stats().keyframes == 0) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        while arrivals_rx.try_recv().is_ok() {}
        let cpu0 = cpu_s(gw_pid);
        let t0 = Instant::now();
        let written = write_changes(base, &mut seq, 1000 + (n as u16) * 100, changes);
        let cpu = (cpu_s(gw_pid) - cpu0) / t0.elapsed().as_secs_f64();
        let mut lat = Vec::new();
        for (q, at) in arrivals_rx.try_iter() {
            if let Some((_, w)) = written.iter().find(|(wq, _)| *wq == q) {
                lat.push(at.duration_since(*w).as_secs_f64() * 1e3);
            }
        }
        let received = lat.len();
        let (p50, p99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
        let base_cpu = *cpu_one.get_or_insert(cpu);
        println!(
            "| {n} | {p50:.0} ms | {p99:.0} ms | {received}/{} | {:.1} % | {:.2} |",
            n * changes as usize,
            cpu * 100.0,
            cpu / base_cpu.max(1e-9)
        );
        drop(viewers);
    }
    drop(gateway);

    // Sparkplug's cost: a fresh gateway without and with `--sparkplug`, three times each, alternating,
    // each measured over the same writes after its births (5 s in).
    println!();
    println!("| gateway | CPU | vs. without |");
    println!("|---|---:|---:|");
    let mut without = Vec::new();
    for round in 0..6 {
        let sparkplug = round % 2 == 1;
        let extra: &[&str] = if sparkplug { &["--sparkplug", "bench/edge"] } else { &[] };
        let gw = start_gateway(extra);
        thread::sleep(Duration::from_secs(5));
        let cpu0 = cpu_s(gw.0.id());
        let t0 = Instant::now();
        write_changes(base, &mut seq, 3000 + round * 100, changes);
        let cpu = (cpu_s(gw.0.id()) - cpu0) / t0.elapsed().as_secs_f64();
        if !sparkplug {
            without.push(cpu);
        }
        let base_cpu = without.last().copied().unwrap_or(cpu);
        let name = if sparkplug { "with --sparkplug" } else { "without" };
        println!("| {name} | {:.1} % | {:.2} |", cpu * 100.0, cpu / base_cpu.max(1e-9));
    }
}

/// Lights module 5 of the first controller `changes` times, 400 ms apart (quantities from
/// `first`), then waits 2 s for the last to travel; the quantities and when they were written.
fn write_changes(base: u16, seq: &mut u16, first: u16, changes: u16) -> Vec<(u16, Instant)> {
    let mut written = Vec::new();
    for k in 0..changes {
        *seq = seq.wrapping_add(1);
        let quantity = first + k;
        // A connection per write, as a WCS task would: an idle one may be closed meanwhile.
        let mut stream = TcpStream::connect(("127.0.0.1", base)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let at = Instant::now();
        light(&mut stream, *seq, 5, quantity, *seq);
        written.push((quantity, at));
        thread::sleep(Duration::from_millis(400));
    }
    thread::sleep(Duration::from_secs(2));
    written
}
