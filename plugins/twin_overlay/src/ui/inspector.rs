//! The inspector: the selected module, rack or picker with its live state, its job or order,
//! and the last picks there (with each pick's article where the order source names it).

use egui::{RichText, Ui};
use twin_model::codes::{Blink, Mode, ModuleState, PickerState};

use super::{Frame, Inspect, UiAction, clock, duration, module_name, picker_name, zone_name};
use crate::ops::PickRecord;

/// Picks listed in the history.
const HISTORY: usize = 8;

/// Draws the inspector window when something is selected.
pub fn inspector(ctx: &egui::Context, frame: &Frame, actions: &mut Vec<UiAction>) {
    let title = match frame.inspect {
        Inspect::None => return,
        Inspect::Module(m, _) => format!("Module {}", module_name(frame.site, m)),
        Inspect::Rack(r) => {
            format!("Rack {}", frame.site.layout.racks.get(r as usize).map_or("?", |r| r.id.as_str()))
        }
        Inspect::Picker(p, _) => format!("Picker {}", picker_name(frame.site, p)),
    };
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::new("picktwin_inspector"))
        .open(&mut open)
        .default_pos(ctx.content_rect().center() + egui::vec2(80.0, -200.0))
        .default_width(300.0)
        .resizable(false)
        .show(ctx, |ui| match frame.inspect {
            Inspect::Module(m, r) => module(ui, frame, m, &r),
            Inspect::Rack(r) => rack(ui, frame, r, actions),
            Inspect::Picker(p, r) => picker(ui, frame, p, &r, actions),
            Inspect::None => {}
        });
    if !open {
        actions.push(UiAction::ClearSelection);
    }
}

fn field(ui: &mut Ui, name: &str, value: impl Into<RichText>) {
    ui.label(name);
    ui.label(value.into().strong());
    ui.end_row();
}

fn module(ui: &mut Ui, frame: &Frame, m: u32, r: &twin_link::ModuleReading) {
    let site = frame.site;
    let Some(md) = site.modules.get(m as usize) else { return };
    let rack = site.layout.racks.get(md.rack as usize).map_or("?", |r| r.id.as_str());
    egui::Grid::new("inspect_module").num_columns(2).show(ui, |ui| {
        field(
            ui,
            "id",
            format!("{} (rack {rack}, bay {}, level {}, slot {})", md.id.0, md.bay, md.level, md.slot),
        );
        field(ui, "controller", format!("{} @ {}", super::controller_name(site, md.controller), md.address));
        if let Some(heat) = frame.heat.and_then(|h| h.module_line(m)) {
            field(ui, "heat", heat);
        }
        if let Some(skus) = articles(frame.ops.picks().filter(|p| p.module == m)) {
            field(ui, "articles", skus);
        }
        let state = ModuleState::from_register(r.state).map_or("unknown", ModuleState::name);
        field(ui, "state", if r.stale { format!("{state} (stale)") } else { state.to_owned() });
        field(ui, "mode", Mode::from_register(r.mode).map_or("unknown", Mode::name));
        let qty = if r.quantity == twin_model::codes::QUANTITY_BLANK {
            "blank".to_owned()
        } else {
            r.quantity.to_string()
        };
        field(ui, "display", format!("{}  qty {qty}", r.location));
        field(
            ui,
            "light",
            format!("colour {} {}", r.colour, Blink::from_register(r.blink).map_or("?", Blink::name)),
        );
        let order =
            frame.ops.orders.order_for_lit(m, r.job).map_or(String::new(), |o| format!(", order {}", o.id));
        field(ui, "job", format!("{}{order}", r.job));
        if let Some(since) = frame.ops.lit_since(m) {
            field(ui, "lit for", duration(frame.ops.now() - since));
        }
        field(ui, "presses", r.press_count.to_string());
        if r.fault != 0 {
            field(ui, "fault", r.fault.to_string());
        }
        field(ui, "online", if r.online { "yes" } else { "no" });
    });
    history(ui, frame, |p| p.module == m);
}

