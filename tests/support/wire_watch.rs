//! A Modbus TCP proxy that records the function code of every request passing through it: the
//! read-only tests put it between picktwin and the simulator (included with `#[path]`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Requests seen, by function code.
pub type Codes = Arc<Mutex<BTreeMap<u8, u64>>>;

/// Copies `from` to `to`, recording the function code of each MBAP frame (7-byte header, then
/// the PDU whose first byte is the code).
fn watch_requests(mut from: TcpStream, mut to: TcpStream, codes: Codes) {
    let mut header = [0u8; 7];
    loop {
        if from.read_exact(&mut header).is_err() {
            return;
        }
        let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
        let mut pdu = vec![0u8; len.saturating_sub(1)];
        if len == 0 || from.read_exact(&mut pdu).is_err() {
            return;
        }
        *codes.lock().unwrap().entry(pdu[0]).or_default() += 1;
        if to.write_all(&header).and_then(|()| to.write_all(&pdu)).is_err() {
            return;
        }
    }
}

/// A proxy to `upstream` on a free port; every connection's requests are watched.
pub fn proxy(upstream: String, codes: Codes) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let codes = codes.clone();
            std::thread::spawn(move || watch_requests(client, server, codes));
            // Replies go back unchanged.
            std::thread::spawn(move || {
                let (mut s, mut c) = (s2, c2);
                let _ = std::io::copy(&mut s, &mut c);
            });
        }
    });
    addr
}
