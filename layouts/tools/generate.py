#!/usr/bin/env python3
"""Writes layouts/pharma_dc.ron and layouts/stress.ron, one rack per line.

The layouts are plain RON and meant to be edited by hand; this script only saves typing the
repetitive rack rows. Run it from the repository root: `python3 layouts/tools/generate.py`, then
`cargo run --release -- check-layout layouts/pharma_dc.ron layouts/stress.ron`.
"""

AISLE = 2.5  # walkway width, metres
DEPTH = 0.6  # rack depth, metres
PITCH = 2 * DEPTH + AISLE


def fmt(v):
    return f"{v:.1f}" if abs(v * 10 - round(v * 10)) < 1e-9 else f"{v:.2f}"


def rect(x, y, w, d):
    return f"(x: {fmt(x)}, y: {fmt(y)}, width: {fmt(w)}, depth: {fmt(d)})"


def rack(rid, aisle, x, y, facing, bays, levels, slots, bay_w, level_h, controller):
    return (f'        Rack(id: "{rid}", aisle: "{aisle}", origin: (x: {fmt(x)}, y: {fmt(y)}), facing: {facing}, '
            f'bays: {bays}, levels: {levels}, slots_per_level: {slots}, bay_width: {fmt(bay_w)}, '
            f'level_height: {fmt(level_h)}, depth: {fmt(DEPTH)}, controller: "{controller}"),')


def aisles_along_x(prefix, zone, n, y0, columns, bays, levels, slots, bay_w, level_h, controller_of, margin=2.0):
    """Aisles running east-west: a rack facing north below each walkway, one facing south above.

    `columns` lists the west edge of each rack column; racks in a column share the aisle.
    """
    aisles, racks = [], []
    length = bays * bay_w
    x_min, x_max = columns[0] - margin, columns[-1] + length + margin
    for k in range(n):
        name = f"{prefix}{k + 1:0{len(str(n))}d}"
        y = y0 + k * PITCH
        aisles.append(f'        Aisle(name: "{name}", zone: "{zone}", area: {rect(x_min, y + DEPTH, x_max - x_min, AISLE)}),')
        for c, x in enumerate(columns):
            col = "" if len(columns) == 1 else str(c + 1)
            racks.append(rack(f"{name}S{col}", name, x, y, "North", bays, levels, slots, bay_w, level_h, controller_of(k, c, 0)))
            racks.append(rack(f"{name}N{col}", name, x, y + DEPTH + AISLE, "South", bays, levels, slots, bay_w, level_h, controller_of(k, c, 1)))
    return aisles, racks


def aisles_along_y(prefix, zone, n, x0, y_start, bays, levels, slots, bay_w, level_h, controller_of, margin=2.0):
    """Aisles running north-south: a rack facing east west of each walkway, one facing west east of it."""
    aisles, racks = [], []
    length = bays * bay_w
    for k in range(n):
        name = f"{prefix}{k + 1:0{len(str(n))}d}"
        x = x0 + k * PITCH
        aisles.append(f'        Aisle(name: "{name}", zone: "{zone}", area: {rect(x + DEPTH, y_start - margin, AISLE, length + 2 * margin)}),')
        racks.append(rack(f"{name}W", name, x, y_start, "East", bays, levels, slots, bay_w, level_h, controller_of(k, 0, 0)))
        racks.append(rack(f"{name}E", name, x + DEPTH + AISLE, y_start, "West", bays, levels, slots, bay_w, level_h, controller_of(k, 0, 1)))
    return aisles, racks


# The pharma site's order source: its WMS database (docs/sources.md).
PHARMA_SOURCES = [
    "    // Orders from the site's WMS database (PostgreSQL, reference schema, docs/sources.md); the",
    "    // password from the environment. The embedded simulator replaces it with its own SQLite WMS.",
    "    sources: (",
    "        orders: WmsSql((",
    '            url: "postgres://picktwin@127.0.0.1:5432/wms",',
    '            password_env: "PICKTWIN_WMS_PASSWORD",',
    '            utc_offset: "+00:00",',
    "        )),",
    "        pickers: ModbusBlock,",
    "    ),",
]


