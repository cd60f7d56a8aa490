//! `picktwin sim` and `picktwin snapshot` as a user runs them: serving, stopping, refusing bad
//! options, and polling the simulator or an independent pymodbus server once.

use std::process::Command;

mod common;
use common::{Reaper, picktwin, text, wait_for_port};

/// Reads one holding register with a hand-made Modbus TCP frame (an independent peer).
fn read_register(addr: &str, register: u16) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    let [hi, lo] = register.to_be_bytes();
    s.write_all(&[0, 7, 0, 0, 0, 6, 1, 0x03, hi, lo, 0, 1]).unwrap();
    let mut reply = [0u8; 11];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[..2], &[0, 7], "transaction echoed");
    assert_eq!(&reply[7..9], &[0x03, 2], "{reply:?}");
    u16::from_be_bytes([reply[9], reply[10]])
}

#[test]
fn sim_serves_every_controller_and_stops_cleanly_on_sigint() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args([
            "sim",
            "--layout",
            "layouts/pharma_dc.ron",
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "60",
            "--seed",
            "3",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let addresses: Vec<String> = stdout
        .lines()
        .take(8)
        .map(|l| {
            let l = l.unwrap();
            l.split(" listening on ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .unwrap_or_else(|| panic!("{l}"))
                .to_owned()
        })
        .collect();
    assert_eq!(addresses.len(), 8, "one line per controller");
    for addr in &addresses {
        assert_eq!(read_register(addr, 0), 1, "map version from {addr}");
    }
    assert_eq!(read_register(&addresses[0], 1), 1800, "ptl-fast-1 drives 1,800 modules");
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not stop within 10 s of SIGINT");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("stopping"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn sim_refuses_a_bad_speed_and_a_busy_port() {
    let out = picktwin(&["sim", "--speed", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("speed must be from 1 to 600"), "{}", text(&out.stderr));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().to_string();
    let out = picktwin(&["sim", "--listen", &port]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("controller \"ptl-1\": cannot listen on {port}")),
        "{}",
        text(&out.stderr)
    );
}

/// Kills a child process when dropped, so a failing test leaves no server behind.
#[test]
fn snapshot_of_a_pymodbus_server_matches_its_hand_made_values() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new("python3")
        .args(["tests/peers/pymodbus_server.py", &port.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (pymodbus: python3 -m pip install pymodbus==3.16.1)");
    let _server = Reaper(server);
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr);
    let out =
        picktwin(&["snapshot", "--layout", "layouts/demo.ron", "--controller", &format!("ptl-1={addr}")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 199 + 3, "one line per module and per picker");
    let find =
        |needle: &str| *lines.iter().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle}"));
    assert_eq!(
        find(r#""id":4,"#),
        r#"{"kind":"module","id":4,"location":"A1-0122","display":"A1-0122","controller":"ptl-1","address":3,"state":"lit","mode":"pick","colour":"blue","blink":"blink","blink_period_ms":500,"quantity":7,"confirmed_quantity":0,"job":65538,"confirm_latch":false,"shortage_latch":false,"online":true,"fault":0,"stale":false}"#
    );
    assert_eq!(
        find(r#""id":11,"#),
        r#"{"kind":"module","id":11,"location":"A1-0211","display":"A1-0312","controller":"ptl-1","address":10,"state":"shortage","mode":"pick","colour":"green","blink":"steady","blink_period_ms":0,"quantity":4,"confirmed_quantity":2,"job":42,"confirm_latch":false,"shortage_latch":true,"online":true,"fault":0,"stale":false}"#
    );
    assert_eq!(
        find(r#""id":151,"#),
        r#"{"kind":"module","id":151,"location":"RET-01","display":"RET-01","controller":"ptl-1","address":150,"state":"idle","mode":"off","colour":"red","blink":"steady","blink_period_ms":0,"quantity":null,"confirmed_quantity":0,"job":0,"confirm_latch":false,"shortage_latch":false,"online":true,"fault":1,"stale":false}"#
    );
    // Every other module: all zeros, online.
    let idle = lines
        .iter()
        .filter(|l| l.contains(r#""state":"idle","mode":"off""#) && l.contains(r#""quantity":0,"#))
        .count();
    assert_eq!(idle, 199 - 3);
    assert_eq!(
        find(r#""id":"P01""#),
        r#"{"kind":"picker","id":"P01","name":"Anna","x":12.34,"y":5.67,"heading":90.0,"state":"walking","order":77}"#
    );
    assert!(find(r#""id":"P03""#).contains(r#""state":"absent""#));
}

#[test]
fn snapshot_names_an_unreachable_controller_and_exits_2_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let out = picktwin(&[
        "snapshot",
        "--layout",
        "layouts/demo.ron",
        "--controller",
        &format!("ptl-1=127.0.0.1:{port}"),
        "--timeout-ms",
        "500",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(
        text(&out.stderr).contains(&format!("controller ptl-1 (127.0.0.1:{port}) did not answer")),
        "{}",
        text(&out.stderr)
    );
    let out = picktwin(&["snapshot", "--layout", "layouts/demo.ron", "--controller", "ptl-9=127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the layout has no controller \"ptl-9\" (known: ptl-1)"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn snapshot_of_the_simulator_lists_every_module() {
    use std::io::{BufRead, BufReader};
    let mut sim = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["sim", "--layout", "layouts/pharma_dc.ron", "--listen", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(sim.stdout.take().unwrap());
    let _sim = Reaper(sim);
    let mut args: Vec<String> = ["snapshot", "--layout", "layouts/pharma_dc.ron"].map(String::from).to_vec();
    for line in stdout.lines().take(8) {
        let line = line.unwrap();
        let (name, rest) = line.split_once(" listening on ").unwrap();
        args.push("--controller".into());
        args.push(format!("{name}={}", rest.split(' ').next().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = picktwin(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().filter(|l| l.starts_with(r#"{"kind":"module""#)).count(), 14_280);
    assert_eq!(stdout.lines().filter(|l| l.starts_with(r#"{"kind":"picker""#)).count(), 36);
    assert!(stdout.lines().all(|l| !l.contains(r#""online":false"#)));
}
