// picktwin light modules: one shared cuboid mesh, one material, per-instance state from a
// storage buffer indexed by the entity's MeshTag (= module index). The front face draws the
// housing, a green seven-segment location row, a red quantity row and the LED button; the
// digits are signed-distance segments, so they stay sharp at any distance without a font.
// The mesh's extra quad (corners at local y = BEACON_MARK_Y) is each module's beacon: a
// screen-facing mark above the racks for lit, confirmed, short and faulty modules, collapsed
// to nothing for idle ones (beacons.rs).

#import bevy_pbr::{
    mesh_functions,
    view_transformations::position_world_to_clip,
    mesh_view_bindings::{globals, view},
}

struct ModuleState {
    loc: vec4<u32>,
    qty: u32,
    flags: u32,
    colour: u32,
    timing: u32,
}

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<storage, read> states: array<ModuleState>;
// x: beacon centre height (world y), y: radius in metres, z: smallest radius in pixels per
// 1080 pixels of viewport height.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> beacons: vec4<f32>;

const BEACON_MARK: f32 = 50.0;
// `local.z` of a beacon fragment (the cube's faces stay within ±0.5).
const BEACON_Z: f32 = 8.0;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
};

struct VOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) local: vec3<f32>,
    @location(1) world_normal: vec3<f32>,
    @location(2) @interpolate(flat) tag: u32,
    @location(3) @interpolate(flat) size: vec2<f32>,
};

@vertex
fn vertex(v: Vertex) -> VOut {
    var out: VOut;
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    if (v.position.y > BEACON_MARK) {
        return beacon_vertex(v, world_from_local);
    }
    let world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4(v.position, 1.0));
    out.clip = position_world_to_clip(world.xyz);
    out.local = v.position;
    out.world_normal = mesh_functions::mesh_normal_local_to_world(v.normal, v.instance_index);
    out.tag = mesh_functions::get_tag(v.instance_index);
    // The unit cube is scaled to the module's size: width and height in metres.
    out.size = vec2(length(world_from_local[0].xyz), length(world_from_local[1].xyz));
    return out;
}

// A beacon corner: above the module at the beacons' height, offset on screen by at least the
// smallest radius in pixels; outside the clip volume (nothing drawn) when the module is idle.
fn beacon_vertex(v: Vertex, world_from_local: mat4x4<f32>) -> VOut {
    var out: VOut;
    out.tag = mesh_functions::get_tag(v.instance_index);
    out.world_normal = vec3(0.0, 1.0, 0.0);
    out.size = vec2(0.0);
    out.local = vec3(v.position.x, v.position.z, BEACON_Z);
    let flags = states[out.tag].flags;
    let state = flags & 15u;
    // With the heatmap on, an idle module picked in the window shows its heat instead.
    let heat = (flags & FLAG_HEAT) != 0u && (flags >> 24u) > 0u;
    if ((state == STATE_IDLE && !heat) || state > STATE_FAULT || beacons.z <= 0.0) {
        out.clip = vec4(0.0, 0.0, -2.0, 1.0);
        return out;
    }
    let centre = vec3(world_from_local[3].x, beacons.x, world_from_local[3].z);
    let c = position_world_to_clip(centre);
    let w = max(c.w, 1e-4);
    // Radius in pixels: the metric radius as projected, never under the minimum.
    let viewport_h = max(view.viewport.w, 1.0);
    let metric_px = beacons.y * view.clip_from_view[1][1] * 0.5 * viewport_h / w;
    let r_px = max(metric_px, beacons.z * viewport_h / 1080.0);
    // Corners in counter-clockwise order on screen (the pipeline culls back faces).
    let ndc = vec2(v.position.x, v.position.z) * r_px * 2.0 / max(view.viewport.zw, vec2(1.0));
    // Drawn a little towards the camera so the rack tops never cut into it.
    out.clip = vec4(c.xy + ndc * w, c.z * 1.02 + 1e-5 * w, c.w);
    return out;
}

const STATE_IDLE: u32 = 0u;
const STATE_LIT: u32 = 1u;
const STATE_CONFIRMED: u32 = 2u;
const STATE_SHORTAGE: u32 = 3u;
const STATE_FAULT: u32 = 4u;