def write(path, header, name, floor, zones, aisles, racks, controllers, pickers, stations, sources=()):
    lines = [*header, "Site(", f'    name: "{name}",', "    units: Metres,",
             f"    floor: (width: {fmt(floor[0])}, depth: {fmt(floor[1])}),",
             '    // Green text: rack id, bay, level, slot, e.g. "F1S10312" fits the 8-character display.',
             '    location_format: "{rack}{bay:02}{level}{slot}",', *sources, "", "    zones: ["]
    lines += zones + ["    ],", "", "    aisles: ["] + aisles + ["    ],", "", "    racks: ["] + racks
    lines += ["    ],", "", "    controllers: ["] + controllers + ["    ],", "", "    pickers: ["] + pickers
    lines += ["    ],", "", "    stations: ["] + stations + ["    ],", ")", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


FIRST = ["Anna", "Ben", "Chloé", "David", "Emre", "Fatma", "Greta", "Hugo", "Ines", "Jonas", "Kerstin", "Luca",
         "Mia", "Noah", "Olga", "Paul", "Rania", "Sven", "Tara", "Umut", "Vera", "Wim", "Xenia", "Yusuf", "Zoe"]
LAST = ["Albers", "Brandt", "Costa", "Demir", "Engel", "Fischer", "Gómez", "Horn", "Ivanova", "Jansen", "Kaya",
        "Lang", "Meyer", "Nowak", "Ortiz", "Peters"]


def picker_lines(counts):
    out, n = [], 0
    for zone, count in counts:
        for _ in range(count):
            name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
            out.append(f'        Picker(id: "P{n + 1:03d}", name: "{name}", home_zone: "{zone}"),')
            n += 1
    return out


def pharma():
    zones = [
        f'        Zone(name: "PACK", kind: Packing, colour: "#e2a33c", area: {rect(0, 0, 84, 12)}),',
        f'        Zone(name: "DISPATCH", kind: Dispatch, colour: "#8d6e63", area: {rect(84, 0, 36, 12)}),',
        f'        Zone(name: "FAST", kind: FastMover, colour: "#43a047", area: {rect(0, 12, 40, 28)}),',
        f'        Zone(name: "AMBIENT", kind: Ambient, colour: "#4f8fd8", area: {rect(40, 12, 52, 28)}),',
        f'        Zone(name: "COLD", kind: ColdChain, colour: "#26c6da", area: {rect(92, 12, 28, 28)}),',
        f'        Zone(name: "SECURE", kind: Secure, colour: "#c62828", area: {rect(0, 40, 20, 20)}),',
    ]
    aisles, racks = [], []
    # Fast movers next to packing: flow racks, 12 bays × 5 levels × 5 slots = 300 modules.
    a, r = aisles_along_x("F", "FAST", 3, 14.0, [4.0, 20.0], 12, 5, 5, 1.0, 0.35,
                          lambda k, c, s: f"ptl-fast-{1 + c}")
    aisles += a; racks += ["        // FAST: flow racks by the packing line."] + r
    # Ambient main stock: 16 bays × 5 levels × 4 slots = 320 modules per rack.
    a, r = aisles_along_x("A", "AMBIENT", 6, 14.0, [44.0, 68.0], 16, 5, 4, 1.2, 0.4,
                          lambda k, c, s: f"ptl-amb-{1 + (k * 4 + c * 2 + s) // 6}")
    aisles += a; racks += ["        // AMBIENT: main stock, two rack columns with a cross aisle."] + r
    # Cold chain (2–8 °C), aisles north-south: 10 bays × 6 levels × 3 slots = 180 modules.
    a, r = aisles_along_y("C", "COLD", 5, 93.0, 16.0, 10, 6, 3, 1.2, 0.35, lambda k, c, s: "ptl-cold-1")
    aisles += a; racks += ["        // COLD: 2–8 °C room, racks run north-south."] + r
    # Controlled drugs cage: 10 bays × 5 levels × 4 slots = 200 modules.
    a, r = aisles_along_x("S", "SECURE", 3, 42.0, [3.0], 10, 5, 4, 1.0, 0.4, lambda k, c, s: "ptl-secure-1", margin=1.5)
    aisles += a; racks += ["        // SECURE: controlled drugs cage."] + r
    names = ["ptl-fast-1", "ptl-fast-2", "ptl-amb-1", "ptl-amb-2", "ptl-amb-3", "ptl-amb-4", "ptl-cold-1", "ptl-secure-1"]
    controllers = [f'        Controller(name: "{n}", address: "127.0.0.1:{1511 + i}", unit_id: 1, poll_interval_ms: 200),'
                   for i, n in enumerate(names)]
    pickers = picker_lines([("FAST", 10), ("AMBIENT", 14), ("COLD", 4), ("SECURE", 2), ("PACK", 6)])
    stations = [f'        Station(id: "PACK-{i + 1:02d}", kind: Pack, zone: "PACK", area: {rect(4 + i * 10, 4, 6, 3)}),' for i in range(8)]
    stations += [f'        Station(id: "DOCK-{i + 1}", kind: Dispatch, zone: "DISPATCH", area: {rect(88 + i * 16, 1, 12, 6)}),' for i in range(2)]
    header = ["// A realistic pharmaceutical distribution centre: 14,280 light modules on 8 PTL controllers,",
              "// fast movers by the packing line, ambient main stock, a 2–8 °C cold-chain room and a",
              "// controlled-drugs cage; 36 pickers, 8 pack stations, 2 dispatch docks.",
              "// Generated by layouts/tools/generate.py, then free to edit by hand; format: docs/layout-format.md.",
              "// Controllers point at loopback ports where `picktwin sim` serves them."]
    write("layouts/pharma_dc.ron", header, "Pharma DC North", (120.0, 60.0), zones, aisles, racks, controllers, pickers, stations, PHARMA_SOURCES)


def stress():
    zones, aisles, racks, controllers = [], [], [], []
    block_w, block_d = 28.0, 86.0
    blocks = [("A", 0, 0), ("B", 1, 0), ("C", 0, 1), ("D", 1, 1)]
    colours = ["#4f8fd8", "#43a047", "#26c6da", "#ab47bc"]
    n_aisles = 22
    for b, (name, bx, by) in enumerate(blocks):
        x0, y0 = bx * block_w, 12.0 + by * block_d
        zones.append(f'        Zone(name: "{name}", kind: Ambient, colour: "{colours[b]}", area: {rect(x0, y0, block_w, block_d)}),')
        # 20 bays × 6 levels × 5 slots = 600 modules per rack, one controller per aisle (1,200).
        a, r = aisles_along_x(name, name, n_aisles, y0 + 2.0, [x0 + 4.0], 20, 6, 5, 1.0, 0.3,
                              lambda k, c, s, name=name: f"ptl-{name}{k + 1:02d}")
        aisles += a; racks += r
        for k in range(n_aisles):
            controllers.append(f'        Controller(name: "ptl-{name}{k + 1:02d}", address: "127.0.0.1:{2000 + b * 100 + k}", poll_interval_ms: 250),')
    zones.insert(0, f'        Zone(name: "PACK", kind: Packing, colour: "#e2a33c", area: {rect(0, 0, 2 * block_w, 12)}),')
    pickers = picker_lines([("A", 50), ("B", 50), ("C", 50), ("D", 50), ("PACK", 20)])
    stations = [f'        Station(id: "PACK-{i + 1:02d}", kind: Pack, zone: "PACK", area: {rect(2 + i * 5.5, 3, 4, 3)}),' for i in range(10)]
    header = ["// Stress site: 105,600 light modules on 88 controllers in four blocks, 220 pickers.",
              "// For benchmarks and scale tests (load time, draw calls, poll load), not a real site.",
              "// Generated by layouts/tools/generate.py; format: docs/layout-format.md."]
    write("layouts/stress.ron", header, "picktwin stress site", (2 * block_w, 12.0 + 2 * block_d), zones, aisles, racks, controllers, pickers, stations)


if __name__ == "__main__":
    pharma()
    stress()
