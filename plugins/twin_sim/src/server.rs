//! The Modbus TCP server of one emulated controller (tokio-modbus `tcp-server`), hardened
//! against frames that would panic tokio-modbus 0.17's codec.
//!
//! tokio-modbus decodes FC15 with `quantity` coils from however many bytes the frame carries
//! (more coils than bytes panics) and multiplies FC16/FC23 quantities without overflow checks.
//! [`FrameGuard`] sits between the socket and the codec, checks every complete MBAP frame, and
//! rewrites an inconsistent write request into the same function with quantity 0, which the
//! service answers with exception 03 (illegal data value) — what the spec asks for — instead of
//! letting the codec panic. A frame with an impossible MBAP header ends only that connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_modbus::server::tcp::Server;
use twin_model::register_map::Table;

use crate::controller::{ControllerSim, Exception, MAX_RW_WRITE_REGISTERS, MAX_WRITE_REGISTERS};

/// A controller shared between its server and the simulation.
pub type SharedController = Arc<Mutex<ControllerSim>>;

/// The Modbus service of one controller: decodes requests into reads and writes of its tables.
#[derive(Debug, Clone)]
pub struct ControllerService {
    controller: SharedController,
    unit_id: u8,
}

impl From<Exception> for ExceptionCode {
    fn from(e: Exception) -> Self {
        match e {
            Exception::IllegalFunction => ExceptionCode::IllegalFunction,
            Exception::IllegalDataAddress => ExceptionCode::IllegalDataAddress,
            Exception::IllegalDataValue => ExceptionCode::IllegalDataValue,
            Exception::GatewayTargetFailed => ExceptionCode::GatewayTargetDevice,
        }
    }
}

impl ControllerService {
    /// A service answering `unit_id` (and 0 and 255, which Modbus TCP devices also answer).
    pub fn new(controller: SharedController, unit_id: u8) -> Self {
        Self { controller, unit_id }
    }

    /// Handles one request: routed by unit id into the controller's image (see
    /// [`ControllerSim::route`]), then read or written there.
    pub fn handle(&self, req: &SlaveRequest<'_>) -> Result<Response, Exception> {
        // A poisoned lock means a panic elsewhere mid-update; the tables are plain data, so
        // serving them is still better than taking the controller off the wire.
        let mut c = self.controller.lock().unwrap_or_else(PoisonError::into_inner);
        let (own, unit) = (self.unit_id, req.slave);
        let at =
            |c: &ControllerSim, table, a: u16, n: usize| c.route(own, unit, table, a, n.min(0xFFFF) as u16);
        Ok(match &req.request {
            Request::ReadCoils(a, n) => {
                let a = at(&c, Table::Coils, *a, usize::from(*n))?;
                Response::ReadCoils(c.read_bits(Table::Coils, a, *n)?.to_vec())
            }
            Request::ReadDiscreteInputs(a, n) => {
                let a = at(&c, Table::Discrete, *a, usize::from(*n))?;
                Response::ReadDiscreteInputs(c.read_bits(Table::Discrete, a, *n)?.to_vec())
            }
            Request::ReadHoldingRegisters(a, n) => {
                let a = at(&c, Table::Holding, *a, usize::from(*n))?;
                Response::ReadHoldingRegisters(c.read_registers(Table::Holding, a, *n)?.to_vec())
            }
            Request::ReadInputRegisters(a, n) => {
                let a = at(&c, Table::Input, *a, usize::from(*n))?;
                Response::ReadInputRegisters(c.read_registers(Table::Input, a, *n)?.to_vec())
            }
            Request::WriteSingleCoil(a0, v) => {
                let a = at(&c, Table::Coils, *a0, 1)?;
                c.write_coils(a, &[*v])?;
                Response::WriteSingleCoil(*a0, *v)
            }
            Request::WriteMultipleCoils(a0, values) => {
                let a = at(&c, Table::Coils, *a0, values.len())?;
                c.write_coils(a, values)?;
                Response::WriteMultipleCoils(*a0, values.len() as u16)
            }
            Request::WriteSingleRegister(a0, v) => {
                let a = at(&c, Table::Holding, *a0, 1)?;
                c.write_registers(a, &[*v], MAX_WRITE_REGISTERS)?;
                Response::WriteSingleRegister(*a0, *v)
            }
            Request::WriteMultipleRegisters(a0, values) => {
                let a = at(&c, Table::Holding, *a0, values.len())?;
                c.write_registers(a, values, MAX_WRITE_REGISTERS)?;
                Response::WriteMultipleRegisters(*a0, values.len() as u16)
            }
            Request::ReadWriteMultipleRegisters(ra, rn, wa, values) => {
                // Validate both halves before writing: a failed read must not leave a write.
                let ra = at(&c, Table::Holding, *ra, usize::from(*rn))?;
                let wa = at(&c, Table::Holding, *wa, values.len())?;
                c.read_registers(Table::Holding, ra, *rn)?;
                c.write_registers(wa, values, MAX_RW_WRITE_REGISTERS)?;
                Response::ReadWriteMultipleRegisters(c.read_registers(Table::Holding, ra, *rn)?.to_vec())
            }
            _ => return Err(Exception::IllegalFunction),
        })
    }
}

