//! Which `build.rs` patches no longer fit a new document: the same table `build.rs` runs, applied
//! in order to a copy, continuing past mismatches so that every one is listed at once (the build
//! stops at the first).

use std::panic::{self, AssertUnwindSafe};

use serde_json::Value;

use crate::patches::Step;

/// A patch whose number of changes differs from what `build/patches.rs` expects.
pub struct Mismatch {
    pub name: &'static str,
    pub expect: usize,
    /// `Ok(changes)`, or `Err(panic message)` when the patch cannot handle the document.
    pub touched: Result<usize, String>,
}

impl Mismatch {
    /// One line of the summary.
    pub fn describe(&self) -> String {
        let Self { name, expect, .. } = self;
        match &self.touched {
            Ok(0) => format!(
                "{name}: 0 targets, expected {expect}: its target is gone (upstream fixed or \
                 renamed it); delete the patch or point it at the new shape"
            ),
            Ok(n) => format!(
                "{name}: {n} targets, expected {expect}: the document changed shape; check the \
                 new targets, then update the patch or its count"
            ),
            Err(msg) => format!("{name}: fails on this document ({msg}); update the patch"),
        }
    }
}

/// Applies `steps` to a copy of `doc` and returns those whose count differs.
pub fn check(doc: &Value, steps: &[Step]) -> Vec<Mismatch> {
    let mut doc = doc.clone();
    // A patch may `expect` a part of the document (e.g. components.schemas); report that as a
    // mismatch instead of printing a panic.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut mismatches = Vec::new();
    for step in steps {
        let touched = panic::catch_unwind(AssertUnwindSafe(|| (step.patch.apply)(&mut doc)))
            .map(|t| t.len())
            .map_err(|payload| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".into())
            });
        if touched != Ok(step.expect) {
            mismatches.push(Mismatch {
                name: step.patch.name,
                expect: step.expect,
                touched,
            });
        }
    }
    panic::set_hook(hook);
    mismatches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches;

    fn rest() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/nrfcloud-rest.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn the_committed_rest_snapshot_fits_every_patch() {
        let names: Vec<_> = check(&rest(), patches::REST)
            .iter()
            .map(|m| m.name)
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_patch_that_panics_is_reported() {
        let mut doc = rest();
        doc.as_object_mut().unwrap().remove("components");
        let typed = check(&doc, patches::REST)
            .into_iter()
            .find(|m| m.name == "typed-errors")
            .expect("typed-errors needs components.schemas");
        assert!(
            typed.describe().contains("fails on this document"),
            "{}",
            typed.describe()
        );
    }
}
