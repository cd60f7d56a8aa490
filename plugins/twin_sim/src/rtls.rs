//! The simulator playing a site's RTLS: every picker's true position as JSON location updates
//! (docs/sources.md) on an MQTT broker, in the RTLS frame the layout declares (or the plan
//! frame with picker ids as tags), so the twin's RTLS feed is testable end to end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, MqttOptions, QoS};
use twin_model::Site;
use twin_model::sources::{PickerSource, RtlsFrame, RtlsMqtt, TagAssignment};

/// Publishes `positions` (plan metres by picker) every `every` until the task is dropped.
/// `broker` is `host:port`.
pub async fn publish(
    site: Arc<Site>,
    broker: (String, u16),
    positions: Arc<Mutex<Vec<[f32; 2]>>>,
    every: Duration,
) {
    let cfg = match &site.layout.sources.pickers {
        PickerSource::RtlsMqtt(r) => (**r).clone(),
        _ => RtlsMqtt {
            broker: String::new(),
            topic: "rtls/+/location".into(),
            frame: RtlsFrame::default(),
            tags: site
                .layout
                .pickers
                .iter()
                .map(|p| TagAssignment { tag: p.id.clone(), picker: p.id.clone() })
                .collect(),
            stale_after_s: 10.0,
        },
    };
    let tags: Vec<Option<String>> = site
        .layout
        .pickers
        .iter()
        .map(|p| cfg.tags.iter().find(|t| t.picker == p.id).map(|t| t.tag.clone()))
        .collect();
    let mut opts = MqttOptions::new(format!("picktwin-sim-rtls-{}", std::process::id()), broker.0, broker.1);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut eventloop) = AsyncClient::new(opts, 256);
    // The event loop drives the connection (and reconnects after an error, paced here).
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let pos = positions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        for (p, tag) in pos.iter().zip(&tags) {
            let Some(tag) = tag else { continue };
            let [x, y] = cfg.frame.to_rtls(f64::from(p[0]), f64::from(p[1]));
            let body = serde_json::json!({ "tag": tag, "x": x, "y": y, "ts": now }).to_string();
            let _ = client.try_publish(cfg.topic_for(tag), QoS::AtMostOnce, false, body);
        }
    }
}
