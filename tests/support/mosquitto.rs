//! A Mosquitto broker on a loopback port, killed on drop: the one launcher of every test that
//! needs a real broker (included with `#[path]` by the gateway's and the sources' test helpers).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Mosquitto (local-only mode: anonymous, 127.0.0.1).
pub struct Broker {
    /// The process (a test with its own configuration may start it and hand it over).
    pub child: Child,
    /// Its port.
    pub port: u16,
}

impl Broker {
    /// Starts one on `port` and waits until it accepts connections.
    pub fn start_on(port: u16) -> Self {
        let child = Command::new("mosquitto")
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed (.ci/run installs it: apt-get install mosquitto)");
        wait_for(port);
        Self { child, port }
    }
}

/// Waits (5 s at most) until something accepts connections on loopback `port`.
pub fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "mosquitto did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
