//! Running core futures from Python through core's one boundary helper, `surface::run`
//! (dropping it aborts the work; a panic becomes `internal`): blocking with the GIL released
//! (`Client`), or awaited by a coroutine (`AsyncClient`).

use crate::errors::to_py;
use pyo3::prelude::*;
use sandgate::surface;
use std::future::Future;
use std::time::Duration;

/// How often a blocked call wakes up to let Python deliver signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `work` on the shared runtime and waits for it with the GIL released. Every
/// `SIGNAL_CHECK` it takes the GIL to run Python's signal handlers: a `KeyboardInterrupt`
/// drops the future, which aborts the work.
pub fn block_on<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut task = Box::pin(surface::run(work));
    loop {
        // The timer is made inside `block_on`, where the runtime's context is set.
        let step = py.detach(|| {
            sandgate::runtime::block_on(async {
                tokio::time::timeout(SIGNAL_CHECK, &mut task).await
            })
        });
        match step {
            Ok(outcome) => return outcome.map_err(|e| to_py(py, &e)),
            Err(_still_running) => py.check_signals()?,
        }
    }
}

/// `work` running on the shared runtime, awaited by a Python coroutine (`AsyncClient`):
/// cancelling the coroutine's task drops this future, which aborts the work.
pub async fn awaited<T, F>(work: F) -> PyResult<T>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    surface::run(work)
        .await
        .map_err(|e| Python::attach(|py| to_py(py, &e)))
}
