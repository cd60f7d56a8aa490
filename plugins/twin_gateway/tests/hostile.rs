//! Hostile payloads cost a refusal, not memory: an allocator that remembers the largest
//! request watches the viewer's intake take a message naming module `u32::MAX` and a deflate
//! bomb (64 MiB of zeros in ~64 KiB). One test in this binary, so no other test's allocations
//! count.
#![expect(
    unsafe_code,
    reason = "a global allocator that records request sizes is the only way to watch them"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use twin_gateway::viewer::Intake;
use twin_gateway::wire::{Body, Envelope, WIRE_VERSION, encode};
use twin_link::{LinkMessage, ModuleReading};
use twin_model::Site;
use twin_record::{TwinState, layout_id};

struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only records the request size.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Largest = Largest;

#[test]
fn an_out_of_layout_index_and_a_deflate_bomb_are_refused_without_allocating_for_them() {
    let site = Site::load(format!("{}/../../layouts/demo.ron", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut intake = Intake::new(&site);
    let mut mirror = TwinState::for_site(&site);
    let envelope = |seq, body| {
        encode(&Envelope {
            version: WIRE_VERSION,
            layout_id: layout_id(&site),
            epoch: 1,
            seq,
            sent_ms: 0,
            first_ms: 0,
            body,
        })
    };
    let keyframe = envelope(1, Body::Keyframe(TwinState::for_site(&site)));
    intake.take(&keyframe, &mut mirror, |_| {}).unwrap();
    let far = LinkMessage::Module {
        module: u32::MAX,
        reading: ModuleReading { quantity: 1, ..Default::default() },
    };
    let hostile = envelope(2, Body::Deltas(vec![far]));
    let mut bomb = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).unwrap();
    }
    let mut bomb_payload = WIRE_VERSION.to_le_bytes().to_vec();
    bomb_payload.extend(bomb.finish().unwrap());
    drop(zeros);
    let limit = intake.bounds().max_decoded_bytes();

    LARGEST.store(0, Ordering::Relaxed);
    let taken = intake.take(&hostile, &mut mirror, |_| {}).unwrap();
    assert_eq!(taken.skipped, 1, "the message is skipped, the payload counted as good");
    let refused = intake.take(&bomb_payload, &mut mirror, |_| {}).unwrap_err();
    let largest = LARGEST.load(Ordering::Relaxed);
    eprintln!(
        "largest allocation {largest} B (limit {limit} B, bomb 64 MiB, payload {} B)",
        bomb_payload.len()
    );

    assert!(refused.reason.contains("inflates past"), "{refused:?}");
    assert_eq!(mirror.modules.len(), site.modules.len(), "no table grew");
    // A resize to u32::MAX modules would ask for hundreds of GB; the bomb for 64 MiB.
    assert!(largest <= limit + 64, "largest allocation {largest} B, limit {limit} B");
    assert!(limit < 16 << 20, "demo.ron's payload limit is well under the bomb: {limit} B");
}
