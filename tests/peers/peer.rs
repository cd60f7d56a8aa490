//! The pymodbus PTL controller peer (ptl_controller.py next to this file) on a free loopback
//! port, killed on drop: shared by the binary's and the link's interop tests (included with
//! `#[path]`, so both start the same peer the same way).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running peer and its port.
pub struct Peer(pub Child, pub u16);

/// The peer script, found from the including crate's directory upwards (the repository's
/// `tests/peers/`).
fn script() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("tests/peers/ptl_controller.py");
        if candidate.exists() {
            return candidate;
        }
        assert!(dir.pop(), "tests/peers/ptl_controller.py not found above {}", env!("CARGO_MANIFEST_DIR"));
    }
}

impl Peer {
    /// Starts the peer with the script's options (`--frozen`, `--map-version N`, `--per-unit`)
    /// and waits for its "ready" line.
    pub fn start(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("python3")
            .arg(script())
            .arg(port.to_string())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (pymodbus: scripts/install-peers)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the pymodbus peer did not start");
        Peer(child, port)
    }

    /// `127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.1)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
