//! Giving up capture privileges once the socket is open.

/// When running as an ordinary user whose binary has file capabilities (`setcap
/// cap_net_raw,cap_net_admin=eip`), clear every capability: the open socket keeps working, and
/// nothing else in the process (decoders fed hostile packets) runs privileged. As root nothing
/// is changed: root is an explicit choice of the person running it. Returns whether it dropped.
pub fn drop_capabilities() -> bool {
    if unsafe { libc::geteuid() } == 0 {
        return false;
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.
    let mut hdr = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr as *mut Header, data.as_ptr()) };
    r == 0
}
