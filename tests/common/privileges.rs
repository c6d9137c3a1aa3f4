//! Privileges, for the tests of what wslens keeps of them: being root, running a program as
//! `nobody`, and what each thread of a running process holds.

use std::process::Command;

/// The tests run as root; otherwise `test` says it is skipped.
pub fn is_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED {test}: not root");
        return false;
    }
    true
}

/// `setpriv` set to run the program given next as `nobody` (uid and gid 65534), without
/// supplementary groups or inheritable capabilities.
pub fn setpriv_nobody() -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ]);
    cmd
}

/// The `fields` of every thread's `/proc/PID/task/TID/status` (e.g. `"CapEff:"`), their values'
/// whitespace made single spaces; a field the kernel does not show is empty.
pub fn thread_status(pid: u32, fields: &[&str]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let Ok(st) = std::fs::read_to_string(t.path().join("status")) else {
            continue;
        };
        let f = |k: &str| {
            st.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        out.push(fields.iter().map(|k| f(k)).collect());
    }
    out
}

/// Capability sets as `/proc` shows an empty one.
pub const NO_CAPS: &str = "0000000000000000";
