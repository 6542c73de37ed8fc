//! Signal handling: SIGINT and SIGTERM stop the enforcer, SIGUSR1 prints
//! the counters, and SIGUSR2 wakes a queue thread out of its blocking
//! receive.
//!
//! The handlers are installed without SA_RESTART, so a signal makes a
//! blocking `recv` on a queue socket return EINTR. That is how a queue
//! thread notices a shutdown: the nfq crate does not expose its socket,
//! so it cannot be polled with a timeout.

use std::io;
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

static SHUTDOWN: AtomicBool = AtomicBool::new(false);
static PRINT_STATS: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(signal: libc::c_int) {
    // Only atomic stores: they are async-signal-safe.
    match signal {
        libc::SIGINT | libc::SIGTERM => SHUTDOWN.store(true, Ordering::SeqCst),
        libc::SIGUSR1 => PRINT_STATS.store(true, Ordering::SeqCst),
        _ => {}
    }
}

/// Installs the handlers for SIGINT, SIGTERM, SIGUSR1 and SIGUSR2.
pub fn install() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGUSR1, libc::SIGUSR2] {
        // SAFETY: the action is fully initialised and the handler only
        // stores to atomics.
        let result = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = 0;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if result != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Returns whether a shutdown was requested.
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::SeqCst)
}

/// Requests a shutdown, as SIGTERM does.
pub fn request_shutdown() {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// Returns whether SIGUSR1 arrived since the last call.
pub fn take_print_stats() -> bool {
    PRINT_STATS.swap(false, Ordering::SeqCst)
}

/// Sends SIGUSR2 to a thread, interrupting a blocking system call.
pub fn wake<T>(thread: &JoinHandle<T>) {
    // SAFETY: the thread has not been joined, so its pthread_t is valid.
    unsafe {
        libc::pthread_kill(thread.as_pthread_t(), libc::SIGUSR2);
    }
}
