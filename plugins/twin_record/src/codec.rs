//! A frame's payload: postcard, deflated, with a CRC over kind and payload; decoding bounded by
//! what the recorded layout's data can take. The recorder, the reader and the gateway's wire
//! share these.

use std::io::{Read, Write};

use flate2::Compression;
use serde::{Deserialize, Serialize};

/// One frame's bytes, ready to append.
pub fn encode_frame<T: Serialize>(kind: u8, value: &T) -> std::io::Result<Vec<u8>> {
    let raw = postcard::to_stdvec(value).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut z =
        flate2::write::DeflateEncoder::new(Vec::with_capacity(raw.len() / 3 + 16), Compression::fast());
    z.write_all(&raw)?;
    let payload = z.finish()?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&[kind]);
    crc.update(&payload);
    let mut out = Vec::with_capacity(payload.len() + 9);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Inflates a deflate body of at most `limit` bytes: a larger one is refused while inflating,
/// after holding no more than `limit` bytes (a hostile body cannot inflate without end).
/// The one bounded inflate of recordings and the gateway's wire.
pub fn inflate_bounded(payload: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut raw: Vec<u8> = Vec::with_capacity(payload.len().saturating_mul(4).min(limit));
    let mut z = flate2::read::DeflateDecoder::new(payload);
    let mut chunk = [0u8; 16 << 10];
    loop {
        let n = z.read(&mut chunk).map_err(|e| format!("inflate: {e}"))?;
        if n == 0 {
            return Ok(raw);
        }
        if raw.len() + n > limit {
            return Err(format!("inflates past {limit} bytes, more than this layout's data can take"));
        }
        // Doubling, but never past the limit: the largest allocation is `limit` bytes.
        if raw.capacity() < raw.len() + n {
            let grow = raw.len().max(n).min(limit - raw.len());
            raw.reserve_exact(grow);
        }
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// Decodes a frame's payload, refusing one that inflates past `limit` bytes
/// (`Bounds::max_decoded_bytes` of the recorded site).
pub fn decode_payload<T: for<'de> Deserialize<'de>>(payload: &[u8], limit: usize) -> Result<T, String> {
    let raw = inflate_bounded(payload, limit)?;
    postcard::from_bytes(&raw).map_err(|e| format!("decode: {e}"))
}

/// A keyframe's time, from the first bytes of its payload: `t_ms` is the first field, so only
/// a few bytes are inflated and the state is not decoded (opening indexes every keyframe).
pub fn keyframe_time(payload: &[u8]) -> Result<u64, String> {
    let mut head = [0u8; 10];
    let mut z = flate2::read::DeflateDecoder::new(payload);
    let mut n = 0;
    while n < head.len() {
        match z.read(&mut head[n..]).map_err(|e| format!("inflate: {e}"))? {
            0 => break,
            k => n += k,
        }
    }
    postcard::take_from_bytes::<u64>(&head[..n]).map(|(t, _)| t).map_err(|e| format!("decode: {e}"))
}
