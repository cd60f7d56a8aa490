//! The Modbus poller: one persistent connection per controller on the link's own thread (a
//! tokio runtime), every connect and request under a timeout, reconnect with capped
//! exponential backoff, stale detection, and only changes sent on.
//!
//! tokio-modbus has neither timeouts nor reconnects, and a reply arriving after a timeout would
//! be taken as the answer to the next request, so any timeout or transport error drops the
//! connection. A Modbus exception keeps it.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender};
use tokio::net::TcpStream;
use tokio_modbus::client::{Client as _, Context};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, Slave};
use twin_model::register_map::Table;
use twin_model::{ModuleIndex, RegisterMap, Site, codes};

use crate::channel::{MAX_BATCH, Shipped, ViewReceiver, ViewSender, view_channel};
use crate::plan::{Block, PlanInput, Read, ReadPlan, plan};
use crate::reading::{
    ConnectionState, ControllerHealth, Image, LinkEvent, LinkMessage, ModuleReading, OrderSlot,
    PickerReading, decode_module, decode_order, decode_picker,
};

/// How the link behaves.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Limit for every connect and every request.
    pub timeout: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Batches (of up to 4096 messages) the view channel holds; beyond it, states coalesce.
    pub view_batches: usize,
    /// Whether write commands (acknowledge, lamp test) may reach controllers.
    pub allow_writes: bool,
    /// Poll every controller at this interval instead of the layout's (benchmarks).
    pub interval_override: Option<Duration>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            view_batches: 64,
            allow_writes: false,
            interval_override: None,
        }
    }
}

/// A write the user asked for explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCommand {
    /// Clear a module's confirm and shortage latches (acknowledge coil).
    Acknowledge {
        /// Module.
        module: ModuleIndex,
    },
    /// Lamp test on a controller (every module shows 8s for a few seconds).
    LampTest {
        /// Controller index.
        controller: u16,
    },
}

/// Why the link refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The link was started read-only.
    #[error(
        "picktwin is read-only: it never writes to a controller unless started with --allow-writes \
         (needed to acknowledge latches or run a lamp test)"
    )]
    ReadOnly,
    /// The module or controller does not exist.
    #[error("no such module or controller")]
    Unknown,
    /// The link has stopped.
    #[error("the link has stopped")]
    Stopped,
}

/// Where each message goes: the coalescing view channel and any lossless subscribers.
struct Outbox {
    view: ViewSender,
    lossless: Vec<Sender<LinkMessage>>,
    /// Latest state per key waiting for room in the view channel.
    pending_modules: HashMap<ModuleIndex, ModuleReading>,
    pending_pickers: HashMap<u16, PickerReading>,
    pending_orders: HashMap<u16, OrderSlot>,
    pending_health: HashMap<u16, ControllerHealth>,
    pending_events: VecDeque<LinkEvent>,
    coalesced: Arc<std::sync::atomic::AtomicU64>,
}

/// Events kept while the view is full; the oldest are dropped (and counted) past this.
const MAX_PENDING_EVENTS: usize = 10_000;

impl Outbox {
    fn new(
        view: ViewSender,
        lossless: Vec<Sender<LinkMessage>>,
        coalesced: Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        Self {
            view,
            lossless,
            pending_modules: HashMap::new(),
            pending_pickers: HashMap::new(),
            pending_orders: HashMap::new(),
            pending_health: HashMap::new(),
            pending_events: VecDeque::new(),
            coalesced,
        }
    }

    fn publish(&mut self, msg: LinkMessage) {
        self.lossless.retain(|s| s.send(msg.clone()).is_ok());
        if self.has_pending() {
            // Keep order per key: while older states wait, newer ones wait behind them.
            self.coalesce(msg);
            return;
        }
        if let Shipped::Full(batch) = self.view.push(msg) {
            self.coalesce_all(batch);
        }
    }

    /// Sends what is batched (end of a poll cycle, or the periodic flush).
    fn ship(&mut self) {
        if self.has_pending() {
            self.flush();
        }
        if let Shipped::Full(batch) = self.view.ship() {
            self.coalesce_all(batch);
        }
    }

