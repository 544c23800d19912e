//! What can go wrong with a broker endpoint.

/// A broker endpoint's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not a broker endpoint tether understands.
    #[error("bad broker url {url:?}: {why}")]
    Url {
        /// The text given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The scheme's client was left out of this build.
    #[error("this tether was built without {0}:// support (cargo feature {0})")]
    NotBuilt(&'static str),
    /// A message larger than the broker takes: refused, never truncated.
    #[error("message of {size} bytes is over {broker}'s limit of {limit} bytes")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The broker's limit.
        limit: usize,
        /// The broker.
        broker: String,
    },
    /// Connecting failed.
    #[error("cannot connect to {broker}: {why}")]
    Connect {
        /// The broker.
        broker: String,
        /// The client's reason.
        why: String,
    },
    /// Publishing or subscribing failed.
    #[error("{broker}: {why}")]
    Broker {
        /// The broker.
        broker: String,
        /// The client's reason.
        why: String,
    },
    /// Credentials could not be read.
    #[error("cannot read the broker password file {path}: {why}")]
    Credentials {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

/// A broker result.
pub type Result<T> = std::result::Result<T, Error>;
