//! Where things are in a RON file: maps a value path (`racks[3].controller`) to line and column.
//!
//! `ron` reports positions for syntax and type errors only; semantic errors (duplicate ids,
//! overlapping racks) are found after deserialising, when positions are gone. This module
//! re-reads the text into a tree of spans, tolerant of anything `ron` accepted, and is only
//! built when there is something to report, so a clean load never pays for it.

use std::fmt;

/// One step of a path into a layout: a struct field or a list index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A named field of a struct.
    Field(&'static str),
    /// An element of a list.
    Index(usize),
}

/// A path from the document root to a value, e.g. `racks[3].overrides[0].id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ValuePath(Vec<Seg>);

impl ValuePath {
    /// The document root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a field.
    #[must_use]
    pub fn field(&self, name: &'static str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Field(name));
        Self(segs)
    }

    /// This path extended by a list index.
    #[must_use]
    pub fn index(&self, i: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(i));
        Self(segs)
    }

    /// The steps of this path.
    pub fn segments(&self) -> &[Seg] {
        &self.0
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Field(name) if i == 0 => write!(f, "{name}")?,
                Seg::Field(name) => write!(f, ".{name}")?,
                Seg::Index(idx) => write!(f, "[{idx}]")?,
            }
        }
        Ok(())
    }
}

/// A line and column, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

#[derive(Debug)]
enum Kind {
    Leaf,
    Seq(Vec<Node>),
    /// Struct fields: name, byte offset of the name, value.
    Fields(Vec<(String, usize, Node)>),
}

#[derive(Debug)]
struct Node {
    start: usize,
    kind: Kind,
}

/// The span tree of one RON document plus its line starts.
#[derive(Debug)]
pub struct SourceMap<'a> {
    src: &'a str,
    root: Option<Node>,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    /// Indexes `src`. Never fails: text it cannot follow leaves the rest unmapped, and lookups
    /// then fall back to the nearest mapped ancestor.
    pub fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let mut parser = Parser { src: src.as_bytes(), pos: 0 };
        parser.skip_trivia();
        let root = parser.value(0);
        Self { src, root, line_starts }
    }

    /// Line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.src[start..offset].chars().count() + 1;
        LineCol { line, col }
    }

    /// The text of a line (1-based), without its newline.
    pub fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).map_or(self.src.len(), |&e| e);
        self.src[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Where `path` is written: the field name for a field, the value for a list element.
    /// A path that is not written (a defaulted field) resolves to its nearest written ancestor;
    /// the second value says whether the whole path was found.
    pub fn locate(&self, path: &ValuePath) -> (LineCol, bool) {
        let Some(mut node) = self.root.as_ref() else {
            return (LineCol { line: 1, col: 1 }, false);
        };
        let mut offset = node.start;
        for seg in path.segments() {
            let next = match (seg, &node.kind) {
                (Seg::Field(name), Kind::Fields(fields)) => {
                    fields.iter().find(|(n, _, _)| n == name).map(|(_, key_at, value)| (*key_at, value))
                }
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i).map(|n| (n.start, n)),
                _ => None,
            };
            match next {
                Some((at, child)) => {
                    offset = at;
                    node = child;
                }
                None => return (self.line_col(offset), false),
            }
        }
        (self.line_col(offset), true)
    }
}

