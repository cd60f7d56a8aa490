//! The running link as its owner sees it: building it with endpoints and subscribers, the
//! poller thread, commands (refused unless writes are allowed) and stopping.

use super::*;

/// A running link: the poller thread and the channels out of it.
pub struct Link {
    pub(super) view: Option<ViewReceiver>,
    pub(super) commands: Vec<tokio::sync::mpsc::UnboundedSender<LinkCommand>>,
    pub(super) module_controller: Vec<u16>,
    pub(super) allow_writes: bool,
    pub(super) coalesced: Arc<std::sync::atomic::AtomicU64>,
    pub(super) outbox: SharedOutbox,
    pub(super) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
}

/// Builds a [`Link`]: subscribers are attached before the first message flows.
pub struct LinkBuilder {
    pub(super) site: Arc<Site>,
    pub(super) endpoints: HashMap<usize, String>,
    pub(super) options: LinkOptions,
    pub(super) lossless: Vec<Sender<LinkMessage>>,
}

impl LinkBuilder {
    /// Points controller `index` at `endpoint` (`host:port`) instead of the layout's address.
    pub fn endpoint(mut self, index: usize, endpoint: impl Into<String>) -> Self {
        self.endpoints.insert(index, endpoint.into());
        self
    }

    /// Sets the options.
    pub fn options(mut self, options: LinkOptions) -> Self {
        self.options = options;
        self
    }

    /// A subscriber that receives every message, never coalesced (the recorder). At most
    /// [`LOSSLESS_CAPACITY`] messages wait for it: a subscriber that falls that far behind
    /// loses the messages that do not fit, and the next one it gets is [`LinkEvent::Lost`] with
    /// their number, so nothing is lost silently and memory stays bounded (and is used only
    /// while it is behind).
    pub fn lossless(&mut self) -> Receiver<LinkMessage> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.lossless.push(tx);
        rx
    }

    /// Starts the poller thread.
    pub fn spawn(self) -> io::Result<Link> {
        let (view_tx, view_rx) = view_channel(self.options.view_batches);
        let coalesced = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let outbox = Arc::new(Mutex::new(Outbox::new(view_tx, self.lossless, coalesced.clone())));
        let targets = targets(&self.site, &self.endpoints);
        let mut module_controller = vec![0u16; self.site.modules.len()];
        for t in &targets {
            for &(_, m) in &t.modules {
                module_controller[m as usize] = t.index;
            }
        }
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut command_txs = Vec::new();
        let mut command_rxs = Vec::new();
        for _ in &targets {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            command_txs.push(tx);
            command_rxs.push(rx);
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let options = self.options.clone();
        let flush_outbox = outbox.clone();
        let handle_outbox = outbox.clone();
        let thread = std::thread::Builder::new().name("picktwin-link".into()).spawn(move || {
            runtime.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for (t, rx) in targets.into_iter().zip(command_rxs) {
                    tasks.spawn(run_controller(t, options.clone(), outbox.clone(), rx));
                }
                // Pending coalesced states drain as soon as the view makes room, not only when
                // the next change arrives.
                tasks.spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(10));
                    loop {
                        tick.tick().await;
                        flush_outbox.lock().unwrap_or_else(PoisonError::into_inner).ship();
                    }
                });
                let _ = stop_rx.await;
                tasks.shutdown().await;
            });
        })?;
        Ok(Link {
            view: Some(view_rx),
            commands: command_txs,
            module_controller,
            allow_writes: self.options.allow_writes,
            coalesced,
            outbox: handle_outbox,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Link {
    /// A link for `site`, polling the layout's controller addresses by default.
    pub fn builder(site: Arc<Site>) -> LinkBuilder {
        LinkBuilder { site, endpoints: HashMap::new(), options: LinkOptions::default(), lossless: Vec::new() }
    }

    /// Takes the view channel (bounded, coalescing, batched); `None` once taken.
    pub fn take_view(&mut self) -> Option<ViewReceiver> {
        self.view.take()
    }

    /// A handle for other site data sources to publish through (the view, the recorder and
    /// the gateway see their messages as they see the controllers').
    pub fn publisher(&self) -> Publisher {
        Publisher { outbox: self.outbox.clone() }
    }

    /// Module states replaced by a newer one while the view was full.
    pub fn coalesced(&self) -> u64 {
        self.coalesced.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sends a write command; refused unless the link allows writes.
    pub fn command(&self, cmd: LinkCommand) -> Result<(), CommandError> {
        if !self.allow_writes {
            return Err(CommandError::ReadOnly);
        }
        let controller = match cmd {
            LinkCommand::Acknowledge { module } => {
                *self.module_controller.get(module as usize).ok_or(CommandError::Unknown)?
            }
            LinkCommand::LampTest { controller } => controller,
        };
        let tx = self.commands.get(usize::from(controller)).ok_or(CommandError::Unknown)?;
        tx.send(cmd).map_err(|_| CommandError::Stopped)
    }

    /// Stops the poller and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    pub(super) fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.shutdown();
    }
}
