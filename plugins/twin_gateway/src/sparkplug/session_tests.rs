//! The edge node's rules with exact messages: births, data by exception, device death and
//! rebirth, sequence numbers, bdSeq, and commands refused.

use prost::Message as _;
use twin_link::{ConnectionState, ControllerHealth, ModuleReading};
use twin_model::codes::ModuleState;
use twin_ops::{Ops, OpsConfig};

use super::*;
use crate::sparkplug::SparkplugId;

struct World {
    site: Site,
    state: TwinState,
    ops: Ops,
}

impl World {
    fn demo() -> Self {
        let site = Site::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../layouts/demo.ron")).unwrap();
        let state = TwinState::for_site(&site);
        let ops = Ops::new(OpsConfig::for_site(&site));
        Self { site, state, ops }
    }

    fn view(&self, now_ms: u64) -> View<'_> {
        View { site: &self.site, state: &self.state, ops: &self.ops, now_ms }
    }

    fn polled(&mut self, at: u64) {
        self.state.health[0] = ControllerHealth {
            connection: ConnectionState::Connected,
            last_good_poll_ms: at,
            ..Default::default()
        };
    }
}

fn edge(w: &World) -> Edge {
    let id: SparkplugId = "plant/edge".parse().unwrap();
    Edge::new(&w.site, SparkplugTopics::new(&id, "demo"), 1_000)
}

fn decode(p: &Publish) -> Payload {
    Payload::decode(&p.payload[..]).unwrap()
}

fn topics(out: &[Publish]) -> Vec<&str> {
    out.iter().map(|p| p.topic.as_str()).collect()
}

#[test]
fn births_carry_names_aliases_types_and_start_the_sequence() {
    let mut w = World::demo();
    let mut e = edge(&w);
    let out = e.births(&w.view(1_000));
    assert_eq!(topics(&out), ["spBv1.0/plant/NBIRTH/edge"], "no device is current yet");
    let p = decode(&out[0]);
    assert_eq!((p.seq, p.timestamp), (Some(0), Some(1_000)));
    let bd = &p.metrics[BD_SEQ];
    assert_eq!(
        (bd.name.as_deref(), bd.datatype, bd.value.clone()),
        (Some("bdSeq"), Some(4), Some(Value::Long(0)))
    );
    let rb = &p.metrics[REBIRTH];
    assert_eq!((rb.name.as_deref(), rb.value.clone()), (Some(REBIRTH_NAME), Some(Value::Boolean(false))));
    assert!(
        p.metrics.iter().all(|m| m.alias.is_some() && m.timestamp == Some(1_000) && m.datatype.is_some())
    );

    // Current from 1.0 s: born at the first tick at least 1 s later, with every module.
    w.polled(1_000);
    assert_eq!(topics(&e.tick(&w.view(1_000))), ["spBv1.0/plant/NDATA/edge"], "the data age is known");
    w.polled(1_900);
    assert!(e.tick(&w.view(1_900)).is_empty());
    w.polled(2_000);
    let out = e.tick(&w.view(2_000));
    assert_eq!(topics(&out), ["spBv1.0/plant/DBIRTH/edge/ptl-1", "spBv1.0/plant/NDATA/edge"]);
    let (dbirth, ndata) = (decode(&out[0]), decode(&out[1]));
    assert_eq!((dbirth.seq, ndata.seq), (Some(2), Some(3)));
    // NDATA: aliases only, "Controllers/Fresh" 0 → 1.
    assert!(ndata.metrics.iter().all(|m| m.name.is_none() && m.datatype.is_none()));
    let fresh = catalog::NODE.iter().position(|n| n.0 == "Controllers/Fresh").unwrap();
    assert_eq!(
        ndata.metrics.iter().map(|m| (m.alias, m.value.clone())).collect::<Vec<_>>(),
        [(Some(Catalog::alias(fresh)), Some(Value::Int(1)))]
    );
    let modules = w.site.modules.len();
    assert_eq!(dbirth.metrics.len(), DEVICE.len() + modules * MODULE.len());
    let first = &dbirth.metrics[DEVICE.len()];
    assert_eq!(first.name.as_deref(), Some(format!("Modules/{}/State", w.site.modules[0].location).as_str()));
    assert_eq!(first.alias, Some(Catalog::alias(e.catalog().devices[0].first + DEVICE.len())));
}

