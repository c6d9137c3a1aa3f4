//! The README's examples show what the commands print: its `--brief` excerpt is, line for line,
//! the start of `wslens decode --brief captures/classroom.pcap`.

use std::process::Command;

#[test]
fn the_brief_excerpt_is_what_decode_prints() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let cmd = "wslens decode --brief captures/classroom.pcap";
    let at = readme.find(cmd).expect("the README names the command");
    let block = &readme[at..];
    let start = block.find("```text\n").expect("a text block follows") + 8;
    let end = block[start..].find("```").unwrap() + start;
    let shown: Vec<&str> = block[start..end].lines().collect();
    assert!(shown.len() >= 10, "{shown:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["decode", "--brief", "captures/classroom.pcap"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got = String::from_utf8(out.stdout).unwrap();
    let got: Vec<&str> = got.lines().take(shown.len()).collect();
    assert_eq!(
        shown, got,
        "README.md's excerpt differs from the command's output"
    );
}
