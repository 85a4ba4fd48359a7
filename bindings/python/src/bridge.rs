//! Running core futures from Python: blocking with the GIL released (`Client`), or as an
//! asyncio future whose cancellation aborts the work (`AsyncClient`). Both run on sandgate's
//! one shared tokio runtime, which is re-created in a forked child.

use crate::errors::{internal, to_py};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// How often a blocked call wakes up to let Python deliver signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs `fut` on the shared runtime and waits for it with the GIL released. Every
/// `SIGNAL_CHECK` it takes the GIL to run Python's signal handlers: a `KeyboardInterrupt`
/// drops the future, which aborts the request.
pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut task = Box::pin(sandgate::runtime::run_on_runtime(CatchUnwind(Box::pin(
        fut,
    ))));
    loop {
        let step = py.detach(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                // The timer is made inside `block_on`, where the runtime's context is set.
                sandgate::runtime::block_on(async {
                    tokio::time::timeout(SIGNAL_CHECK, &mut task).await
                })
            }))
        });
        match step {
            Ok(Ok(Ok(Ok(value)))) => return Ok(value),
            Ok(Ok(Ok(Err(e)))) => return Err(to_py(py, &e)),
            Ok(Ok(Err(()))) | Err(_) => return Err(internal(py, "a blocking call")),
            Ok(Err(_still_running)) => py.check_signals()?,
        }
    }
}

/// Starts `fut` on the shared runtime and returns an asyncio future of the running loop that
/// resolves with its result. Cancelling the asyncio future (or the task awaiting it) aborts
/// the work.
pub fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = asyncio(py)?.call_method0("get_running_loop")?;
    let py_future = event_loop.call_method0("create_future")?;
    let target = py_future.clone().unbind();
    let event_loop = event_loop.unbind();
    let task = sandgate::runtime::runtime().spawn(async move {
        let out = CatchUnwind(Box::pin(fut)).await;
        // If the interpreter is shutting down there is nobody left to tell. The Python
        // objects move into the closure so they are released while attached.
        Python::try_attach(move |py| {
            let (value, failed) = match out {
                Ok(Ok(v)) => match v.into_py_any(py) {
                    Ok(v) => (v, false),
                    Err(e) => (e.into_value(py).into_any(), true),
                },
                Ok(Err(e)) => (to_py(py, &e).into_value(py).into_any(), true),
                Err(()) => (
                    internal(py, "an async call").into_value(py).into_any(),
                    true,
                ),
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
    let on_done = AbortOnDone(task.abort_handle());
    py_future.call_method1("add_done_callback", (on_done,))?;
    Ok(py_future)
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

/// Done-callback of the asyncio future: aborts the tokio task (a no-op once it finished).
#[pyclass(frozen)]
struct AbortOnDone(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

/// A future that turns a panic while polling into `Err(())`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
