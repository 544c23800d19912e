//! The Python and Java senders as child processes: finding `interop/`,
//! checking that each runtime is there (a missing one is skipped with a
//! reason), compiling the Java sender once per run, and running a sender
//! while reading its JSON lines with a time bound.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Deserialize;

use super::{Language, LanguagePlan, LanguageRate, Measured, RoundTrip, Sender, Skipped};
use crate::control::{ServerResults, Stack};
use crate::rate::per_second;
use crate::session::Session;

/// The longest line a sender may print: its lines are a few hundred bytes.
const MAX_LINE: u64 = 64 * 1024;

/// Where the senders are: `$TETHER_INTEROP`, `./interop`, or the checkout
/// this binary was built from.
pub fn find_interop() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("TETHER_INTEROP").map(PathBuf::from),
        Some(PathBuf::from("interop")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("python/bench_sender.py").is_file() && p.join("java/bench").is_dir())
}

/// The runtimes found, and the compiled Java sender.
pub(super) struct Runtimes {
    interop: PathBuf,
    python: String,
    java_classes: Option<PathBuf>,
}

impl Runtimes {
    /// Checks Python (and its tether package) and the JDK, compiles the
    /// Java sender; every sender that cannot run goes into `skipped`.
    pub(super) fn prepare(plan: &LanguagePlan, skipped: &mut Vec<Skipped>) -> Runtimes {
        let mut skip = |language, stacks: &[Stack], reason: &str| {
            for &stack in stacks {
                skipped.push(Skipped {
                    sender: Sender { language, stack },
                    reason: reason.to_string(),
                });
            }
        };
        let both = [Stack::Tether, Stack::Std];
        let Some(interop) = plan.interop.clone() else {
            let why = "interop/ not found (run from the tether checkout, or set TETHER_INTEROP)";
            skip(Language::Python, &both, why);
            skip(Language::Java, &both, why);
            return Runtimes {
                interop: PathBuf::new(),
                python: String::new(),
                java_classes: None,
            };
        };
        match succeeds(Command::new(&plan.python).args(["-c", "import json, socket, struct"])) {
            Err(why) => skip(Language::Python, &both, &format!("{}: {why}", plan.python)),
            Ok(()) => {
                if succeeds(Command::new(&plan.python).args(["-c", "import tether"])).is_err() {
                    let why = format!(
                        "{} has no tether package (pip install ./crates/py)",
                        plan.python
                    );
                    skip(Language::Python, &[Stack::Tether], &why);
                }
            }
        }
        let java_classes = match compile_java(&interop) {
            Ok(dir) => Some(dir),
            Err(why) => {
                skip(Language::Java, &both, &why);
                None
            }
        };
        Runtimes {
            interop,
            python: plan.python.clone(),
            java_classes,
        }
    }

    /// Runs one round of a child sender.
    pub(super) fn measure(
        &self,
        session: &Session,
        plan: &LanguagePlan,
        sender: Sender,
    ) -> anyhow::Result<Measured> {
        let mut cmd = match sender.language {
            Language::Python => {
                let mut c = Command::new(&self.python);
                c.arg(self.interop.join("python/bench_sender.py"));
                c
            }
            _ => {
                let classes = self
                    .java_classes
                    .as_ref()
                    .context("the Java sender is not compiled")?;
                let cp = std::env::join_paths([classes])?;
                let mut c = Command::new("java");
                c.arg("-cp").arg(cp).arg("BenchSender");
                c
            }
        };
        let sizes: Vec<String> = plan.sizes.iter().map(|s| s.to_string()).collect();
        let stack = if sender.stack == Stack::Tether {
            "tether"
        } else {
            "plain"
        };
        cmd.arg("--control")
            .arg(session.endpoint().to_string())
            .args([
                "--stack",
                stack,
                "--sizes",
                &sizes.join(","),
                "--repeats",
                "1",
            ])
            .args(["--total", &plan.total.to_string()])
            .args(["--max-time-ms", &plan.max_time.as_millis().to_string()])
            .args(["--rounds", &plan.latency.rounds.to_string()])
            .args(["--warmup", &plan.latency.warmup.to_string()])
            .args(["--latency-ms", &plan.latency.time.as_millis().to_string()]);
        // Generous: the sender's own caps end it long before.
        let limit = Duration::from_secs(30)
            + plan.latency.time
            + (plan.max_time * 4 + Duration::from_secs(2)) * (plan.sizes.len() as u32 + 1);
        let lines =
            run_lines(cmd, limit).with_context(|| format!("the {} sender", sender.label()))?;
        measured(&lines, plan).with_context(|| format!("the {} sender", sender.label()))
    }
}

