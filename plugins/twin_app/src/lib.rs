//! picktwin's app shell: the windowed twin ([`window`]) and the headless one ([`headless`]),
//! screenshots and `--for` ([`capture`]), frame statistics ([`frame_stats`]), the live twin's
//! recorder and broker status ([`live`]), the data source ([`source`]: simulator or
//! controllers), and the one place where the plugins' system sets are ordered against each
//! other ([`schedule`]).
//!
//! The binary's subcommands only choose options and call these; docs/ARCHITECTURE.md shows
//! how the crates fit together.

pub mod capture;
pub mod frame_stats;
pub mod headless;
pub mod live;
pub mod schedule;
pub mod source;
pub mod window;

use bevy::prelude::*;

pub use capture::{CapturedFrame, LastCapture, RunPlan};
pub use frame_stats::FrameStats;
pub use headless::{HeadlessOptions, headless_app};
pub use live::{LiveRecorder, MqttSource};
pub use source::{Source, SourceOptions, shutdown_signal};
pub use window::{ViewOptions, window_app};

/// The shell's systems, each running only where its resource was inserted (a headless app has
/// no screenshot plan, a replay no recorder), and the cross-plugin order of [`schedule`].
pub struct ShellPlugin;

impl Plugin for ShellPlugin {
    fn build(&self, app: &mut App) {
        schedule::order(app);
        app.add_systems(
            Update,
            (
                (
                    capture::plan_exit.run_if(resource_exists::<RunPlan>),
                    headless::stop_when_asked.run_if(resource_exists::<headless::Console>),
                )
                    // Never in one app together, but both write AppExit: a fixed order.
                    .chain()
                    .in_set(ShellSystems::Run),
                (
                    frame_stats::record_frame_time.run_if(resource_exists::<FrameStats>),
                    headless::print_status.run_if(resource_exists::<headless::Console>),
                )
                    .in_set(ShellSystems::Report),
                window::choose_antialiasing.run_if(resource_exists::<RunPlan>).in_set(ShellSystems::Run),
                (
                    live::sync_recorder.run_if(resource_exists::<LiveRecorder>),
                    live::show_source_lag.run_if(resource_exists::<MqttSource>),
                )
                    .in_set(ShellSystems::Source),
            ),
        )
        .add_systems(
            Last,
            frame_stats::report_frame_stats_on_exit
                .run_if(resource_exists::<frame_stats::ReportFrameStats>)
                .in_set(ShellSystems::Report),
        );
    }
}

/// The shell's systems.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShellSystems {
    /// Screenshots, `--for`, signals, window set-up (Update).
    Run,
    /// Frame statistics and status lines (Update; the report at exit in Last).
    Report,
    /// The recorder switch and the broker's status in the top bar (Update).
    Source,
}