fn alive(w: &mut World, e: &mut Edge) {
    e.births(&w.view(1));
    w.polled(1);
    e.tick(&w.view(1));
    w.polled(1_001);
    let out = e.tick(&w.view(1_001));
    assert!(topics(&out).contains(&"spBv1.0/plant/DBIRTH/edge/ptl-1"));
}

#[test]
fn data_goes_out_by_exception_with_aliases_only() {
    let mut w = World::demo();
    let mut e = edge(&w);
    alive(&mut w, &mut e);
    w.polled(1_100);
    assert!(e.tick(&w.view(1_100)).is_empty(), "nothing changed");
    let lit = ModuleReading { state: ModuleState::Lit as u16, quantity: 12, ..w.state.modules[5] };
    let msg = LinkMessage::Module { module: 5, reading: lit };
    w.state.apply(&msg);
    e.touch(&msg);
    e.touch(&msg);
    w.polled(1_200);
    let out = e.tick(&w.view(1_200));
    assert_eq!(topics(&out), ["spBv1.0/plant/DDATA/edge/ptl-1"]);
    let p = decode(&out[0]);
    let (_, j) = e.catalog().slots[5];
    let base = e.catalog().devices[0].first + DEVICE.len() + j as usize * MODULE.len();
    let sent: Vec<(Option<u64>, Option<Value>)> =
        p.metrics.iter().map(|m| (m.alias, m.value.clone())).collect();
    assert_eq!(
        sent,
        [
            (Some(Catalog::alias(base)), Some(Value::String("lit".into()))),
            (Some(Catalog::alias(base + 1)), Some(Value::Int(12))),
        ]
    );
    assert!(p.metrics.iter().all(|m| m.name.is_none() && m.datatype.is_none() && m.timestamp == Some(1_200)));
}

#[test]
fn a_stale_controller_dies_and_is_born_again_once_current_for_a_second() {
    let mut w = World::demo();
    let mut e = edge(&w);
    alive(&mut w, &mut e);
    // demo polls every 200 ms: 600 ms without a good poll is stale, though the link said nothing.
    let out = e.tick(&w.view(1_700));
    assert_eq!(topics(&out), ["spBv1.0/plant/DDEATH/edge/ptl-1", "spBv1.0/plant/NDATA/edge"]);
    assert!(decode(&out[0]).metrics.is_empty() && decode(&out[0]).seq.is_some());
    w.polled(2_000);
    assert!(e.tick(&w.view(2_000)).is_empty(), "current again, not yet born");
    w.state.health[0].frozen = true;
    assert!(e.tick(&w.view(2_500)).is_empty(), "frozen: the hold starts again");
    w.state.health[0].frozen = false;
    w.polled(2_600);
    e.tick(&w.view(2_600));
    w.polled(3_500);
    assert!(topics(&e.tick(&w.view(3_500))).iter().all(|t| !t.contains("DBIRTH")));
    w.polled(3_600);
    assert!(topics(&e.tick(&w.view(3_600))).contains(&"spBv1.0/plant/DBIRTH/edge/ptl-1"));
    assert_eq!((e.counts.deaths, e.counts.births), (1, 3));
}

#[test]
fn seq_wraps_after_255_and_bdseq_moves_per_session() {
    let mut w = World::demo();
    let mut e = edge(&w);
    alive(&mut w, &mut e);
    let mut seqs = Vec::new();
    for k in 0..300u64 {
        let lit = ModuleReading { quantity: (k % 50) as u16 + 1, ..w.state.modules[1] };
        let msg = LinkMessage::Module { module: 1, reading: lit };
        w.state.apply(&msg);
        e.touch(&msg);
        w.polled(1_100 + k);
        seqs.extend(e.tick(&w.view(1_100 + k)).iter().map(|p| decode(p).seq.unwrap()));
    }
    assert!(seqs.windows(2).all(|s| s[1] == (s[0] + 1) % 256), "{seqs:?}");
    assert!(seqs.contains(&255) && seqs.contains(&0));
    let death = Payload::decode(&e.death(5).payload[..]).unwrap();
    assert_eq!((death.seq, death.metrics[0].value.clone()), (None, Some(Value::Long(0))));
    for _ in 0..256 {
        e.next_session();
    }
    e.next_session();
    assert_eq!(e.bd_seq(), 1, "0–255, wrapping");
    assert_eq!(decode(&e.births(&w.view(9))[0]).metrics[BD_SEQ].value, Some(Value::Long(1)));
}

