//! Zone cards: twice a second the overlay counts each zone's lit modules, open lines and
//! pickers ([`crate::ops::zones`]) and writes them under the zone's name on its card, coloured
//! by backlog (green keeping up, amber busy, red behind).

use bevy::prelude::*;
use twin_link::{LightModule, LinkSite, Picker};
use twin_scene::{WorldLabel, ZoneEntity};

use crate::OpsModel;
use crate::ops::zones::{Backlog, zone_activity};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, update_zone_cards.in_set(crate::OverlaySystems::Cards));
}

/// Seconds between recounts.
const EVERY_S: f32 = 0.5;

/// A card's background for a backlog.
pub fn backlog_colour(b: Backlog) -> Color {
    match b {
        Backlog::Idle => Color::srgba(0.0, 0.0, 0.0, 0.6),
        Backlog::Ok => Color::srgba(0.08, 0.35, 0.15, 0.85),
        Backlog::Busy => Color::srgba(0.6, 0.4, 0.02, 0.9),
        Backlog::Behind => Color::srgba(0.7, 0.1, 0.1, 0.92),
    }
}

fn update_zone_cards(
    time: Res<Time<Real>>,
    mut since: Local<Option<f32>>,
    site: Option<Res<LinkSite>>,
    model: Res<OpsModel>,
    modules: Query<&LightModule>,
    pickers: Query<&Picker>,
    mut cards: Query<(&ZoneEntity, &mut WorldLabel)>,
) {
    let Some(site) = site else { return };
    let now = time.elapsed_secs();
    if since.is_some_and(|t| now - t < EVERY_S) {
        return;
    }
    *since = Some(now);
    let site = &site.0;
    let activity = zone_activity(
        site,
        &model.0.orders,
        modules.iter().map(|m| (m.index, m.reading.state)),
        pickers
            .iter()
            .map(|p| (f32::from(p.reading.x_cm) / 100.0, f32::from(p.reading.y_cm) / 100.0, p.reading.state)),
    );
    for (zone, mut label) in &mut cards {
        let (Some(a), Some(z)) =
            (activity.get(usize::from(zone.0)), site.layout.zones.get(usize::from(zone.0)))
        else {
            continue;
        };
        let text = format!("{}\n{}", z.name, a.summary());
        let backdrop = backlog_colour(a.backlog());
        if label.text != text || label.backdrop != backdrop {
            label.text = text;
            label.backdrop = backdrop;
        }
    }
}