const FLAG_STALE: u32 = 64u;
const FLAG_SELECTED: u32 = 128u;
const FLAG_OFFLINE: u32 = 65536u;
const FLAG_DISPLAY: u32 = 131072u;
const FLAG_HIGHLIGHT: u32 = 262144u;
const FLAG_HEAT: u32 = 524288u;

const GREEN: vec3<f32> = vec3(0.08, 1.0, 0.12);
const RED: vec3<f32> = vec3(1.0, 0.05, 0.03);
const AMBER: vec3<f32> = vec3(1.0, 0.55, 0.0);

fn segment_distance(p: vec2<f32>, a: vec2<f32>, b: vec2<f32>) -> f32 {
    let pa = p - a;
    let ba = b - a;
    let h = clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
    return length(pa - ba * h);
}

// Distance (in glyph units: width 1, height 2) to the nearest segment of `mask`; the ghost
// distance covers all seven, for the faint unlit segments of a real LED display.
fn glyph(p_in: vec2<f32>, mask: u32) -> vec2<f32> {
    // A slight italic, like the hardware.
    let p = vec2(p_in.x - 0.08 * (p_in.y - 1.0), p_in.y);
    let x0 = 0.18;
    let x1 = 0.82;
    let y0 = 0.15;
    let y1 = 1.0;
    let y2 = 1.85;
    let gap = 0.07;
    var ends = array<vec4<f32>, 7>(
        vec4(x0 + gap, y2, x1 - gap, y2), // a
        vec4(x1, y2 - gap, x1, y1 + gap), // b
        vec4(x1, y1 - gap, x1, y0 + gap), // c
        vec4(x0 + gap, y0, x1 - gap, y0), // d
        vec4(x0, y0 + gap, x0, y1 - gap), // e
        vec4(x0, y1 + gap, x0, y2 - gap), // f
        vec4(x0 + gap, y1, x1 - gap, y1), // g
    );
    var lit = 1e3;
    var ghost = 1e3;
    for (var i = 0u; i < 7u; i++) {
        let s = ends[i];
        let d = segment_distance(p, s.xy, s.zw);
        ghost = min(ghost, d);
        if ((mask & (1u << i)) != 0u) {
            lit = min(lit, d);
        }
    }
    return vec2(lit, ghost);
}

// Coverage of the text row at `q` (metres from the row's bottom-left, row size `size`):
// x = lit coverage, y = ghost coverage. `count` characters from `first` (left) or right-aligned.
fn text_row(q: vec2<f32>, size: vec2<f32>, masks: vec4<u32>, count: u32, cells: u32, right: bool, px: f32) -> vec2<f32> {
    if (q.x < 0.0 || q.y < 0.0 || q.x > size.x || q.y > size.y || cells == 0u) {
        return vec2(0.0);
    }
    // Cells keep a glyph shape (no wider than 0.62 of the height).
    let cell = min(size.x / f32(cells), size.y * 0.62);
    var x = q.x;
    if (right) {
        x = q.x - (size.x - cell * f32(cells));
    }
    if (x < 0.0) {
        return vec2(0.0);
    }
    let i = u32(floor(x / cell));
    if (i >= cells) {
        return vec2(0.0);
    }
    var mask = 0u;
    var slot = i;
    if (right) {
        // Right-aligned: the last `count` cells hold the characters.
        if (i + count < cells) {
            slot = 99u;
        } else {
            slot = i + count - cells;
        }
    }
    if (slot < count) {
        let word = masks[slot / 4u];
        mask = (word >> ((slot % 4u) * 8u)) & 0x7Fu;
    }
    let g = vec2((x - f32(i) * cell) / cell, q.y / size.y * 2.0);
    let d = glyph(g, mask);
    let thickness = 0.11;
    // Anti-aliasing over about one pixel, in glyph units (derivatives are taken up front, in
    // uniform control flow).
    let aa = max(px / cell, 1e-4);
    let lit = 1.0 - smoothstep(thickness - aa, thickness + aa, d.x);
    let ghost = 1.0 - smoothstep(thickness - aa, thickness + aa, d.y);
    return vec2(lit, ghost);
}

