//! A slow device: a TCP proxy in front of a controller that answers one request at a time per
//! connection and adds a fixed delay to each (a PLC's scan time plus network), for tests and
//! benchmarks of the link at real device speed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts a proxy on a free loopback port that forwards to `upstream`, delaying each request
/// by `delay`; returns its address. It runs until the runtime stops.
pub async fn delay_proxy(upstream: SocketAddr, delay: Duration) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, upstream, delay));
        }
    });
    Ok(addr)
}

/// Reads one whole MBAP frame (header and PDU).
async fn frame(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; 7];
    s.read_exact(&mut out).await?;
    let len = usize::from(u16::from_be_bytes([out[4], out[5]])).saturating_sub(1);
    out.resize(7 + len, 0);
    s.read_exact(&mut out[7..]).await?;
    Ok(out)
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, delay: Duration) -> io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    loop {
        let request = frame(&mut client).await?;
        tokio::time::sleep(delay).await;
        server.write_all(&request).await?;
        let reply = frame(&mut server).await?;
        client.write_all(&reply).await?;
    }
}
