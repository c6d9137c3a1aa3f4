//! `--tls-keylog FILE`, shared by every subcommand that decodes: where TLS secrets come from.

use clap::Args;
use std::path::PathBuf;
use wslens::tls::KeyStore;

#[derive(Args, Debug, Default, Clone)]
pub struct TlsKeyArgs {
    /// TLS key log (NSS format, as browsers, curl, Python and Node write with SSLKEYLOGFILE)
    /// to decrypt wss:// connections. Without it, $SSLKEYLOGFILE is used when set; keys
    /// embedded in a pcapng (Decryption Secrets Blocks) are always used.
    #[arg(long, value_name = "FILE")]
    pub tls_keylog: Option<PathBuf>,
}

impl TlsKeyArgs {
    /// The key store: the file given, else $SSLKEYLOGFILE, else empty. `follow`: re-read the
    /// file as it grows (live capture). A missing file named by the option is an error; one
    /// named by the environment only a warning (it may not have been written yet).
    pub fn store(&self, follow: bool) -> anyhow::Result<KeyStore> {
        if let Some(p) = &self.tls_keylog {
            return KeyStore::open(p, follow).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the TLS key log {}: {e}",
                    wslens::text::escape_for_terminal(&p.display().to_string())
                )
            });
        }
        let Some(p) = std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty()) else {
            return Ok(KeyStore::default());
        };
        let p = PathBuf::from(p);
        match KeyStore::open(&p, follow) {
            Ok(k) => Ok(k),
            Err(e) if follow && e.kind() == std::io::ErrorKind::NotFound => {
                // A browser creates the file when it first writes keys.
                std::fs::File::create(&p)?;
                Ok(KeyStore::open(&p, true)?)
            }
            Err(e) => {
                eprintln!(
                    "wslens: SSLKEYLOGFILE {}: {e}; continuing without TLS keys",
                    wslens::text::escape_for_terminal(&p.display().to_string())
                );
                Ok(KeyStore::default())
            }
        }
    }
}

/// `--ui-memory`, shared by the commands that open the terminal UI.
#[derive(clap::Args, Debug, Clone)]
pub struct UiMemoryArgs {
    /// Memory for the terminal UI's indexes (per packet, event and connection); beyond it
    /// their oldest parts go to a temporary file and are read back when shown, so a live
    /// capture or demo can run for hours. Default 128 MiB. Accepts a suffix: 64M, 1G.
    #[arg(long = "ui-memory", default_value_t = wslens::ui::DEFAULT_UI_MEMORY,
          value_name = "BYTES", value_parser = super::decode::parse_size)]
    pub bytes: usize,
}

impl Default for UiMemoryArgs {
    fn default() -> Self {
        UiMemoryArgs {
            bytes: wslens::ui::DEFAULT_UI_MEMORY,
        }
    }
}

#[cfg(test)]
mod ui_memory_tests {
    use super::UiMemoryArgs;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        m: UiMemoryArgs,
    }

    #[test]
    fn ui_memory_defaults_and_takes_a_suffix() {
        let bytes = |args: &[&str]| {
            T::try_parse_from(std::iter::once("t").chain(args.iter().copied())).map(|t| t.m.bytes)
        };
        assert_eq!(bytes(&[]).unwrap(), wslens::ui::DEFAULT_UI_MEMORY);
        assert_eq!(bytes(&["--ui-memory", "64M"]).unwrap(), 64 << 20);
        assert!(bytes(&["--ui-memory", "lots"]).is_err());
    }
}
