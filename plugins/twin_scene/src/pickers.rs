//! Pickers: a simple figure per picker at its reported position, moving smoothly between
//! readings (the poll rate is 5 Hz; the screen is 60), with a marker in the
//! colour of their current order's lights; a faded, see-through figure where the position is
//! inferred from confirmed lines, a grey one where the position source went silent. Their
//! marks, trails and names at site scale are [`crate::marks`]'s.

use bevy::prelude::*;
use twin_link::{LinkSite, Picker};
use twin_model::codes::{self, PickerState};

use crate::{SceneSystems, plan_to_world};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        PostUpdate,
        (attach_picker_visuals, track_picker_readings, move_pickers).chain().in_set(SceneSystems::Animate),
    );
}

/// Where a picker is drawn, interpolated between its last two readings.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct PickerMotion {
    /// Drawn position (world) and heading (radians, about +Y).
    pub shown: Vec3,
    /// Drawn heading.
    pub shown_heading: f32,
    from: Vec3,
    from_heading: f32,
    to: Vec3,
    to_heading: f32,
    /// Seconds since the latest reading.
    elapsed: f32,
    /// Expected seconds between readings (measured).
    interval: f32,
    /// The picker has reported a position at least once.
    pub placed: bool,
    /// Jumps not animated so far (a trail does not draw a line across one).
    pub jumps: u32,
}

impl Default for PickerMotion {
    fn default() -> Self {
        Self {
            shown: Vec3::ZERO,
            shown_heading: 0.0,
            from: Vec3::ZERO,
            from_heading: 0.0,
            to: Vec3::ZERO,
            to_heading: 0.0,
            elapsed: 0.0,
            interval: 0.2,
            placed: false,
            jumps: 0,
        }
    }
}

impl PickerMotion {
    /// Takes a new reading: the figure walks from where it is drawn to the new position over
    /// the time readings have been taking to arrive; jumps of more than `TELEPORT` metres (a
    /// picker coming back from a break elsewhere) are not animated.
    pub fn retarget(&mut self, to: Vec3, heading: f32) {
        const TELEPORT: f32 = 6.0;
        if !self.placed || self.shown.distance(to) > TELEPORT {
            *self = Self {
                shown: to,
                shown_heading: heading,
                from: to,
                to,
                to_heading: heading,
                from_heading: heading,
                placed: true,
                jumps: self.jumps.wrapping_add(1),
                ..*self
            };
            return;
        }
        // Smooth estimate of the reading interval, bounded to something sensible.
        if self.elapsed > 0.0 {
            self.interval = (self.interval * 0.8 + self.elapsed.clamp(0.03, 2.0) * 0.2).clamp(0.03, 2.0);
        }
        self.from = self.shown;
        self.from_heading = self.shown_heading;
        self.to = to;
        self.to_heading = heading;
        self.elapsed = 0.0;
    }

    /// Advances the drawn position by `dt` seconds.
    pub fn advance(&mut self, dt: f32) {
        self.elapsed += dt;
        let t = (self.elapsed / self.interval).clamp(0.0, 1.0);
        self.shown = self.from.lerp(self.to, t);
        let mut dh = (self.to_heading - self.from_heading) % std::f32::consts::TAU;
        if dh > std::f32::consts::PI {
            dh -= std::f32::consts::TAU;
        } else if dh < -std::f32::consts::PI {
            dh += std::f32::consts::TAU;
        }
        self.shown_heading = self.from_heading + dh * t;
    }
}

/// The marker above a picker's head, coloured like their order's lights.
#[derive(Component, Debug)]
pub struct OrderMarker;

/// A picker's body, recoloured when its position is inferred or stale.
#[derive(Component, Debug)]
pub struct PickerBody;

