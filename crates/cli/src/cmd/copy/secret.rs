//! Reading the code: TETHER_CODE, --code-file, or a prompt without echo.
//! Never from argv, and never left in the environment for a child.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{bail, Context};
use tether_copy::Code;

/// The environment variable a code may come from.
pub const ENV: &str = "TETHER_CODE";

/// Finds the code: `--code-file`, then `TETHER_CODE` (removed from the
/// environment at once), then a no-echo prompt on the terminal.
pub fn read_code(code_file: Option<&Path>) -> anyhow::Result<Code> {
    let text = if let Some(path) = code_file {
        let all = fs::read_to_string(path)
            .with_context(|| format!("cannot read the code file {}", path.display()))?;
        all.lines().next().unwrap_or("").to_owned()
    } else if let Some(v) = std::env::var_os(ENV) {
        // Children must not inherit it.
        std::env::remove_var(ENV);
        v.to_string_lossy().into_owned()
    } else {
        prompt()?
    };
    Ok(Code::parse(&text)?)
}

/// Asks on /dev/tty with echo off.
fn prompt() -> anyhow::Result<String> {
    let Ok(tty) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        bail!("no code: type it on a terminal, or set {ENV}, or use --code-file");
    };
    let mut out = &tty;
    out.write_all(b"code: ")?;
    out.flush()?;
    let fd = tty.as_raw_fd();
    let restore = super::interrupt::echo_off(fd);
    let mut line = String::new();
    let r = BufReader::new(&tty).read_line(&mut line);
    super::interrupt::echo_restore(restore);
    r.context("cannot read the code")?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_from_the_environment_is_gone_before_any_child_could_inherit_it() {
        std::env::set_var(ENV, "7-orbit-lantern-velvet-quarry");
        let code = read_code(None).unwrap();
        assert_eq!(code.as_str(), "7-orbit-lantern-velvet-quarry");
        assert!(std::env::var_os(ENV).is_none());
        let child = std::process::Command::new("env").output().unwrap();
        assert!(!String::from_utf8_lossy(&child.stdout).contains("orbit-lantern"));
    }
}
