//! Camera geometry with no input and no ECS: orbit and walk poses, the home view that fits the
//! site, tour stops per zone, blending, and walk collision against rack footprints.

use bevy::prelude::*;
use twin_model::Site;
use twin_scene::plan_to_world;

/// Where the camera is and where it looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Eye position.
    pub eye: Vec3,
    /// Orientation.
    pub rotation: Quat,
}

impl Pose {
    /// Looking from `eye` at `target`.
    pub fn looking(eye: Vec3, target: Vec3) -> Self {
        Self { eye, rotation: Transform::from_translation(eye).looking_at(target, Vec3::Y).rotation }
    }

    /// Blends towards `other` (`t` in 0..1, eased).
    pub fn blend(self, other: Pose, t: f32) -> Pose {
        let t = t.clamp(0.0, 1.0);
        let s = t * t * (3.0 - 2.0 * t);
        Pose { eye: self.eye.lerp(other.eye, s), rotation: self.rotation.slerp(other.rotation, s) }
    }

    /// As a transform.
    pub fn transform(self) -> Transform {
        Transform::from_translation(self.eye).with_rotation(self.rotation)
    }
}

/// An orbit around a focus point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orbit {
    /// Point looked at.
    pub focus: Vec3,
    /// Angle about +Y (0: camera south of the focus, looking north).
    pub yaw: f32,
    /// Elevation (radians above the horizon).
    pub pitch: f32,
    /// Distance from the focus.
    pub distance: f32,
}

impl Orbit {
    /// The camera pose.
    pub fn pose(&self) -> Pose {
        let dir =
            Vec3::new(self.yaw.sin() * self.pitch.cos(), self.pitch.sin(), self.yaw.cos() * self.pitch.cos());
        Pose::looking(self.focus + dir * self.distance, self.focus)
    }
}

/// First-person walking state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Walk {
    /// Position on the floor (world x, z).
    pub at: Vec2,
    /// Heading about +Y (0: looking north, -Z).
    pub yaw: f32,
    /// Look up/down.
    pub pitch: f32,
}

impl Walk {
    /// The camera pose at eye height.
    pub fn pose(&self) -> Pose {
        let rotation = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0);
        Pose { eye: Vec3::new(self.at.x, crate::EYE_HEIGHT, self.at.y), rotation }
    }

    /// Moves by `local` (x right, y forward, metres) unless that walks into a rack or off the
    /// floor; slides along an obstacle by trying each axis alone.
    pub fn step(&mut self, site: &Site, local: Vec2) {
        let forward = Vec2::new(-self.yaw.sin(), -self.yaw.cos());
        let right = Vec2::new(self.yaw.cos(), -self.yaw.sin());
        let delta = right * local.x + forward * local.y;
        for d in [delta, Vec2::new(delta.x, 0.0), Vec2::new(0.0, delta.y)] {
            let next = self.at + d;
            if !blocked(site, next, 0.25) {
                self.at = next;
                return;
            }
        }
    }
}

/// Whether a walker of `radius` at world (x, z) `at` overlaps a rack or station, or is off
/// the floor.
pub fn blocked(site: &Site, at: Vec2, radius: f32) -> bool {
    let (px, py) = (at.x, -at.y);
    let f = &site.layout.floor;
    if px < radius || py < radius || px > f.width - radius || py > f.depth - radius {
        return true;
    }
    let hits = |r: &twin_model::layout::Rect| {
        px > r.x - radius && px < r.x + r.width + radius && py > r.y - radius && py < r.y + r.depth + radius
    };
    site.layout.racks.iter().any(|r| hits(&r.footprint()))
        || site.layout.stations.iter().any(|s| hits(&s.area))
}

/// The overview that shows the whole floor for a camera with vertical field of view `fov`
/// and `aspect` (width / height): the closest orbit from which every floor corner (and the
/// tallest rack above it) projects inside the view, with a small margin.
pub fn home_orbit(site: &Site, fov: f32, aspect: f32) -> Orbit {
    let f = &site.layout.floor;
    let top = site.rack_top();
    let focus = plan_to_world([f.width * 0.5, f.depth * 0.5, 0.0]);
    let proj = Mat4::perspective_rh(fov, aspect.max(0.1), 0.1, 10_000.0);
    let mut corners = Vec::with_capacity(8);
    for (x, y) in [(0.0, 0.0), (f.width, 0.0), (0.0, f.depth), (f.width, f.depth)] {
        corners.push(plan_to_world([x, y, 0.0]));
        corners.push(plan_to_world([x, y, top]));
    }
    let fits = |o: &Orbit| {
        let view = o.pose().transform().to_matrix().inverse();
        corners.iter().all(|c| {
            let clip = proj * view * c.extend(1.0);
            let ndc = clip.truncate() / clip.w;
            clip.w > 0.0 && ndc.x.abs() <= 0.95 && ndc.y.abs() <= 0.95
        })
    };
    let mut orbit = Orbit { focus, yaw: 0.0, pitch: 55f32.to_radians(), distance: 5.0 };
    while !fits(&orbit) && orbit.distance < 5_000.0 {
        orbit.distance *= 1.05;
    }
    orbit
}

