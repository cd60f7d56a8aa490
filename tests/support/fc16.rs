//! Lighting a module the way a WCS does: one Modbus TCP FC16 write of the module's whole
//! command block (mode pick, quantity, a new sequence) to a PTL controller, its reply checked.
//! Shared by the fan-out bench and the Sparkplug interop test (included with `#[path]`).

use std::io::{Read, Write};
use std::net::TcpStream;

/// Writes the command block of module `address` (map: blocks of 12 from register 100).
pub fn light(stream: &mut TcpStream, tid: u16, address: u16, quantity: u16, seq: u16) {
    let mut block = [0u16; 12];
    block[0] = 1; // pick
    block[1] = quantity;
    block[6] = 1;
    block[11] = seq;
    let start = 100 + 12 * address;
    let mut pdu = vec![16u8];
    pdu.extend(start.to_be_bytes());
    pdu.extend(12u16.to_be_bytes());
    pdu.push(24);
    for v in block {
        pdu.extend(v.to_be_bytes());
    }
    let mut frame = Vec::new();
    frame.extend(tid.to_be_bytes());
    frame.extend(0u16.to_be_bytes());
    frame.extend(((pdu.len() + 1) as u16).to_be_bytes());
    frame.push(1);
    frame.extend(pdu);
    stream.write_all(&frame).unwrap();
    let mut reply = [0u8; 12];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(reply[7], 16, "the controller accepted the write");
}
