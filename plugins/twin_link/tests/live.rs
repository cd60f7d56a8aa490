//! The link against real sockets: the simulator's lights reach the ECS, and faults (controller
//! down at start, killed and restarted, silent, short replies, exceptions, half-open
//! connections) end in a clean recovery, with no hang and nothing lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use twin_link::{ConnectionState, LinkEvent, LinkOptions};
use twin_model::register_map::Table;
use twin_model::{Site, codes};
use twin_sim::{Listen, RunningSim, SimConfig, SimOptions};

mod common;
use common::{Twin, twin};

fn demo() -> Arc<Site> {
    common::layout("demo.ron")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A simulator on `addr`; `orders_per_day` 0 keeps the floor still for exact comparisons.
fn sim(
    rt: &tokio::runtime::Runtime,
    site: &Arc<Site>,
    addr: SocketAddr,
    orders_per_day: f64,
    speed: f64,
) -> RunningSim {
    let config = SimConfig { seed: 11, orders_per_day, ..SimConfig::default() };
    rt.block_on(twin_sim::start(site.clone(), SimOptions { listen: Listen::Base(addr), speed, config }))
        .unwrap()
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

fn fast_options() -> LinkOptions {
    LinkOptions {
        timeout: Duration::from_millis(300),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        ..LinkOptions::default()
    }
}

/// Lights module `address` of the simulated controller as a host would (FC16-equivalent write).
fn light(sim: &RunningSim, address: u16, quantity: u16, colour: u16, text: &str, seq: u16) {
    let mut c = sim.controllers()[0].lock().unwrap();
    let mut block = vec![0u16; 12];
    block[0] = codes::Mode::Pick as u16;
    block[1] = quantity;
    codes::text_to_registers(text, &mut block[2..6]);
    block[6] = colour;
    block[11] = seq;
    c.write_registers(100 + 12 * address, &block, 123).unwrap();
}

/// Every module of the ECS equals the simulator's registers (nothing lost, nothing stale).
fn ecs_matches_sim(t: &Twin, sim: &RunningSim, site: &Site) -> bool {
    let c = sim.controllers()[0].lock().unwrap();
    site.modules.iter().enumerate().all(|(i, m)| {
        let r = t.module(i);
        let cmd = c.read_registers(Table::Holding, 100 + 12 * m.address, 12).unwrap();
        let st = c.read_registers(Table::Input, 8 * m.address, 8).unwrap();
        !r.stale
            && r.online
            && r.mode == cmd[0]
            && r.quantity == cmd[1]
            && r.sequence == cmd[11]
            && r.state == st[1]
    })
}

#[test]
fn lights_lit_by_the_simulated_wcs_reach_the_ecs() {
    let rt = runtime();
    let site = demo();
    let sim = sim(&rt, &site, "127.0.0.1:0".parse().unwrap(), 1200.0, 600.0);
    let mut t = twin(&site, sim.addresses()[0].to_string(), LinkOptions::default());
    let mut matched = std::collections::HashSet::new();
    let ok = t.until(Duration::from_secs(30), |t| {
        let c = sim.controllers()[0].lock().unwrap();
        for (i, m) in site.modules.iter().enumerate() {
            let r = t.module(i);
            if r.state != codes::ModuleState::Lit as u16 {
                continue;
            }
            let cmd = c.read_registers(Table::Holding, 100 + 12 * m.address, 12).unwrap();
            if cmd[11] == r.sequence {
                // The same command as the registers hold now: every field must agree.
                assert_eq!(r.quantity, cmd[1], "quantity of {}", m.location);
                assert_eq!(r.colour, cmd[6], "colour of {}", m.location);
                assert_eq!(r.location.as_str(), &*m.location, "location text");
                matched.insert(i);
            }
        }
        matched.len() >= 10
    });
    assert!(ok, "only {} lit modules seen in 30 s", matched.len());
    assert!(t.saw(|e| matches!(e, LinkEvent::Connected { controller: 0 })));
    assert_eq!(t.health().connection, ConnectionState::Connected);
    assert!(t.health().latency_p99_us > 0);
    // The header rides along: the simulated clock (from 06:00, 600× fast), its speed, and a
    // running controller whose host watchdog has not tripped.
    let h = t.health();
    let sim_clock =
        sim.controllers()[0].lock().unwrap().read_registers(Table::Holding, 8, 2).unwrap().to_vec();
    let sim_clock = u32::from(sim_clock[0]) << 16 | u32::from(sim_clock[1]);
    assert!(h.clock_s >= 6 * 3600 && h.clock_s <= sim_clock, "clock {} vs {sim_clock}", h.clock_s);
    assert_eq!(h.clock_speed, 600);
    assert_eq!(h.status & 0b11, 0b01, "running, watchdog not tripped");
    t.link.stop();
    rt.block_on(sim.shutdown());
}

#[test]
fn a_register_change_reaches_the_ecs_within_one_poll_and_one_frame() {
    let rt = runtime();
    let site = demo();
    let sim = sim(&rt, &site, "127.0.0.1:0".parse().unwrap(), 0.0, 1.0);
    let mut t = twin(&site, sim.addresses()[0].to_string(), LinkOptions::default());
    assert!(t.until(Duration::from_secs(5), |t| t.health().polls > 0));
    let mut latencies = Vec::new();
    for k in 0..10u16 {
        let started = Instant::now();
        light(&sim, 20 + k, 5 + k, 2, "LAT-TEST", 1);
        assert!(t.until(Duration::from_secs(2), |t| t.module(20 + usize::from(k)).quantity == 5 + k));
        latencies.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(37)); // decorrelate from the poll phase
    }
    latencies.sort();
    let p99 = *latencies.last().unwrap();
    // Poll interval 200 ms + one frame (~10 ms here) + request time; margin for a loaded CI.
    assert!(p99 < Duration::from_millis(450), "latencies {latencies:?}");
    let r = t.module(20);
    assert_eq!((r.location.as_str(), r.colour, r.state), ("LAT-TEST", 2, codes::ModuleState::Lit as u16));
    rt.block_on(sim.shutdown());
}

#[test]
fn controller_down_at_start_then_killed_and_restarted() {
    let rt = runtime();
    let site = demo();
    let addr = free_port();
    let mut t = twin(&site, addr.to_string(), fast_options());
    // Down at start: disconnected, then stale after three intervals, modules greyed.
    assert!(t.until(Duration::from_secs(3), |t| t.health().stale && t.module(0).stale), "stale while down");
    assert!(
        t.saw(|e| matches!(e, LinkEvent::Disconnected { reason, .. } if reason.contains("cannot connect")))
    );
    // Comes up: connects within the backoff and every module is fresh.
    let s = sim(&rt, &site, addr, 0.0, 1.0);
    light(&s, 3, 4, 1, "UP-1", 1);
    assert!(t.until(Duration::from_secs(3), |t| ecs_matches_sim(t, &s, &site)), "recovered after start");
    assert!(!t.health().stale);
    // Killed: stale again.
    rt.block_on(s.shutdown());
    assert!(t.until(Duration::from_secs(3), |t| t.health().stale && t.module(3).stale), "stale after kill");
    // Restarted with new state: recovered, the new state everywhere.
    let s = sim(&rt, &site, addr, 0.0, 1.0);
    light(&s, 3, 9, 3, "UP-2", 1);
    assert!(t.until(Duration::from_secs(3), |t| ecs_matches_sim(t, &s, &site)), "recovered after restart");
    assert_eq!(t.module(3).quantity, 9);
    assert!(t.until(Duration::from_secs(1), |t| t.health().reconnects >= 1));
    rt.block_on(s.shutdown());
}

/// A server that accepts connections and runs `answer` on each request's bytes.
fn raw_server(rt: &tokio::runtime::Runtime, answer: fn(&[u8]) -> Option<Vec<u8>>) -> SocketAddr {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut header = [0u8; 7];
                while s.read_exact(&mut header).await.is_ok() {
                    let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
                    let mut pdu = vec![0u8; len.saturating_sub(1)];
                    if s.read_exact(&mut pdu).await.is_err() {
                        return;
                    }
                    match answer(&pdu) {
                        Some(reply) => {
                            let mut frame = header[..4].to_vec();
                            frame.extend_from_slice(&((reply.len() + 1) as u16).to_be_bytes());
                            frame.push(header[6]);
                            frame.extend_from_slice(&reply);
                            if s.write_all(&frame).await.is_err() {
                                return;
                            }
                        }
                        None => std::future::pending::<()>().await, // hold the connection, say nothing
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn a_server_that_never_answers_times_out() {
    let rt = runtime();
    let site = demo();
    let addr = raw_server(&rt, |_| None);
    let mut t = twin(&site, addr.to_string(), fast_options());
    let started = Instant::now();
    assert!(t.until(Duration::from_secs(3), |t| {
        t.saw(|e| matches!(e, LinkEvent::Disconnected { reason, .. } if reason.contains("timeout")))
    }));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        t.until(Duration::from_secs(3), |t| t.health().stale && t.health().errors >= 2),
        "keeps retrying"
    );
}

#[test]
fn a_short_response_is_an_error() {
    let rt = runtime();
    let site = demo();
    // Any read answered with a single register (or a single bit byte).
    let addr = raw_server(&rt, |pdu| Some(vec![pdu[0], 2, 0, 1]));
    let mut t = twin(&site, addr.to_string(), fast_options());
    assert!(t.until(Duration::from_secs(3), |t| {
        t.saw(|e| matches!(e, LinkEvent::Disconnected { reason, .. } if reason.contains("short response")))
    }));
    assert_eq!(t.health().polls, 0, "no short cycle counts as a poll");
}

#[test]
fn exceptions_keep_the_connection_and_count() {
    let rt = runtime();
    let site = demo();
    let addr = raw_server(&rt, |pdu| Some(vec![pdu[0] | 0x80, 0x02]));
    let mut t = twin(&site, addr.to_string(), fast_options());
    assert!(t.until(Duration::from_secs(3), |t| t.health().exceptions >= 3 && t.health().stale));
    // Module blocks are needed: an exception there is an alarm and keeps the data stale.
    assert!(t.saw(|e| matches!(e, LinkEvent::Exception { code: 2, function: 3 | 4, .. })));
    // Bitmaps are optional: missing, named, and the rest is still read.
    assert!(t.saw(|e| matches!(
        e,
        LinkEvent::BlockMissing { code: 2, function: 2, block: twin_link::Block::ConfirmLatch, .. }
    )));
    assert!(
        !t.saw(|e| matches!(e, LinkEvent::Disconnected { .. })),
        "an exception is no reason to reconnect"
    );
    assert_eq!(t.health().connection, ConnectionState::Connected);
}

/// Copies bytes one way, holding them (connection open, nothing moving) while `frozen`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = from.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        while frozen.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[test]
fn a_half_open_connection_is_dropped_and_recovered() {
    let rt = runtime();
    let site = demo();
    let s = sim(&rt, &site, "127.0.0.1:0".parse().unwrap(), 0.0, 1.0);
    let upstream = s.addresses()[0];
    // A proxy that can freeze: connections stay open but nothing moves, like a dead peer.
    let frozen = Arc::new(AtomicBool::new(false));
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let proxy = listener.local_addr().unwrap();
    let f = frozen.clone();
    rt.spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else { continue };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, f.clone()));
            tokio::spawn(pipe(sr, cw, f.clone()));
        }
    });
    let mut t = twin(&site, proxy.to_string(), fast_options());
    assert!(t.until(Duration::from_secs(3), |t| ecs_matches_sim(t, &s, &site)));
    frozen.store(true, Ordering::Relaxed);
    light(&s, 7, 6, 4, "HALF", 1);
    assert!(
        t.until(Duration::from_secs(3), |t| t.health().stale),
        "a silent peer makes the controller stale"
    );
    assert!(t.saw(|e| matches!(e, LinkEvent::Disconnected { .. })));
    frozen.store(false, Ordering::Relaxed);
    assert!(
        t.until(Duration::from_secs(5), |t| ecs_matches_sim(t, &s, &site)),
        "recovered with the change made meanwhile"
    );
    assert_eq!(t.module(7).location.as_str(), "HALF");
    rt.block_on(s.shutdown());
}

