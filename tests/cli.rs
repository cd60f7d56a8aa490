//! The `picktwin` binary as a user runs it: exit codes, summaries and error positions.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn picktwin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("picktwin runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Number printed after `label` in a summary, with thousands separators removed.
fn count(summary: &str, label: &str) -> usize {
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {summary}"));
    let number: String = line.trim_start()[label.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    number.replace(',', "").parse().unwrap_or_else(|_| panic!("no number in {line:?}"))
}

#[test]
fn check_layout_summarises_pharma_dc() {
    let out = picktwin(&["check-layout", "layouts/pharma_dc.ron"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("layouts/pharma_dc.ron: ok"), "{stdout}");
    assert!(count(&stdout, "modules") >= 10_000, "{stdout}");
    assert_eq!(count(&stdout, "controllers"), 8, "{stdout}");
    assert_eq!(count(&stdout, "zones"), 6, "{stdout}");
    assert!(count(&stdout, "racks") > 0 && count(&stdout, "pickers") >= 30, "{stdout}");
}

#[test]
fn check_layout_checks_several_files() {
    let out = picktwin(&["check-layout", "layouts/demo.ron", "layouts/stress.ron"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("layouts/demo.ron: ok") && stdout.contains("layouts/stress.ron: ok"), "{stdout}");
}

fn broken_copy(name: &str, from: &str, to: &str) -> PathBuf {
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/demo.ron")).unwrap();
    assert!(src.contains(from));
    let dir = std::env::temp_dir().join(format!("picktwin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, src.replacen(from, to, 1)).unwrap();
    path
}

/// Line and column (from 1) where `needle` first occurs in the file.
fn line_col(path: &Path, needle: &str) -> (usize, usize) {
    let src = std::fs::read_to_string(path).unwrap();
    let at = src.find(needle).unwrap();
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    (src[..at].matches('\n').count() + 1, src[line_start..at].chars().count() + 1)
}

#[test]
fn broken_layout_gives_file_line_col_and_exit_1() {
    let path = broken_copy(
        "unknown-controller.ron",
        "controller: \"ptl-1\",\n            overrides",
        "controller: \"ptl-9\",\n            overrides",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let (line, col) = line_col(&path, "controller: \"ptl-9\"");
    let expected =
        format!("{}:{line}:{col}: error: rack \"A1\" refers to unknown controller \"ptl-9\"", path.display());
    assert!(stderr.starts_with(&expected), "expected {expected:?} in\n{stderr}");
    assert!(stderr.contains("help: known controllers: ptl-1"), "{stderr}");
    assert!(out.stdout.is_empty(), "no summary for an invalid layout");
}

#[test]
fn syntax_error_gives_position() {
    let path = broken_copy(
        "syntax.ron",
        "bays: 5, levels: 5, slots_per_level: 2, bay_width: 1.2",
        "bays: 5 levels: 5, slots_per_level: 2, bay_width: 1.2",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let (line, col) = line_col(&path, "levels: 5, slots_per_level: 2, bay_width: 1.2");
    assert!(
        stderr.starts_with(&format!("{}:{line}:{col}: error: Expected comma", path.display())),
        "{stderr}"
    );
}

#[test]
fn one_bad_file_fails_the_run_but_the_others_are_checked() {
    let out = picktwin(&["check-layout", "layouts/no-such-file.ron", "layouts/demo.ron"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: cannot read layout layouts/no-such-file.ron:"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("layouts/demo.ron: ok"));
}

#[test]
fn help_lists_check_layout() {
    let out = picktwin(&["--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("check-layout"));
    let out = picktwin(&["check-layout", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--deny-warnings"));
    let out = picktwin(&["--help"]);
    assert!(text(&out.stdout).contains("--allow-writes") && text(&out.stdout).contains("snapshot"));
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let path = broken_copy(
        "dup-location.ron",
        "location_format: \"{rack}-{bay:02}{level}{slot}\"",
        "location_format: \"{bay:02}{level}{slot}\"",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    assert!(out.status.success(), "warnings alone pass: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: rack \"A2\" shows"), "{}", text(&out.stderr));
    let out = picktwin(&["check-layout", "--deny-warnings", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(": warnings denied"), "{}", text(&out.stdout));
}

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
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(addr: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

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

#[test]
fn the_twin_runs_headless_against_the_built_in_simulator() {
    let out = picktwin(&["--headless", "--speed", "600", "--status-every", "1", "--for", "3"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no status line: {}", text(&out.stderr)));
    assert!(last.starts_with("modules: "), "{last}");
    assert!(last.contains("ptl-1 ok"), "connected over TCP: {last}");
    assert!(text(&out.stderr).contains("read-only: nothing is written"), "{}", text(&out.stderr));
}

#[test]
fn the_twin_runs_from_any_directory_on_the_embedded_demo_layout() {
    // No layouts/ beside it: the demo site is built into the binary.
    let dir = std::env::temp_dir().join(format!("picktwin-anywhere-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["--headless", "--speed", "600", "--status-every", "1", "--for", "3"])
        .current_dir(&dir)
        .output()
        .expect("picktwin runs");
    let _ = std::fs::remove_dir(&dir);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no status line: {}", text(&out.stderr)));
    assert!(last.contains("ptl-1 ok"), "the embedded demo's controller answered: {last}");
}

#[test]
fn record_for_a_while_then_replay_dumps_the_floor_at_a_moment() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-record");
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("demo.ptrec");
    let f = file.to_str().unwrap();
    let out =
        picktwin(&["record", "--layout", "layouts/demo.ron", "--out", f, "--speed", "300", "--for", "4"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("recorded 4."), "{stdout}");
    assert!(file.exists());

    // The state 3 s in: one JSON line per module and per picker, some of them lit by then.
    let out = picktwin(&["replay", f, "--at", "+3", "--dump"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 199 + 3, "199 modules and 3 pickers");
    assert_eq!(lines.iter().filter(|l| l.starts_with("{\"kind\":\"module\"")).count(), 199);
    assert!(lines.iter().any(|l| l.contains("\"online\":true")), "polled modules are online");

    // The controller clock works as a time too (the simulator starts at 06:00).
    let out = picktwin(&["replay", f, "--at", "06:05", "--dump"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Wrong layout: refused, both layouts named, exit 1.
    let out = picktwin(&["replay", f, "--layout", "layouts/pharma_dc.ron", "--at", "+1", "--dump"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("\"picktwin demo\"") && stderr.contains("\"Pharma DC North\""), "{stderr}");

    // The floor as it was, rendered (under Xvfb + lavapipe in CI, like tests/render.rs).
    if std::env::var_os("DISPLAY").is_some() {
        let png = dir.join("at3.png");
        let out = picktwin(&[
            "replay",
            f,
            "--at",
            "+3",
            "--screenshot",
            png.to_str().unwrap(),
            "--size",
            "640x360",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 10_000), "a PNG of the floor");
    }

    // A moment outside the recording: refused with its extent.
    let out = picktwin(&["replay", f, "--at", "+9999", "--dump"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("long"), "{}", text(&out.stderr));
}

#[test]
fn a_gateway_process_feeds_a_headless_viewer_through_mosquitto() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut broker = Command::new("mosquitto")
        .args(["-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mosquitto is installed");
    wait_for_port(&format!("127.0.0.1:{port}"));
    let url = format!("mqtt://127.0.0.1:{port}/demo");
    let gateway = Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(["gateway", "--layout", "layouts/demo.ron", "--broker", &url, "--speed", "120", "--for", "8"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let out = picktwin(&[
        "--layout",
        "layouts/demo.ron",
        "--source",
        &url,
        "--headless",
        "--for",
        "4",
        "--status-every",
        "1",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    // The viewer's status line shows the simulated floor it received: three pickers and the link
    // health of the controller, read from the broker.
    let last = stdout.lines().rev().find(|l| l.starts_with("modules:")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(last.contains("ptl-1 ok"), "{last}");
    // Refusing to write is structural: --source cannot be combined with writes.
    let out = picktwin(&["--source", &url, "--allow-writes", "--headless", "--for", "1"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses the combination");
    let gw = gateway.wait_with_output().unwrap();
    let gw_out = text(&gw.stdout);
    assert!(gw.status.success(), "{gw_out}{}", text(&gw.stderr));
    assert!(gw_out.contains("broker connected") && gw_out.contains("delta batches"), "{gw_out}");
    let _ = broker.kill();
    let _ = broker.wait();
}
