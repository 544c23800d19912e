//! The connection cap of a listener: a count of live links it accepted.
//! At the cap a listener does not accept (the kernel's backlog holds
//! newcomers) until one of its links is dropped.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How many links a listener may have alive, and how many it has.
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    live: usize,
    /// Async accepts waiting for a slot.
    waiting: Vec<Waker>,
}

/// One live link's place under the cap; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct Slot(Arc<Slots>);

impl Slots {
    pub(crate) fn new(max: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max: max.max(1),
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `timeout` (`None`: for ever) for a place.
    pub(crate) fn take_within(self: &Arc<Self>, timeout: Option<Duration>) -> Option<Slot> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.lock();
        while state.live >= self.max {
            state = match deadline {
                None => self.freed.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.freed
                        .wait_timeout(state, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        state.live += 1;
        Some(Slot(Arc::clone(self)))
    }

    /// A place, or the task of `cx` is woken when one frees.
    pub(crate) fn poll_take(self: &Arc<Self>, cx: &Context<'_>) -> Poll<Slot> {
        let mut state = self.lock();
        if state.live < self.max {
            state.live += 1;
            return Poll::Ready(Slot(Arc::clone(self)));
        }
        state.waiting.push(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let waiting = {
            let mut state = self.0.lock();
            state.live -= 1;
            std::mem::take(&mut state.waiting)
        };
        self.0.freed.notify_one();
        for waker in waiting {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_a_place_frees_only_when_a_link_goes() {
        let slots = Slots::new(2);
        let a = slots.take_within(Some(Duration::ZERO)).expect("first");
        let _b = slots.take_within(Some(Duration::ZERO)).expect("second");
        assert!(slots.take_within(Some(Duration::from_millis(10))).is_none());
        drop(a);
        assert!(slots.take_within(Some(Duration::ZERO)).is_some());
    }
}
