//! What the binary's integration tests share: running `picktwin`, reading its output, and
//! child processes (peers, servers) that are killed when a test ends.

#![allow(dead_code, reason = "each test file uses its own part of the helpers")]

use std::process::{Command, Output};

pub fn picktwin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_picktwin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("picktwin runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A child process killed (and reaped) when dropped.
pub struct Reaper(pub std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something listens on `addr` (10 s at most).
pub fn wait_for_port(addr: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A TCP port free on 127.0.0.1 now (for a server a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