/// Shared picker meshes and materials (a resource once created, for recolouring markers).
#[derive(Resource, Clone)]
struct PickerAssets {
    body: Handle<Mesh>,
    head: Handle<Mesh>,
    marker: Handle<Mesh>,
    vest: Handle<StandardMaterial>,
    /// A faded, see-through vest: the position is inferred from confirmed lines, not measured.
    vest_inferred: Handle<StandardMaterial>,
    /// A grey vest: the position source has not updated this picker for too long.
    vest_stale: Handle<StandardMaterial>,
    skin: Handle<StandardMaterial>,
    /// One per order colour, then "no order".
    markers: Vec<Handle<StandardMaterial>>,
}

/// Colour index a picker's lights use: multi-picker sites give each picker a colour
/// (`codes::COLOURS`, picker index modulo the palette), as the simulator's WCS does.
pub fn picker_colour(index: u16) -> usize {
    usize::from(index) % codes::COLOURS.len()
}

fn attach_picker_visuals(
    mut commands: Commands,
    site: Option<Res<LinkSite>>,
    added: Query<(Entity, &Picker), Added<Picker>>,
    meshes: Option<ResMut<Assets<Mesh>>>,
    materials: Option<ResMut<Assets<StandardMaterial>>>,
    mut assets: Local<Option<PickerAssets>>,
) {
    let Some(site) = site else { return };
    if added.is_empty() {
        return;
    }
    if assets.is_none()
        && let (Some(mut meshes), Some(mut materials)) = (meshes, materials)
    {
        let mut markers: Vec<_> = codes::COLOURS
            .iter()
            .map(|(_, [r, g, b])| {
                materials.add(StandardMaterial {
                    base_color: Color::srgb_u8(*r, *g, *b),
                    emissive: Color::srgb_u8(*r, *g, *b).to_linear() * 2.0,
                    ..default()
                })
            })
            .collect();
        markers
            .push(materials.add(StandardMaterial { base_color: Color::srgb(0.35, 0.35, 0.35), ..default() }));
        let built = PickerAssets {
            body: meshes.add(Capsule3d::new(0.22, 0.95)),
            head: meshes.add(Sphere::new(0.13)),
            marker: meshes.add(Cone { radius: 0.12, height: 0.2 }),
            vest: materials.add(StandardMaterial { base_color: Color::srgb(0.95, 0.75, 0.05), ..default() }),
            vest_inferred: materials.add(StandardMaterial {
                base_color: Color::srgba(0.95, 0.85, 0.45, 0.35),
                alpha_mode: AlphaMode::Blend,
                ..default()
            }),
            vest_stale: materials
                .add(StandardMaterial { base_color: Color::srgb(0.45, 0.45, 0.45), ..default() }),
            skin: materials.add(StandardMaterial { base_color: Color::srgb(0.85, 0.66, 0.52), ..default() }),
            markers,
        };
        commands.insert_resource(built.clone());
        *assets = Some(built);
    }
    for (entity, picker) in &added {
        let name = site.0.layout.pickers.get(usize::from(picker.index)).map_or("?", |p| p.name.as_str());
        commands.entity(entity).insert((
            Transform::default(),
            Visibility::Hidden,
            PickerMotion::default(),
            crate::marks::PickerTrail::default(),
            Name::new(name.to_owned()),
        ));
        let Some(a) = assets.as_ref() else { continue };
        commands.entity(entity).with_children(|p| {
            p.spawn((
                PickerBody,
                Mesh3d(a.body.clone()),
                MeshMaterial3d(a.vest.clone()),
                Transform::from_xyz(0.0, 0.7, 0.0),
            ));
            p.spawn((
                Mesh3d(a.head.clone()),
                MeshMaterial3d(a.skin.clone()),
                Transform::from_xyz(0.0, 1.55, 0.0),
            ));
            p.spawn((
                OrderMarker,
                Mesh3d(a.marker.clone()),
                MeshMaterial3d(a.markers[a.markers.len() - 1].clone()),
                Transform::from_xyz(0.0, 1.9, 0.0).with_rotation(Quat::from_rotation_x(std::f32::consts::PI)),
            ));
        });
    }
}

