//! The simulator's Modbus TCP server (frame guard + tokio-modbus codec + service), on a real
//! loopback socket: any bytes from a client get replies or a closed connection, never a panic
//! (libFuzzer aborts on a panic in the server's task too).
#![no_main]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let site = common::demo();
                let shared = twin_sim::controllers_for(&site).remove(0);
                let _ = twin_sim::server::serve(listener, shared, 1).await;
            });
        });
        rx.recv().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut s) = TcpStream::connect(server()) else { return };
    let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
    if s.write_all(data).is_err() {
        return;
    }
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut reply = [0u8; 4096];
    while let Ok(n) = s.read(&mut reply) {
        if n == 0 {
            break;
        }
    }
});
