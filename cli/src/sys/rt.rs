//! The helper binary's runtime: what runs before and around `main` (a C `main` in place of
//! std's start-up, and a static arena as the global allocator). Both were measured against
//! their removal (BENCHMARKS.md, "This round: the runtime pieces"): without the arena the
//! helper is slower than its guard allows, without the C main its binary is larger. They live
//! under `sys` because each needs `unsafe`, which the helper keeps to this module.

/// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, so that no descriptor
/// the helper opens later takes a standard stream's number (a message written to "stderr"
/// must not land in a directory or a workdir file). Failures are ignored: there is nothing
/// to report them on.
pub fn keep_std_fds_open() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            continue;
        }
        // SAFETY: the path is NUL-terminated; the new descriptor is deliberately never closed
        // (it stands in for the missing stream for the life of the process). open returns the
        // lowest free number, which is `fd`, since the lower ones are open by now.
        let _ = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
    }
}

/// What std's runtime does before `main` that the helper needs, for a `#![no_main]` binary
/// entered through [`c_main!`](crate::c_main): descriptors 0, 1 and 2 that are closed are
/// opened on `/dev/null` ([`keep_std_fds_open`], before the front or the helper opens
/// anything), SIGPIPE is ignored (a closed pipe on stdout or stderr is
/// an error to handle, not a signal that kills the helper after a mount), and a panic prints
/// nothing (the binary is built with `panic = "abort"`: it stops there, without unwinding).
/// Not done, unlike std's start-up: the alternate signal stack and SIGSEGV handler that name a
/// stack overflow before aborting (an overflow still kills the process, by SIGSEGV), and
/// saving argc/argv for `std::env::args` (on musl it stays empty: use the `c_main!` argument).
pub fn init_process() {
    keep_std_fds_open();
    // SAFETY: SIG_IGN is a valid disposition for SIGPIPE; no handler code is involved.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    std::panic::set_hook(Box::new(|_| {}));
}

/// Defines the C `main` of a `#![no_main]` binary: it collects argv (program name included)
/// as `Vec<OsString>`, runs [`init_process`](crate::sys::rt::init_process), calls `$entry`
/// with the arguments and exits with the status it returns, through `std::process::exit`, which
/// flushes stdout as returning from a Rust `main` would. std's own start-up is skipped; what of
/// it the helper needs is in `init_process`.
#[macro_export]
macro_rules! c_main {
    ($entry:path) => {
        #[no_mangle]
        extern "C" fn main(
            argc: ::std::ffi::c_int,
            argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            use ::std::os::unix::ffi::OsStrExt;
            let args: ::std::vec::Vec<::std::ffi::OsString> = (0..argc.max(0) as usize)
                .map(|i| {
                    // SAFETY: the C runtime calls `main` with its argc and argv: `argc`
                    // pointers to NUL-terminated strings that live until the process exits.
                    let arg = unsafe { ::std::ffi::CStr::from_ptr(*argv.add(i)) };
                    ::std::ffi::OsStr::from_bytes(arg.to_bytes()).to_os_string()
                })
                .collect();
            $crate::sys::rt::init_process();
            ::std::process::exit($entry(args))
        }
    };
}

/// The helper binary's global allocator: a bump allocator over a static buffer of
/// [`Arena::SIZE`] bytes, falling back to the system allocator when it is full. The helper is
/// a short-lived process that allocates a few dozen blocks: freeing arena blocks is a no-op
/// (the last block is shrunk or grown in place), which spares musl's allocator its set-up
/// (`brk`, `mmap`, and `munmap` again at exit). Every block it hands out is either wholly in
/// the buffer or came from [`std::alloc::System`], and is returned to where it came from.
pub struct Arena {
    buf: std::cell::UnsafeCell<[u8; Arena::SIZE]>,
    /// Offset of the first free byte of `buf`.
    next: std::sync::atomic::AtomicUsize,
}

