//! What a simulation is asked to do (seed, order rate, picker behaviour) and what it reports.

use super::*;

/// What the simulation does, all of it reproducible from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Orders released per day (06:00–22:00). 30,000 a month over ~25 working days ≈ 1,200.
    pub orders_per_day: f64,
    /// Clock at the start, milliseconds since midnight of day 0.
    pub start_ms: u64,
    /// Share of orders for the cold-chain zone.
    pub cold_share: f64,
    /// Share of orders for the secure (controlled drugs) zone.
    pub secure_share: f64,
    /// Share of express orders (priority 1).
    pub express_share: f64,
    /// Share of emergency orders (priority 2, e.g. hospitals).
    pub emergency_share: f64,
    /// Chance a line is picked short.
    pub shortage_rate: f64,
    /// Chance a picker first presses a wrong module.
    pub mispick_rate: f64,
    /// Walking speed in m/s.
    pub walk_speed: f32,
    /// Time to pick one line, seconds (uniform).
    pub pick_s: (f64, f64),
    /// Time to hand over or pack an order at a station, seconds (uniform).
    pub pack_s: (f64, f64),
    /// How long a done order stays on the order board, seconds.
    pub board_keep_s: u64,
    /// Most released orders waiting for a picker: past it the WMS holds new orders back, as a
    /// real one releases what the floor can pick. Without it a site ordering more than its
    /// pickers pick (the demo: 1,200 released, ~550 picked a day) builds a backlog without
    /// end, and the simulator (running inside the twin for months) and every WMS reader grow.
    pub max_backlog: usize,
    /// Start the day here instead and run it, without waiting, up to `start_ms` before the
    /// first client connects: the floor is mid-shift at once (orders in progress, lights lit,
    /// pickers out), as a twin opened during a shift finds it.
    pub warm_up_from_ms: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            orders_per_day: 1200.0,
            start_ms: 6 * 3_600_000,
            cold_share: 0.15,
            secure_share: 0.03,
            express_share: 0.10,
            emergency_share: 0.01,
            shortage_rate: 0.01,
            mispick_rate: 0.005,
            walk_speed: 1.2,
            pick_s: (4.0, 10.0),
            pack_s: (20.0, 60.0),
            board_keep_s: 900,
            max_backlog: 300,
            warm_up_from_ms: None,
        }
    }
}

/// Something that happened on the simulated floor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEvent {
    /// The WCS released an order.
    OrderReleased {
        /// Order id.
        order: u32,
        /// Zone index.
        zone: u16,
        /// Number of lines.
        lines: u16,
        /// 0 normal, 1 express, 2 emergency.
        priority: u16,
    },
    /// A picker took an order.
    OrderAssigned {
        /// Order id.
        order: u32,
        /// Picker index.
        picker: u16,
    },
    /// The WCS lit a module for a line.
    LineLit {
        /// Order id.
        order: u32,
        /// Module id.
        module: u32,
        /// Quantity shown.
        quantity: u16,
    },
    /// The WCS saw a line confirmed (confirm or shortage latch) and acknowledged it.
    LineDone {
        /// Order id.
        order: u32,
        /// Module id.
        module: u32,
        /// Quantity asked.
        asked: u16,
        /// Quantity confirmed (less than asked: short pick).
        picked: u16,
    },
    /// A picker pressed a module that was not lit for them.
    MisPick {
        /// Picker index.
        picker: u16,
        /// Module id pressed.
        module: u32,
    },
    /// All lines of an order are done.
    OrderPicked {
        /// Order id.
        order: u32,
    },
    /// A picker changed between working, break and off shift.
    PickerShift {
        /// Picker index.
        picker: u16,
        /// New state (Idle when back at work).
        state: PickerState,
    },
}

/// An event with its simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    /// Milliseconds since midnight of day 0.
    pub at_ms: u64,
    /// What happened.
    pub event: SimEvent,
}
