//! The expanded, validated site: every light module with its id, controller address, location
//! text and position, plus the indexes the live link and the scene look modules up by.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity};
use crate::layout::{Facing, SiteLayout};
use crate::register_map::RegisterMap;
use crate::shifts::ShiftCalendar;
use crate::validate;

/// A light module's site-wide id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleId(pub u32);

/// Index of a module in [`Site::modules`] (dense, `0..modules.len()`).
pub type ModuleIndex = u32;

/// One light module, expanded from its rack.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// Site-wide id.
    pub id: ModuleId,
    /// Index of its rack in the layout's `racks`.
    pub rack: u32,
    /// Bay from 1.
    pub bay: u16,
    /// Level from 1 (floor up).
    pub level: u16,
    /// Slot from 1.
    pub slot: u16,
    /// Index of its controller in the layout's `controllers`.
    pub controller: u16,
    /// Address on that controller (`0..max_modules` of its map).
    pub address: u16,
    /// The green location text.
    pub location: Box<str>,
    /// Centre of the module on the shelf front: plan x, plan y, height (metres).
    pub position: [f32; 3],
    /// Direction the module faces.
    pub facing: Facing,
}

/// A controller's share of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerPlan {
    /// Index of its register map in [`Site::maps`].
    pub map: usize,
    /// The modules it drives, sorted by address.
    pub modules: Vec<ModuleIndex>,
}

/// Why a layout could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// The file could not be read.
    #[error("cannot read layout {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid layout.
    #[error("{}", render(.diagnostics))]
    Invalid {
        /// Errors first, then warnings, each in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let mut out: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
    out.push_str(&format!("{errors} error(s); the layout was not loaded"));
    out
}

impl LayoutError {
    /// The diagnostics, if the layout was invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LayoutError::Io { .. } => &[],
            LayoutError::Invalid { diagnostics } => diagnostics,
        }
    }
}

/// A validated site with every module expanded and indexed.
#[derive(Debug, Clone)]
pub struct Site {
    /// The layout as written.
    pub layout: SiteLayout,
    /// Register maps: the built-in `picktwin-v1` first, then the layout's own.
    pub maps: Vec<RegisterMap>,
    /// Every module, rack by rack in layout order, slots in numbering order.
    pub modules: Vec<Module>,
    /// Modules of each rack (a range of [`Site::modules`]).
    pub rack_modules: Vec<Range<ModuleIndex>>,
    /// Zone index of each rack (through its aisle).
    pub rack_zone: Vec<u16>,
    /// Per controller, in layout order.
    pub controllers: Vec<ControllerPlan>,
    /// When shifts start (from the layout's `shifts`).
    pub shifts: ShiftCalendar,
    /// The file the layout was read from (`<layout>` when built in code), for messages.
    pub file: String,
    /// Things that look wrong but do not stop loading.
    pub warnings: Vec<Diagnostic>,
    pub(crate) by_id: HashMap<ModuleId, ModuleIndex>,
}

impl Site {
    /// Reads, parses, expands and validates a layout file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LayoutError> {
        let path = path.as_ref();
        let src = std::fs::read_to_string(path)
            .map_err(|source| LayoutError::Io { path: path.display().to_string(), source })?;
        Self::from_ron(&src, &path.display().to_string())
    }

    /// Parses, expands and validates layout text; `file` names it in diagnostics.
    pub fn from_ron(src: &str, file: &str) -> Result<Self, LayoutError> {
        let layout = crate::parse_layout(src, file)?;
        validate::compile(layout, Some(src), file)
    }

    /// Expands and validates a layout built in code (diagnostics then carry paths, not lines).
    pub fn from_layout(layout: SiteLayout) -> Result<Self, LayoutError> {
        validate::compile(layout, None, "<layout>")
    }

    /// The module with this id.
    pub fn module_by_id(&self, id: ModuleId) -> Option<(ModuleIndex, &Module)> {
        let &i = self.by_id.get(&id)?;
        Some((i, &self.modules[i as usize]))
    }

    /// The module at `address` on controller `controller` (layout index).
    pub fn module_at(&self, controller: usize, address: u16) -> Option<ModuleIndex> {
        let plan = self.controllers.get(controller)?;
        let modules = &plan.modules;
        modules.binary_search_by_key(&address, |&m| self.modules[m as usize].address).ok().map(|i| modules[i])
    }

    /// The register map a controller uses.
    pub fn controller_map(&self, controller: usize) -> Option<&RegisterMap> {
        self.maps.get(self.controllers.get(controller)?.map)
    }

    /// Index of a controller by name.
    pub fn controller_index(&self, name: &str) -> Option<usize> {
        self.layout.controllers.iter().position(|c| c.name == name)
    }

    /// Height of the highest rack, metres (0 without racks): what the floor's beacons, cards
    /// and home view clear.
    pub fn rack_top(&self) -> f32 {
        self.layout.racks.iter().map(|r| r.height()).fold(0.0f32, f32::max)
    }

    /// Index of the first zone whose area holds the plan point `(x, y)`.
    pub fn zone_at(&self, x: f32, y: f32) -> Option<usize> {
        self.layout.zones.iter().position(|z| z.area.contains_point(x, y))
    }

    /// Index of a zone by name.
    pub fn zone_index(&self, name: &str) -> Option<usize> {
        self.layout.zones.iter().position(|z| z.name == name)
    }
}
