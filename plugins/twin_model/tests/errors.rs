//! Validation errors of the file itself: syntax, unknown and missing fields, values that do
//! not parse (colours, location formats, shift starts), rendering, and garbage.

mod common;
use common::*;
use twin_model::Site;

#[test]
fn base_layout_is_valid() {
    let site = Site::from_ron(BASE, "base.ron").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(site.modules.len(), 16);
    assert!(site.warnings.is_empty(), "{:?}", site.warnings);
}

#[test]
fn syntax_error_has_position() {
    let src = edit(&[("name: \"test site\",", "name: \"test site\"")]);
    let d = expect_one(&src, "", pos(&src, "floor", 0));
    assert!(d.to_string().starts_with("broken.ron:3:5: error: "), "{d}");
}

#[test]
fn unknown_field_is_named() {
    let src = edit(&[(
        "bay_width: 1.0, level_height: 0.4, depth: 0.6, controller: \"c1\"),\n        Rack(id: \"R2\"",
        "bay_widht: 1.0, level_height: 0.4, depth: 0.6, controller: \"c1\"),\n        Rack(id: \"R2\"",
    )]);
    let d = expect_one(&src, "bay_widht", pos(&src, "bay_widht", 0));
    assert!(d.help.as_deref().unwrap_or("").contains("spelling"));
}

#[test]
fn missing_field_is_named() {
    let src = edit(&[("facing: South, ", "")]);
    let errs = errors(&src);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("facing"), "{}", errs[0]);
    assert_eq!(errs[0].at.line, pos(&src, "Rack(id: \"R2\"", 0).0 + 1, "{}", errs[0]);
}

#[test]
fn bad_colour_is_explained() {
    let src = edit(&[("\"#4f8fd8\"", "\"blue\"")]);
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let d = &errs[0];
    assert!(d.message.contains("colour \"blue\" is not of the form \"#rrggbb\""), "{d}");
    // ron points into the offending value.
    let (line, col) = pos(&src, "\"blue\"", 0);
    assert_eq!(d.at.line, line, "{d}");
    assert!((col..col + 6).contains(&d.at.col), "{d}");
}

#[test]
fn bad_location_format() {
    let src = edit(&[("    zones: [", "    location_format: \"{rack}-{shelf}\",\n    zones: [")]);
    expect_one(&src, "unknown placeholder `{shelf}`", pos(&src, "location_format", 0));
}

#[test]
fn errors_render_with_source_and_caret() {
    let src = edit(&[("aisle: \"A1\", origin: (x: 2.0, y: 5.0)", "aisle: \"A9\", origin: (x: 2.0, y: 5.0)")]);
    let text = errors(&src)[0].to_string();
    let (line, col) = pos(&src, "aisle: \"A9\"", 0);
    assert!(
        text.starts_with(&format!(
            "broken.ron:{line}:{col}: error: rack \"R2\" refers to unknown aisle \"A9\""
        )),
        "{text}"
    );
    assert!(text.contains(&format!("{line} |         Rack(id: \"R2\", aisle: \"A9\"")), "{text}");
    assert!(text.contains(&format!("   | {}^", " ".repeat(col - 1))), "{text}");
    assert!(text.contains("= help: known aisles: A1"), "{text}");
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "(",
        "Site(",
        "Site(name: 1)",
        "[[[[",
        "\u{0}",
        "Site(name: \"x\", floor: (width: -1.0, depth: nan))",
    ];
    for input in inputs {
        assert!(Site::from_ron(input, "g.ron").is_err());
    }
    // Every prefix of a valid layout fails cleanly.
    for end in (0..BASE.len()).step_by(7).filter(|&e| BASE.is_char_boundary(e)) {
        assert!(Site::from_ron(&BASE[..end], "prefix.ron").is_err());
    }
}

#[test]
fn bad_shift_start() {
    let src = edit(&[("    zones: [", "    shifts: [\"06:00\", \"25:00\"],\n    zones: [")]);
    let d = expect_one(
        &src,
        "bad shift start \"25:00\": expected HH:MM from 00:00 to 23:59",
        pos(&src, "\"25:00\"", 0),
    );
    assert!(d.help.unwrap().contains("HH:MM"));
}