impl tokio_modbus::server::Service for ControllerService {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = std::future::Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        std::future::ready(self.handle(&req).map_err(Into::into))
    }
}

/// MBAP header length (transaction, protocol, length, unit).
const MBAP: usize = 7;
/// Largest PDU Modbus allows.
const MAX_PDU: usize = 253;

/// Checks a request PDU that tokio-modbus would mis-handle; returns the replacement PDU for an
/// inconsistent write (same function, quantity 0: answered with exception 03).
fn sanitize_pdu(pdu: &[u8]) -> Option<Vec<u8>> {
    let u16_at = |i: usize| pdu.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let byte_at = |i: usize| pdu.get(i).copied().map(usize::from);
    let fc = *pdu.first()?;
    let zero_form = |addr_fields: &[usize]| {
        let mut out = vec![fc];
        for &i in addr_fields {
            out.extend_from_slice(&u16_at(i).unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
        out.push(0);
        Some(out)
    };
    match fc {
        0x0F => {
            let ok = match (u16_at(3), byte_at(5)) {
                (Some(q), Some(bc)) => {
                    (1..=1968).contains(&q) && bc == usize::from(q).div_ceil(8) && pdu.len() == 6 + bc
                }
                _ => false,
            };
            if ok { None } else { zero_form(&[1]) }
        }
        0x10 => {
            let ok = match (u16_at(3), byte_at(5)) {
                (Some(q), Some(bc)) => {
                    (1..=123).contains(&q) && bc == 2 * usize::from(q) && pdu.len() == 6 + bc
                }
                _ => false,
            };
            if ok { None } else { zero_form(&[1]) }
        }
        0x17 => {
            let ok = match (u16_at(3), u16_at(7), byte_at(9)) {
                (Some(rq), Some(wq), Some(bc)) => {
                    (1..=125).contains(&rq)
                        && (1..=121).contains(&wq)
                        && bc == 2 * usize::from(wq)
                        && pdu.len() == 10 + bc
                }
                _ => false,
            };
            if ok {
                None
            } else {
                // Read and write halves both with quantity 0.
                let mut out = vec![fc];
                for i in [1, 5] {
                    out.extend_from_slice(&u16_at(i).unwrap_or(0).to_be_bytes());
                    out.extend_from_slice(&[0, 0]);
                }
                out.push(0);
                Some(out)
            }
        }
        _ => None,
    }
}

/// Reads whole MBAP frames from the socket and hands the codec only frames it decodes safely.
#[derive(Debug)]
pub struct FrameGuard<S> {
    inner: S,
    raw: Vec<u8>,
    ready: Vec<u8>,
    ready_at: usize,
    eof: bool,
    peer: SocketAddr,
}

impl<S> FrameGuard<S> {
    /// Wraps a connection from `peer`.
    pub fn new(inner: S, peer: SocketAddr) -> Self {
        Self { inner, raw: Vec::new(), ready: Vec::new(), ready_at: 0, eof: false, peer }
    }

    /// Moves complete frames from `raw` to `ready`, sanitised.
    fn frames(&mut self) -> io::Result<()> {
        let mut at = 0;
        while self.raw.len() - at >= MBAP {
            let f = &self.raw[at..];
            let protocol = u16::from_be_bytes([f[2], f[3]]);
            let len = usize::from(u16::from_be_bytes([f[4], f[5]]));
            if protocol != 0 || !(2..=MAX_PDU + 1).contains(&len) {
                tracing::warn!(peer = %self.peer, protocol, len, "malformed MBAP header: closing the connection");
                return Err(io::Error::new(io::ErrorKind::InvalidData, "malformed MBAP header"));
            }
            if f.len() < 6 + len {
                break;
            }
            let frame = &f[..6 + len];
            match sanitize_pdu(&frame[MBAP..]) {
                None => self.ready.extend_from_slice(frame),
                Some(pdu) => {
                    tracing::warn!(peer = %self.peer, function = frame[MBAP], "inconsistent write request: answering exception 03");
                    self.ready.extend_from_slice(&frame[..4]);
                    self.ready.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
                    self.ready.push(frame[6]);
                    self.ready.extend_from_slice(&pdu);
                }
            }
            at += 6 + len;
        }
        self.raw.drain(..at);
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FrameGuard<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_at);
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                if this.ready_at == this.ready.len() {
                    this.ready.clear();
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                if !this.raw.is_empty() {
                    tracing::debug!(peer = %this.peer, bytes = this.raw.len(), "connection closed mid-frame");
                    this.raw.clear();
                }
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 2048];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            if rb.filled().is_empty() {
                this.eof = true;
            } else {
                this.raw.extend_from_slice(rb.filled());
                this.frames()?;
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FrameGuard<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Serves `controller` on `listener` until the future is dropped. Each connection runs in its
/// own task: a client that misbehaves or disconnects affects only itself.
pub async fn serve(listener: TcpListener, controller: SharedController, unit_id: u8) -> io::Result<()> {
    let local = listener.local_addr()?;
    let server = Server::new(listener);
    let on_connected = |stream: TcpStream, peer: SocketAddr| {
        let service = ControllerService::new(controller.clone(), unit_id);
        async move {
            tracing::debug!(%local, %peer, "client connected");
            // Replies are small and prompt; Nagle would add latency to every poll.
            stream.set_nodelay(true)?;
            Ok(Some((service, FrameGuard::new(stream, peer))))
        }
    };
    let on_error = move |e: io::Error| tracing::debug!(%local, "connection ended: {e}");
    server.serve(&on_connected, on_error).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_writes_pass_untouched() {
        assert_eq!(sanitize_pdu(&[0x0F, 0, 1, 0, 9, 2, 0xFF, 0x01]), None);
        assert_eq!(sanitize_pdu(&[0x10, 0, 4, 0, 1, 2, 0, 7]), None);
        assert_eq!(sanitize_pdu(&[0x17, 0, 0, 0, 1, 0, 4, 0, 1, 2, 0, 7]), None);
        assert_eq!(sanitize_pdu(&[0x03, 0, 0, 0, 125]), None);
    }

    #[test]
    fn inconsistent_writes_become_quantity_zero() {
        // FC15: 200 coils announced, 1 byte sent (panics tokio-modbus 0.17).
        assert_eq!(sanitize_pdu(&[0x0F, 0, 5, 0, 200, 1, 0xFF]), Some(vec![0x0F, 0, 5, 0, 0, 0]));
        // FC16: quantity whose double overflows u16.
        assert_eq!(sanitize_pdu(&[0x10, 0, 4, 0x80, 0, 0]), Some(vec![0x10, 0, 4, 0, 0, 0]));
        // FC16 truncated.
        assert_eq!(sanitize_pdu(&[0x10, 0]), Some(vec![0x10, 0, 0, 0, 0, 0]));
        // FC23 with a byte count that disagrees.
        assert_eq!(
            sanitize_pdu(&[0x17, 0, 1, 0, 2, 0, 3, 0, 2, 3, 0, 0, 0]),
            Some(vec![0x17, 0, 1, 0, 0, 0, 3, 0, 0, 0])
        );
    }
}
