//! The terminal comes back even when memory runs out.
//!
//! An allocation that fails does not panic: Rust aborts the process, and neither the panic
//! hook nor any destructor runs, which would leave the shell in the alternate screen, in raw
//! mode and with mouse reporting on. [`RestoringAlloc`] wraps the system allocator and, when an
//! allocation fails while the UI holds the terminal, puts the terminal back the way
//! [`arm`] found it, with nothing but system calls (allocating is what just failed), before
//! the abort.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The terminal's settings before the UI changed them (file descriptor, termios).
static SAVED: OnceLock<(i32, libc::termios)> = OnceLock::new();
static ARMED: AtomicBool = AtomicBool::new(false);

/// Remember the terminal's settings; called before the UI switches to raw mode.
pub fn arm() {
    // crossterm puts standard input in raw mode when it is a terminal, else /dev/tty; the UI
    // needs a terminal on standard input anyway.
    // SAFETY: isatty/tcgetattr only read the descriptor's state into `t`.
    unsafe {
        if libc::isatty(0) == 1 {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) == 0 {
                let _ = SAVED.set((0, t));
            }
        }
    }
    ARMED.store(true, Ordering::SeqCst);
}

/// The UI has given the terminal back itself.
pub fn disarm() {
    ARMED.store(false, Ordering::SeqCst);
}

/// Mouse reporting off, main screen, cursor shown, then the message.
const RESTORE: &[u8] =
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?1049l\x1b[?25h\r\n";
const MESSAGE: &[u8] = b"wslens: out of memory; the terminal was restored before stopping\n";

/// Put the terminal back (once), without allocating; async-signal-safe.
pub fn restore_terminal() {
    if !ARMED.swap(false, Ordering::SeqCst) {
        return;
    }
    // SAFETY: plain system calls on fixed buffers and the saved termios.
    unsafe {
        if let Some((fd, t)) = SAVED.get() {
            libc::tcsetattr(*fd, libc::TCSANOW, t);
        }
        libc::write(1, RESTORE.as_ptr().cast(), RESTORE.len());
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
    }
}

/// The system allocator, restoring the terminal when an allocation fails.
pub struct RestoringAlloc;

// SAFETY: every call is forwarded to `System` unchanged; only a failure is observed.
unsafe impl GlobalAlloc for RestoringAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            restore_terminal();
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            restore_terminal();
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            restore_terminal();
        }
        p
    }
}
