//! picktwin's domain model, free of Bevy: site layouts (RON), register maps, validation, and the
//! expanded module index every other crate builds on.
//!
//! Load a layout with [`Site::load`]; errors carry file, line and column (see [`Diagnostic`]).

pub mod codes;
mod diagnostic;
pub mod layout;
pub mod location;
pub mod register_map;
pub mod shifts;
mod site;
pub mod source_map;
pub mod sources;
mod validate;

pub use diagnostic::{Diagnostic, Severity};
pub use layout::SiteLayout;
pub use register_map::RegisterMap;
pub use shifts::ShiftCalendar;
pub use site::{ControllerPlan, LayoutError, Module, ModuleId, ModuleIndex, Site};
pub use validate::MAX_SITE_MODULES;

use source_map::LineCol;

/// RON options every layout is read and written with: `Some(..)` may be left out.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parses layout text without expanding or validating it; syntax and type errors carry
/// `file:line:col`.
pub fn parse_layout(src: &str, file: &str) -> Result<SiteLayout, LayoutError> {
    ron_options().from_str(src).map_err(|e| {
        let at = LineCol { line: e.span.start.line.max(1), col: e.span.start.col.max(1) };
        let map = source_map::SourceMap::new(src);
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            file: file.to_owned(),
            at,
            path: String::new(),
            message: e.code.to_string(),
            help: syntax_help(&e.code),
            related: None,
            source_line: map.line_text(at.line).to_owned(),
        };
        LayoutError::Invalid { diagnostics: vec![diagnostic] }
    })
}

fn syntax_help(code: &ron::Error) -> Option<String> {
    use ron::Error as E;
    match code {
        E::MissingStructField { field, .. } => {
            Some(format!("add `{field}: ...`; docs/layout-format.md lists every field"))
        }
        E::NoSuchStructField { .. } => {
            Some("check the spelling; docs/layout-format.md lists every field".to_owned())
        }
        E::ExpectedString | E::ExpectedStringEnd => {
            Some("text is written in double quotes, e.g. \"A01\"".to_owned())
        }
        _ => None,
    }
}

impl SiteLayout {
    /// Writes the layout as pretty RON that [`parse_layout`] reads back to an equal layout.
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let pretty = ron::ser::PrettyConfig::new().struct_names(true).compact_arrays(false);
        ron_options().to_string_pretty(self, pretty)
    }
}
