//! The simulator on the wire: every function code, the exceptions, unit ids, malformed frames,
//! garbage, disconnects and many clients, against real sockets on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_modbus::client::{Context, Reader, Writer, tcp};
use tokio_modbus::prelude::{ExceptionCode, Slave, SlaveContext};
use twin_model::Site;
use twin_sim::{Listen, RunningSim, SimConfig, SimOptions};

fn demo() -> Arc<Site> {
    let path = format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

async fn start(speed: f64) -> RunningSim {
    let options = SimOptions {
        listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
        speed,
        config: SimConfig { seed: 9, ..SimConfig::default() },
    };
    twin_sim::start(demo(), options).await.expect("simulator starts")
}

async fn client(addr: SocketAddr) -> Context {
    tcp::connect_slave(addr, Slave(1)).await.expect("connects")
}

/// Sends one raw MBAP frame and reads one reply (or EOF).
async fn raw(stream: &mut TcpStream, transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut frame = transaction.to_be_bytes().to_vec();
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    frame.push(unit);
    frame.extend_from_slice(pdu);
    stream.write_all(&frame).await.unwrap();
    let mut header = [0u8; 7];
    if tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut header)).await.is_err() {
        panic!("no reply within 2 s");
    }
    let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let mut body = vec![0u8; len - 1];
    stream.read_exact(&mut body).await.unwrap();
    assert_eq!(u16::from_be_bytes([header[0], header[1]]), transaction);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_code() {
    let sim = start(1.0).await;
    let mut c = client(sim.addresses()[0]).await;
    // FC03: the header and a full 125-register read of module commands.
    let header = c.read_holding_registers(0, 16).await.unwrap().unwrap();
    assert_eq!(header[0], 1, "map version");
    assert_eq!(header[1], 199, "module count");
    assert_eq!(c.read_holding_registers(100, 125).await.unwrap().unwrap().len(), 125);
    // FC04, FC02, FC01.
    assert_eq!(c.read_input_registers(0, 125).await.unwrap().unwrap().len(), 125);
    let online = c.read_discrete_inputs(8192, 2000).await.unwrap().unwrap();
    assert_eq!(online.iter().filter(|&&b| b).count(), 199, "one online bit per module");
    assert_eq!(c.read_coils(0, 10).await.unwrap().unwrap(), vec![false; 10]);
    // FC06 / FC16 / FC23 on the order board's last slot (host-writable holding registers; the
    // simulated WCS fills the board from slot 0).
    const SCRATCH: u16 = 30_000 + 1999 * 12;
    c.write_single_register(SCRATCH, 7).await.unwrap().unwrap();
    c.write_multiple_registers(SCRATCH + 1, &[8, 9]).await.unwrap().unwrap();
    let rw = c.read_write_multiple_registers(SCRATCH, 4, SCRATCH + 3, &[10]).await.unwrap().unwrap();
    assert_eq!(rw, vec![7, 8, 9, 10]);
    // FC05 / FC15: acknowledge coils self-clear.
    c.write_single_coil(5, true).await.unwrap().unwrap();
    c.write_multiple_coils(0, &[true, false, true]).await.unwrap().unwrap();
    assert_eq!(c.read_coils(0, 6).await.unwrap().unwrap(), vec![false; 6]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_follow_the_spec() {
    let sim = start(1.0).await;
    let mut c = client(sim.addresses()[0]).await;
    // 02: outside every block, or running off the address space.
    assert_eq!(c.read_holding_registers(16, 1).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(c.read_input_registers(65_535, 2).await.unwrap(), Err(ExceptionCode::IllegalDataAddress));
    assert_eq!(
        c.write_single_register(1, 5).await.unwrap(),
        Err(ExceptionCode::IllegalDataAddress),
        "read-only header"
    );
    // 03: zero or over the limits.
    assert_eq!(c.read_holding_registers(100, 126).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(c.read_holding_registers(100, 0).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(c.read_discrete_inputs(0, 2001).await.unwrap(), Err(ExceptionCode::IllegalDataValue));
    assert_eq!(
        c.write_multiple_coils(0, &[false; 1969]).await.unwrap(),
        Err(ExceptionCode::IllegalDataValue)
    );
    // 01: a function the controller does not implement (FC22 mask write, FC17 report id).
    assert_eq!(c.masked_write_register(30_000, 0xFF, 0).await.unwrap(), Err(ExceptionCode::IllegalFunction));
    let mut s = TcpStream::connect(sim.addresses()[0]).await.unwrap();
    assert_eq!(raw(&mut s, 1, 1, &[0x11]).await, vec![0x91, 0x01]);
    assert_eq!(raw(&mut s, 2, 1, &[0x41, 1, 2]).await, vec![0xC1, 0x01], "user-defined code");
    // 03 for a write quantity over 123 (no client library sends one: it cannot fit a PDU).
    assert_eq!(raw(&mut s, 3, 1, &[0x10, 0x75, 0x30, 0, 124, 248]).await, vec![0x90, 0x03]);
    // The connection survives exceptions.
    assert!(c.read_holding_registers(0, 16).await.unwrap().is_ok());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unit_ids() {
    let sim = start(1.0).await;
    let addr = sim.addresses()[0];
    for unit in [1, 0, 255] {
        let mut c = tcp::connect_slave(addr, Slave(unit)).await.unwrap();
        assert!(c.read_holding_registers(0, 1).await.unwrap().is_ok(), "unit {unit}");
    }
    let mut c = client(addr).await;
    c.set_slave(Slave(7));
    assert_eq!(c.read_holding_registers(0, 1).await.unwrap(), Err(ExceptionCode::GatewayTargetDevice));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_fc15_and_fc16_frames_get_exception_03_and_others_keep_being_served() {
    let sim = start(1.0).await;
    let addr = sim.addresses()[0];
    let mut other = client(addr).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // FC15: 200 coils announced, one data byte sent. tokio-modbus 0.17's codec panics on this.
    assert_eq!(raw(&mut s, 1, 1, &[0x0F, 0, 0, 0, 200, 1, 0xFF]).await, vec![0x8F, 0x03]);
    // FC16: quantity 0x8000 (its double overflows u16) with no data.
    assert_eq!(raw(&mut s, 2, 1, &[0x10, 0x75, 0x30, 0x80, 0, 0]).await, vec![0x90, 0x03]);
    // FC16: byte count disagrees with the quantity.
    assert_eq!(raw(&mut s, 3, 1, &[0x10, 0x75, 0x30, 0, 2, 2, 0, 1]).await, vec![0x90, 0x03]);
    // FC23 truncated.
    assert_eq!(raw(&mut s, 4, 1, &[0x17, 0x75, 0x30]).await, vec![0x97, 0x03]);
    // The same connection still works, and so does everyone else's.
    assert_eq!(raw(&mut s, 5, 1, &[0x03, 0, 0, 0, 1]).await, vec![0x03, 2, 0, 1]);
    assert!(other.read_holding_registers(0, 16).await.unwrap().is_ok());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_half_frames_affect_only_their_connection() {
    let sim = start(1.0).await;
    let addr = sim.addresses()[0];
    let mut other = client(addr).await;
    // Not Modbus at all: the server closes that connection.
    let mut g = TcpStream::connect(addr).await.unwrap();
    g.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(2), g.read(&mut buf))
        .await
        .expect("closed promptly")
        .unwrap_or(0);
    assert_eq!(n, 0, "garbage gets no reply, only a close");
    // Half a frame, then gone.
    let mut h = TcpStream::connect(addr).await.unwrap();
    h.write_all(&[0, 1, 0, 0, 0, 6, 1, 0x03, 0]).await.unwrap();
    drop(h);
    // Silent connections don't block anyone.
    let _idle = TcpStream::connect(addr).await.unwrap();
    assert!(other.read_holding_registers(0, 16).await.unwrap().is_ok());
    assert!(client(addr).await.read_input_registers(0, 8).await.unwrap().is_ok());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once() {
    let sim = start(1.0).await;
    let addr = sim.addresses()[0];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32u16 {
        tasks.spawn(async move {
            let mut c = client(addr).await;
            for k in 0..100u16 {
                let start = 100 + ((i + k) % 100) * 12;
                let regs = c.read_holding_registers(start, 120).await.unwrap().unwrap();
                assert_eq!(regs.len(), 120);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("client task");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_heartbeat_and_the_floor_come_alive() {
    let sim = start(600.0).await;
    let mut c = client(sim.addresses()[0]).await;
    let first = c.read_holding_registers(0, 16).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = c.read_holding_registers(0, 16).await.unwrap().unwrap();
    assert_ne!(first[3], later[3], "heartbeat moves");
    let clock = |h: &[u16]| (u32::from(h[8]) << 16) | u32::from(h[9]);
    let advanced = clock(&later) - clock(&first);
    assert!((600..=1200).contains(&advanced), "600× speed: 1.5 s real ≈ 900 s simulated, got {advanced}");
    assert_eq!(later[10], 600);
    assert_eq!(later[5], twin_sim::WATCHDOG_TIMEOUT_MS, "the WCS set the host watchdog");
    // The WCS lights modules and publishes orders: within a simulated hour something is lit.
    let mut lit = false;
    for _ in 0..40 {
        let mut states = Vec::new();
        for start in (0..199 * 8).step_by(120) {
            states.extend(c.read_input_registers(start, 120).await.unwrap().unwrap());
        }
        let board = c.read_holding_registers(30_000, 120).await.unwrap().unwrap();
        lit |= states.chunks(8).any(|s| s[1] == 1) && board.iter().any(|&r| r != 0);
        if lit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(lit, "modules lit and orders on the board");
    sim.shutdown().await;
}
