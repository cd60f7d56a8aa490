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
    // No arguments: usage on stderr, failure exit.
    assert!(!picktwin(&[]).status.success());
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