// SAFETY: `buf` is only reached through offsets claimed by compare-exchange on `next`, so no
// two threads are ever given the same bytes.
unsafe impl Sync for Arena {}

impl Arena {
    /// Bytes served from the static buffer before falling back to the system allocator.
    pub const SIZE: usize = 64 * 1024;

    /// An empty arena (for a `static`).
    pub const fn new() -> Arena {
        Arena {
            buf: std::cell::UnsafeCell::new([0; Arena::SIZE]),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn base(&self) -> usize {
        self.buf.get() as usize
    }

    fn owns(&self, p: *mut u8) -> bool {
        (self.base()..self.base() + Arena::SIZE).contains(&(p as usize))
    }

    /// Claims `layout` from the buffer, or `None` when it does not fit. Not inlined: LTO
    /// would otherwise copy it into every allocation site (10 KB of code).
    #[inline(never)]
    fn claim(&self, layout: std::alloc::Layout) -> Option<*mut u8> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut cur = self.next.load(Relaxed);
        loop {
            let start = (self.base() + cur).checked_next_multiple_of(layout.align())? - self.base();
            let end = start.checked_add(layout.size())?;
            if end > Arena::SIZE {
                return None;
            }
            match self.next.compare_exchange_weak(cur, end, Relaxed, Relaxed) {
                Ok(_) => return Some(self.buf.get().cast::<u8>().wrapping_add(start)),
                Err(now) => cur = now,
            }
        }
    }
}

impl Default for Arena {
    fn default() -> Arena {
        Arena::new()
    }
}

// SAFETY: `alloc` returns bytes of the buffer no other live block overlaps (claimed once, never
// handed out again) with the layout's size and alignment, or the system allocator's block;
// `dealloc` and `realloc` send system blocks back to the system allocator and never free
// arena bytes, so no block is freed twice or freed to the wrong allocator.
unsafe impl std::alloc::GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        match self.claim(layout) {
            Some(p) => p,
            // SAFETY: the caller's layout has a non-zero size, as GlobalAlloc requires.
            None => unsafe { std::alloc::System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: std::alloc::Layout) {
        if !self.owns(p) {
            // SAFETY: not an arena block, so the system allocator gave it with this layout.
            unsafe { std::alloc::System.dealloc(p, layout) }
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, p: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.owns(p) {
            // SAFETY: a system block with this layout; the caller's new size is valid for it.
            return unsafe { std::alloc::System.realloc(p, layout, size) };
        }
        let start = p as usize - self.base();
        let old_end = start + layout.size();
        // The last block grows or shrinks in place when the buffer has room.
        if let Some(end) = start.checked_add(size) {
            if end <= Arena::SIZE
                && self
                    .next
                    .compare_exchange(old_end, end, Relaxed, Relaxed)
                    .is_ok()
            {
                return p;
            }
        }
        if size <= layout.size() {
            return p;
        }
        // SAFETY: the caller guarantees `size` with `layout.align()` is a valid layout.
        let new = unsafe {
            self.alloc(std::alloc::Layout::from_size_align_unchecked(
                size,
                layout.align(),
            ))
        };
        if !new.is_null() {
            // SAFETY: both blocks are at least `layout.size()` long and do not overlap (the new
            // one was claimed after the old one, or came from the system).
            unsafe { std::ptr::copy_nonoverlapping(p, new, layout.size()) };
        }
        new
    }
}

#[cfg(test)]
mod arena_tests {
    use super::Arena;
    use std::alloc::{GlobalAlloc, Layout};

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_from_the_buffer() {
        static A: Arena = Arena::new();
        // SAFETY: non-zero sizes; every block is written within its own length only.
        unsafe {
            let a = A.alloc(layout(3, 1));
            let b = A.alloc(layout(16, 16));
            let c = A.alloc(layout(8, 8));
            assert!(A.owns(a) && A.owns(b) && A.owns(c));
            assert_eq!(b as usize % 16, 0);
            assert_eq!(c as usize % 8, 0);
            assert!(a as usize + 3 <= b as usize && b as usize + 16 <= c as usize);
            std::ptr::write_bytes(b, 0xab, 16);
            std::ptr::write_bytes(c, 0xcd, 8);
            assert_eq!(*b.add(15), 0xab);
        }
    }