    fn has_pending(&self) -> bool {
        !(self.pending_modules.is_empty()
            && self.pending_pickers.is_empty()
            && self.pending_orders.is_empty()
            && self.pending_health.is_empty()
            && self.pending_events.is_empty())
    }

    fn coalesce_all(&mut self, batch: Vec<LinkMessage>) {
        for msg in batch {
            self.coalesce(msg);
        }
    }

    fn coalesce(&mut self, msg: LinkMessage) {
        let replaced = match msg {
            LinkMessage::Module { module, reading } => self.pending_modules.insert(module, reading).is_some(),
            LinkMessage::Picker { picker, reading } => self.pending_pickers.insert(picker, reading).is_some(),
            LinkMessage::Order { slot, order } => self.pending_orders.insert(slot, order).is_some(),
            LinkMessage::Health { controller, health } => {
                self.pending_health.insert(controller, health).is_some()
            }
            LinkMessage::Event(e) => {
                self.pending_events.push_back(e);
                let over = self.pending_events.len() > MAX_PENDING_EVENTS;
                if over {
                    self.pending_events.pop_front();
                }
                over
            }
        };
        if replaced {
            self.coalesced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Moves pending messages into the view channel while it has room.
    fn flush(&mut self) {
        while self.has_pending() && self.view.has_room() {
            while self.view.batched() < MAX_BATCH {
                let msg = if let Some(e) = self.pending_events.pop_front() {
                    LinkMessage::Event(e)
                } else if let Some(&c) = self.pending_health.keys().next() {
                    let health = self.pending_health.remove(&c).unwrap_or_default();
                    LinkMessage::Health { controller: c, health }
                } else if let Some(&m) = self.pending_modules.keys().next() {
                    let reading = self.pending_modules.remove(&m).unwrap_or_default();
                    LinkMessage::Module { module: m, reading }
                } else if let Some(&p) = self.pending_pickers.keys().next() {
                    let reading = self.pending_pickers.remove(&p).unwrap_or_default();
                    LinkMessage::Picker { picker: p, reading }
                } else if let Some(&o) = self.pending_orders.keys().next() {
                    let order = self.pending_orders.remove(&o).unwrap_or_default();
                    LinkMessage::Order { slot: o, order }
                } else {
                    break;
                };
                self.view.push_unshipped(msg);
            }
            match self.view.ship() {
                Shipped::Sent => {}
                Shipped::Full(batch) => {
                    self.coalesce_all(batch);
                    return;
                }
                Shipped::Closed => return,
            }
        }
    }
}

type SharedOutbox = Arc<Mutex<Outbox>>;

fn publish(outbox: &SharedOutbox, msg: LinkMessage) {
    outbox.lock().unwrap_or_else(PoisonError::into_inner).publish(msg);
}

/// What one controller task polls.
#[derive(Debug, Clone)]
pub struct Target {
    /// Controller index in the layout.
    pub index: u16,
    /// Controller name (for logs and errors).
    pub name: String,
    /// `host:port`.
    pub endpoint: String,
    /// Modbus unit id.
    pub unit: u8,
    /// Poll interval.
    pub interval: Duration,
    /// Its register map.
    pub map: RegisterMap,
    /// `(address, module)` of every module it drives, by address.
    pub modules: Vec<(u16, ModuleIndex)>,
    /// The reads of one cycle.
    pub plan: ReadPlan,
}

/// The poll targets of a site; `endpoints` overrides controller addresses (index, host:port).
pub fn targets(site: &Site, endpoints: &HashMap<usize, String>) -> Vec<Target> {
    site.layout
        .controllers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let map = site.maps[site.controllers[i].map].clone();
            let modules: Vec<(u16, ModuleIndex)> =
                site.controllers[i].modules.iter().map(|&m| (site.modules[m as usize].address, m)).collect();
            let span = modules.last().map_or(0, |(a, _)| a + 1);
            // The layout's first controller also publishes pickers and the order board.
            let first = i == 0;
            let pickers = if first { site.layout.pickers.len().min(usize::from(u16::MAX)) as u16 } else { 0 };
            let plan = plan(&map, PlanInput { span, pickers, board: first });
            Target {
                index: i as u16,
                name: c.name.clone(),
                endpoint: endpoints.get(&i).cloned().unwrap_or_else(|| c.address.clone()),
                unit: c.unit_id,
                interval: Duration::from_millis(u64::from(c.poll_interval_ms)),
                map,
                modules,
                plan,
            }
        })
        .collect()
}