struct Parser<'s> {
    src: &'s [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(), self.src.get(self.pos + 1).copied()) {
                (Some(c), _) if c.is_ascii_whitespace() => self.pos += 1,
                (Some(b'/'), Some(b'/')) => {
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == b'\n' {
                            break;
                        }
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    // RON block comments nest.
                    self.pos += 2;
                    let mut depth = 1;
                    while depth > 0 && self.pos < self.src.len() {
                        if self.src[self.pos..].starts_with(b"/*") {
                            depth += 1;
                            self.pos += 2;
                        } else if self.src[self.pos..].starts_with(b"*/") {
                            depth -= 1;
                            self.pos += 2;
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                (Some(b'#'), Some(b'!')) => {
                    // `#![enable(...)]` attribute: skip to its closing bracket.
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == b']' {
                            break;
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_trivia();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<(usize, String)> {
        self.skip_trivia();
        let start = self.pos;
        if self.src[self.pos..].starts_with(b"r#") {
            self.pos += 2;
        }
        let id_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        if self.pos == id_start || self.src[id_start].is_ascii_digit() {
            self.pos = start;
            return None;
        }
        let text = String::from_utf8_lossy(&self.src[id_start..self.pos]).into_owned();
        Some((start, text))
    }

    fn string(&mut self) {
        // At `"`: skip to the closing quote, honouring escapes.
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\\' => self.pos += 1,
                b'"' => return,
                _ => {}
            }
        }
    }

    fn at_raw_string(&self) -> bool {
        // `r"..."` or `r#"..."#`, but not the raw identifier `r#name`.
        let rest = &self.src[self.pos + 1..];
        let hashes = rest.iter().take_while(|&&c| c == b'#').count();
        rest.get(hashes) == Some(&b'"')
    }

    fn raw_string(&mut self) {
        // At `r`: r#*"..."#*
        self.pos += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        self.pos += 1; // opening quote
        while self.pos < self.src.len() {
            if self.src[self.pos] == b'"'
                && self.src[self.pos + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes
            {
                self.pos += 1 + hashes;
                return;
            }
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > 256 {
            return None;
        }
        self.skip_trivia();
        let start = self.pos;
        match self.peek()? {
            b'[' => {
                self.pos += 1;
                let items = self.items(b']', depth)?;
                Some(Node { start, kind: Kind::Seq(items) })
            }
            b'{' => {
                // Maps are not addressed by path; step over their entries.
                self.pos += 1;
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    self.value(depth + 1)?;
                    if self.eat(b':') {
                        self.value(depth + 1)?;
                    }
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            break;
                        }
                        return None;
                    }
                }
                Some(Node { start, kind: Kind::Leaf })
            }
            b'(' => {
                self.pos += 1;
                self.paren_body(start, depth)
            }
            b'"' => {
                self.string();
                Some(Node { start, kind: Kind::Leaf })
            }
            b'\'' => {
                self.pos += 1;
                if self.peek() == Some(b'\\') {
                    self.pos += 1;
                }
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == b'\'' {
                        break;
                    }
                }
                Some(Node { start, kind: Kind::Leaf })
            }
            b'r' if self.at_raw_string() => {
                self.raw_string();
                Some(Node { start, kind: Kind::Leaf })
            }
            b'b' if self.src.get(self.pos + 1) == Some(&b'"') => {
                self.pos += 1;
                self.string();
                Some(Node { start, kind: Kind::Leaf })
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let (_, name) = self.ident()?;
                self.skip_trivia();
                if self.peek() == Some(b'(') {
                    self.pos += 1;
                    let node = self.paren_body(start, depth)?;
                    if name == "Some" {
                        // `Some(x)` is transparent for paths: the option's value is `x`.
                        if let Kind::Seq(mut inner) = node.kind
                            && inner.len() == 1
                        {
                            let mut x = inner.pop()?;
                            x.start = start;
                            return Some(x);
                        }
                        return Some(Node { start, kind: Kind::Leaf });
                    }
                    Some(node)
                } else {
                    Some(Node { start, kind: Kind::Leaf })
                }
            }
            _ => {
                // Numbers and anything else atomic.
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-'))
                {
                    self.pos += 1;
                }
                (self.pos > start).then_some(Node { start, kind: Kind::Leaf })
            }
        }
    }

    /// After `(`: a struct body (`name: value, ...`) or a tuple body.
    fn paren_body(&mut self, start: usize, depth: usize) -> Option<Node> {
        let save = self.pos;
        let is_struct = match self.ident() {
            Some(_) => self.eat(b':'),
            None => false,
        };
        self.pos = save;
        if !is_struct {
            let items = self.items(b')', depth)?;
            return Some(Node { start, kind: Kind::Seq(items) });
        }
        let mut fields = Vec::new();
        loop {
            if self.eat(b')') {
                break;
            }
            let (key_at, name) = self.ident()?;
            if !self.eat(b':') {
                return None;
            }
            let value = self.value(depth + 1)?;
            fields.push((name, key_at, value));
            if !self.eat(b',') {
                if self.eat(b')') {
                    break;
                }
                return None;
            }
        }
        Some(Node { start, kind: Kind::Fields(fields) })
    }

    fn items(&mut self, close: u8, depth: usize) -> Option<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.value(depth + 1)?);
            if !self.eat(b',') {
                return self.eat(close).then_some(items);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r##"#![enable(implicit_some)]
// a comment with ( and [ in it
Site(
    name: "x", /* nested /* block */ comment */
    racks: [
        Rack(id: "A", overrides: [(bay: 1, id: Some(7))]),
        (id: r#"B"#, origin: (x: 1.5, y: -2e3)),
    ],
)
"##;

    #[test]
    fn locates_fields_and_elements() {
        let map = SourceMap::new(DOC);
        let racks = ValuePath::root().field("racks");
        assert_eq!(map.locate(&racks), (LineCol { line: 5, col: 5 }, true));
        assert_eq!(map.locate(&racks.index(1)), (LineCol { line: 7, col: 9 }, true));
        let id = racks.index(0).field("overrides").index(0).field("id");
        assert_eq!(map.locate(&id), (LineCol { line: 6, col: 44 }, true));
        let y = racks.index(1).field("origin").field("y");
        assert_eq!(map.locate(&y), (LineCol { line: 7, col: 39 }, true));
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let map = SourceMap::new(DOC);
        let path = ValuePath::root().field("racks").index(0).field("controller");
        assert_eq!(map.locate(&path), (LineCol { line: 6, col: 9 }, false));
        assert_eq!(map.line_text(6).trim_start(), r#"Rack(id: "A", overrides: [(bay: 1, id: Some(7))]),"#);
    }

    #[test]
    fn garbage_does_not_panic() {
        for src in ["", "(", "Site(name: ", "[1, 2", "r#\"", "\"abc", "/* open", "(a: [(b: {1: 2}"] {
            let map = SourceMap::new(src);
            let _ = map.locate(&ValuePath::root().field("a").index(0));
        }
    }

    #[test]
    fn path_displays_like_code() {
        let p = ValuePath::root().field("racks").index(2).field("id");
        assert_eq!(p.to_string(), "racks[2].id");
    }
}
