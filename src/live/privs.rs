//! Giving up capture privileges once the socket is open.

/// When running as an ordinary user whose binary has file capabilities (`setcap
/// cap_net_raw,cap_net_admin=eip`), clear every capability: the open socket keeps working, and
/// nothing else in the process (decoders fed hostile packets) runs privileged. As root nothing
/// is changed: root is an explicit choice of the person running it. Returns whether it dropped.
pub fn drop_capabilities() -> bool {
    if unsafe { libc::geteuid() } == 0 {
        return false;
    }
    clear_capabilities()
}

/// Who a root process becomes once its capture socket is open: the user who ran `sudo`
/// (`SUDO_UID`/`SUDO_GID`), else `nobody`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unprivileged {
    pub uid: u32,
    pub gid: u32,
}

impl Unprivileged {
    pub fn from_env() -> Self {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|&v| v != 0)
        };
        if let (Some(uid), Some(gid)) = (num("SUDO_UID"), num("SUDO_GID")) {
            return Unprivileged { uid, gid };
        }
        // SAFETY: getpwnam returns null or a pointer to a static record, read at once.
        let pw = unsafe { libc::getpwnam(c"nobody".as_ptr()) };
        if pw.is_null() {
            Unprivileged {
                uid: 65534,
                gid: 65534,
            }
        } else {
            unsafe {
                Unprivileged {
                    uid: (*pw).pw_uid,
                    gid: (*pw).pw_gid,
                }
            }
        }
    }
}

/// Set by a command that, run as root, must not keep root once its capture is open (`demo`).
static DROP_ROOT_TO: std::sync::OnceLock<Unprivileged> = std::sync::OnceLock::new();

/// Ask [`drop_privileges`] (called by `live::start` once the capture socket and the record file
/// are open) to give up root too, becoming `to`.
pub fn drop_root_when_open(to: Unprivileged) {
    let _ = DROP_ROOT_TO.set(to);
}

/// Hand a file created while privileged (the recording) to the user root is dropped to, so
/// they can read what they recorded.
pub fn hand_over(f: &std::fs::File) -> std::io::Result<()> {
    match DROP_ROOT_TO.get() {
        Some(to) if unsafe { libc::geteuid() } == 0 => {
            std::os::unix::fs::fchown(f, Some(to.uid), Some(to.gid))
        }
        _ => Ok(()),
    }
}

/// Give up what opening the capture needed: an ordinary user's capabilities are cleared (see
/// [`drop_capabilities`]); root, when [`drop_root_when_open`] asked for it, becomes that user
/// with nothing left (see [`drop_root`]). An error means privileges could not be dropped: the
/// caller must not go on.
pub fn drop_privileges() -> Result<(), String> {
    if unsafe { libc::geteuid() } != 0 {
        drop_capabilities();
        return Ok(());
    }
    match DROP_ROOT_TO.get() {
        Some(to) => drop_root(*to),
        None => Ok(()),
    }
}

/// Become `to` for good, from root, in the calling process: the capability bounding set and
/// the ambient set emptied (no later exec can regain anything), supplementary groups dropped,
/// real, effective and saved group and user ids set, every capability set cleared (checked),
/// and `PR_SET_NO_NEW_PRIVS`. Then checked: the ids are `to`'s, no capability is left, and
/// root cannot be taken back. Call it before starting threads: the bounding set and
/// no-new-privs are per thread (glibc applies the id changes to every thread, and those clear
/// the capabilities of each).
pub fn drop_root(to: Unprivileged) -> Result<(), String> {
    let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: plain system calls with valid arguments; results are checked.
    unsafe {
        for cap in 0..64 {
            // Capabilities beyond the kernel's last give EINVAL: the set ends there.
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0
                && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL)
            {
                return Err(os("clearing the capability bounding set"));
            }
        }
        if libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        ) != 0
        {
            return Err(os("clearing the ambient capabilities"));
        }
        if libc::setgroups(0, std::ptr::null()) != 0 {
            return Err(os("dropping supplementary groups"));
        }
        if libc::setresgid(to.gid, to.gid, to.gid) != 0 {
            return Err(os(&format!("switching to group {}", to.gid)));
        }
        if libc::setresuid(to.uid, to.uid, to.uid) != 0 {
            return Err(os(&format!("switching to user {}", to.uid)));
        }
    }
    if !clear_capabilities() {
        return Err(format!(
            "clearing capabilities: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: as above.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(os("setting no_new_privs"));
        }
        let (mut r, mut e, mut s) = (0, 0, 0);
        libc::getresuid(&mut r, &mut e, &mut s);
        if [r, e, s] != [to.uid; 3] || libc::setuid(0) == 0 {
            return Err("root could still be regained".into());
        }
    }
    if capabilities_held() {
        return Err("capabilities remain after dropping them".into());
    }
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAP_V3: u32 = 0x2008_0522;

/// capset with every set empty; true when the kernel accepted it.
fn clear_capabilities() -> bool {
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: the header and two data words are what capset reads for version 3.
    unsafe { libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()) == 0 }
}

/// Does the calling thread hold any capability (or cannot tell)?
fn capabilities_held() -> bool {
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget writes two data words for version 3.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut hdr as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    r != 0
        || data
            .iter()
            .any(|d| d.effective != 0 || d.permitted != 0 || d.inheritable != 0)
}

/// Create (or truncate) the recording: see [`create_private`].
pub fn create_record(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    create_private(path)
}

/// Create (or truncate) a file that holds secrets (a recording, `demo --keylog`): never
/// through a symbolic link (`O_NOFOLLOW`: a link planted where the file is to be written is
/// refused, so a privileged wslens cannot be made to overwrite its target), only a regular
/// file, mode 0600 (a capture holds whatever crossed the wire, a key log what decrypts it),
/// close-on-exec; handed to the user root drops to.
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    // An existing file keeps its mode on open: make it private too, then empty it.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.set_len(0)?;
    // Blocking writes from here on (O_NONBLOCK only kept a FIFO from stalling the open).
    // SAFETY: fcntl on an open descriptor.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_NONBLOCK);
    }
    hand_over(&f)?;
    Ok(f)
}
