//! The `picktwin` binary as a user runs it: `check-layout` exit codes, summaries and error
//! positions. The servers (`sim`, `snapshot`) and the twin's runs are in `cli_servers.rs` and
//! `cli_twin.rs`.

use std::path::{Path, PathBuf};

mod common;
use common::{picktwin, text};

/// Number printed after `label` in a summary, with thousands separators removed.
fn count(summary: &str, label: &str) -> usize {
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {summary}"));
    let number: String = line.trim_start()[label.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    number.replace(',', "").parse().unwrap_or_else(|_| panic!("no number in {line:?}"))
}

#[test]
fn check_layout_summarises_pharma_dc() {
    let out = picktwin(&["check-layout", "layouts/pharma_dc.ron"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("layouts/pharma_dc.ron: ok"), "{stdout}");
    assert!(count(&stdout, "modules") >= 10_000, "{stdout}");
    assert_eq!(count(&stdout, "controllers"), 8, "{stdout}");
    assert_eq!(count(&stdout, "zones"), 6, "{stdout}");
    assert!(count(&stdout, "racks") > 0 && count(&stdout, "pickers") >= 30, "{stdout}");
    // Where its orders come from (docs/sources.md).
    assert!(
        stdout.contains(
            "orders       WMS database postgres://picktwin@127.0.0.1:5432/wms, polled every 1000 ms"
        ),
        "{stdout}"
    );
}

#[test]
fn check_layout_checks_several_files() {
    let out = picktwin(&["check-layout", "layouts/demo.ron", "layouts/stress.ron"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("layouts/demo.ron: ok") && stdout.contains("layouts/stress.ron: ok"), "{stdout}");
}

fn broken_copy(name: &str, from: &str, to: &str) -> PathBuf {
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts/demo.ron")).unwrap();
    assert!(src.contains(from));
    let dir = std::env::temp_dir().join(format!("picktwin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, src.replacen(from, to, 1)).unwrap();
    path
}

/// Line and column (from 1) where `needle` first occurs in the file.
fn line_col(path: &Path, needle: &str) -> (usize, usize) {
    let src = std::fs::read_to_string(path).unwrap();
    let at = src.find(needle).unwrap();
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    (src[..at].matches('\n').count() + 1, src[line_start..at].chars().count() + 1)
}

#[test]
fn broken_layout_gives_file_line_col_and_exit_1() {
    let path = broken_copy(
        "unknown-controller.ron",
        "controller: \"ptl-1\",\n            overrides",
        "controller: \"ptl-9\",\n            overrides",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let (line, col) = line_col(&path, "controller: \"ptl-9\"");
    let expected =
        format!("{}:{line}:{col}: error: rack \"A1\" refers to unknown controller \"ptl-9\"", path.display());
    assert!(stderr.starts_with(&expected), "expected {expected:?} in\n{stderr}");
    assert!(stderr.contains("help: known controllers: ptl-1"), "{stderr}");
    assert!(out.stdout.is_empty(), "no summary for an invalid layout");
}

#[test]
fn syntax_error_gives_position() {
    let path = broken_copy(
        "syntax.ron",
        "bays: 5, levels: 5, slots_per_level: 2, bay_width: 1.2",
        "bays: 5 levels: 5, slots_per_level: 2, bay_width: 1.2",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let (line, col) = line_col(&path, "levels: 5, slots_per_level: 2, bay_width: 1.2");
    assert!(
        stderr.starts_with(&format!("{}:{line}:{col}: error: Expected comma", path.display())),
        "{stderr}"
    );
}

#[test]
fn one_bad_file_fails_the_run_but_the_others_are_checked() {
    let out = picktwin(&["check-layout", "layouts/no-such-file.ron", "layouts/demo.ron"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: cannot read layout layouts/no-such-file.ron:"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("layouts/demo.ron: ok"));
}

#[test]
fn help_lists_check_layout() {
    let out = picktwin(&["--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("check-layout"));
    let out = picktwin(&["check-layout", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--deny-warnings"));
    let out = picktwin(&["--help"]);
    assert!(text(&out.stdout).contains("snapshot"));
    // The twin has no way to write to a controller: no flag offers one.
    assert!(!text(&out.stdout).contains("--allow-writes"), "{}", text(&out.stdout));
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let path = broken_copy(
        "dup-location.ron",
        "location_format: \"{rack}-{bay:02}{level}{slot}\"",
        "location_format: \"{bay:02}{level}{slot}\"",
    );
    let out = picktwin(&["check-layout", path.to_str().unwrap()]);
    assert!(out.status.success(), "warnings alone pass: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: rack \"A2\" shows"), "{}", text(&out.stderr));
    let out = picktwin(&["check-layout", "--deny-warnings", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(": warnings denied"), "{}", text(&out.stdout));
}

#[test]
fn bad_start_wall_and_distance_values_are_refused_with_what_to_write() {
    for (args, needle) in [
        (["--start", "25:00"], "write the start as HH:MM from 00:00 to 23:59"),
        (["--start", "9"], "write the start as HH:MM"),
        (["--wall-inches", "3"], "the diagonal must be a number of inches from 10 to 400"),
        (["--viewing-distance", "far"], "the viewing distance must be a number of metres from 0.5 to 50"),
        (["--heat", "week"], "a clock range HH:MM-HH:MM such as 06:00-08:30"),
        (["--heat", "06:00-25:00"], "write hour (picks in the last hour), shift (this shift) or"),
        (["--heat", "06:00-06:00"], "HH:MM-HH:MM such as 06:00-08:30"),
    ] {
        let out = picktwin(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_sparkplug_id_is_refused_with_what_to_write() {
    for id in ["plant/north/extra", "pl+ant", "plant/", ""] {
        let out = picktwin(&["gateway", "--broker", "mqtt://127.0.0.1:1/x", "--sparkplug", id]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{id:?}: {stderr}");
        assert!(
            stderr.contains("write GROUP or GROUP/EDGE_NODE, e.g. picktwin/north-dc"),
            "{id:?}: {stderr}"
        );
    }
}