/// Why a poll cycle failed.
#[derive(Debug)]
pub enum PollError {
    /// No answer within the timeout.
    Timeout,
    /// The connection broke or a reply could not be decoded.
    Transport(String),
    /// The reply had fewer values than asked.
    Short {
        /// Asked for.
        asked: u16,
        /// Got.
        got: usize,
    },
    /// The controller answered with an exception.
    Exception {
        /// Function code.
        function: u8,
        /// Exception code.
        code: u8,
        /// First address.
        address: u16,
    },
}

impl std::fmt::Display for PollError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollError::Timeout => write!(f, "no answer within the timeout"),
            PollError::Transport(e) => write!(f, "{e}"),
            PollError::Short { asked, got } => write!(f, "short response: asked for {asked}, got {got}"),
            PollError::Exception { function, code, address } => {
                write!(f, "exception {code:02X} to function {function:02X} at address {address}")
            }
        }
    }
}

fn exception_code(e: ExceptionCode) -> u8 {
    match e {
        ExceptionCode::IllegalFunction => 1,
        ExceptionCode::IllegalDataAddress => 2,
        ExceptionCode::IllegalDataValue => 3,
        ExceptionCode::ServerDeviceFailure => 4,
        ExceptionCode::Acknowledge => 5,
        ExceptionCode::ServerDeviceBusy => 6,
        ExceptionCode::MemoryParityError => 8,
        ExceptionCode::GatewayPathUnavailable => 0x0A,
        ExceptionCode::GatewayTargetDevice => 0x0B,
        ExceptionCode::Custom(c) => c,
    }
}

/// Issues one read under the timeout; checks the response length.
async fn read(
    ctx: &mut Context,
    r: Read,
    timeout: Duration,
    latency: &mut Latency,
) -> Result<Vec<u16>, PollError> {
    let started = Instant::now();
    let function = match r.table {
        Table::Coils => 1,
        Table::Discrete => 2,
        Table::Holding => 3,
        Table::Input => 4,
    };
    // `Client::call` rather than the `Reader` helpers: those assert (and panic, in debug
    // builds) on a short bit response; lengths are checked here instead.
    let request = match r.table {
        Table::Holding => Request::ReadHoldingRegisters(r.start, r.count),
        Table::Input => Request::ReadInputRegisters(r.start, r.count),
        Table::Discrete => Request::ReadDiscreteInputs(r.start, r.count),
        Table::Coils => Request::ReadCoils(r.start, r.count),
    };
    let response = tokio::time::timeout(timeout, ctx.call(request))
        .await
        .map_err(|_| PollError::Timeout)?
        .map_err(|e| PollError::Transport(e.to_string()))?
        .map_err(|e| PollError::Exception { function, code: exception_code(e), address: r.start })?;
    let result: Vec<u16> = match response {
        Response::ReadHoldingRegisters(words) | Response::ReadInputRegisters(words) => words,
        Response::ReadCoils(bits) | Response::ReadDiscreteInputs(bits) => {
            bits.into_iter().map(u16::from).collect()
        }
        other => return Err(PollError::Transport(format!("unexpected response {other:?}"))),
    };
    latency.record(started.elapsed());
    latency.requests += 1;
    // Bit replies are padded to whole bytes; register replies must match exactly.
    let enough = match r.table {
        Table::Holding | Table::Input => result.len() == usize::from(r.count),
        Table::Discrete | Table::Coils => result.len() >= usize::from(r.count),
    };
    if !enough {
        return Err(PollError::Short { asked: r.count, got: result.len() });
    }
    let mut result = result;
    result.truncate(usize::from(r.count));
    Ok(result)
}

/// Request latencies over a sliding window.
#[derive(Debug)]
pub(crate) struct Latency {
    requests: u64,
    ring: [u32; 512],
    len: usize,
    at: usize,
    scratch: [u32; 512],
}

impl Latency {
    fn new() -> Self {
        Self { requests: 0, ring: [0; 512], len: 0, at: 0, scratch: [0; 512] }
    }

