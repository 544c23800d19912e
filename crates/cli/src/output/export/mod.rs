//! Exporters of the bench report, as hyperfine has them: one trait, one
//! type per format (the table a person reads, the JSON a program reads, the
//! charts), and a target that is a file, a directory for the charts, or a
//! standard stream.

pub mod broker;
pub mod json;
pub mod languages;
pub mod plot;
pub mod table;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tether_bench::Report;

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-` on the command line).
    Stdout,
    /// Standard error (where the table goes when the JSON takes stdout).
    Stderr,
    /// A file, or for the charts a directory.
    Path(PathBuf),
}

impl Target {
    /// `-` is stdout, anything else a path.
    pub fn parse(arg: &Path) -> Target {
        if arg.as_os_str() == "-" {
            Target::Stdout
        } else {
            Target::Path(arg.to_owned())
        }
    }
}

/// A format the report can be written in.
pub trait Exporter {
    /// Writes `report` to `target`; returns the files written (none for a
    /// stream).
    fn export(&self, report: &Report, target: &Target) -> anyhow::Result<Vec<PathBuf>>;
}

/// Writes `bytes` to `target`, flushed; returns the file written, if any.
pub fn write_bytes(target: &Target, bytes: &[u8]) -> anyhow::Result<Vec<PathBuf>> {
    match target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(Vec::new())
        }
        Target::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_all(bytes)?;
            err.flush()?;
            Ok(Vec::new())
        }
        Target::Path(path) => {
            std::fs::write(path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(vec![path.clone()])
        }
    }
}

/// The exports of a run with a report of its own (`--languages`,
/// `--broker`): the table (unless `quiet`; on stderr when the JSON takes
/// stdout), the report as JSON, and the charts `plot` draws into a
/// directory.
pub struct OwnReport<'a, R: serde::Serialize> {
    /// The report.
    pub report: &'a R,
    /// The table, as text.
    pub table: String,
    /// Draws the charts into a directory; returns the files.
    pub plot: &'a dyn Fn(&R, &Path) -> anyhow::Result<Vec<PathBuf>>,
}

impl<R: serde::Serialize> OwnReport<'_, R> {
    /// Writes what `json`, `plot_dir` and `quiet` ask for.
    pub fn export(
        &self,
        json: Option<&Path>,
        plot_dir: Option<&Path>,
        quiet: bool,
    ) -> anyhow::Result<()> {
        let json = json.map(Target::parse);
        if !quiet {
            let to = match json {
                Some(Target::Stdout) => Target::Stderr,
                _ => Target::Stdout,
            };
            write_bytes(&to, self.table.as_bytes())?;
        }
        if let Some(target) = &json {
            let mut text = serde_json::to_string_pretty(self.report)?;
            text.push('\n');
            write_bytes(target, text.as_bytes())?;
        }
        if let Some(dir) = plot_dir {
            let files = (self.plot)(self.report, dir)?;
            if !quiet {
                let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                eprintln!("plot: {}", names.join(", "));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dash_is_stdout() {
        assert_eq!(Target::parse(Path::new("-")), Target::Stdout);
        assert_eq!(
            Target::parse(Path::new("a.json")),
            Target::Path("a.json".into())
        );
    }
}
