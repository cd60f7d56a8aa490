//! The wire: poll targets from the layout, connecting with keepalive, one read or write under
//! the timeout with its response checked, and why a request failed.

use super::*;
use twin_model::sources::{OrderSource, PickerSource};

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
    /// The map's image layout (where the poller keeps values; see `RegisterMap::image`).
    pub image_map: RegisterMap,
    /// Connections to read over in parallel.
    pub connections: u8,
    /// How long the heartbeat may stand still before the controller counts as frozen.
    pub frozen_after: Duration,
    /// The layout file, for messages.
    pub layout_file: String,
    /// `(address, module)` of every module it drives, by address.
    pub modules: Vec<(u16, ModuleIndex)>,
    /// The reads of one cycle.
    pub plan: Arc<ReadPlan>,
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
            // Pickers and the order board are read on the layout's first controller, and only
            // when the layout's sources say they come from there (a site whose PLC publishes
            // them); otherwise they come from the WMS, an RTLS or inference, never both.
            let first = i == 0;
            let sources = &site.layout.sources;
            let board = first && sources.orders == OrderSource::ModbusBoard;
            let pickers = if first && sources.pickers == PickerSource::ModbusBlock {
                site.layout.pickers.len().min(usize::from(u16::MAX)) as u16
            } else {
                0
            };
            let plan = Arc::new(plan(&map, PlanInput { span, pickers, board }));
            let image_map = map.image();
            Target {
                index: i as u16,
                name: c.name.clone(),
                endpoint: endpoints.get(&i).cloned().unwrap_or_else(|| c.address.clone()),
                unit: c.unit_id,
                interval: Duration::from_millis(u64::from(c.poll_interval_ms)),
                map,
                image_map,
                connections: c.connections.clamp(1, 8),
                frozen_after: Duration::from_millis(u64::from(c.frozen_after_ms)),
                layout_file: site.file.clone(),
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
    /// The map cannot express the command.
    Unsupported(&'static str),
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
            PollError::Unsupported(why) => write!(f, "not supported: {why}"),
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

/// Issues one read under the timeout to the read's unit (else `home`); checks the response
/// length.
pub(super) async fn read(
    ctx: &mut Context,
    r: Read,
    home: u8,
    timeout: Duration,
) -> Result<Vec<u16>, PollError> {
    ctx.set_slave(Slave(r.unit.unwrap_or(home)));
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
            match (map.acknowledge, &map.bits) {
                (Acknowledge::Coil, Some(bits)) => {
                    let coil = bits.acknowledge + a;
                    (5, coil, Request::WriteSingleCoil(coil, true))
                }
                (Acknowledge::Register { offset, value }, _) => {
                    if let Some(unit) = map.unit_of(a) {
                        ctx.set_slave(Slave(unit));
                    }
                    let register = if map.unit_of(a).is_some() {
                        map.module_commands.base + offset
                    } else {
                        map.command_register(a, offset) as u16
                    };
                    (6, register, Request::WriteSingleRegister(register, value))
                }
                (Acknowledge::Coil, None) => return Ok(()),
            }
        }
        LinkCommand::LampTest { .. } => {
            let Some((h, command, sequence)) =
                map.header.as_ref().and_then(|h| Some((h, h.global_command?, h.global_sequence?)))
            else {
                return Err(PollError::Unsupported("this controller's map has no global command"));
            };
            let header = p.image.block(Block::Header);
            let seq = header.get(usize::from(sequence)).copied().unwrap_or(0);
            let start = h.base + command;
            if sequence != command + 1 {
                return Err(PollError::Unsupported("global_sequence must follow global_command"));
            }
            let values = vec![codes::global::LAMP_TEST, seq.wrapping_add(1)];
            (16, start, Request::WriteMultipleRegisters(start, values.into()))
        }
    };
    let result = tokio::time::timeout(timeout, ctx.call(request)).await;
    ctx.set_slave(Slave(p.target.unit));
    result
        .map_err(|_| PollError::Timeout)?
        .map_err(|e| PollError::Transport(e.to_string()))?
        .map_err(|e| PollError::Exception { function, code: exception_code(e), address })?;
    Ok(())
}
