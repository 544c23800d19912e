//! The `tether` Python package: a thin PyO3 binding over the `tether`
//! crate. Every call maps onto one library call; blocking calls release the
//! GIL and wake up for signals (see `wait`).

mod datagram;
mod errors;
mod link;
mod listener;
mod message;
mod options;
mod record;
mod record_values;
mod wait;

use pyo3::prelude::*;

/// Native part of the `tether` package; import `tether` instead.
#[pymodule]
#[pyo3(name = "_tether")]
fn tether_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<link::Link>()?;
    m.add_class::<listener::Listener>()?;
    m.add_class::<datagram::DatagramLink>()?;
    m.add_class::<record::Record>()?;
    m.add_function(wrap_pyfunction!(link::connect, m)?)?;
    m.add_function(wrap_pyfunction!(link::pair, m)?)?;
    m.add_function(wrap_pyfunction!(listener::listen, m)?)?;
    m.add("DEFAULT_MAX_FRAME_LEN", tether::DEFAULT_MAX_FRAME_LEN)?;
    m.add("DEFAULT_LINGER", tether::DEFAULT_LINGER.as_secs_f64())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
