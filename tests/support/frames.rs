//! Reading rendered frames in the rendering tests: pixels by colour in a box, and colours by
//! hue (tonemapping changes a light's brightness and saturation, not its hue).

#![allow(dead_code, reason = "each rendering test uses its own part of the helpers")]

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;
use twin_app::CapturedFrame;
use twin_link::ModuleReading;
use twin_model::Site;
use twin_model::codes::{Blink, ModuleState};

/// Panics unless there is a display (the rendering tests need one: Xvfb in CI).
pub fn require_display() {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        panic!(
            "no display: run under Xvfb with Mesa's Vulkan driver (scripts/test does: xvfb-run -a cargo test)"
        );
    }
}

/// A shipped layout.
pub fn layout(name: &str) -> Arc<Site> {
    let path = format!("{}/layouts/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Site::load(path).unwrap_or_else(|e| panic!("{e}")))
}

/// Where a test's screenshot goes (kept for CI's artifacts), any old one removed.
pub fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("render");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(name);
    let _ = std::fs::remove_file(&png);
    png
}

/// A windowed twin that saves one frame to `png` after `after` seconds and exits, in a
/// `size` window (off the main thread: the test harness owns it).
pub fn shot(
    camera: twin_camera::CameraMode,
    png: &std::path::Path,
    size: (u32, u32),
    after: f64,
) -> twin_app::ViewOptions {
    twin_app::ViewOptions {
        camera,
        screenshot: Some(png.to_path_buf()),
        after,
        size,
        any_thread: true,
        ..twin_app::ViewOptions::default()
    }
}

/// A module lit steadily in light colour `colour` asking for `quantity`.
pub fn lit_reading(quantity: u16, colour: u16) -> ModuleReading {
    ModuleReading {
        mode: 1,
        state: ModuleState::Lit as u16,
        quantity,
        colour,
        blink: Blink::Steady as u16,
        blink_period_ms: 1000,
        online: true,
        ..ModuleReading::default()
    }
}

/// Pixels in a box around `centre` (half-size `half`) for which `pred(r, g, b)` holds.
pub fn count(frame: &CapturedFrame, centre: Vec2, half: Vec2, pred: impl Fn(u8, u8, u8) -> bool) -> usize {
    let (x0, x1) = ((centre.x - half.x).max(0.0) as u32, ((centre.x + half.x) as u32).min(frame.width - 1));
    let (y0, y1) = ((centre.y - half.y).max(0.0) as u32, ((centre.y + half.y) as u32).min(frame.height - 1));
    let mut n = 0;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let i = ((y * frame.width + x) * 3) as usize;
            n += usize::from(pred(frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]));
        }
    }
    n
}

/// Hue in degrees, saturation and value (0–1) of an sRGB pixel.
pub fn hsv(r: u8, g: u8, b: u8) -> (f32, f32, f32) {
    let (r, g, b) = (f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let h = if d < 1e-6 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    (h, if max > 0.0 { d / max } else { 0.0 }, max)
}

/// Whether a pixel is a bright, saturated colour of `rgb`'s hue (within 25°).
pub fn like(rgb: [u8; 3], r: u8, g: u8, b: u8) -> bool {
    let (want, _, _) = hsv(rgb[0], rgb[1], rgb[2]);
    let (h, s, v) = hsv(r, g, b);
    let dh = (h - want).abs();
    s > 0.4 && v > 0.55 && dh.min(360.0 - dh) < 25.0
}

/// `green` as the location digits show.
pub fn green(r: u8, g: u8, b: u8) -> bool {
    g > 140 && r < 110 && b < 110
}

/// `red` as the quantity digits show.
pub fn red(r: u8, g: u8, b: u8) -> bool {
    r > 140 && g < 90 && b < 90
}
