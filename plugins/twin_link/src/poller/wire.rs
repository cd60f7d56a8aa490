//! The wire: poll targets from the layout, connecting with keepalive, one read or write under
//! the timeout with its response checked, and why a request failed.

use super::*;

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

pub(super) fn exception_code(e: ExceptionCode) -> u8 {
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
pub(super) async fn read(
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

/// Opens a connection: connect under the timeout, no Nagle delay, TCP keepalive so a
/// half-open connection is noticed even while idle.
pub(super) async fn connect(endpoint: &str, unit: u8, timeout: Duration) -> io::Result<Context> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(endpoint)).await.map_err(|_| {
        io::Error::new(io::ErrorKind::TimedOut, format!("connect timed out after {timeout:?}"))
    })??;
    stream.set_nodelay(true)?;
    let keepalive =
        socket2::TcpKeepalive::new().with_time(Duration::from_secs(10)).with_interval(Duration::from_secs(5));
    socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
    Ok(tokio_modbus::client::tcp::attach_slave(stream, Slave(unit)))
}

pub(super) async fn execute(
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
