//! One poll of every controller, for `picktwin snapshot`.

use super::*;

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