fn track_picker_readings(
    mut pickers: Query<(&Picker, &mut PickerMotion, &mut Visibility, &Children), Changed<Picker>>,
    mut markers: Query<&mut MeshMaterial3d<StandardMaterial>, (With<OrderMarker>, Without<PickerBody>)>,
    mut bodies: Query<&mut MeshMaterial3d<StandardMaterial>, (With<PickerBody>, Without<OrderMarker>)>,
    assets: Option<Res<PickerAssets>>,
) {
    for (picker, mut motion, mut visibility, children) in &mut pickers {
        let r = picker.reading;
        let absent = matches!(PickerState::from_register(r.state), Some(PickerState::Absent) | None)
            || (r.x_cm == 0 && r.y_cm == 0);
        let wanted = if absent { Visibility::Hidden } else { Visibility::Inherited };
        visibility.set_if_neq(wanted);
        if absent {
            continue;
        }
        let world = plan_to_world([f32::from(r.x_cm) / 100.0, f32::from(r.y_cm) / 100.0, 0.0]);
        // Heading: centidegrees counter-clockwise from plan +x; plan (x, y) is world (x, -z), so
        // that is the same angle about world +Y.
        let heading = (f32::from(r.heading_cdeg) / 100.0).to_radians();
        motion.retarget(world, heading);
        if let Some(a) = assets.as_ref() {
            let vest = if r.stale {
                &a.vest_stale
            } else if r.inferred {
                &a.vest_inferred
            } else {
                &a.vest
            };
            for child in children.iter() {
                if let Ok(mut m) = bodies.get_mut(child)
                    && m.0 != *vest
                {
                    m.0 = vest.clone();
                }
            }
        }
        if let Some(materials) = assets.as_ref().map(|a| &a.markers) {
            let want = if r.order == 0 { materials.len() - 1 } else { picker_colour(picker.index) };
            for child in children.iter() {
                if let Ok(mut m) = markers.get_mut(child)
                    && m.0 != materials[want]
                {
                    m.0 = materials[want].clone();
                }
            }
        }
    }
}

pub(crate) fn move_pickers(time: Res<Time>, mut pickers: Query<(&mut PickerMotion, &mut Transform)>) {
    let dt = time.delta_secs();
    for (mut motion, mut transform) in &mut pickers {
        if !motion.placed {
            continue;
        }
        motion.advance(dt);
        transform.translation = motion.shown;
        transform.rotation = Quat::from_rotation_y(motion.shown_heading);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motion_interpolates_between_readings_without_teleporting() {
        let mut m = PickerMotion::default();
        m.retarget(Vec3::new(1.0, 0.0, 0.0), 0.0);
        assert_eq!(m.shown, Vec3::new(1.0, 0.0, 0.0), "first reading places the picker");
        m.advance(0.2);
        m.retarget(Vec3::new(1.3, 0.0, 0.0), 0.0);
        m.advance(0.1);
        assert!(m.shown.x > 1.0 && m.shown.x < 1.3, "half-way after half an interval: {}", m.shown.x);
        m.advance(0.5);
        assert!((m.shown.x - 1.3).abs() < 1e-5, "arrives and stops: {}", m.shown.x);
        // A long jump is not animated.
        m.retarget(Vec3::new(20.0, 0.0, 0.0), 0.0);
        assert_eq!(m.shown.x, 20.0);
    }

    #[test]
    fn heading_turns_the_short_way() {
        let mut m = PickerMotion::default();
        m.retarget(Vec3::ZERO, 3.0);
        m.advance(0.2);
        m.retarget(Vec3::ZERO, -3.0);
        m.advance(m.interval * 0.5);
        // From 3.0 to -3.0 the short way is through ±π, not through 0.
        assert!(m.shown_heading.abs() > 3.0, "{}", m.shown_heading);
    }
}
