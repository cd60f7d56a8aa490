//! Layout errors and warnings a person can act on: file, line, column, what is wrong, how to fix.

use std::fmt;

use crate::source_map::{LineCol, SourceMap, ValuePath};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The layout is unusable until fixed.
    Error,
    /// The layout loads, but something looks wrong.
    Warning,
}

/// A finding before it has a position: where in the value tree, and what.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub severity: Severity,
    pub path: ValuePath,
    pub message: String,
    pub help: Option<String>,
    /// Another place the finding refers to ("first defined here").
    pub related: Option<(ValuePath, String)>,
}

/// One error or warning, positioned in the layout file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The layout file as given by the caller.
    pub file: String,
    /// Line and column of the offending value.
    pub at: LineCol,
    /// The value's path in the layout, e.g. `racks[3].controller` (empty for syntax errors).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Another place involved, with a note.
    pub related: Option<(LineCol, String)>,
    /// The source line, for display.
    pub source_line: String,
}

impl Diagnostic {
    pub(crate) fn from_finding(f: Finding, file: &str, map: &SourceMap<'_>) -> Self {
        let (at, _) = map.locate(&f.path);
        Self {
            severity: f.severity,
            file: file.to_owned(),
            at,
            path: f.path.to_string(),
            message: f.message,
            help: f.help,
            related: f.related.map(|(p, note)| (map.locate(&p).0, note)),
            source_line: map.line_text(at.line).to_owned(),
        }
    }

    /// `file:line:col`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.at.line, self.at.col)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{}: {label}: {}", self.location(), self.message)?;
        let gutter = self.at.line.to_string().len();
        if !self.source_line.is_empty() {
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", self.at.line, self.source_line)?;
            // Tabs keep their width so the caret lines up.
            let pad: String = self
                .source_line
                .chars()
                .take(self.at.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{:gutter$} | {pad}^", "")?;
        }
        if let Some((at, note)) = &self.related {
            writeln!(f, "{:gutter$} = note: {note} ({}:{}:{})", "", self.file, at.line, at.col)?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{:gutter$} = help: {help}", "")?;
        }
        Ok(())
    }
}
