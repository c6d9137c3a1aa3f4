//! A TPACKET_V3 receive ring on an AF_PACKET socket: the kernel writes packets into blocks of a
//! memory area shared with us and hands a block over when it is full or after a short timeout.
//! Reading a packet then costs no system call; one `poll` waits for the next block. This is
//! what libpcap does too; one `recvfrom` + `poll` + timestamp `ioctl` per packet (pnet's way)
//! cost the capture thread more than all of decoding.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{Ordering, fence};
use std::time::Duration;

/// Bytes per block: a whole 64 KiB loopback segment fits many times over.
const BLOCK_SIZE: u32 = 1 << 20;
/// Blocks in the ring: 16 MiB absorbs a second of 80k packets/s of small packets while the
/// decoder is busy.
const BLOCKS: u32 = 16;
/// A block with fewer packets than fill it is handed over after this long: the latency bound.
const BLOCK_TIMEOUT_MS: u32 = 20;
const FRAME_SIZE: u32 = 2048;

pub struct Ring {
    fd: RawFd,
    map: *mut u8,
    len: usize,
    /// The block being read (or waited for).
    cur: usize,
    /// In the current block: packets left, and the offset of the next one.
    reading: Option<(u32, usize)>,
}

// SAFETY: the mapping is owned by this value alone and only used through `&mut self`.
unsafe impl Send for Ring {}

/// One packet in the ring, borrowed until the next call.
pub struct RingPacket<'a> {
    pub ts_ns: i64,
    pub data: &'a [u8],
    pub orig_len: u32,
}

impl Ring {
    /// Set up the ring on `fd` (an AF_PACKET socket not yet bound); the caller binds it after.
    pub fn new(fd: RawFd) -> io::Result<Ring> {
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(fd, libc::PACKET_VERSION, &version)?;
        let req = libc::tpacket_req3 {
            tp_block_size: BLOCK_SIZE,
            tp_block_nr: BLOCKS,
            tp_frame_size: FRAME_SIZE,
            tp_frame_nr: BLOCK_SIZE / FRAME_SIZE * BLOCKS,
            tp_retire_blk_tov: BLOCK_TIMEOUT_MS,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(fd, libc::PACKET_RX_RING, &req)?;
        let len = (BLOCK_SIZE * BLOCKS) as usize;
        // SAFETY: a shared mapping of the ring the kernel just set up for this socket.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Ring {
            fd,
            map: map.cast(),
            len,
            cur: 0,
            reading: None,
        })
    }

    fn block(&self, i: usize) -> *mut libc::tpacket_block_desc {
        // SAFETY: i < BLOCKS, so the block lies inside the mapping.
        unsafe { self.map.add(i * BLOCK_SIZE as usize).cast() }
    }

    fn status(&self, i: usize) -> u32 {
        // SAFETY: the block descriptor lies in the mapping; the kernel writes it concurrently,
        // hence the volatile read and the fence before the packets are read.
        let s = unsafe {
            std::ptr::read_volatile(std::ptr::addr_of!((*self.block(i)).hdr.bh1.block_status))
        };
        fence(Ordering::Acquire);
        s
    }

    /// The next packet, waiting at most `wait` for one; None when none came.
    pub fn next(&mut self, wait: Duration) -> io::Result<Option<RingPacket<'_>>> {
        loop {
            if let Some((left, off)) = self.reading {
                if left == 0 {
                    // Every packet of the block was read (and the last one's borrow has ended):
                    // give the block back to the kernel.
                    fence(Ordering::Release);
                    // SAFETY: as in `status`.
                    unsafe {
                        std::ptr::write_volatile(
                            std::ptr::addr_of_mut!((*self.block(self.cur)).hdr.bh1.block_status),
                            libc::TP_STATUS_KERNEL,
                        );
                    }
                    self.cur = (self.cur + 1) % BLOCKS as usize;
                    self.reading = None;
                    continue;
                }
                let base = self.block(self.cur) as *const u8;
                // SAFETY: the kernel lays packets inside the block; the offsets it wrote are
                // checked against the block's size before use.
                let (h, data) = unsafe {
                    if off + size_of::<libc::tpacket3_hdr>() > BLOCK_SIZE as usize {
                        self.reading = Some((0, off));
                        continue;
                    }
                    let h = std::ptr::read_unaligned(base.add(off).cast::<libc::tpacket3_hdr>());
                    let start = off + h.tp_mac as usize;
                    let n =
                        (h.tp_snaplen as usize).min((BLOCK_SIZE as usize).saturating_sub(start));
                    (h, std::slice::from_raw_parts(base.add(start), n))
                };
                let next = if h.tp_next_offset == 0 { 0 } else { left - 1 };
                self.reading = Some((next, off + h.tp_next_offset as usize));
                return Ok(Some(RingPacket {
                    ts_ns: (h.tp_sec as i64) * 1_000_000_000 + h.tp_nsec as i64,
                    data,
                    orig_len: h.tp_len,
                }));
            }
            if self.status(self.cur) & libc::TP_STATUS_USER != 0 {
                // SAFETY: the block is ours until we hand it back.
                let (n, first) = unsafe {
                    let bh = &(*self.block(self.cur)).hdr.bh1;
                    (bh.num_pkts, bh.offset_to_first_pkt as usize)
                };
                self.reading = Some((n, first));
                continue;
            }
            let mut p = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            let ms = wait.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut p, 1, ms) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    return Ok(None);
                }
                return Err(e);
            }
            if self.status(self.cur) & libc::TP_STATUS_USER == 0 {
                return Ok(None);
            }
        }
    }

    /// Packets the kernel dropped since the last call (PACKET_STATISTICS resets on read).
    pub fn drops_since(&self) -> Option<u64> {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut sl = size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: getsockopt into a struct of the size given.
        let r = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut sl,
            )
        };
        (r == 0).then_some(u64::from(st.tp_drops))
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe {
            libc::munmap(self.map.cast(), self.len);
        }
    }
}

fn setsockopt<T>(fd: RawFd, name: libc::c_int, v: &T) -> io::Result<()> {
    // SAFETY: `v` is a value of the size passed.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_PACKET,
            name,
            (v as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
