//! The recorder in the background: on its own thread fed by the link's lossless receiver
//! ([`RecorderThread`]), and switched on and off from the UI while the twin runs
//! ([`RecorderSwitch`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use twin_link::LinkMessage;
use twin_model::Site;

use crate::recorder::{Recorder, RecorderOptions, Summary};
use crate::state::TwinState;

/// A recorder on its own thread, fed by the link's lossless receiver.
pub struct RecorderThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<std::io::Result<Summary>>>,
}

impl RecorderThread {
    /// Starts recording `rx` into `recorder`; time counts from now.
    pub fn spawn(mut recorder: Recorder, rx: Receiver<LinkMessage>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new().name("picktwin-recorder".into()).spawn(move || {
            let start = Instant::now();
            let now = || start.elapsed().as_millis() as u64;
            loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(msg) => {
                        recorder.record(now(), msg)?;
                        // Drain what is queued without waiting.
                        while let Ok(msg) = rx.try_recv() {
                            recorder.record(now(), msg)?;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => recorder.tick(now())?,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                if flag.load(Ordering::Relaxed) {
                    // Whatever is already queued is still recorded.
                    while let Ok(msg) = rx.try_recv() {
                        recorder.record(now(), msg)?;
                    }
                    break;
                }
            }
            recorder.finish(now())
        })?;
        Ok(Self { stop, handle: Some(handle) })
    }

    /// Stops after recording what is queued; returns what was written.
    pub fn stop(mut self) -> std::io::Result<Summary> {
        self.stop.store(true, Ordering::Relaxed);
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the recorder thread panicked")),
            None => Ok(Summary::default()),
        }
    }
}

/// What a [`RecorderSwitch`] is doing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SwitchStatus {
    /// The file being written, while recording.
    pub recording: Option<PathBuf>,
    /// Bytes written to it so far.
    pub bytes: u64,
    /// The last failure (cannot create the file, disk full).
    pub error: Option<String>,
}

enum SwitchCommand {
    Start(PathBuf),
    Stop,
}

/// A recorder that can be switched on and off while the link runs (the GUI's record button):
/// it always follows the link's lossless path, keeping the state, so a recording started at
/// any moment begins with a complete keyframe.
pub struct RecorderSwitch {
    commands: crossbeam_channel::Sender<SwitchCommand>,
    status: Arc<std::sync::Mutex<SwitchStatus>>,
    handle: Option<JoinHandle<()>>,
}

impl RecorderSwitch {
    /// Follows `rx` on its own thread; records nothing until [`RecorderSwitch::start`].
    pub fn spawn(
        site: Arc<Site>,
        rx: Receiver<LinkMessage>,
        options: RecorderOptions,
    ) -> std::io::Result<Self> {
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let status = Arc::new(std::sync::Mutex::new(SwitchStatus::default()));
        let shared = status.clone();
        let handle = std::thread::Builder::new().name("picktwin-recorder".into()).spawn(move || {
            let mut state = TwinState::for_site(&site);
            let mut on: Option<(Recorder, Instant)> = None;
            let set = |f: &mut dyn FnMut(&mut SwitchStatus)| {
                if let Ok(mut s) = shared.lock() {
                    f(&mut s);
                }
            };
            loop {
                crossbeam_channel::select! {
                    recv(rx) -> msg => {
                        let Ok(msg) = msg else { break };
                        state.apply(&msg);
                        if let Some((r, start)) = on.as_mut() {
                            let t = start.elapsed().as_millis() as u64;
                            if let Err(e) = r.record(t, msg) {
                                set(&mut |s| { s.error = Some(e.to_string()); s.recording = None; });
                                on = None;
                            } else {
                                let bytes = r.summary.bytes;
                                set(&mut |s| s.bytes = bytes);
                            }
                        }
                    }
                    recv(command_rx) -> cmd => match cmd {
                        Ok(SwitchCommand::Start(path)) if on.is_none() => {
                            match Recorder::create_from(site.clone(), &path, options.clone(), state.clone()) {
                                Ok(r) => {
                                    tracing::info!("recording to {}", path.display());
                                    set(&mut |s| { s.recording = Some(path.clone()); s.error = None; s.bytes = 0; });
                                    on = Some((r, Instant::now()));
                                }
                                Err(e) => set(&mut |s| s.error = Some(e.to_string())),
                            }
                        }
                        Ok(SwitchCommand::Stop) | Err(_) => {
                            if let Some((r, start)) = on.take() {
                                match r.finish(start.elapsed().as_millis() as u64) {
                                    Ok(sum) => tracing::info!("recording stopped: {} bytes", sum.bytes),
                                    Err(e) => set(&mut |s| s.error = Some(e.to_string())),
                                }
                            }
                            set(&mut |s| s.recording = None);
                            if cmd.is_err() {
                                break;
                            }
                        }
                        Ok(SwitchCommand::Start(_)) => {}
                    },
                    default(Duration::from_millis(200)) => {
                        if let Some((r, start)) = on.as_mut()
                            && let Err(e) = r.tick(start.elapsed().as_millis() as u64)
                        {
                            set(&mut |s| s.error = Some(e.to_string()));
                        }
                    }
                }
            }
            if let Some((r, start)) = on.take() {
                let _ = r.finish(start.elapsed().as_millis() as u64);
            }
        })?;
        Ok(Self { commands, status, handle: Some(handle) })
    }

    /// Starts recording to `path` (ignored while recording).
    pub fn start(&self, path: PathBuf) {
        let _ = self.commands.send(SwitchCommand::Start(path));
    }

    /// Stops recording (the file is complete and closed).
    pub fn stop(&self) {
        let _ = self.commands.send(SwitchCommand::Stop);
    }

    /// What it is doing.
    pub fn status(&self) -> SwitchStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for RecorderSwitch {
    fn drop(&mut self) {
        // Replacing the sender drops the thread's command channel: it finishes any recording
        // and ends.
        let (tx, _) = crossbeam_channel::bounded::<SwitchCommand>(0);
        drop(std::mem::replace(&mut self.commands, tx));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for RecorderThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