// The heatmap's ramp: a dim blue-grey for modules not picked in the window, then blue, cyan,
// yellow, red for the busiest (display.rs FLAG_HEAT; the overlay's legend draws the same ramp).
fn heat_colour(level: u32) -> vec3<f32> {
    if (level == 0u) {
        return vec3(0.10, 0.11, 0.14);
    }
    let t = f32(level) / 255.0;
    let c0 = vec3(0.10, 0.25, 0.90);
    let c1 = vec3(0.00, 0.85, 0.90);
    let c2 = vec3(1.00, 0.90, 0.10);
    let c3 = vec3(1.00, 0.12, 0.05);
    if (t < 0.33) {
        return mix(c0, c1, t / 0.33);
    } else if (t < 0.66) {
        return mix(c1, c2, (t - 0.33) / 0.33);
    }
    return mix(c2, c3, (t - 0.66) / 0.34);
}

fn unpack_rgb(c: u32) -> vec3<f32> {
    let srgb = vec3(f32((c >> 16u) & 255u), f32((c >> 8u) & 255u), f32(c & 255u)) / 255.0;
    return pow(srgb, vec3(2.2));
}

fn blink_on(mode: u32, period_ms: u32) -> bool {
    let period = max(f32(period_ms), 100.0) / 1000.0;
    let phase = fract(globals.time / period);
    if (mode == 1u) {
        return phase < 0.5;
    }
    if (mode == 2u) {
        return phase < 0.15;
    }
    return true;
}

// The beacon's shape and colour by state: a disc in the light's colour (lit, blinking as the
// module does), a green ring (confirmed), an amber diamond (shortage), a red square (fault);
// with the heatmap on, a square in the heat ramp's colour for an idle module picked in the
// window; each with a dark rim so it reads on any floor colour.
fn beacon_fragment(in: VOut) -> vec4<f32> {
    let s = states[in.tag];
    let state = s.flags & 15u;
    let on = blink_on((s.flags >> 4u) & 3u, s.timing & 0xFFFFu);
    let p = in.local.xy;
    let r = length(p);
    var inside = 0.0;
    var rim = 0.0;
    var colour = vec3(0.0);
    if (state == STATE_IDLE) {
        // The heatmap's square (only drawn with the heatmap on: beacon_vertex).
        let d = max(abs(p.x), abs(p.y));
        inside = f32(d < 0.66);
        rim = f32(d < 0.8);
        colour = heat_colour(s.flags >> 24u) * 1.2;
    } else if (state == STATE_LIT) {
        inside = f32(r < 0.72);
        rim = f32(r < 1.0);
        colour = unpack_rgb(s.colour) * select(0.3, 1.5, on);
    } else if (state == STATE_CONFIRMED) {
        inside = f32(r > 0.38 && r < 0.72);
        rim = f32(r < 1.0);
        colour = GREEN * 1.2;
    } else if (state == STATE_SHORTAGE) {
        let d = abs(p.x) + abs(p.y);
        inside = f32(d < 0.8);
        rim = f32(d < 1.0);
        colour = AMBER * select(0.3, 1.4, on);
    } else {
        let d = max(abs(p.x), abs(p.y));
        inside = f32(d < 0.62);
        rim = f32(d < 0.82);
        colour = RED * select(0.3, 1.5, on);
    }
    if (rim < 0.5) {
        discard;
    }
    var out = mix(vec3(0.01), colour, inside);
    if ((s.flags & (FLAG_STALE | FLAG_OFFLINE)) != 0u) {
        let grey = dot(out, vec3(0.2126, 0.7152, 0.0722));
        out = vec3(grey * 0.6 + 0.02);
    }
    return vec4(out, 1.0);
}

