//! The overlay's egui pass: gathers a [`Frame`] from the ECS, draws, applies what the user
//! asked (highlights, camera flights, selection, acknowledgements) and times itself.

use std::time::Instant;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use twin_camera::FlyTo;
use twin_link::{LightModule, LinkHealth, LinkSite, ModuleEntities, Picker, PickerEntities};
use twin_model::{ModuleIndex, Site};
use twin_scene::{
    FloorStale, FollowPicker, LabelScale, ModuleHighlights, SelectRequest, Selected, Selection, ViewArea,
    plan_to_world,
};

use crate::ops::{Ops, Place};
use crate::ui::{self, Frame, Inspect, UiAction};
use crate::{
    OpsModel, OverlayFeed, OverlaySource, OverlaySystems, OverlayUi, OverlayWallClock, RecordingControl,
};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        (refresh_font_atlas, draw_overlay).chain().in_set(OverlaySystems::Draw),
    );
}

/// Rebuilds egui's font atlas once, two seconds in, when the renderer is surely running, and
/// fills it again with every glyph the overlay uses (`ui::warm_glyphs`): some glyphs added to
/// the atlas piecemeal were seen missing on screen for the rest of the run (a clock's digit, a
/// count's), deterministically, in runs under lavapipe; with the atlas rebuilt whole after
/// start and complete from then on, the same runs show every digit (docs/overlay.md).
fn refresh_font_atlas(
    mut contexts: EguiContexts,
    mut overlay: ResMut<OverlayUi>,
    time: Res<Time<Real>>,
    mut frames: Local<u32>,
    mut done: Local<bool>,
) -> Result {
    *frames += 1;
    if *done || time.elapsed_secs() < 2.0 || *frames < 5 {
        return Ok(());
    }
    *done = true;
    let ctx = contexts.ctx_mut()?;
    ctx.set_fonts(egui::FontDefinitions::default());
    overlay.state.warm_glyphs_again();
    Ok(())
}

/// CPU time of the overlay's egui pass (our drawing and egui's layout of it), for
/// `--frame-stats` and the 2 ms budget.
#[derive(Resource, Debug, Default)]
pub struct OverlayStats {
    /// Microseconds per frame, the most recent last (at most 600).
    pub samples_us: Vec<u32>,
}

impl OverlayStats {
    /// Mean and 99th percentile in milliseconds over the kept samples.
    pub fn summary(&self) -> Option<(f64, f64)> {
        if self.samples_us.is_empty() {
            return None;
        }
        let mut s = self.samples_us.clone();
        s.sort_unstable();
        let mean = s.iter().map(|&x| f64::from(x)).sum::<f64>() / s.len() as f64 / 1000.0;
        let p99 = f64::from(s[(s.len() * 99 / 100).min(s.len() - 1)]) / 1000.0;
        Some((mean, p99))
    }
}

/// The scene messages the overlay writes.
#[derive(bevy::ecs::system::SystemParam)]
struct SceneWriters<'w> {
    fly: MessageWriter<'w, FlyTo>,
    select: MessageWriter<'w, SelectRequest>,
    follow: MessageWriter<'w, FollowPicker>,
    floor_stale: ResMut<'w, FloorStale>,
    view_area: ResMut<'w, ViewArea>,
    label_scale: ResMut<'w, LabelScale>,
    label_min: ResMut<'w, twin_scene::LabelMinSize>,
}

/// The ECS data the overlay reads.
#[derive(bevy::ecs::system::SystemParam)]
struct SceneData<'w, 's> {
    site: Option<Res<'w, LinkSite>>,
    health: Res<'w, LinkHealth>,
    selection: Res<'w, Selection>,
    modules: Query<'w, 's, &'static LightModule>,
    pickers: Query<'w, 's, &'static Picker>,
    module_entities: Res<'w, ModuleEntities>,
    picker_entities: Res<'w, PickerEntities>,
    feed: Res<'w, OverlayFeed>,
    heat: Res<'w, crate::heat::HeatCounts>,
}

