//! What the targets share: the demo site, parsed once.

use std::sync::{Arc, OnceLock};

use twin_model::Site;

/// layouts/demo.ron, embedded at build time.
pub fn demo() -> Arc<Site> {
    static SITE: OnceLock<Arc<Site>> = OnceLock::new();
    SITE.get_or_init(|| {
        Arc::new(
            Site::from_ron(include_str!("../../layouts/demo.ron"), "layouts/demo.ron").expect("demo layout"),
        )
    })
    .clone()
}