    fn record(&mut self, d: Duration) {
        self.ring[self.at] = d.as_micros().min(u128::from(u32::MAX)) as u32;
        self.at = (self.at + 1) % self.ring.len();
        self.len = (self.len + 1).min(self.ring.len());
    }

    /// p50 and p99 in microseconds.
    fn percentiles(&mut self) -> (u32, u32) {
        if self.len == 0 {
            return (0, 0);
        }
        let s = &mut self.scratch[..self.len];
        s.copy_from_slice(&self.ring[..self.len]);
        s.sort_unstable();
        (s[s.len() / 2], s[(s.len() * 99 / 100).min(s.len() - 1)])
    }
}

/// The state of one controller between cycles.
struct Poller {
    target: Target,
    image: Image,
    modules: Vec<ModuleReading>,
    pickers: Vec<PickerReading>,
    orders: Vec<OrderSlot>,
    /// Position in `target.modules` by module address (`u32::MAX`: none).
    by_address: Vec<u32>,
    /// Modules whose registers changed this cycle (positions in `target.modules`), deduplicated.
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    pickers_dirty: bool,
    /// Highest used order slot seen, to read the used prefix of the board every cycle.
    board_high: usize,
    board_rolling: usize,
    health: ControllerHealth,
    last_good: Option<Instant>,
    latency: Latency,
    first_poll: bool,
}

impl Poller {
    fn new(target: Target) -> Self {
        let image = Image::for_plan(&target.plan);
        let n = target.modules.len();
        let pickers = target
            .plan
            .span(Block::Pickers)
            .map_or(0, |s| s.len as usize / usize::from(target.map.pickers.stride.max(1)));
        let slots = if target.plan.board.is_empty() { 0 } else { usize::from(target.map.orders.max) };
        let span = target.modules.last().map_or(0, |(a, _)| usize::from(*a) + 1);
        let mut by_address = vec![u32::MAX; span];
        for (k, (a, _)) in target.modules.iter().enumerate() {
            by_address[usize::from(*a)] = k as u32;
        }
        Self {
            image,
            by_address,
            dirty: Vec::with_capacity(n),
            is_dirty: vec![false; n],
            pickers_dirty: false,
            modules: vec![ModuleReading::default(); n],
            pickers: vec![PickerReading::default(); pickers],
            orders: vec![OrderSlot::default(); slots],
            board_high: 0,
            board_rolling: 0,
            health: ControllerHealth::default(),
            last_good: None,
            latency: Latency::new(),
            first_poll: true,
            target,
        }
    }

    /// Board reads this cycle: every read up to the highest used slot, plus one rolling read
    /// beyond it, so a full sweep of an idle board costs one read per cycle.
    fn board_reads(&mut self) -> Vec<Read> {
        let board = &self.target.plan.board;
        if board.is_empty() {
            return Vec::new();
        }
        let stride = usize::from(self.target.map.orders.stride.max(1));
        let slots_per_read = (usize::from(board[0].count) / stride).max(1);
        let used = (self.board_high / slots_per_read + 1).min(board.len());
        let mut reads = board[..used].to_vec();
        if used < board.len() {
            let tail = board.len() - used;
            self.board_rolling = (self.board_rolling + 1) % tail;
            reads.push(board[used + self.board_rolling]);
        }
        reads
    }

    /// One full cycle: every planned read, then decode and publish what changed.
    async fn cycle(
        &mut self,
        ctx: &mut Context,
        timeout: Duration,
        outbox: &SharedOutbox,
    ) -> Result<(), PollError> {
        for i in 0..self.target.plan.reads.len() {
            let r = self.target.plan.reads[i];
            let values = read(ctx, r, timeout, &mut self.latency).await?;
            self.store(r, &values);
        }
        let board_reads = self.board_reads();
        let mut board_values = Vec::with_capacity(board_reads.len());
        for r in board_reads {
            board_values.push((r, read(ctx, r, timeout, &mut self.latency).await?));
        }
        // One lock for the whole cycle's changes.
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.publish_changes(board_values, &mut o);
        o.ship();
        Ok(())
    }