#[expect(clippy::too_many_arguments, reason = "a system's parameters are its data access")]
fn draw_overlay(
    mut contexts: EguiContexts,
    data: SceneData,
    source: Res<OverlaySource>,
    wall: Res<OverlayWallClock>,
    mut recording: ResMut<RecordingControl>,
    mut model: ResMut<OpsModel>,
    mut overlay: ResMut<OverlayUi>,
    mut highlights: ResMut<ModuleHighlights>,
    mut stats: ResMut<OverlayStats>,
    mut out: SceneWriters,
) -> Result {
    let Some(site) = data.site.as_ref() else { return Ok(()) };
    let site = &site.0;
    let start = Instant::now();
    let ctx = contexts.ctx_mut()?.clone();
    let inspect = match data.selection.selected {
        Selected::None => Inspect::None,
        Selected::Module(m) => data
            .module_entities
            .0
            .get(m as usize)
            .and_then(|&e| data.modules.get(e).ok())
            .map_or(Inspect::None, |x| Inspect::Module(m, x.reading)),
        Selected::Rack(r) => Inspect::Rack(r),
        Selected::Picker(p) => data
            .picker_entities
            .0
            .get(usize::from(p))
            .and_then(|&e| data.pickers.get(e).ok())
            .map_or(Inspect::None, |x| Inspect::Picker(p, x.reading)),
    };
    let wall_ms = wall.0.unwrap_or_else(twin_link::clock::wall_ms);
    // A replay sets the wall clock; its health reports are thinned, so it judges by their flags.
    let judge = if wall.0.is_some() { crate::ops::Judge::Recorded } else { crate::ops::Judge::Age };
    let fresh = crate::ops::freshness(site, &data.health.controllers, wall_ms, data.feed.0.as_ref(), judge);
    // The whole floor greys while its data is stale (read first: a write marks it changed).
    if out.floor_stale.0 != fresh.is_stale() {
        out.floor_stale.0 = fresh.is_stale();
    }
    let frame = Frame {
        site,
        ops: &model.0,
        health: &data.health.controllers,
        inspect,
        source: &source.0,
        wall_ms,
        recording: Some(&*recording),
        fresh: &fresh,
        heat: data.heat.0.window.is_some().then_some(&data.heat.0),
    };
    let mut root = egui::Ui::new(
        ctx.clone(),
        "picktwin_overlay".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let actions = ui::draw(&mut root, &frame, &mut overlay.state);
    // On a wall the world labels follow the kiosk's type rule too: a zone card's smaller
    // second line (0.8 of its large size) is body text; anything smaller is not drawn.
    if overlay.state.kiosk {
        let t = ui::KioskType::for_wall(ctx.content_rect().height(), overlay.state.wall);
        let scale = LabelScale(t.text / (twin_scene::labels::LARGE_LABEL_SIZE * 0.8));
        if *out.label_scale != scale {
            *out.label_scale = scale;
            out.label_min.0 = t.text;
        }
    }
    // The 3D view renders into what the panels left free.
    let area = overlay.state.free_area.map(|r| Rect::new(r.min.x, r.min.y, r.max.x, r.max.y));
    if out.view_area.0 != area {
        out.view_area.0 = area;
    }

    let ops = &mut model.0;
    for action in actions {
        match action {
            UiAction::SelectOrder(_) => {}
            UiAction::FlyToOrder(id) => {
                if let Some(fly) = order_flight(site, ops, id, &data) {
                    out.fly.write(fly);
                }
            }
            UiAction::FlyToAlarm(id) => {
                let place = ops.alarms.newest_first().find(|a| a.id == id).map(|a| a.place);
                let fly = match place {
                    Some(Place::Module(m)) => modules_flight(site, &[m]),
                    Some(Place::Controller(c)) => site
                        .controllers
                        .get(usize::from(c))
                        .and_then(|plan| modules_flight(site, &plan.modules)),
                    // A database or a broker has no place on the floor.
                    Some(Place::Source(_) | Place::Feed) | None => None,
                };
                if let Some(fly) = fly {
                    out.fly.write(fly);
                }
                if let Some(Place::Module(m)) = place {
                    out.select.write(SelectRequest(Selected::Module(m)));
                }
            }
            UiAction::Acknowledge(id) => ops.alarms.acknowledge(id),
            UiAction::AcknowledgeAll => ops.alarms.acknowledge_all(),
            UiAction::SelectModule(m) => {
                out.select.write(SelectRequest(Selected::Module(m)));
            }
            UiAction::SelectPicker(p) => {
                out.select.write(SelectRequest(Selected::Picker(p)));
            }
            UiAction::FollowPicker(p) => {
                out.follow.write(FollowPicker { picker: p });
            }
            UiAction::ClearSelection => {
                out.select.write(SelectRequest(Selected::None));
            }
            UiAction::ToggleRecording => recording.toggle = true,
        }
    }
    // The selected order's lit lines, kept current as its lines light and go out.
    let wanted = overlay.state.selected_order.map_or_else(Vec::new, |id| ops.order_modules(id));
    if highlights.0 != wanted {
        highlights.0 = wanted;
    }

    let us = start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    if stats.samples_us.len() >= 600 {
        stats.samples_us.remove(0);
    }
    stats.samples_us.push(us);
    Ok(())
}

/// Looks at an order's lit modules, or at its picker when none is lit.
fn order_flight(site: &Site, ops: &Ops, id: u32, data: &SceneData) -> Option<FlyTo> {
    let lit = ops.order_modules(id);
    if !lit.is_empty() {
        return modules_flight(site, &lit);
    }
    let picker = ops.orders.get(id)?.picker?;
    let p = data.picker_entities.0.get(usize::from(picker)).and_then(|&e| data.pickers.get(e).ok())?;
    let at = plan_to_world([f32::from(p.reading.x_cm) / 100.0, f32::from(p.reading.y_cm) / 100.0, 1.0]);
    Some(FlyTo { focus: at, distance: 12.0 })
}

/// Looks at the middle of these modules from far enough to see them all.
fn modules_flight(site: &Site, modules: &[ModuleIndex]) -> Option<FlyTo> {
    let points: Vec<Vec3> = modules
        .iter()
        .filter_map(|&m| site.modules.get(m as usize))
        .map(|m| plan_to_world(m.position))
        .collect();
    if points.is_empty() {
        return None;
    }
    let centre = points.iter().copied().sum::<Vec3>() / points.len() as f32;
    let spread = points.iter().map(|p| p.distance(centre)).fold(0.0f32, f32::max);
    Some(FlyTo { focus: centre, distance: (spread * 2.2).max(7.0) })
}
