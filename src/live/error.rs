use std::fmt;

/// Why a live capture could not start.
#[derive(Debug)]
pub enum CaptureError {
    /// The OS refused the capture socket: CAP_NET_RAW is missing.
    Permission {
        iface: String,
        detail: String,
    },
    /// No such interface.
    NoInterface(String),
    /// The request cannot be done with this backend (e.g. `-f` with pnet).
    Unsupported(String),
    Other(String),
}

impl CaptureError {
    pub fn is_permission(&self) -> bool {
        matches!(self, CaptureError::Permission { .. })
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Permission { iface, detail } => write!(
                f,
                "no permission to capture on {iface} ({detail}).\n\
                 Live capture needs the CAP_NET_RAW capability. Either run as root:\n\
                 \x20   sudo {exe} ...\n\
                 or give the binary the capability once (it drops it right after opening the socket):\n\
                 \x20   sudo setcap cap_net_raw,cap_net_admin=eip {exe}\n\
                 Without capture rights you can still explore the bundled recording: run `wslens` with no arguments.",
                exe = this_binary()
            ),
            CaptureError::NoInterface(i) => write!(f, "no network interface named {i:?}"),
            CaptureError::Unsupported(s) => f.write_str(s),
            CaptureError::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for CaptureError {}

/// The path of the running binary, for a setcap line that works as printed (e.g.
/// ~/.cargo/bin/wslens after `cargo install --path .`), quoted for the shell when it must be.
fn this_binary() -> String {
    let p = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "$(command -v wslens)".into());
    let p = crate::text::escape_for_terminal(&p).into_owned();
    if p.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+~".contains(c))
    {
        p
    } else {
        format!("'{}'", p.replace('\'', "'\\''"))
    }
}

/// Classify an OS error from opening the capture socket.
pub(crate) fn from_io(iface: &str, e: std::io::Error) -> CaptureError {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => CaptureError::Permission {
            iface: iface.to_string(),
            detail: e.to_string(),
        },
        Some(libc::ENODEV) => CaptureError::NoInterface(iface.to_string()),
        _ => CaptureError::Other(format!("cannot open capture on {iface}: {e}")),
    }
}