    /// Stores a read and marks the modules (and pickers) whose registers changed.
    fn store(&mut self, r: Read, values: &[u16]) {
        let (cs, ss) = (
            usize::from(self.target.map.module_commands.stride),
            usize::from(self.target.map.module_status.stride),
        );
        let Self { image, by_address, dirty, is_dirty, pickers_dirty, .. } = self;
        image.store(r.table, r.start, values, |block, o0, o1| {
            let addresses = match block {
                Block::Commands => o0 / cs.max(1)..(o1 - 1) / cs.max(1) + 1,
                Block::Status => o0 / ss.max(1)..(o1 - 1) / ss.max(1) + 1,
                Block::ConfirmLatch | Block::ShortageLatch | Block::Online => o0..o1,
                Block::Pickers => {
                    *pickers_dirty = true;
                    0..0
                }
                Block::Header | Block::Orders => 0..0,
            };
            for a in addresses {
                if let Some(&k) = by_address.get(a)
                    && k != u32::MAX
                    && !is_dirty[k as usize]
                {
                    is_dirty[k as usize] = true;
                    dirty.push(k);
                }
            }
        });
    }

    fn publish_changes(&mut self, board: Vec<(Read, Vec<u16>)>, outbox: &mut Outbox) {
        let map = &self.target.map;
        // Only modules whose registers changed are decoded; all of them on the first poll and
        // on the first after the controller went stale (to clear the stale mark).
        if self.first_poll || self.health.stale {
            self.dirty.clear();
            self.dirty.extend(0..self.target.modules.len() as u32);
        }
        for i in 0..self.dirty.len() {
            let k = self.dirty[i] as usize;
            self.is_dirty[k] = false;
            let (address, module) = self.target.modules[k];
            let reading = decode_module(map, &self.image, address);
            let prev = self.modules[k];
            if reading != prev || self.first_poll {
                self.modules[k] = reading;
                outbox.publish(LinkMessage::Module { module, reading });
                if reading.confirm_latch && !prev.confirm_latch && !self.first_poll {
                    outbox.publish(LinkMessage::Event(LinkEvent::Confirmed {
                        module,
                        quantity: reading.confirmed_quantity,
                    }));
                }
                if reading.shortage_latch && !prev.shortage_latch && !self.first_poll {
                    let e = LinkEvent::Shortage {
                        module,
                        asked: reading.quantity,
                        picked: reading.confirmed_quantity,
                    };
                    outbox.publish(LinkMessage::Event(e));
                }
            }
        }
        self.dirty.clear();
        let pickers_dirty = std::mem::take(&mut self.pickers_dirty) || self.first_poll;
        for i in (0..self.pickers.len()).filter(|_| pickers_dirty) {
            let reading = decode_picker(map, &self.image, i as u16);
            if reading != self.pickers[i] || self.first_poll {
                self.pickers[i] = reading;
                outbox.publish(LinkMessage::Picker { picker: i as u16, reading });
            }
        }
        let stride = usize::from(map.orders.stride.max(1));
        for (r, values) in board {
            let first_slot = (usize::from(r.start) - usize::from(map.orders.base)) / stride;
            for (k, regs) in values.chunks(stride).enumerate() {
                let slot = first_slot + k;
                let Some(prev) = self.orders.get(slot).copied() else { continue };
                let order = decode_order(map, regs);
                if order.is_used() {
                    self.board_high = self.board_high.max(slot);
                }
                if order != prev {
                    self.orders[slot] = order;
                    outbox.publish(LinkMessage::Order { slot: slot as u16, order });
                }
            }
        }
        // Let the used prefix shrink when its top slots empty out.
        while self.board_high > 0 && !self.orders.get(self.board_high).is_some_and(OrderSlot::is_used) {
            self.board_high -= 1;
        }
        self.first_poll = false;
    }

    /// Marks every module stale (the scene greys them) once the controller has been silent for
    /// three intervals.
    fn check_stale(&mut self, outbox: &SharedOutbox) {
        if self.health.stale {
            return;
        }
        let silent = self.last_good.is_none_or(|t| t.elapsed() > self.target.interval * 3);
        if !silent {
            return;
        }
        self.health.stale = true;
        tracing::warn!(controller = %self.target.name, "no complete poll for 3 intervals: stale");
        {
            let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
            o.publish(LinkMessage::Event(LinkEvent::Stale { controller: self.target.index }));
            for (k, &(_, module)) in self.target.modules.iter().enumerate() {
                self.modules[k].stale = true;
                o.publish(LinkMessage::Module { module, reading: self.modules[k] });
            }
        }
        self.publish_health(outbox);
    }