    #[test]
    fn the_last_block_grows_in_place_and_an_earlier_one_moves_with_its_bytes() {
        static A: Arena = Arena::new();
        // SAFETY: valid layouts; blocks are read and written within their lengths.
        unsafe {
            let a = A.alloc(layout(4, 1));
            a.copy_from(b"abcd".as_ptr(), 4);
            let grown = A.realloc(a, layout(4, 1), 100);
            assert_eq!(grown, a, "the last block grows in place");
            let b = A.alloc(layout(4, 1));
            let moved = A.realloc(a, layout(100, 1), 200);
            assert_ne!(moved, a);
            assert!(
                moved as usize >= b as usize + 4,
                "moved past the later block"
            );
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
            assert_eq!(
                A.realloc(moved, layout(200, 1), 10),
                moved,
                "shrinking stays"
            );
        }
    }

    #[test]
    fn a_full_arena_hands_over_to_the_system_allocator() {
        static A: Arena = Arena::new();
        // SAFETY: valid layouts; each block is freed once, with its own layout.
        unsafe {
            let big = A.alloc(layout(Arena::SIZE - 8, 1));
            assert!(A.owns(big));
            let sys = A.alloc(layout(64, 8));
            assert!(!sys.is_null() && !A.owns(sys), "no room: from the system");
            sys.copy_from(b"system!!".as_ptr(), 8);
            let sys2 = A.realloc(sys, layout(64, 8), 4096);
            assert!(!A.owns(sys2));
            assert_eq!(std::slice::from_raw_parts(sys2, 8), b"system!!");
            A.dealloc(sys2, layout(4096, 8));
            // An arena block that cannot grow in place moves to the system with its bytes.
            big.copy_from(b"arena".as_ptr(), 5);
            let moved = A.realloc(big, layout(Arena::SIZE - 8, 1), Arena::SIZE + 1);
            assert!(!A.owns(moved));
            assert_eq!(std::slice::from_raw_parts(moved, 5), b"arena");
            A.dealloc(moved, layout(Arena::SIZE + 1, 1));
        }
    }
}

#[cfg(test)]
mod std_fd_tests {
    /// A closed standard descriptor is opened on `/dev/null`; an open one is left as it is,
    /// and nothing else is opened. Checked in a forked child (the test threads share one
    /// descriptor table), which exits 0 when descriptor 1, closed, came back as `/dev/null`,
    /// 0 stayed what it was, and the lowest free descriptor is the same as before.
    #[test]
    fn a_closed_standard_descriptor_becomes_dev_null() {
        fn target(fd: i32, buf: &mut [u8; 64]) -> &[u8] {
            let path = [c"/proc/self/fd/0", c"/proc/self/fd/1"][fd as usize];
            // SAFETY: `path` is NUL-terminated and `buf` writable for its length.
            let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
            &buf[..usize::try_from(n).unwrap_or(0)]
        }
        // SAFETY: the child calls only async-signal-safe functions (close, fcntl, open,
        // readlink, _exit) and never returns into the test harness.
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork");
            if pid == 0 {
                // Stack buffers only: a forked child of a threaded process must not allocate.
                let (mut a, mut b, mut c) = ([0u8; 64], [0u8; 64], [0u8; 64]);
                let before = target(0, &mut a);
                let lowest_free = || {
                    let fd = libc::dup(0);
                    libc::close(fd);
                    fd
                };
                let free_before = lowest_free();
                libc::close(1);
                super::keep_std_fds_open();
                let ok = target(1, &mut b) == b"/dev/null"
                    && target(0, &mut c) == before
                    && lowest_free() == free_before;
                libc::_exit(if ok { 0 } else { 1 });
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "{status:#x}"
            );
        }
    }
}
