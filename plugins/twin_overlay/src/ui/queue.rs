//! The order queue: filter by status and zone, search by id, sort by any column; only the rows
//! on screen are laid out, so thousands of orders cost what thirty do.

use egui::{Color32, RichText, Ui};
use twin_model::codes::OrderStatus;

use super::{Frame, UiAction, UiState, duration, picker_name, zone_name};
use crate::ops::{OrderRecord, SortKey, SourceView};

/// Column widths (points): order, status, zone, lines, picker, priority, age.
const WIDTHS: [f32; 7] = [60.0, 64.0, 76.0, 46.0, 76.0, 40.0, 56.0];
/// Gap between columns.
const GAP: f32 = 8.0;

/// Column widths and gap for a panel `available` points wide: the natural widths, narrowed
/// in proportion (never under 75 %) so the table never widens its panel over the floor.
pub fn column_widths(available: f32) -> ([f32; 7], f32) {
    let natural = WIDTHS.iter().sum::<f32>() + 6.0 * GAP;
    let k = (available / natural).clamp(0.75, 1.0);
    (WIDTHS.map(|w| w * k), GAP * k)
}

/// The order queue panel.
pub fn queue_panel(ui: &mut Ui, frame: &Frame, state: &mut UiState, actions: &mut Vec<UiAction>) {
    let orders = frame.ops.orders.orders();
    let (mut pending, mut active, mut done) = (0, 0, 0);
    for o in orders {
        match o.status {
            OrderStatus::Pending | OrderStatus::Empty => pending += 1,
            OrderStatus::Active => active += 1,
            OrderStatus::Done | OrderStatus::Cancelled => done += 1,
        }
    }
    ui.heading("Orders");
    // Where orders come from and whether they are current: an empty queue means nothing
    // unless the source is known to be fresh.
    let view = frame.ops.sources.orders;
    if view == SourceView::NotConfigured {
        ui.label(
            RichText::new("no order source configured (layout `sources.orders`)")
                .color(Color32::from_rgb(240, 170, 40)),
        );
        return;
    }
    if !matches!(view, SourceView::Controller) {
        let fresh = view.is_fresh(frame.wall_ms);
        let colour = if fresh { ui.visuals().weak_text_color() } else { Color32::from_rgb(240, 170, 40) };
        ui.label(RichText::new(view.state_text(frame.wall_ms)).color(colour));
    }
    ui.horizontal(|ui| {
        ui.checkbox(&mut state.view.pending, format!("pending {pending}"));
        ui.checkbox(&mut state.view.active, format!("active {active}"));
        ui.checkbox(&mut state.view.done, format!("done {done}"));
    });
    ui.horizontal(|ui| {
        let zone_text = state.view.zone.map_or("all zones", |z| zone_name(frame.site, z)).to_owned();
        egui::ComboBox::from_id_salt("zone_filter").selected_text(zone_text).show_ui(ui, |ui| {
            ui.selectable_value(&mut state.view.zone, None, "all zones");
            for (i, z) in frame.site.layout.zones.iter().enumerate() {
                ui.selectable_value(&mut state.view.zone, Some(i as u16), &z.name);
            }
        });
        ui.add(
            egui::TextEdit::singleline(&mut state.view.search)
                .hint_text("search order id")
                .desired_width(120.0),
        );
        if let Some(id) = state.selected_order {
            if ui.button("fly to").on_hover_text("fly the camera to this order's lit modules").clicked() {
                actions.push(UiAction::FlyToOrder(id));
            }
            if ui.button("clear").clicked() {
                state.selected_order = None;
                actions.push(UiAction::SelectOrder(None));
            }
        }
    });
    ui.separator();

    // Header: click to sort, again to reverse.
    // Inside the panel's margins and the scroll bar.
    let width = if state.queue_width > 0.0 {
        state.queue_width.min(ui.available_width())
    } else {
        ui.available_width()
    };
    let (widths, gap) = column_widths(width - 24.0);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = gap;
        let columns = [
            ("order", SortKey::Id),
            ("status", SortKey::Status),
            ("zone", SortKey::Zone),
            ("lines", SortKey::Progress),
            ("picker", SortKey::Picker),
            ("prio", SortKey::Priority),
            ("age", SortKey::Age),
        ];
        for ((name, key), w) in columns.into_iter().zip(widths) {
            let arrow = match (state.view.sort == key, state.view.descending) {
                (true, false) => " ⏶",
                (true, true) => " ⏷",
                _ => "",
            };
            let b = egui::Button::new(RichText::new(format!("{name}{arrow}")).strong()).frame(false);
            if ui.add_sized([w, 18.0], b).clicked() {
                if state.view.sort == key {
                    state.view.descending = !state.view.descending;
                } else {
                    state.view.sort = key;
                    state.view.descending = false;
                }
            }
        }
    });

    let now = frame.ops.now();
    let selected = state.selected_order;
    let rows = state.queue_rows(frame.ops);
    let row_height = ui.text_style_height(&egui::TextStyle::Body).max(18.0);
    let mut clicked = None;
    let mut fly = None;
    egui::ScrollArea::vertical().id_salt("queue_rows").auto_shrink([false, false]).show_rows(
        ui,
        row_height,
        rows.len(),
        |ui, range| {
            for &i in &rows[range] {
                let o = &orders[i as usize];
                let r = order_row(ui, frame, o, selected == Some(o.id), now, (&widths, gap));
                if r.double_clicked() {
                    fly = Some(o.id);
                } else if r.clicked() {
                    clicked = Some(o.id);
                }
            }
        },
    );
    if rows.is_empty() {
        ui.label(RichText::new("no orders match").weak());
    }
    if let Some(id) = clicked {
        let now_selected = (state.selected_order != Some(id)).then_some(id);
        state.selected_order = now_selected;
        actions.push(UiAction::SelectOrder(now_selected));
    }
    if let Some(id) = fly {
        state.selected_order = Some(id);
        actions.push(UiAction::SelectOrder(Some(id)));
        actions.push(UiAction::FlyToOrder(id));
    }
}