    /// Copies the header's status word and clock into the health report.
    fn read_header_health(&mut self) {
        let h = &self.target.map.header;
        let header = self.image.block(Block::Header);
        let f = |off: u16| header.get(usize::from(off)).copied().unwrap_or(0);
        self.health.status = f(h.status);
        self.health.clock_s = codes::registers_to_u32([f(h.clock_s), f(h.clock_s + 1)]);
        self.health.clock_speed = f(h.clock_speed);
    }

    fn publish_health(&mut self, outbox: &SharedOutbox) {
        let (p50, p99) = self.latency.percentiles();
        self.health.latency_p50_us = p50;
        self.health.latency_p99_us = p99;
        self.health.requests = self.latency.requests as u32;
        let mut o = outbox.lock().unwrap_or_else(PoisonError::into_inner);
        self.health.coalesced =
            o.coalesced.load(std::sync::atomic::Ordering::Relaxed).min(u64::from(u32::MAX)) as u32;
        o.publish(LinkMessage::Health { controller: self.target.index, health: self.health });
        o.ship();
    }
}

/// Opens a connection: connect under the timeout, no Nagle delay, TCP keepalive so a
/// half-open connection is noticed even while idle.
async fn connect(endpoint: &str, unit: u8, timeout: Duration) -> io::Result<Context> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(endpoint)).await.map_err(|_| {
        io::Error::new(io::ErrorKind::TimedOut, format!("connect timed out after {timeout:?}"))
    })??;
    stream.set_nodelay(true)?;
    let keepalive =
        socket2::TcpKeepalive::new().with_time(Duration::from_secs(10)).with_interval(Duration::from_secs(5));
    socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
    Ok(tokio_modbus::client::tcp::attach_slave(stream, Slave(unit)))
}

/// Polls one controller forever.
async fn run_controller(
    target: Target,
    options: LinkOptions,
    outbox: SharedOutbox,
    mut commands: tokio::sync::mpsc::UnboundedReceiver<LinkCommand>,
) {
    let mut target = target;
    if let Some(interval) = options.interval_override {
        target.interval = interval.max(Duration::from_millis(1));
    }
    let mut p = Poller::new(target);
    let mut backoff = options.backoff_min;
    let mut connected_once = false;
    let mut reported_down = false;
    loop {
        p.health.connection =
            if connected_once { ConnectionState::Disconnected } else { ConnectionState::Connecting };
        let mut ctx = match connect(&p.target.endpoint, p.target.unit, options.timeout).await {
            Ok(ctx) => ctx,
            Err(e) => {
                p.health.errors = p.health.errors.saturating_add(1);
                if !reported_down {
                    reported_down = true;
                    tracing::warn!(controller = %p.target.name, endpoint = %p.target.endpoint, "cannot connect: {e}");
                    let reason: Arc<str> = format!("cannot connect to {}: {e}", p.target.endpoint).into();
                    publish(
                        &outbox,
                        LinkMessage::Event(LinkEvent::Disconnected { controller: p.target.index, reason }),
                    );
                }
                p.publish_health(&outbox);
                sleep_watching_stale(&mut p, backoff, &outbox).await;
                backoff = (backoff * 2).min(options.backoff_max);
                continue;
            }
        };
        if connected_once {
            p.health.reconnects = p.health.reconnects.saturating_add(1);
        }
        connected_once = true;
        backoff = options.backoff_min;
        p.health.connection = ConnectionState::Connected;
        tracing::info!(controller = %p.target.name, endpoint = %p.target.endpoint, "connected");
        publish(&outbox, LinkMessage::Event(LinkEvent::Connected { controller: p.target.index }));
        let mut ticker = tokio::time::interval(p.target.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The last exception reported, so a controller that keeps answering one is not an
        // alarm every poll.
        let mut last_exception = None;
        let error = 'polling: loop {
            ticker.tick().await;
            while let Ok(cmd) = commands.try_recv() {
                match execute(&mut ctx, &p, cmd, options.timeout).await {
                    Ok(()) => tracing::info!(controller = %p.target.name, "command {cmd:?} done"),
                    Err(e @ PollError::Exception { .. }) => {
                        tracing::warn!(controller = %p.target.name, "command {cmd:?} refused: {e}");
                    }
                    // A timed-out write may still be answered later: the connection is unusable.
                    Err(e) => break 'polling e,
                }
            }
            match p.cycle(&mut ctx, options.timeout, &outbox).await {
                Ok(()) => {
                    p.last_good = Some(Instant::now());
                    p.health.last_good_poll_ms = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64);
                    p.health.polls = p.health.polls.wrapping_add(1);
                    p.read_header_health();
                    if p.health.stale {
                        p.health.stale = false;
                        tracing::info!(controller = %p.target.name, "fresh data again");
                    }
                    last_exception = None;
                    p.publish_health(&outbox);
                }
                Err(e @ PollError::Exception { function, code, address }) => {
                    p.health.exceptions = p.health.exceptions.saturating_add(1);
                    if last_exception != Some((function, code, address)) {
                        last_exception = Some((function, code, address));
                        tracing::warn!(controller = %p.target.name, "{e}");
                        let ev = LinkEvent::Exception { controller: p.target.index, function, code, address };
                        publish(&outbox, LinkMessage::Event(ev));
                    }
                    p.check_stale(&outbox);
                    p.publish_health(&outbox);
                }
                Err(e) => break e,
            }
        };
        p.health.errors = p.health.errors.saturating_add(1);
        p.health.connection = ConnectionState::Disconnected;
        tracing::warn!(controller = %p.target.name, "connection dropped: {error}");
        let reason: Arc<str> = error.to_string().into();
        publish(&outbox, LinkMessage::Event(LinkEvent::Disconnected { controller: p.target.index, reason }));
        reported_down = true;
        drop(ctx);
        p.publish_health(&outbox);
        sleep_watching_stale(&mut p, backoff, &outbox).await;
        backoff = (backoff * 2).min(options.backoff_max);
    }
}