#[test]
fn writes_are_refused_unless_allowed() {
    let site = demo();
    let t = twin(&site, free_port().to_string(), fast_options());
    let err = t.link.command(twin_link::LinkCommand::Acknowledge { module: 0 }).unwrap_err();
    assert!(err.to_string().contains("allow_writes"), "{err}");
}

#[test]
fn allowed_writes_acknowledge_a_latch_and_run_a_lamp_test() {
    let rt = runtime();
    let site = demo();
    let s = sim(&rt, &site, "127.0.0.1:0".parse().unwrap(), 0.0, 1.0);
    let options = LinkOptions { allow_writes: true, ..fast_options() };
    let mut t = twin(&site, s.addresses()[0].to_string(), options);
    let module = site.module_at(0, 12).unwrap();
    assert!(t.until(Duration::from_secs(2), |t| t.health().polls > 0));
    light(&s, 12, 3, 1, "ACK-ME", 1);
    assert!(t.until(Duration::from_secs(2), |t| t.module(module as usize).quantity == 3));
    s.controllers()[0].lock().unwrap().press(12, 3);
    assert!(t.until(Duration::from_secs(2), |t| t.module(module as usize).confirm_latch));
    assert!(t.saw(|e| matches!(e, LinkEvent::Confirmed { module: m, quantity: 3 } if *m == module)));
    t.link.command(twin_link::LinkCommand::Acknowledge { module }).unwrap();
    assert!(t.until(Duration::from_secs(2), |t| !t.module(module as usize).confirm_latch), "latch cleared");
    t.link.command(twin_link::LinkCommand::LampTest { controller: 0 }).unwrap();
    let lamp_test = || {
        let c = s.controllers()[0].lock().unwrap();
        c.read_registers(Table::Holding, 2, 1).unwrap()[0] & codes::status::LAMP_TEST != 0
    };
    assert!(t.until(Duration::from_secs(2), |_| lamp_test()), "lamp test running");
    rt.block_on(s.shutdown());
}