#[test]
fn only_a_rebirth_is_obeyed() {
    let w = World::demo();
    let mut e = edge(&w);
    let cmd = |name: Option<&str>, alias: Option<u64>, value| {
        Payload {
            timestamp: Some(1),
            metrics: vec![Metric {
                name: name.map(str::to_owned),
                alias,
                value: Some(value),
                ..Default::default()
            }],
            ..Default::default()
        }
        .encode_to_vec()
    };
    let ncmd = "spBv1.0/plant/NCMD/edge";
    assert_eq!(e.command(ncmd, &cmd(Some(REBIRTH_NAME), None, Value::Boolean(true))), Command::Rebirth);
    assert_eq!(
        e.command(ncmd, &cmd(None, Some(Catalog::alias(REBIRTH)), Value::Boolean(true))),
        Command::Rebirth
    );
    let refused = |c: Command| match c {
        Command::Refused(why) => why,
        Command::Rebirth => panic!("obeyed"),
    };
    let why = refused(e.command(ncmd, &cmd(Some("Node Control/Reboot"), None, Value::Boolean(true))));
    assert!(why.contains("Node Control/Reboot") && why.contains("read-only"), "{why}");
    let write = cmd(Some("Modules/RET-01/Quantity"), None, Value::Int(5));
    let why = refused(e.command("spBv1.0/plant/DCMD/edge/ptl-1", &write));
    assert!(why.contains("Modules/RET-01/Quantity") && why.contains("read-only"), "{why}");
    assert!(refused(e.command(ncmd, b"\xff\xff\xff garbage")).contains("not a Sparkplug B payload"));
    assert!(refused(e.command(ncmd, &vec![0u8; 70_000])).contains("64 KiB"));
    assert!(
        refused(e.command(ncmd, &cmd(Some(REBIRTH_NAME), None, Value::Boolean(false)))).contains("refused")
    );
    assert_eq!((e.counts.rebirths, e.counts.refused), (2, 5));
}

#[test]
fn births_of_the_shipped_sites_split_per_controller_and_fit_a_broker() {
    for name in ["pharma_dc.ron", "stress.ron"] {
        let site = Site::load(format!("{}/../../layouts/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut state = TwinState::for_site(&site);
        let ops = Ops::new(OpsConfig::for_site(&site));
        let mut e = Edge::new(&site, SparkplugTopics::new(&"plant".parse().unwrap(), "site"), 0);
        for h in &mut state.health {
            *h = ControllerHealth {
                connection: ConnectionState::Connected,
                last_good_poll_ms: 5,
                ..Default::default()
            };
        }
        let view = View { site: &site, state: &state, ops: &ops, now_ms: 5 };
        e.tick(&view);
        e.tick(&view);
        let births = e.births(&view);
        assert_eq!(births.len(), 1 + site.controllers.len(), "{name}: an NBIRTH and a DBIRTH per controller");
        let sizes: Vec<usize> = births.iter().map(|b| b.payload.len()).collect();
        let largest = *sizes.iter().max().unwrap();
        let total: usize = sizes.iter().sum();
        println!(
            "{name}: {} modules, NBIRTH {} B, {} DBIRTHs, largest {largest} B, all {total} B",
            site.modules.len(),
            sizes[0],
            sizes.len() - 1
        );
        // Mosquitto's default limit is 256 MB; docs/gateway.md asks brokers for 16 MiB.
        assert!(largest < 1 << 20, "{name}: {largest} bytes");
    }
}