/// Sleeps `total`, waking each poll interval to mark the controller stale on time.
async fn sleep_watching_stale(p: &mut Poller, total: Duration, outbox: &SharedOutbox) {
    let until = Instant::now() + total;
    loop {
        p.check_stale(outbox);
        let now = Instant::now();
        if now >= until {
            return;
        }
        tokio::time::sleep((until - now).min(p.target.interval)).await;
    }
}

async fn execute(
    ctx: &mut Context,
    p: &Poller,
    cmd: LinkCommand,
    timeout: Duration,
) -> Result<(), PollError> {
    let map = &p.target.map;
    let (function, address, request) = match cmd {
        LinkCommand::Acknowledge { module } => {
            let Some(&(a, _)) = p.target.modules.iter().find(|(_, m)| *m == module) else { return Ok(()) };
            let coil = map.bits.acknowledge + a;
            (5, coil, Request::WriteSingleCoil(coil, true))
        }
        LinkCommand::LampTest { .. } => {
            let header = p.image.block(Block::Header);
            let seq = header.get(usize::from(map.header.global_sequence)).copied().unwrap_or(0);
            let start = map.header.base + map.header.global_command;
            let values = vec![codes::global::LAMP_TEST, seq.wrapping_add(1)];
            (16, start, Request::WriteMultipleRegisters(start, values.into()))
        }
    };
    tokio::time::timeout(timeout, ctx.call(request))
        .await
        .map_err(|_| PollError::Timeout)?
        .map_err(|e| PollError::Transport(e.to_string()))?
        .map_err(|e| PollError::Exception { function, code: exception_code(e), address })?;
    Ok(())
}

/// A running link: the poller thread and the channels out of it.
pub struct Link {
    view: Option<ViewReceiver>,
    commands: Vec<tokio::sync::mpsc::UnboundedSender<LinkCommand>>,
    module_controller: Vec<u16>,
    allow_writes: bool,
    coalesced: Arc<std::sync::atomic::AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Builds a [`Link`]: subscribers are attached before the first message flows.
pub struct LinkBuilder {
    site: Arc<Site>,
    endpoints: HashMap<usize, String>,
    options: LinkOptions,
    lossless: Vec<Sender<LinkMessage>>,
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

