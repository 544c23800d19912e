//! How the server's threads notice that they should stop.

use std::time::Duration;

/// How often blocked waits look at the stop flag.
pub(super) const POLL: Duration = Duration::from_millis(20);
