//! Running core futures from Python through core's one boundary helper (`surface::run` and
//! `surface::spawn`: cancel → `cancelled`, panic → `internal`): blocking with the GIL
//! released (`Client`), or as an asyncio future whose cancellation cancels the work
//! (`AsyncClient`).

use crate::errors::to_py;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt;
use sandgate::surface::{self, CancelHandle};
use std::future::Future;
use std::time::Duration;

/// How often a blocked call wakes up to let Python deliver signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `work` on the shared runtime and waits for it with the GIL released. Every
/// `SIGNAL_CHECK` it takes the GIL to run Python's signal handlers: a `KeyboardInterrupt`
/// drops the future, which aborts the work.
pub fn block_on<T, F>(py: Python<'_>, work: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
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
            Ok(outcome) => return outcome.map_err(|e| to_py(py, &e))?.into_py_any(py),
            Err(_still_running) => py.check_signals()?,
        }
    }
}

/// Starts `work` on the shared runtime and returns an asyncio future of the running loop that
/// resolves with its outcome. Cancelling the asyncio future (or the task awaiting it) cancels
/// the work.
pub fn awaitable<T, F>(py: Python<'_>, work: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = asyncio(py)?.call_method0("get_running_loop")?;
    let py_future = event_loop.call_method0("create_future")?;
    let target = py_future.clone().unbind();
    let event_loop = event_loop.unbind();
    let cancel = surface::spawn(work, move |outcome| {
        // If the interpreter is shutting down there is nobody left to tell. The Python
        // objects move into the closure so they are released while attached.
        Python::try_attach(move |py| {
            let (value, failed) = match outcome.map(|v| v.into_py_any(py)) {
                Ok(Ok(v)) => (v, false),
                Ok(Err(e)) => (e.into_value(py).into_any(), true),
                Err(e) => (to_py(py, &e).into_value(py).into_any(), true),
            };
            let Ok(resolve) = resolver(py) else { return };
            // A closed loop raises here; its future can no longer be awaited anyway.
            let _ = event_loop.call_method1(
                py,
                "call_soon_threadsafe",
                (resolve, target, value, failed),
            );
        });
    });
    py_future.call_method1("add_done_callback", (CancelOnDone(cancel),))?;
    Ok(py_future.unbind())
}

fn asyncio(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static ASYNCIO: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    ASYNCIO
        .get_or_try_init(py, || py.import("asyncio").map(Bound::unbind))
        .map(|m| m.bind(py))
}

fn resolver(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    RESOLVE
        .get_or_try_init(py, || {
            wrap_pyfunction!(resolve, py).map(|f| f.into_any().unbind())
        })
        .map(|f| f.bind(py))
}

/// Sets the result or exception of `future` unless it is already done (cancelled).
#[pyfunction]
fn resolve(future: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, failed: bool) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    let method = if failed {
        "set_exception"
    } else {
        "set_result"
    };
    future.call_method1(method, (value,))?;
    Ok(())
}

/// Done-callback of the asyncio future: cancels the work (a no-op once it finished).
#[pyclass(frozen)]
struct CancelOnDone(CancelHandle);

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.cancel();
    }
}
