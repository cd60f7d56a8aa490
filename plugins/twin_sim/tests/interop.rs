//! Interoperability with independent Modbus peers: `mbpoll` (libmodbus) and pymodbus.
//! .ci/run installs both; elsewhere the tests stop with the one line that installs them.

use std::process::Command;
use std::sync::Arc;

use twin_model::Site;
use twin_sim::{Listen, RunningSim, SimConfig, SimOptions};

async fn start() -> RunningSim {
    let path = format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"));
    let site = Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")));
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 1.0,
        config: SimConfig::default(),
    };
    twin_sim::start(site, options).await.unwrap()
}

/// Runs a peer program off the async runtime; stops the test with an install hint if missing.
async fn peer(program: &str, args: Vec<String>, install: &str) -> (bool, String) {
    let program = program.to_owned();
    let install = install.to_owned();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{program} cannot run ({e}); install it: {install}"));
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

fn mbpoll_args(port: u16, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> =
        ["-m", "tcp", "-a", "1", "-p", &port.to_string(), "-1", "-o", "3"].map(String::from).to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("127.0.0.1".into());
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbpoll_reads_the_header_and_125_holding_registers() {
    let sim = start().await;
    let port = sim.addresses()[0].port();
    const INSTALL: &str = "sudo apt-get install mbpoll";
    // mbpoll counts references from 1: reference 1 is register 0.
    let (ok, out) = peer("mbpoll", mbpoll_args(port, &["-t", "4", "-r", "1", "-c", "16"]), INSTALL).await;
    assert!(ok, "{out}");
    assert!(out.contains("[1]: \t1\n") && out.contains("[2]: \t199\n"), "map version 1, 199 modules:\n{out}");
    let (ok, out) = peer("mbpoll", mbpoll_args(port, &["-t", "4", "-r", "101", "-c", "125"]), INSTALL).await;
    assert!(ok, "{out}");
    let values = out.lines().filter(|l| l.starts_with('[') && l.contains("]:")).count();
    assert_eq!(values, 125, "{out}");
    let (_, out) = peer("mbpoll", mbpoll_args(port, &["-t", "4", "-r", "17", "-c", "1"]), INSTALL).await;
    assert!(out.contains("Illegal data address"), "exception 02 for the gap after the header:\n{out}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymodbus_reads_writes_and_sees_the_exceptions() {
    let sim = start().await;
    let port = sim.addresses()[0].port();
    let script = format!("{}/tests/interop/pymodbus_client.py", env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = peer(
        "python3",
        vec![script, "127.0.0.1".into(), port.to_string()],
        "python3 -m pip install pymodbus==3.16.1",
    )
    .await;
    assert!(
        !out.contains("No module named 'pymodbus'"),
        "pymodbus is missing; install it: python3 -m pip install pymodbus==3.16.1"
    );
    assert!(ok && out.contains("17 passed, 0 failed"), "{out}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbpoll_reads_the_per_unit_gateway_map_by_unit_id() {
    let path = format!("{}/../../layouts/unit_gateway.ron", env!("CARGO_MANIFEST_DIR"));
    let site = Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")));
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed: 1.0,
        config: SimConfig::default(),
    };
    let sim = twin_sim::start(site, options).await.unwrap();
    let port = sim.addresses()[0].port().to_string();
    const INSTALL: &str = "sudo apt-get install mbpoll";
    let args = |unit: &str, extra: &[&str]| {
        let mut a: Vec<String> =
            ["-m", "tcp", "-a", unit, "-p", &port, "-1", "-o", "3"].map(String::from).to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("127.0.0.1".into());
        a
    };
    // The gateway's own unit: its header (map version 1, 200 devices).
    let (ok, out) = peer("mbpoll", args("247", &["-t", "4", "-r", "1", "-c", "8"]), INSTALL).await;
    assert!(ok && out.contains("[1]: \t1\n") && out.contains("[2]: \t200\n"), "{out}");
    // Unit 1 is module address 0: five holding registers (quantity blank), three input.
    let (ok, out) = peer("mbpoll", args("1", &["-t", "4", "-r", "1", "-c", "5"]), INSTALL).await;
    assert!(ok && out.contains("[2]: \t65535 (-1)\n"), "{out}");
    let (ok, out) = peer("mbpoll", args("1", &["-t", "3", "-r", "1", "-c", "3"]), INSTALL).await;
    assert!(ok, "{out}");
    // Past the unit's block, and a unit with no device behind the gateway.
    let (_, out) = peer("mbpoll", args("1", &["-t", "4", "-r", "1", "-c", "6"]), INSTALL).await;
    assert!(out.contains("Illegal data address"), "{out}");
    let (_, out) = peer("mbpoll", args("241", &["-t", "4", "-r", "1", "-c", "1"]), INSTALL).await;
    assert!(out.contains("Target device failed to respond"), "exception 0B for an absent device:\n{out}");
    sim.shutdown().await;
}
