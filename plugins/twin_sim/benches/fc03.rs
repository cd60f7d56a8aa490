//! FC03 × 125 registers, requests per second on loopback: picktwin's simulator against a
//! minimal tokio-modbus server (a fixed register array, no checks) in the same run. The goal is
//! ≥ 90 % of the minimal server's rate.
//!
//! Run: `cargo bench --workspace --profile dev --bench fc03` (add `-- --check` to fail under 90 %).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_modbus::client::{Reader, tcp};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, Slave, SlaveRequest};
use tokio_modbus::server::tcp::Server;
use twin_model::Site;
use twin_sim::{Listen, SimConfig, SimOptions};

/// The baseline: answers FC03 from a fixed array, nothing else.
struct Minimal(Arc<Vec<u16>>);

impl tokio_modbus::server::Service for Minimal {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = std::future::Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        std::future::ready(match req.request {
            Request::ReadHoldingRegisters(a, n) => {
                let (a, n) = (usize::from(a), usize::from(n));
                match self.0.get(a..a + n) {
                    Some(r) => Ok(Response::ReadHoldingRegisters(r.to_vec())),
                    None => Err(ExceptionCode::IllegalDataAddress),
                }
            }
            _ => Err(ExceptionCode::IllegalFunction),
        })
    }
}

async fn minimal_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let registers = Arc::new(vec![7u16; 65_536]);
    tokio::spawn(async move {
        let server = Server::new(listener);
        let on_connected = |stream: TcpStream, _| {
            let service = Minimal(registers.clone());
            async move {
                stream.set_nodelay(true)?;
                Ok(Some((service, stream)))
            }
        };
        let _ = server.serve(&on_connected, |_| {}).await;
    });
    addr
}

/// Requests per second with `clients` connections each reading 125 registers in a loop.
async fn rate(addr: SocketAddr, clients: usize, duration: Duration) -> f64 {
    let mut tasks = tokio::task::JoinSet::new();
    let deadline = Instant::now() + duration;
    for _ in 0..clients {
        tasks.spawn(async move {
            let mut c = tcp::connect_slave(addr, Slave(1)).await.unwrap();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let regs = c.read_holding_registers(100, 125).await.unwrap().unwrap();
                assert_eq!(regs.len(), 125);
                n += 1;
            }
            n
        });
    }
    let mut total = 0;
    while let Some(n) = tasks.join_next().await {
        total += n.unwrap();
    }
    total as f64 / duration.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let worst = runtime.block_on(async {
        let site =
            Arc::new(Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap());
        let options = SimOptions {
            listen: Listen::Base("127.0.0.1:0".parse().unwrap()),
            speed: 1.0,
            config: SimConfig::default(),
        };
        let sim = twin_sim::start(site, options).await.unwrap();
        let sim_addr = sim.addresses()[0];
        let base_addr = minimal_server().await;
        println!("{:<8} {:>16} {:>16} {:>7}", "clients", "minimal req/s", "simulator req/s", "ratio");
        let mut worst = f64::INFINITY;
        for clients in [1, 4] {
            // Alternate the two servers so drift in machine load hits both alike.
            let (mut base, mut simr) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                base.push(rate(base_addr, clients, Duration::from_millis(600)).await);
                simr.push(rate(sim_addr, clients, Duration::from_millis(600)).await);
            }
            let (b, s) = (median(base), median(simr));
            worst = worst.min(s / b);
            println!("{clients:<8} {b:>16.0} {s:>16.0} {:>6.1}%", 100.0 * s / b);
        }
        sim.shutdown().await;
        worst
    });
    if check && worst < 0.9 {
        println!("simulator under 90 % of the minimal server");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