/// One row. The order id is a real widget (clickable, and what AccessKit and the UI tests
/// find); the other cells are painted text, a third of the cost of a widget per cell.
fn order_row(
    ui: &mut Ui,
    frame: &Frame,
    o: &OrderRecord,
    selected: bool,
    now: f64,
    (widths, gap): (&[f32; 7], f32),
) -> egui::Response {
    let height = 18.0;
    let (row, row_response) = ui.allocate_exact_size(
        egui::vec2(widths.iter().sum::<f32>() + 6.0 * gap, height),
        egui::Sense::click(),
    );
    if row_response.hovered() {
        ui.painter().rect_filled(row, 2.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    let id_rect = egui::Rect::from_min_size(row.min, egui::vec2(widths[0], height));
    let id = ui.put(id_rect, egui::Button::selectable(selected, o.id.to_string()));
    let text_colour = ui.visuals().text_color();
    let (status, status_colour) = status_look(o.status);
    let picker = o.picker.map_or_else(String::new, |p| picker_name(frame.site, p));
    let (prio, prio_colour) = match o.priority {
        0 => ("", text_colour),
        1 => ("exp", Color32::from_rgb(240, 170, 40)),
        _ => ("EMG", Color32::from_rgb(240, 70, 60)),
    };
    let age = o.age_s(now);
    let late = age > frame.ops.config().kpi.sla(o.priority);
    let age_colour = if late { Color32::from_rgb(240, 70, 60) } else { text_colour };
    let cells = [
        (status.to_owned(), status_colour),
        (zone_name(frame.site, o.zone).to_owned(), text_colour),
        (format!("{}/{}", o.lines_done, o.lines_total), text_colour),
        (picker, text_colour),
        (prio.to_owned(), prio_colour),
        (duration(age), age_colour),
    ];
    let font = egui::TextStyle::Body.resolve(ui.style());
    let mut x = id_rect.max.x + gap;
    for ((text, colour), w) in cells.into_iter().zip(&widths[1..]) {
        let cell = egui::Rect::from_min_size(egui::pos2(x, row.min.y), egui::vec2(*w, height));
        // Clipped to its cell: a long picker name cannot run into the next column.
        ui.painter_at(cell).text(cell.left_center(), egui::Align2::LEFT_CENTER, text, font.clone(), colour);
        x += w + gap;
    }
    id | row_response
}

/// Status name and colour.
pub(crate) fn status_look(s: OrderStatus) -> (&'static str, Color32) {
    match s {
        OrderStatus::Pending | OrderStatus::Empty => ("pending", Color32::from_rgb(150, 170, 200)),
        OrderStatus::Active => ("active", Color32::from_rgb(240, 190, 60)),
        OrderStatus::Done => ("done", Color32::from_rgb(90, 200, 110)),
        OrderStatus::Cancelled => ("cancelled", Color32::from_rgb(140, 140, 140)),
    }
}
