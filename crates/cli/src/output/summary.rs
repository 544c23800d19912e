//! The closing summary and the live `--stats` line of `tether listen`.

use std::time::Duration;

use super::units::human_bytes;

/// `n` and the noun that goes with it: "1 message", "2 messages".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a listener saw, for the line it prints when it stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    /// Connections accepted; `None` for UDP, which has none.
    pub connections: Option<u64>,
    /// Messages printed.
    pub messages: u64,
    /// Payload bytes of those messages.
    pub bytes: u64,
    /// Connections dropped for breaking the framing.
    pub dropped: u64,
    /// Echoes dropped because the peer did not take them within the drain time.
    pub undelivered: u64,
    /// From listening to stopping.
    pub elapsed: Duration,
}

impl std::fmt::Display for Summary {
    /// `2 connections, 2 messages, 17 B in 4.1 s`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(c) = self.connections {
            write!(f, "{}, ", plural(c, "connection", "connections"))?;
        }
        write!(
            f,
            "{}, {} in {:.1} s",
            plural(self.messages, "message", "messages"),
            human_bytes(self.bytes),
            self.elapsed.as_secs_f64()
        )?;
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 && self.messages >= 1000 {
            write!(
                f,
                " ({:.0} msg/s, {}/s)",
                self.messages as f64 / secs,
                human_bytes((self.bytes as f64 / secs) as u64)
            )?;
        }
        if self.dropped > 0 {
            write!(
                f,
                "; {} dropped for bad framing",
                plural(self.dropped, "connection", "connections")
            )?;
        }
        if self.undelivered > 0 {
            write!(
                f,
                "; {} not delivered within the drain time",
                plural(self.undelivered, "echo", "echoes")
            )?;
        }
        Ok(())
    }
}

/// `  1520 msg/s  23.8 KiB/s  (total 15200 messages, 3 connections)`
pub fn stats_line(
    messages_per_s: f64,
    bytes_per_s: f64,
    total_messages: u64,
    connections: Option<u64>,
) -> String {
    let mut line = format!(
        "{messages_per_s:>8.0} msg/s  {:>10}/s  (total {}",
        human_bytes(bytes_per_s as u64),
        plural(total_messages, "message", "messages")
    );
    if let Some(c) = connections {
        line.push_str(", ");
        line.push_str(&plural(c, "connection", "connections"));
    }
    line.push(')');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_like_the_issue() {
        let s = Summary {
            connections: Some(2),
            messages: 2,
            bytes: 17,
            dropped: 0,
            undelivered: 0,
            elapsed: Duration::from_millis(4100),
        };
        assert_eq!(s.to_string(), "2 connections, 2 messages, 17 B in 4.1 s");
        let s = Summary {
            connections: None,
            messages: 1,
            bytes: 1,
            dropped: 0,
            undelivered: 0,
            elapsed: Duration::from_millis(100),
        };
        assert_eq!(s.to_string(), "1 message, 1 B in 0.1 s");
        let s = Summary {
            undelivered: 3,
            ..s
        };
        assert_eq!(
            s.to_string(),
            "1 message, 1 B in 0.1 s; 3 echoes not delivered within the drain time"
        );
    }
}
