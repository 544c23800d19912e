//! Endpoints: `tcp://HOST:PORT`, `udp://HOST:PORT`, `unix:///PATH`.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a link connects or a listener binds.
///
/// ```
/// use tether::Endpoint;
///
/// let ep: Endpoint = "tcp://[::1]:9000".parse()?;
/// assert_eq!(ep.to_string(), "tcp://[::1]:9000");
/// let ep: Endpoint = "unix:///run/x.sock".parse()?;
/// assert_eq!(ep.unix_path(), Some(std::path::Path::new("/run/x.sock")));
/// assert!("localhost:9000".parse::<Endpoint>().is_err()); // no scheme
/// # Ok::<(), tether::EndpointError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A TCP host (name or address, IPv6 without brackets) and port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port; 0 on bind means any free port.
        port: u16,
    },
    /// A UDP host and port.
    Udp {
        /// Host name or IP address.
        host: String,
        /// Port; 0 on bind means any free port.
        port: u16,
    },
    /// A Unix domain stream socket at a filesystem path.
    Unix(PathBuf),
}

/// An endpoint string that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// No `scheme://`.
    #[error("endpoint {given:?} needs a scheme: tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH")]
    Scheme {
        /// What was given.
        given: String,
    },
    /// A `scheme://` that tether does not know (a typo such as `tpc://`).
    #[error("unknown scheme {scheme:?} in {given:?}: use tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH")]
    UnknownScheme {
        /// The scheme as given.
        scheme: String,
        /// What was given.
        given: String,
    },
    /// The part after the scheme is not `HOST:PORT`.
    #[error("endpoint {given:?}: expected HOST:PORT (IPv6 in brackets, as [::1]:9000)")]
    HostPort {
        /// What was given.
        given: String,
    },
    /// The port is not a number from 0 to 65535.
    #[error("endpoint {given:?}: port {port:?} is not a number from 0 to 65535")]
    Port {
        /// What was given.
        given: String,
        /// The port text.
        port: String,
    },
    /// A `unix://` endpoint with no path.
    #[error("endpoint {given:?}: unix:// needs a path, as unix:///tmp/x.sock")]
    EmptyPath {
        /// What was given.
        given: String,
    },
}

impl Endpoint {
    /// A TCP endpoint for a socket address.
    pub fn tcp(addr: SocketAddr) -> Self {
        Endpoint::Tcp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// A UDP endpoint for a socket address.
    pub fn udp(addr: SocketAddr) -> Self {
        Endpoint::Udp {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// The endpoint of a Unix socket's address: its path, or an empty path
    /// for an unnamed socket (a client that never bound, one of a pair).
    pub(crate) fn unix_peer(path: Option<&Path>) -> Self {
        // A listener's socket is bound in a detour directory and renamed
        // into place; the kernel still reports the bound name.
        let shown =
            path.map(|p| crate::private_dir::undetour(p).unwrap_or_else(|| p.to_path_buf()));
        Endpoint::Unix(shown.unwrap_or_default())
    }

    /// The scheme name: `tcp`, `udp` or `unix`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Endpoint::Tcp { .. } => "tcp",
            Endpoint::Udp { .. } => "udp",
            Endpoint::Unix(_) => "unix",
        }
    }

    /// The path of a Unix endpoint.
    pub fn unix_path(&self) -> Option<&Path> {
        match self {
            Endpoint::Unix(path) => Some(path),
            _ => None,
        }
    }

    /// The port of a TCP or UDP endpoint.
    pub fn port(&self) -> Option<u16> {
        match self {
            Endpoint::Tcp { port, .. } | Endpoint::Udp { port, .. } => Some(*port),
            Endpoint::Unix(_) => None,
        }
    }

    /// Resolves the host of a TCP or UDP endpoint to socket addresses
    /// (a name may give several). A Unix endpoint gives none.
    pub fn socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        match self {
            Endpoint::Tcp { host, port } | Endpoint::Udp { host, port } => {
                let addrs: Vec<SocketAddr> = (host.as_str(), *port).to_socket_addrs()?.collect();
                if addrs.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("host {host:?} resolved to no address"),
                    ));
                }
                Ok(addrs)
            }
            Endpoint::Unix(_) => Ok(Vec::new()),
        }
    }
}

fn parse_host_port(given: &str, rest: &str) -> Result<(String, u16), EndpointError> {
    let bad = || EndpointError::HostPort {
        given: given.to_owned(),
    };
    let (host, port) = if let Some(after_bracket) = rest.strip_prefix('[') {
        let (host, tail) = after_bracket.split_once(']').ok_or_else(bad)?;
        (host, tail.strip_prefix(':').ok_or_else(bad)?)
    } else {
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        if host.contains(':') {
            // A bare IPv6 address: the port cannot be told from the address.
            return Err(bad());
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = port.parse().map_err(|_| EndpointError::Port {
        given: given.to_owned(),
        port: port.to_owned(),
    })?;
    Ok((host.to_owned(), port))
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scheme_err = || EndpointError::Scheme {
            given: s.to_owned(),
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(scheme_err)?;
        match scheme.to_ascii_lowercase().as_str() {
            "tcp" => {
                let (host, port) = parse_host_port(s, rest)?;
                Ok(Endpoint::Tcp { host, port })
            }
            "udp" => {
                let (host, port) = parse_host_port(s, rest)?;
                Ok(Endpoint::Udp { host, port })
            }
            "unix" if rest.is_empty() => Err(EndpointError::EmptyPath {
                given: s.to_owned(),
            }),
            "unix" => Ok(Endpoint::Unix(PathBuf::from(rest))),
            _ => Err(EndpointError::UnknownScheme {
                scheme: scheme.to_owned(),
                given: s.to_owned(),
            }),
        }
    }
}

impl TryFrom<&str> for Endpoint {
    type Error = EndpointError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for Endpoint {
    type Error = EndpointError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<&String> for Endpoint {
    type Error = EndpointError;

    fn try_from(s: &String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<&Endpoint> for Endpoint {
    type Error = EndpointError;

    fn try_from(ep: &Endpoint) -> Result<Self, Self::Error> {
        Ok(ep.clone())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } | Endpoint::Udp { host, port } => {
                if host.contains(':') {
                    write!(f, "{}://[{host}]:{port}", self.scheme())
                } else {
                    write!(f, "{}://{host}:{port}", self.scheme())
                }
            }
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_each_scheme() {
        for s in [
            "tcp://10.0.0.7:9000",
            "tcp://localhost:0",
            "udp://[::1]:9001",
            "unix:///run/x.sock",
            "unix://relative.sock",
        ] {
            assert_eq!(s.parse::<Endpoint>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn typos_get_errors_that_list_the_schemes() {
        let e = "tpc://host:1".parse::<Endpoint>().unwrap_err().to_string();
        assert!(
            e.contains("tcp://HOST:PORT") && e.contains("unix:///PATH"),
            "{e}"
        );
        assert_eq!(
            e,
            r#"unknown scheme "tpc" in "tpc://host:1": use tcp://HOST:PORT, udp://HOST:PORT or unix:///PATH"#
        );
        assert!(matches!(
            "tcp://host".parse::<Endpoint>(),
            Err(EndpointError::HostPort { .. })
        ));
        assert!(matches!(
            "tcp://host:99999".parse::<Endpoint>(),
            Err(EndpointError::Port { .. })
        ));
        assert!(matches!(
            "tcp://::1:9000".parse::<Endpoint>(),
            Err(EndpointError::HostPort { .. })
        ));
        assert!(matches!(
            "unix://".parse::<Endpoint>(),
            Err(EndpointError::EmptyPath { .. })
        ));
    }
}
