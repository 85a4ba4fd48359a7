//! Async work across a language boundary: one spawn with a cancel handle, one awaitable run,
//! each on the shared runtime, with one message for cancellation and one for a panic.

use crate::error::{Error, ErrorKind, Result};
use crate::runtime::runtime;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tokio::sync::Notify;

/// The error of an operation its caller cancelled.
pub fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "the operation was cancelled")
}

/// The error of an operation that panicked inside sandgate (a bug).
pub fn panicked() -> Error {
    Error::new(
        ErrorKind::Internal,
        "sandgate panicked during the operation (a bug; please report it)",
    )
}

/// Cancels one operation started with [`spawn`]. Cheap to clone; cancelling after completion,
/// or twice, does nothing.
#[derive(Clone, Debug)]
pub struct CancelHandle(Arc<Notify>);

impl CancelHandle {
    /// Asks the operation to stop: its work is dropped (closing any request) and its `done`
    /// receives a `cancelled` error, unless it has already completed.
    pub fn cancel(&self) {
        self.0.notify_one();
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn joined<T>(r: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    r.unwrap_or_else(|_| Err(panicked()))
}

/// Starts `work` on the shared runtime and calls `done` exactly once, on a runtime thread, with
/// its outcome: the result, [`cancelled`] after [`CancelHandle::cancel`], or [`panicked`]. A
/// panic inside `done` itself is caught and dropped, so the runtime thread survives it.
pub fn spawn<T, F, D>(work: F, done: D) -> CancelHandle
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
    D: FnOnce(Result<T>) + Send + 'static,
{
    let cancel = Arc::new(Notify::new());
    let asked = cancel.clone();
    runtime().spawn(async move {
        let mut task = AbortOnDrop(tokio::spawn(work));
        let outcome = tokio::select! {
            biased;
            _ = asked.notified() => Err(cancelled()),
            r = &mut task.0 => joined(r),
        };
        drop(task);
        let _ = catch_unwind(AssertUnwindSafe(|| done(outcome)));
    });
    CancelHandle(cancel)
}

/// `work` running on the shared runtime, as a future any executor can await (Python's,
/// Kotlin's): dropping it aborts the work, and a panic becomes [`panicked`].
pub fn run<T, F>(work: F) -> impl Future<Output = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let task = AbortOnDrop(runtime().spawn(work));
    async move {
        let mut task = task;
        joined((&mut task.0).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn spawn_reports_result_cancel_and_panic_once() {
        let (tx, rx) = mpsc::channel();
        let t = tx.clone();
        spawn(async { Ok(7) }, move |r| t.send(r).unwrap());
        assert_eq!(rx.recv().unwrap().unwrap(), 7);

        let t = tx.clone();
        let h = spawn(
            async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(0)
            },
            move |r| t.send(r).unwrap(),
        );
        h.cancel();
        h.cancel();
        let e = rx.recv().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);

        let t = tx.clone();
        spawn(
            async {
                if true {
                    panic!("boom");
                }
                Ok(0)
            },
            move |r| t.send(r).unwrap(),
        );
        assert_eq!(rx.recv().unwrap().unwrap_err().kind(), ErrorKind::Internal);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    }

    #[test]
    fn run_maps_panic_and_value() {
        assert_eq!(crate::runtime::block_on(run(async { Ok(3) })).unwrap(), 3);
        let e = crate::runtime::block_on(run(async {
            if true {
                panic!("boom");
            }
            Ok(0)
        }))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
    }
}
