//! The README's library snippet, runnable: a listener on a free loopback
//! port, a link to it, a grid of bit arrays sent in a loop, an echo, and a
//! struct record.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use std::thread;
use std::time::Duration;

use tether::{Link, Listener, Record};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The other end: echoes what it receives. Port 0 picks a free port.
    let listener = Listener::bind("tcp://127.0.0.1:0")?; // accept() / incoming(); local_addr() after port 0
    let endpoint = listener.local_addr()?;
    let echo = thread::spawn(move || -> tether::Result<usize> {
        let mut peer = listener.accept()?;
        let mut n = 0;
        while let Ok(message) = peer.recv() {
            peer.send(&message)?;
            n += 1;
        }
        Ok(n)
    });

    let grid = [[[0u8, 1, 1, 0]; 3]; 2]; // rows of 4-bit arrays
    let mut link = Link::connect(&endpoint)?; // also unix:///run/x.sock, udp:// (DatagramLink), [::1]
    for row in grid {
        for bits in row {
            link.send(&bits)?; // one connection, Nagle off, linger below
        }
    }
    let reply = link.recv_timeout(Duration::from_millis(500))?; // Option<Bytes>; also recv(), try_recv()
    println!("first echo: {:?}", reply.as_deref());
    let rec = Record::new("<I 2s f")?; // Python struct grammar
    link.send(&rec.pack(&[1u32.into(), b"ab"[..].into(), 2.7f32.into()])?)?;
    let mut echoed = 1;
    while echoed < 7 {
        let Some(message) = link.recv_timeout(Duration::from_millis(500))? else {
            break;
        };
        echoed += 1;
        if echoed == 7 {
            println!("record back: {}", rec.unpack(&message)?);
        }
    }
    link.shutdown(std::net::Shutdown::Write)?;
    let served = echo.join().map_err(|_| "the echo thread panicked")??;
    println!("{served} messages echoed");
    Ok(())
}