    /// A subscriber that receives every message, never coalesced (the recorder). It must keep
    /// up on average: the channel is unbounded.
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

    fn shutdown(&mut self) {
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

/// One poll of every controller, for `picktwin snapshot`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Reading of every module, by module index.
    pub modules: Vec<ModuleReading>,
    /// Reading of every picker the first controller publishes.
    pub pickers: Vec<PickerReading>,
}

/// Connects to every controller (concurrently), polls each once and returns the readings, or
/// the controllers that failed with their errors.
pub async fn snapshot(
    site: &Site,
    endpoints: &HashMap<usize, String>,
    timeout: Duration,
) -> Result<Snapshot, Vec<(String, String)>> {
    let mut set = tokio::task::JoinSet::new();
    for target in targets(site, endpoints) {
        set.spawn(async move {
            let name = format!("{} ({})", target.name, target.endpoint);
            let result = async {
                let mut ctx =
                    connect(&target.endpoint, target.unit, timeout).await.map_err(|e| e.to_string())?;
                let mut p = Poller::new(target);
                let (tx, _rx) = view_channel(1);
                let outbox = Arc::new(Mutex::new(Outbox::new(tx, Vec::new(), Arc::default())));
                p.cycle(&mut ctx, timeout, &outbox).await.map_err(|e| e.to_string())?;
                let _ = ctx.disconnect().await;
                Ok::<_, String>(p)
            }
            .await;
            (name, result)
        });
    }
    let mut modules = vec![ModuleReading::default(); site.modules.len()];
    let mut pickers = Vec::new();
    let mut failed = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(p))) => {
                for (k, &(_, m)) in p.target.modules.iter().enumerate() {
                    modules[m as usize] = p.modules[k];
                }
                if !p.pickers.is_empty() {
                    pickers = p.pickers.clone();
                }
            }
            Ok((name, Err(e))) => failed.push((name, e)),
            Err(e) => failed.push(("poll task".into(), e.to_string())),
        }
    }
    if failed.is_empty() {
        Ok(Snapshot { modules, pickers })
    } else {
        failed.sort();
        Err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(batches: usize) -> (Outbox, ViewReceiver, Receiver<LinkMessage>) {
        let (view, view_rx) = view_channel(batches);
        let (lossless, lossless_rx) = crossbeam_channel::unbounded();
        (Outbox::new(view, vec![lossless], Arc::default()), view_rx, lossless_rx)
    }

    fn drain(rx: &mut ViewReceiver) -> Vec<LinkMessage> {
        let mut out = Vec::new();
        while let crate::channel::Next::Message(m) = rx.recv() {
            out.push(m);
        }
        out
    }

    fn module(m: ModuleIndex, quantity: u16) -> LinkMessage {
        LinkMessage::Module { module: m, reading: ModuleReading { quantity, ..ModuleReading::default() } }
    }

    #[test]
    fn a_full_view_coalesces_and_the_lossless_path_gets_everything() {
        let (mut o, mut view, lossless) = outbox(1);
        // One batch fits: the first cycle's two states.
        o.publish(module(1, 0));
        o.publish(module(2, 0));
        o.ship();
        // The view does not read: later cycles coalesce.
        for q in 1..10 {
            o.publish(module(1, q));
            o.publish(module(2, q));
            o.ship();
        }
        assert_eq!(lossless.len(), 20, "the recorder loses nothing");
        assert_eq!(o.coalesced.load(std::sync::atomic::Ordering::Relaxed), 16, "8 replaced per module");
        assert_eq!(drain(&mut view).len(), 2, "the first batch");
        // Room again: the latest state of each module arrives.
        o.ship();
        let mut latest: Vec<(ModuleIndex, u16)> = drain(&mut view)
            .into_iter()
            .map(|m| match m {
                LinkMessage::Module { module, reading } => (module, reading.quantity),
                other => panic!("{other:?}"),
            })
            .collect();
        latest.sort();
        assert_eq!(latest, vec![(1, 9), (2, 9)]);
    }

    #[test]
    fn latency_percentiles() {
        let mut l = Latency::new();
        assert_eq!(l.percentiles(), (0, 0));
        for us in 1..=100 {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.percentiles(), (51, 100));
    }
}
