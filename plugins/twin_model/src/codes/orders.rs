//! Order and line status codes: the order board's registers and the WMS's status texts.

/// Order status on the order board (`orders.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u16)]
pub enum OrderStatus {
    /// The board slot is free.
    #[default]
    Empty = 0,
    /// Released, not started.
    Pending = 1,
    /// A picker works on it.
    Active = 2,
    /// All lines picked (some may be short).
    Done = 3,
    /// Withdrawn by the WMS before it was picked: finished, but not throughput.
    Cancelled = 4,
}

impl OrderStatus {
    /// Lower-case name for logs, JSON and the overlay.
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the order is finished (done or cancelled).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }

    /// Decodes a register value; unknown values are `None`.
    pub fn from_register(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Empty,
            1 => Self::Pending,
            2 => Self::Active,
            3 => Self::Done,
            4 => Self::Cancelled,
            _ => return None,
        })
    }
}

impl OrderStatus {
    /// The status a WMS row's status text means (docs/sources.md): `released`, `picking`,
    /// `done`, `cancelled`. Unknown text is `None`.
    pub fn from_wms(text: &str) -> Option<Self> {
        Some(match text.trim() {
            "released" => Self::Pending,
            "picking" => Self::Active,
            "done" => Self::Done,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// The WMS status text of this status (what the simulator's WMS writes).
    pub fn wms_name(self) -> &'static str {
        match self {
            Self::Empty | Self::Cancelled => "cancelled",
            Self::Pending => "released",
            Self::Active => "picking",
            Self::Done => "done",
        }
    }
}

/// An order line's status as an order source reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u16)]
pub enum LineStatus {
    /// Not lit yet.
    #[default]
    Open = 0,
    /// Its module is lit.
    Lit = 1,
    /// Picked in full.
    Done = 2,
    /// Picked short.
    Short = 3,
}

impl LineStatus {
    /// Lower-case name, as the WMS reference schema writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Lit => "lit",
            Self::Done => "done",
            Self::Short => "short",
        }
    }

    /// The status a WMS status text means; unknown text is `None`.
    pub fn from_wms(text: &str) -> Option<Self> {
        Some(match text.trim() {
            "open" => Self::Open,
            "lit" => Self::Lit,
            "done" => Self::Done,
            "short" => Self::Short,
            _ => return None,
        })
    }

    /// Decodes a stored value; unknown values are `None`.
    pub fn from_code(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::Open,
            1 => Self::Lit,
            2 => Self::Done,
            3 => Self::Short,
            _ => return None,
        })
    }

    /// Whether the line is finished (done or short).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Short)
    }
}

/// `orders.picker` value when no picker is assigned.
pub const NO_PICKER: u16 = 0xFFFF;
