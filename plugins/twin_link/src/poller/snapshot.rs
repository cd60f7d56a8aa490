//! One poll of every controller, for `picktwin snapshot`.

use super::*;

/// One poll of every controller, for `picktwin snapshot`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Reading of every module, by module index.
    pub modules: Vec<ModuleReading>,
    /// Reading of every picker the first controller publishes.
    pub pickers: Vec<PickerReading>,
    /// What was missing: blocks that answered with an exception (the rest was read).
    pub warnings: Vec<String>,
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
                let connections = target.connections;
                let mut pool = Pool::open(&target, connections, timeout).await.map_err(|e| e.to_string())?;
                let mut p = Poller::new(target);
                if let Some(reason) = p.check_map(&mut pool).await.map_err(|e| e.to_string())? {
                    return Err(reason);
                }
                let (tx, _rx) = view_channel(1);
                let (events_tx, events) = crossbeam_channel::unbounded();
                let outbox = Arc::new(Mutex::new(Outbox::new(tx, vec![events_tx], Arc::default())));
                p.cycle(&mut pool, &outbox).await.map_err(|e| e.to_string())?;
                for ctx in &mut pool.ctxs {
                    let _ = ctx.disconnect().await;
                }
                let warnings: Vec<String> = events
                    .try_iter()
                    .filter_map(|m| match m {
                        LinkMessage::Event(LinkEvent::BlockMissing {
                            block,
                            function,
                            code,
                            address,
                            ..
                        }) => Some(format!(
                            "{}: block `{}` is missing (exception {code:02X} to function {function:02X} at \
                             address {address}); read without it",
                            p.target.name,
                            block.name()
                        )),
                        LinkMessage::Event(LinkEvent::Exception { function, code, address, .. }) => {
                            Some(format!(
                                "{}: exception {code:02X} to function {function:02X} at address {address}; \
                             those modules are offline",
                                p.target.name
                            ))
                        }
                        _ => None,
                    })
                    .collect();
                Ok::<_, String>((p, warnings))
            }
            .await;
            (name, result)
        });
    }
    let mut modules = vec![ModuleReading::default(); site.modules.len()];
    let mut pickers = Vec::new();
    let mut failed = Vec::new();
    let mut warnings = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok((p, w)))) => {
                warnings.extend(w);
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
        warnings.sort();
        Ok(Snapshot { modules, pickers, warnings })
    } else {
        failed.sort();
        Err(failed)
    }
}
