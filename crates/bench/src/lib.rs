//! The measuring engine behind `tether bench`, as a library: the
//! experiments, the plan of a run, the runner, the control exchange with a
//! bench server, the server itself, and the report it all hands out.
//!
//! It knows no command line and writes no output: a front end maps its
//! arguments onto a [`Plan`], calls [`run`] against a [`Session`], and
//! formats the [`Report`] it gets back.
//!
//! Measurements run on blocking tether links in plain threads; the
//! baseline runs plain std::net sockets in the same run ([`wire`] has the
//! sockets, [`ping`] and [`rate`] the std round trips and senders),
//! interleaved with the tether points it is compared with.
//!
//! ```no_run
//! use tether_bench::{run, server::Embedded, Plan, ServerMode, Session};
//!
//! let server = Embedded::start()?;
//! let mut session = Session::connect(server.endpoint())?;
//! let report = run(&mut session, &Plan::new(true), ServerMode::Embedded, |_, _| {})?;
//! println!("{} comparisons", report.comparisons.len());
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod broker;
pub mod busy_poll;
pub mod connect;
pub mod control;
pub mod experiment;
pub mod languages;
pub mod latency;
pub mod nagle;
pub mod ping;
pub mod plan;
pub mod rate;
pub mod report;
pub mod runner;
pub mod server;
pub mod session;
pub mod step;
pub mod sys;
pub mod udp;
pub mod verdict;
pub mod wire;

pub use experiment::Experiment;
pub use plan::{Pinning, Plan, SIZES};
pub use report::{Report, ServerMode, SCHEMA};
pub use runner::run;
pub use session::Session;
pub use step::Step;
