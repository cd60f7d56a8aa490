//! The 3D view in the free area between the overlay's panels: the camera's viewport follows
//! [`ViewArea`], and the home view and the tour stops are framed for that area's shape.

use bevy::camera::Viewport;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use twin_link::LinkSite;
use twin_scene::ViewArea;

use crate::TwinCamera;
use crate::controls::Rig;
use crate::poses::{home_orbit, tour_stops};

/// Renders into the overlay's free area ([`ViewArea`]) and, when its shape changes, frames
/// the home view and the tour stops for it again (an overview still at home moves with it).
pub(crate) fn fit_view_area(
    area: Res<ViewArea>,
    site: Option<Res<LinkSite>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut cameras: Query<(&mut Camera, &Projection), With<TwinCamera>>,
    rig: Option<ResMut<Rig>>,
) {
    let (Some(site), Some(mut rig)) = (site, rig) else { return };
    let (Ok(window), Ok((mut camera, projection))) = (windows.single(), cameras.single_mut()) else { return };
    let physical = window.physical_size().max(UVec2::ONE);
    let viewport = area.0.and_then(|r| viewport_for(r, window.scale_factor(), physical));
    if camera.viewport.as_ref().map(|v| (v.physical_position, v.physical_size))
        != viewport.as_ref().map(|v| (v.physical_position, v.physical_size))
    {
        camera.viewport = viewport;
    }
    let size = camera.viewport.as_ref().map_or(physical, |v| v.physical_size).as_vec2();
    let aspect = size.x / size.y.max(1.0);
    if (aspect - rig.aspect).abs() < 0.01 {
        return;
    }
    let fov = match projection {
        Projection::Perspective(p) => p.fov,
        _ => std::f32::consts::FRAC_PI_4,
    };
    let home = home_orbit(&site.0, fov, aspect);
    if rig.orbit == rig.home {
        rig.orbit = home;
    }
    rig.home = home;
    rig.stops = tour_stops(&site.0, fov, aspect);
    rig.aspect = aspect;
}

/// The physical viewport for a logical area of the window; `None` when it has no size left.
pub fn viewport_for(area: Rect, scale: f32, window: UVec2) -> Option<Viewport> {
    let min = (area.min * scale).round().max(Vec2::ZERO).as_uvec2().min(window);
    let max = (area.max * scale).round().max(Vec2::ZERO).as_uvec2().min(window);
    let size = max.saturating_sub(min);
    (size.x >= 16 && size.y >= 16).then(|| Viewport {
        physical_position: min,
        physical_size: size,
        ..default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewport_is_the_free_area_in_physical_pixels() {
        let area = Rect::new(300.0, 30.0, 1000.0, 600.0);
        let v = viewport_for(area, 1.5, UVec2::new(1920, 1080)).unwrap();
        assert_eq!((v.physical_position, v.physical_size), (UVec2::new(450, 45), UVec2::new(1050, 855)));
        // Clipped to the window; nothing left is no viewport.
        let v = viewport_for(Rect::new(1800.0, 0.0, 2500.0, 900.0), 1.0, UVec2::new(1920, 1080)).unwrap();
        assert_eq!(v.physical_size, UVec2::new(120, 900));
        assert!(viewport_for(Rect::new(500.0, 500.0, 505.0, 900.0), 1.0, UVec2::new(1920, 1080)).is_none());
    }
}