/// One tour stop per zone: an orbit that frames the zone in a view `aspect` wide per unit of
/// height.
pub fn tour_stops(site: &Site, fov: f32, aspect: f32) -> Vec<Orbit> {
    // A view narrower than it is tall fits the zone's width, not its height.
    let narrow = aspect.clamp(0.3, 1.0);
    let stops: Vec<Orbit> = site
        .layout
        .zones
        .iter()
        .map(|z| {
            let a = &z.area;
            let focus = plan_to_world([a.x + a.width * 0.5, a.y + a.depth * 0.5, 0.5]);
            let size = a.width.max(a.depth);
            Orbit {
                focus,
                yaw: 0.4,
                pitch: 38f32.to_radians(),
                distance: (size * 0.55 / ((fov * 0.5).tan() * narrow)).max(6.0),
            }
        })
        .collect();
    if stops.is_empty() { vec![home_orbit(site, fov, aspect)] } else { stops }
}

/// The walk start: the west end of the first aisle, looking along it.
pub fn walk_start(site: &Site) -> Walk {
    if let Some(a) = site.layout.aisles.first() {
        let r = &a.area;
        if r.width >= r.depth {
            let at = plan_to_world([r.x + 0.6, r.y + r.depth * 0.5, 0.0]);
            return Walk { at: Vec2::new(at.x, at.z), yaw: -std::f32::consts::FRAC_PI_2, pitch: -0.1 };
        }
        let at = plan_to_world([r.x + r.width * 0.5, r.y + 0.6, 0.0]);
        return Walk { at: Vec2::new(at.x, at.z), yaw: 0.0, pitch: -0.1 };
    }
    let f = &site.layout.floor;
    let at = plan_to_world([f.width * 0.5, 1.0, 0.0]);
    Walk { at: Vec2::new(at.x, at.z), yaw: 0.0, pitch: 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Site {
        Site::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")))
            .unwrap()
    }

    #[test]
    fn walking_into_a_rack_stops_at_its_face() {
        let site = demo();
        let mut w = walk_start(&site);
        assert!(!blocked(&site, w.at, 0.25), "the start is free");
        // Mid-aisle, face north (towards rack A2 across the aisle) and walk 5 m.
        let mid = plan_to_world([5.0, 7.8, 0.0]);
        w.at = Vec2::new(mid.x, mid.z);
        w.yaw = 0.0;
        for _ in 0..100 {
            w.step(&site, Vec2::new(0.0, 0.05));
        }
        let plan_y = -w.at.y;
        let a2 = site.layout.racks[1].footprint();
        assert!(plan_y < a2.y, "stopped before rack A2's face: y {plan_y} vs {}", a2.y);
        assert!(plan_y > a2.y - 0.5, "but walked up to it: y {plan_y}");
    }

    #[test]
    fn walking_looks_the_way_it_moves() {
        let site = demo();
        let mut w = walk_start(&site);
        let before = w.pose();
        let forward = before.rotation * Vec3::NEG_Z;
        w.step(&site, Vec2::new(0.0, 0.5));
        let moved = w.pose().eye - before.eye;
        assert!(
            moved.normalize().dot(forward.with_y(0.0).normalize()) > 0.99,
            "moved {moved}, looking {forward}"
        );
    }

    #[test]
    fn the_home_view_sees_every_floor_corner() {
        for name in ["demo.ron", "pharma_dc.ron", "stress.ron"] {
            let path = format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"));
            let site = Site::load(path).unwrap();
            let fov = std::f32::consts::FRAC_PI_4;
            let aspect = 16.0 / 9.0;
            let home = home_orbit(&site, fov, aspect);
            let view = home.pose().transform().to_matrix().inverse();
            let proj = Mat4::perspective_rh(fov, aspect, 0.1, 1000.0);
            let f = &site.layout.floor;
            let mut widest = 0.0f32;
            for (x, y) in [(0.0, 0.0), (f.width, 0.0), (0.0, f.depth), (f.width, f.depth)] {
                let clip = proj * view * plan_to_world([x, y, 0.0]).extend(1.0);
                let ndc = clip.truncate() / clip.w;
                assert!(
                    clip.w > 0.0 && ndc.x.abs() <= 1.0 && ndc.y.abs() <= 1.0,
                    "{name}: corner ({x}, {y}) at {ndc}"
                );
                widest = widest.max(ndc.x.abs()).max(ndc.y.abs());
            }
            assert!(widest > 0.7, "{name}: the floor fills the view, not a corner of it ({widest})");
        }
    }

    #[test]
    fn one_tour_stop_per_zone_and_blends_ease() {
        let site = demo();
        assert_eq!(tour_stops(&site, 0.8, 16.0 / 9.0).len(), site.layout.zones.len());
        let a = Pose::looking(Vec3::ZERO, Vec3::NEG_Z);
        let b = Pose::looking(Vec3::X * 10.0, Vec3::NEG_Z);
        assert_eq!(a.blend(b, 0.0).eye, a.eye);
        assert_eq!(a.blend(b, 1.0).eye, b.eye);
        assert!(a.blend(b, 0.1).eye.x < 1.0, "eases in");
    }
}
