//! `--frame-stats`: frame times after warm-up, draw batches and the overlay's CPU time, printed
//! as one line when the twin exits (scripts/bench-render reads it).

use bevy::prelude::*;
use twin_link::LinkSite;
use twin_overlay::OverlayStats;

/// Prints statistics at exit (the window app inserts it with `--frame-stats`).
#[derive(Resource, Debug, Default)]
pub struct ReportFrameStats;

/// Frame times kept: the last 100,000 (half an hour at 60 fps); a twin on a wall for a month
/// keeps a bounded window, not every frame.
pub const FRAMES_KEPT: usize = 100_000;

/// Frame times after warm-up, for `--frame-stats`: a ring of the latest [`FRAMES_KEPT`].
#[derive(Resource, Debug, Default)]
pub struct FrameStats {
    /// Seconds per frame, oldest first.
    pub frame_s: std::collections::VecDeque<f32>,
    /// Frames recorded in all (the ring holds the latest).
    pub frames: u64,
}

impl FrameStats {
    /// Records one frame's time, dropping the oldest past [`FRAMES_KEPT`].
    pub fn push(&mut self, seconds: f32) {
        if self.frame_s.len() == FRAMES_KEPT {
            self.frame_s.pop_front();
        }
        self.frame_s.push_back(seconds);
        self.frames += 1;
    }

    /// (mean, p50, p99) in milliseconds.
    pub fn summary(&self) -> Option<(f64, f64, f64)> {
        if self.frame_s.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = self.frame_s.iter().map(|s| f64::from(*s) * 1e3).collect();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some((mean, at(0.5), at(0.99)))
    }
}

/// Records each frame's time after start-up.
pub(crate) fn record_frame_time(time: Res<Time<Real>>, mut stats: ResMut<FrameStats>) {
    // Skip start-up (pipeline compilation, first uploads).
    if time.elapsed_secs() > 2.0 {
        stats.push(time.delta_secs());
    }
}

/// A visible mesh with the material that decides its batch.
type DrawnMesh = (
    &'static Mesh3d,
    Option<&'static MeshMaterial3d<StandardMaterial>>,
    Option<&'static MeshMaterial3d<twin_scene::ModuleMaterial>>,
    &'static InheritedVisibility,
);

/// Prints the statistics line when the app exits.
pub(crate) fn report_frame_stats_on_exit(
    mut exits: MessageReader<AppExit>,
    stats: Res<FrameStats>,
    site: Res<LinkSite>,
    overlay: Res<OverlayStats>,
    batches: Query<DrawnMesh>,
    windows: Query<&Window>,
) {
    if exits.read().next().is_none() {
        return;
    }
    // Meshes sharing a mesh and a material are drawn as one instanced batch: the number of
    // distinct pairs bounds the draw calls per pass.
    let mut pairs = std::collections::HashSet::new();
    let mut instances = 0usize;
    for (mesh, standard, module, visible) in &batches {
        if !visible.get() {
            continue;
        }
        instances += 1;
        let material = standard.map(|m| m.0.id().untyped()).or(module.map(|m| m.0.id().untyped()));
        pairs.insert((mesh.0.id(), material));
    }
    let size = windows.iter().next().map_or((0, 0), |w| (w.physical_width(), w.physical_height()));
    let (overlay_mean, overlay_p99) = overlay.summary().unwrap_or_default();
    if let Some((mean, p50, p99)) = stats.summary() {
        println!(
            "frame-stats layout={:?} modules={} size={}x{} frames={} mean_ms={mean:.2} p50_ms={p50:.2} p99_ms={p99:.2} fps={:.1} mesh_instances={instances} draw_batches={} overlay_mean_ms={overlay_mean:.3} overlay_p99_ms={overlay_p99:.3}",
            site.0.layout.name,
            site.0.modules.len(),
            size.0,
            size.1,
            stats.frames,
            1e3 / mean,
            pairs.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_times_are_a_bounded_ring_of_the_latest() {
        let mut s = FrameStats::default();
        for i in 0..FRAMES_KEPT + 10 {
            s.push(if i < 10 { 1.0 } else { 0.010 });
        }
        assert_eq!((s.frame_s.len(), s.frames), (FRAMES_KEPT, FRAMES_KEPT as u64 + 10));
        // The ten slow frames at the start fell out of the window.
        let (mean, p50, p99) = s.summary().unwrap();
        assert!((mean - 10.0).abs() < 1e-3 && (p50 - 10.0).abs() < 1e-3 && (p99 - 10.0).abs() < 1e-3);
    }
}