fn rack(ui: &mut Ui, frame: &Frame, r: u32, actions: &mut Vec<UiAction>) {
    let site = frame.site;
    let Some(range) = site.rack_modules.get(r as usize).cloned() else { return };
    let lit: Vec<u32> = range.clone().filter(|&m| frame.ops.lit_since(m).is_some()).collect();
    egui::Grid::new("inspect_rack").num_columns(2).show(ui, |ui| {
        let zone = site.rack_zone.get(r as usize).map_or("?", |&z| zone_name(site, z));
        field(ui, "zone", zone);
        field(ui, "modules", range.len().to_string());
        field(ui, "lit now", lit.len().to_string());
    });
    for &m in lit.iter().take(HISTORY) {
        if ui.link(module_name(site, m)).clicked() {
            actions.push(UiAction::SelectModule(m));
        }
    }
    history(ui, frame, |p| range.contains(&p.module));
}

fn picker(ui: &mut Ui, frame: &Frame, p: u16, r: &twin_link::PickerReading, actions: &mut Vec<UiAction>) {
    egui::Grid::new("inspect_picker").num_columns(2).show(ui, |ui| {
        field(ui, "state", PickerState::from_register(r.state).map_or("unknown", PickerState::name));
        field(
            ui,
            "at",
            format!("x {:.1} m, y {:.1} m", f64::from(r.x_cm) / 100.0, f64::from(r.y_cm) / 100.0),
        );
        let order = match frame.ops.orders.get(r.order) {
            Some(o) => format!("{} ({}/{} lines)", o.id, o.lines_done, o.lines_total),
            None if r.order == 0 => "none".to_owned(),
            None => r.order.to_string(),
        };
        field(ui, "order", order);
        let rate = frame.ops.kpis().per_picker.iter().find(|x| x.picker == p).map_or(0.0, |x| x.per_h);
        field(ui, "picks / h", format!("{rate:.1}"));
    });
    if ui.button("follow").clicked() {
        actions.push(UiAction::FollowPicker(p));
    }
    history(ui, frame, |x| x.picker == Some(p));
}

/// The articles picked in `picks` (newest first) with their counts, newest article first:
/// "PZN-00000012 ×14, PZN-00000907 ×2" (a location re-slotted shows both); None without any.
fn articles<'a>(picks: impl Iterator<Item = &'a PickRecord>) -> Option<String> {
    let mut seen: Vec<(twin_link::LocationText, u32)> = Vec::new();
    for sku in picks.filter_map(|p| p.sku) {
        match seen.iter_mut().find(|(s, _)| *s == sku) {
            Some((_, n)) => *n += 1,
            None => seen.push((sku, 1)),
        }
    }
    let text: Vec<String> = seen.iter().take(3).map(|(s, n)| format!("{} ×{n}", s.as_str())).collect();
    let more = if seen.len() > 3 { format!(" and {} more", seen.len() - 3) } else { String::new() };
    (!text.is_empty()).then(|| format!("{}{more}", text.join(", ")))
}

/// The last picks matching `keep`, newest first.
fn history(ui: &mut Ui, frame: &Frame, keep: impl Fn(&PickRecord) -> bool) {
    ui.separator();
    ui.label(RichText::new("last picks").strong());
    let mut any = false;
    for p in frame.ops.picks().filter(|p| keep(p)).take(HISTORY) {
        any = true;
        let short = if p.picked < p.asked { " short" } else { "" };
        let order = p.order.map_or(String::new(), |o| format!(" order {o}"));
        let sku = p.sku.map_or(String::new(), |s| format!(" {}", s.as_str()));
        let line = p.line_s.map_or(String::new(), |s| format!(" in {}", duration(s)));
        ui.label(format!(
            "{} {}{sku} {}/{}{short}{order}{line}",
            clock(p.at_s),
            module_name(frame.site, p.module),
            p.picked,
            p.asked
        ));
    }
    if !any {
        ui.label(RichText::new("none yet").weak());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_count_newest_first() {
        let pick = |sku: &str| PickRecord {
            at_s: 0.0,
            module: 1,
            order: None,
            picker: None,
            asked: 1,
            picked: 1,
            line_s: None,
            sku: (!sku.is_empty()).then(|| twin_link::LocationText::from_text(sku)),
        };
        let picks = [pick("B"), pick("B"), pick(""), pick("A"), pick("B")];
        assert_eq!(articles(picks.iter()).as_deref(), Some("B ×3, A ×1"));
        assert_eq!(articles([pick("")].iter()), None, "no article named");
        let many = ["A", "B", "C", "D", "E"].map(pick);
        assert_eq!(articles(many.iter()).as_deref(), Some("A ×1, B ×1, C ×1 and 2 more"));
    }
}
