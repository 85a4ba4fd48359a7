//! The one tokio runtime sandgate's language packages share: created lazily on first use,
//! never per call, and created again in a child process after `fork` (the parent's worker
//! threads do not exist there).

use std::future::Future;
use std::sync::Mutex;
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The shared multi-threaded runtime (two workers, threads named `sandgate-rt`).
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            // A runtime made by a parent process before fork is unusable here; it is leaked
            // on purpose (dropping it would try to join threads that do not exist).
            let rt: &'static Runtime = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("sandgate-rt")
                    .enable_all()
                    .build()
                    .expect("cannot start the sandgate tokio runtime"),
            ));
            *slot = Some((pid, rt));
            rt
        }
    }
}

/// Runs `fut` to completion on the shared runtime, blocking the calling thread.
///
/// For blocking APIs in language packages; must not be called from a runtime worker thread.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    runtime().block_on(fut)
}
