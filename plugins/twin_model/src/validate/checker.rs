//! The checker validation writes into: findings with their place in the file, and the small
//! shared checks (unique names, positive sizes, rectangles on the floor); the origins of a
//! module's id and address, and conflict counting for duplicate reports.

use super::*;
use crate::diagnostic::Finding;

pub(super) struct Checker {
    pub(super) findings: Vec<Finding>,
}

impl Checker {
    pub(super) fn error(&mut self, path: ValuePath, message: impl Into<String>, help: impl Into<String>) {
        let help = help.into();
        self.findings.push(Finding {
            severity: Severity::Error,
            path,
            message: message.into(),
            help: (!help.is_empty()).then_some(help),
            related: None,
        });
    }

    pub(super) fn warning(&mut self, path: ValuePath, message: impl Into<String>, help: impl Into<String>) {
        self.error(path, message, help);
        if let Some(last) = self.findings.last_mut() {
            last.severity = Severity::Warning;
        }
    }

    pub(super) fn related(&mut self, path: ValuePath, note: impl Into<String>) {
        if let Some(last) = self.findings.last_mut() {
            last.related = Some((path, note.into()));
        }
    }

    pub(super) fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Checks names are unique and not empty; returns name → index.
    pub(super) fn unique_names<'a>(
        &mut self,
        list: &'static str,
        field: &'static str,
        what: &str,
        names: impl Iterator<Item = &'a str>,
    ) -> HashMap<&'a str, usize> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, name) in names.enumerate() {
            let path = ValuePath::root().field(list).index(i).field(field);
            if name.trim().is_empty() {
                self.error(
                    path,
                    format!("{what} {} has an empty {field}", i + 1),
                    format!("give every {what} a {field}"),
                );
            } else if let Some(&first) = seen.get(name) {
                self.error(
                    path,
                    format!("duplicate {what} {field} {name:?}"),
                    format!("{what} {field}s must be unique; rename one"),
                );
                self.related(ValuePath::root().field(list).index(first).field(field), "first used here");
            } else {
                seen.insert(name, i);
            }
        }
        seen
    }

    pub(super) fn positive(&mut self, path: ValuePath, what: &str, value: f32) -> bool {
        if value.is_finite() && value > 0.0 {
            return true;
        }
        self.error(path, format!("{what} must be a positive number of metres, found {value}"), "");
        false
    }

    pub(super) fn rect(&mut self, path: &ValuePath, what: &str, r: &Rect, floor: &Rect) {
        let finite = [r.x, r.y].iter().all(|v| v.is_finite());
        let sized = self.positive(path.field("width"), &format!("{what} width"), r.width)
            & self.positive(path.field("depth"), &format!("{what} depth"), r.depth);
        if !finite {
            self.error(
                path.clone(),
                format!("{what} corner ({}, {}) is not a finite position", r.x, r.y),
                "",
            );
        } else if sized && !floor.contains(r, TOLERANCE) {
            self.error(
                path.clone(),
                format!("{what} ({r}) extends beyond the floor ({floor})"),
                "move it inside the floor or enlarge `floor`",
            );
        }
    }
}

/// Where a module's id or address came from, for pointing at it.
#[derive(Clone, Copy)]
pub(super) struct Origin {
    pub(super) rack: usize,
    pub(super) override_index: Option<usize>,
}

impl Origin {
    pub(super) fn path(self, layout_field: &'static str, override_field: &'static str) -> ValuePath {
        let rack = ValuePath::root().field("racks").index(self.rack);
        match self.override_index {
            Some(k) => rack.field("overrides").index(k).field(override_field),
            None => rack.field(layout_field),
        }
    }
}

/// A conflict between two racks, counted over all modules it affects.
pub(super) struct Conflict {
    pub(super) count: usize,
    pub(super) example: String,
    pub(super) first: Origin,
    pub(super) second: Origin,
}

pub(super) fn count_conflict(
    map: &mut BTreeMap<(usize, usize), Conflict>,
    first: Origin,
    second: Origin,
    example: impl FnOnce() -> String,
) {
    map.entry((first.rack, second.rack)).and_modify(|c| c.count += 1).or_insert_with(|| Conflict {
        count: 1,
        example: example(),
        first,
        second,
    });
}
