//! One read per page render: the sections of a page each ask for the
//! rows they show, and several want the same ones (the live sessions, the
//! account's row). A render shares those reads instead of repeating them.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Cells = HashMap<(TypeId, String), Arc<dyn Any + Send + Sync>>;

/// The reads of one page render. Provided only for `GET` renders, which
/// write nothing that a later read in the same render would have to see;
/// a server function (a `POST`) always reads afresh.
#[derive(Clone, Default)]
pub struct RenderMemo(Arc<Mutex<Cells>>);

impl RenderMemo {
    fn cell<T: Send + Sync + 'static>(&self, key: String) -> Arc<OnceCell<T>> {
        let mut cells = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let slot = cells
            .entry((TypeId::of::<T>(), key))
            .or_insert_with(|| Arc::new(OnceCell::<T>::new()));
        match slot.clone().downcast::<OnceCell<T>>() {
            Ok(cell) => cell,
            // Unreachable (the key holds the type); a fresh cell is still correct.
            Err(_) => Arc::new(OnceCell::new()),
        }
    }
}

/// `load`'s answer for `key`, read once per page render (the first
/// caller's, as of its moment; concurrent callers wait for it). Outside a
/// render, or after a failed read, `load` runs again.
pub async fn once_per_render<T, F, Fut>(key: impl FnOnce() -> String, load: F) -> anyhow::Result<T>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let Some(memo) = leptos::prelude::use_context::<RenderMemo>() else {
        return load().await;
    };
    memo.cell::<T>(key()).get_or_try_init(load).await.cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_render_reads_each_key_once_and_apart_from_other_keys() {
        let owner = leptos::prelude::Owner::new();
        owner.set();
        leptos::prelude::provide_context(RenderMemo::default());
        let loads = AtomicUsize::new(0);
        let load = |value: i64| {
            let loads = &loads;
            move || async move {
                loads.fetch_add(1, Ordering::SeqCst);
                anyhow::Ok(value)
            }
        };
        let (a, b) = tokio::join!(
            once_per_render(|| "user-1".into(), load(1)),
            once_per_render(|| "user-1".into(), load(2)),
        );
        assert_eq!((a.unwrap(), b.unwrap()), (1, 1));
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        let other = once_per_render(|| "user-2".into(), load(3)).await.unwrap();
        assert_eq!(other, 3);
        let text = once_per_render(|| "user-1".into(), || async { anyhow::Ok("t") }).await;
        assert_eq!(
            text.unwrap(),
            "t",
            "another type under the same key is its own read"
        );
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn outside_a_render_every_call_reads() {
        let loads = AtomicUsize::new(0);
        for _ in 0..2 {
            once_per_render(
                || "k".into(),
                || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    anyhow::Ok(())
                },
            )
            .await
            .unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let owner = leptos::prelude::Owner::new();
        owner.set();
        leptos::prelude::provide_context(RenderMemo::default());
        let failed: anyhow::Result<i64> =
            once_per_render(|| "k".into(), || async { anyhow::bail!("down") }).await;
        assert!(failed.is_err());
        let read = once_per_render(|| "k".into(), || async { anyhow::Ok(7_i64) }).await;
        assert_eq!(read.unwrap(), 7);
    }
}
