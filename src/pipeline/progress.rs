//! A progress line on stderr for long runs, only when stderr is a terminal (never in CI
//! logs or pipes): `mirrorguard: reading files 1234/10000`. Written by a ticker thread every
//! 200 ms, erased when the work is done.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A counter shown while some work runs.
pub struct Progress {
    done: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts showing `what done/total` (nothing when stderr is not a terminal).
    pub fn start(what: &str, total: usize) -> Self {
        let done = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = (std::io::stderr().is_terminal() && total > 100).then(|| {
            let (done, stop, what) = (done.clone(), stop.clone(), what.to_owned());
            std::thread::spawn(move || {
                let mut shown = false;
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    let n = done.load(Ordering::Relaxed);
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\rmirrorguard: {what} {n}/{total}");
                    let _ = err.flush();
                    shown = true;
                }
                if shown {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            })
        });
        Self { done, stop, ticker }
    }

    /// One more item done.
    pub fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
