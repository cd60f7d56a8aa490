//! Location text templates: what the green display of each module shows, e.g. `{rack}-{bay:02}`.
//!
//! A template is parsed once per rack and rendered per module without re-parsing, so expanding
//! a 100,000-module site stays a few milliseconds.

use std::fmt::Write as _;

/// A value a template can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Zone name.
    Zone,
    /// Aisle name.
    Aisle,
    /// Rack id.
    Rack,
    /// Bay number, from 1.
    Bay,
    /// Level number, from 1.
    Level,
    /// Slot number, from 1.
    Slot,
    /// Module id.
    Id,
    /// Module address on its controller.
    Address,
}

const FIELDS: &[(&str, Field)] = &[
    ("zone", Field::Zone),
    ("aisle", Field::Aisle),
    ("rack", Field::Rack),
    ("bay", Field::Bay),
    ("level", Field::Level),
    ("slot", Field::Slot),
    ("id", Field::Id),
    ("address", Field::Address),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value { field: Field, width: usize },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationFormat {
    parts: Vec<Part>,
}

/// The values of one module.
#[derive(Debug, Clone, Copy)]
pub struct LocationValues<'a> {
    /// Zone name.
    pub zone: &'a str,
    /// Aisle name.
    pub aisle: &'a str,
    /// Rack id.
    pub rack: &'a str,
    /// Bay from 1.
    pub bay: u16,
    /// Level from 1.
    pub level: u16,
    /// Slot from 1.
    pub slot: u16,
    /// Module id.
    pub id: u32,
    /// Address on its controller.
    pub address: u16,
}

impl LocationFormat {
    /// Parses a template: text with `{field}` or `{field:0N}` (zero-padded to N digits).
    /// `{{` and `}}` stand for literal braces.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = template.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` at character {} of {template:?}; write `}}}}` for a literal brace",
                        at + 1
                    ));
                }
                '{' => {
                    let rest = &template[at + 1..];
                    let close = rest
                        .find('}')
                        .ok_or_else(|| format!("unclosed `{{` at character {} of {template:?}", at + 1))?;
                    let spec = &rest[..close];
                    let (name, width) = match spec.split_once(':') {
                        Some((name, pad)) => {
                            let digits = pad
                                .strip_prefix('0')
                                .filter(|d| !d.is_empty())
                                .and_then(|d| d.parse::<usize>().ok());
                            match digits {
                                Some(w) if w <= 9 => (name, w),
                                _ => {
                                    return Err(format!(
                                        "`{{{spec}}}` in {template:?}: padding must be written `:0N` with N from 1 to 9, e.g. `{{{name}:02}}`"
                                    ));
                                }
                            }
                        }
                        None => (spec, 0),
                    };
                    let field =
                        FIELDS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f).ok_or_else(|| {
                            let known: Vec<_> = FIELDS.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                            format!(
                                "unknown placeholder `{{{name}}}` in {template:?}; known: {}",
                                known.join(", ")
                            )
                        })?;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Value { field, width });
                    // Skip the spec and the closing brace.
                    for _ in 0..spec.chars().count() + 1 {
                        chars.next();
                    }
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { parts })
    }

    /// Appends the location text of one module to `out`.
    pub fn render_into(&self, v: &LocationValues<'_>, out: &mut String) {
        for part in &self.parts {
            // Writing into a String cannot fail.
            let _ = match part {
                Part::Text(t) => {
                    out.push_str(t);
                    Ok(())
                }
                Part::Value { field, width } => match field {
                    Field::Zone => write!(out, "{:>width$}", v.zone),
                    Field::Aisle => write!(out, "{:>width$}", v.aisle),
                    Field::Rack => write!(out, "{:>width$}", v.rack),
                    Field::Bay => write!(out, "{:0width$}", v.bay),
                    Field::Level => write!(out, "{:0width$}", v.level),
                    Field::Slot => write!(out, "{:0width$}", v.slot),
                    Field::Id => write!(out, "{:0width$}", v.id),
                    Field::Address => write!(out, "{:0width$}", v.address),
                },
            };
        }
    }

    /// The location text of one module.
    pub fn render(&self, v: &LocationValues<'_>) -> String {
        let mut s = String::new();
        self.render_into(v, &mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> LocationValues<'static> {
        LocationValues {
            zone: "COLD",
            aisle: "C2",
            rack: "C2L",
            bay: 3,
            level: 2,
            slot: 4,
            id: 17,
            address: 9,
        }
    }

    #[test]
    fn renders_fields_with_padding() {
        let f = LocationFormat::parse("{aisle}-{bay:02}-{level}{slot} #{id:05}/{address}").unwrap();
        assert_eq!(f.render(&values()), "C2-03-24 #00017/9");
    }

    #[test]
    fn literal_braces() {
        let f = LocationFormat::parse("{{{rack}}}").unwrap();
        assert_eq!(f.render(&values()), "{C2L}");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = LocationFormat::parse("{rack}-{shelf}").unwrap_err();
        assert!(e.contains("unknown placeholder `{shelf}`"), "{e}");
        assert!(e.contains("{bay}"), "{e}");
        assert!(LocationFormat::parse("{rack").unwrap_err().contains("unclosed"));
        assert!(LocationFormat::parse("rack}").unwrap_err().contains("unmatched"));
        assert!(LocationFormat::parse("{bay:2}").unwrap_err().contains(":0N"));
        assert!(LocationFormat::parse("{bay:0x}").unwrap_err().contains(":0N"));
    }

    #[test]
    fn non_ascii_text_is_kept() {
        let f = LocationFormat::parse("Ä{slot}").unwrap();
        assert_eq!(f.render(&values()), "Ä4");
    }
}