impl Drop for Runtimes {
    fn drop(&mut self) {
        if let Some(dir) = &self.java_classes {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Ok if the command runs and exits 0; else why not, in a few words.
fn succeeds(cmd: &mut Command) -> Result<(), String> {
    match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("exited with {s}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("not found".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Compiles the library and the sender into a fresh temporary directory.
fn compile_java(interop: &Path) -> Result<PathBuf, String> {
    succeeds(Command::new("java").arg("-version"))
        .map_err(|e| format!("java {e} (a JDK 17 is needed)"))?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(interop.join("java/src/tether"))
        .map_err(|e| format!("cannot read interop/java/src/tether: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "java"))
        .collect();
    sources.sort();
    sources.push(interop.join("java/bench/BenchSender.java"));
    let dir = std::env::temp_dir().join(format!("tether-bench-java-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out = Command::new("javac")
        .args(["--release", "17", "-d"])
        .arg(&dir)
        .args(&sources)
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(dir),
        Ok(o) => {
            let _ = std::fs::remove_dir_all(&dir);
            let msg = String::from_utf8_lossy(&o.stderr);
            Err(format!(
                "javac failed: {}",
                msg.lines().next().unwrap_or("no message").trim()
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            if e.kind() == std::io::ErrorKind::NotFound {
                Err("javac not found (a JDK 17 is needed)".into())
            } else {
                Err(format!("javac: {e}"))
            }
        }
    }
}

/// Runs `cmd` to its end (killed after `limit`) and returns its stdout
/// lines; a non-zero exit is an error carrying its last line of stderr.
fn run_lines(mut cmd: Command, limit: Duration) -> anyhow::Result<Vec<String>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start it")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let _ = tx.send(read_lines(stdout));
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.take(MAX_LINE).read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let lines = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(lines) => lines,
        Err(_) => {
            kill(&mut child);
            bail!("it did not finish within {} s", limit.as_secs());
        }
    };
    let _ = reader.join();
    let status = wait_until(&mut child, deadline)?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let last = err
            .lines()
            .last()
            .unwrap_or("no message")
            .trim()
            .to_string();
        bail!("it exited with {status}: {last}");
    }
    lines
}

fn read_lines(stdout: impl Read) -> anyhow::Result<Vec<String>> {
    let mut r = BufReader::new(stdout);
    let mut lines = Vec::new();
    loop {
        let mut buf = Vec::new();
        let n = (&mut r).take(MAX_LINE).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        if buf.last() != Some(&b'\n') && n as u64 == MAX_LINE {
            bail!("it printed a line longer than {MAX_LINE} bytes");
        }
        lines.push(String::from_utf8_lossy(&buf).trim_end().to_string());
    }
}

fn wait_until(child: &mut Child, deadline: Instant) -> anyhow::Result<std::process::ExitStatus> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            kill(child);
            bail!("it did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// One line of a sender's output (docs/PROTOCOL.md).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Latency {
        rounds: u64,
        p50_ns: u64,
        p99_ns: u64,
    },
    Rate {
        size: usize,
        sent: u64,
        capped: bool,
        results: ServerResults,
    },
}

fn measured(lines: &[String], plan: &LanguagePlan) -> anyhow::Result<Measured> {
    let mut m = Measured::default();
    for line in lines.iter().filter(|l| !l.is_empty()) {
        let parsed: Line =
            serde_json::from_str(line).with_context(|| format!("it printed {line:?}"))?;
        match parsed {
            // A round that the time cap ended in its warm-up has no figure.
            Line::Latency {
                rounds,
                p50_ns,
                p99_ns,
            } if rounds > 0 => {
                m.round_trip = Some(RoundTrip {
                    rounds,
                    p50_ns,
                    p99_ns,
                });
            }
            Line::Latency { .. } => {}
            Line::Rate {
                size,
                sent,
                capped,
                results,
            } => {
                if results.messages != sent {
                    bail!(
                        "{sent} messages of {size} bytes sent, {} received: a stream must not lose any",
                        results.messages
                    );
                }
                let (messages_per_s, bytes_per_s) =
                    per_second(results.messages, results.elapsed_ns, size);
                m.rates.push(LanguageRate {
                    size,
                    sent,
                    received: results.messages,
                    messages_per_s,
                    bytes_per_s,
                    capped_by_time: capped,
                });
            }
        }
    }
    if m.rates.len() != plan.sizes.len() {
        bail!(
            "it reported {} rate points of {}",
            m.rates.len(),
            plan.sizes.len()
        );
    }
    Ok(m)
}