@fragment
fn fragment(in: VOut) -> @location(0) vec4<f32> {
    // Metres per pixel on this surface, for anti-aliasing the segments (before any branch:
    // derivatives need uniform control flow).
    let px = length(fwidth(in.local.xy * in.size));
    if (in.local.z > BEACON_Z - 1.0) {
        return beacon_fragment(in);
    }
    let s = states[in.tag];
    let state = s.flags & 15u;
    let blink = (s.flags >> 4u) & 3u;
    let greyed = (s.flags & (FLAG_STALE | FLAG_OFFLINE)) != 0u;
    let n = normalize(in.world_normal);
    let light = 0.35 + 0.65 * max(dot(n, normalize(vec3(0.35, 1.0, 0.55))), 0.0);
    var housing = vec3(0.05, 0.055, 0.065);
    if ((s.flags & FLAG_HEAT) != 0u) {
        housing = heat_colour(s.flags >> 24u);
    }
    if ((s.flags & FLAG_SELECTED) != 0u) {
        housing = vec3(0.0, 0.55, 0.75);
    } else if ((s.flags & FLAG_HIGHLIGHT) != 0u) {
        housing = vec3(0.6, 0.5, 0.0);
    }
    var colour = housing * light;

    if (in.local.z > 0.49) {
        // The front face, in metres from its bottom-left corner.
        let w = in.size.x;
        let h = in.size.y;
        let f = vec2((in.local.x + 0.5) * w, (in.local.y + 0.5) * h);
        let m = 0.07 * h;
        let button = min(0.22 * w, 0.8 * h);
        let display_w = w - 3.0 * m - button;

        let on = blink_on(blink, s.timing & 0xFFFFu);
        let display = (s.flags & FLAG_DISPLAY) != 0u;
        var emit = vec3(0.0);

        // Display window.
        if (f.x > m && f.x < m + display_w && f.y > m && f.y < h - m) {
            colour = vec3(0.012, 0.012, 0.014);
            let loc_len = (s.flags >> 8u) & 31u;
            let qty_len = (s.flags >> 13u) & 7u;
            let row_h = (h - 2.0 * m) * 0.5;
            let pad = 0.1 * row_h;
            let top = text_row(
                f - vec2(m + pad, m + row_h + pad * 0.5),
                vec2(display_w - 2.0 * pad, row_h - 1.5 * pad),
                s.loc, loc_len, max(loc_len, 6u), false, px);
            let bottom = text_row(
                f - vec2(m + pad, m + pad),
                vec2(display_w - 2.0 * pad, row_h - 1.5 * pad),
                vec4(s.qty, 0u, 0u, 0u), qty_len, 4u, true, px);
            var loc_colour = GREEN;
            var qty_colour = RED;
            var lit = display && (on || state != STATE_LIT);
            if (state == STATE_CONFIRMED) {
                loc_colour = GREEN * 0.35;
                qty_colour = GREEN;
            } else if (state == STATE_SHORTAGE) {
                qty_colour = AMBER;
                lit = display && on;
            } else if (state == STATE_FAULT) {
                lit = display && on;
            }
            emit += (loc_colour * 0.04) * top.y + (qty_colour * 0.04) * bottom.y;
            if (lit) {
                emit += loc_colour * 1.6 * top.x + qty_colour * 1.6 * bottom.x;
            }
        }

        // LED button.
        let centre = vec2(w - m - button * 0.5, h * 0.5);
        let r = length(f - centre);
        if (r < button * 0.46) {
            var led = vec3(0.08);
            if (state == STATE_LIT && on) {
                led = unpack_rgb(s.colour) * 1.6;
            } else if (state == STATE_CONFIRMED) {
                led = GREEN;
            } else if (state == STATE_SHORTAGE && on) {
                led = AMBER * 1.4;
            } else if (state == STATE_FAULT && on) {
                led = RED * 1.6;
            }
            colour = vec3(0.0);
            emit += led;
            // A white rim, as on the real button.
            if (r > button * 0.40) {
                emit = vec3(0.5);
            }
        }
        colour += emit;
    }

    if (greyed) {
        // The controller is silent: what is shown may be out of date.
        let grey = dot(colour, vec3(0.2126, 0.7152, 0.0722));
        colour = mix(vec3(grey * 0.6 + 0.02), colour, 0.12);
    }
    return vec4(colour, 1.0);
}
