//! A byte budget shared by many links: the bytes they hold in unfinished
//! frames, so a crowd of peers that each start a big frame cannot make a
//! listener hold more than the budget. A link that would go over it stops
//! reading (the peer's TCP then waits) until others give bytes back.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};

/// Bytes each link may hold outside the budget: a small message is never
/// held up by big frames of other peers.
pub(crate) const FREE_PER_LINK: usize = 8 * 1024;

/// A budget of bytes read but not yet taken as whole messages, shared by
/// every async link made with the [`Options`](crate::Options) that carry
/// it (all links of one [`AsyncListener`](crate::AsyncListener), say).
/// Each link also holds up to 8 KiB outside it.
///
/// ```
/// use tether::{Budget, Options};
///
/// let opts = Options::new().budget(Some(Budget::new(256 << 20)));
/// assert_eq!(opts.budget.as_ref().map(Budget::max), Some(256 << 20));
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    max: usize,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    used: usize,
    /// Links waiting for bytes to be given back.
    waiting: Vec<Waker>,
}

impl Budget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> Budget {
        Budget {
            max,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// The size of the budget.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Bytes of the budget in use now.
    pub fn used(&self) -> usize {
        self.lock().used
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere leaves only counts behind: carry on.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes up to `want` bytes; with none left, the task of `cx` is woken
    /// once some are given back.
    pub(crate) fn take(&self, want: usize, cx: &Context<'_>) -> usize {
        let mut state = self.lock();
        let got = want.min(self.max.saturating_sub(state.used));
        state.used += got;
        if got == 0 && want > 0 && !state.waiting.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiting.push(cx.waker().clone());
        }
        got
    }

    /// Gives `n` bytes back and wakes the links that wait for them.
    pub(crate) fn give_back(&self, n: usize) {
        if n == 0 {
            return;
        }
        let waiting = {
            let mut state = self.lock();
            state.used = state.used.saturating_sub(n);
            std::mem::take(&mut state.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
    }
}

/// Links share a budget when they share its counter.
impl PartialEq for Budget {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

impl Eq for Budget {}

/// One link's share: what it holds, and the part of that charged to the
/// budget (what is over [`FREE_PER_LINK`]).
#[derive(Debug)]
pub(crate) struct Share {
    budget: Budget,
    held: usize,
}

impl Share {
    pub(crate) fn new(budget: Budget) -> Self {
        Share { budget, held: 0 }
    }

    /// How many bytes the next read may bring, out of `want`: the free
    /// part first, then what the budget grants (0: wait, woken later).
    pub(crate) fn allow(&mut self, want: usize, cx: &Context<'_>) -> usize {
        let free = FREE_PER_LINK.saturating_sub(self.held).min(want);
        free + self.budget.take(want - free, cx)
    }

    /// A read allowed `allowed` bytes and brought `got`: the link holds
    /// them, and what was granted but not used goes back.
    pub(crate) fn read(&mut self, allowed: usize, got: usize) {
        let charged_before = self.held.saturating_sub(FREE_PER_LINK);
        let free = FREE_PER_LINK.saturating_sub(self.held).min(allowed);
        let granted = allowed - free;
        self.held += got;
        let charged_now = self.held.saturating_sub(FREE_PER_LINK);
        self.budget
            .give_back(granted.saturating_sub(charged_now - charged_before));
    }

    /// The link now holds `held` bytes (whole messages were taken out).
    pub(crate) fn settle(&mut self, held: usize) {
        if held < self.held {
            let before = self.held.saturating_sub(FREE_PER_LINK);
            let now = held.saturating_sub(FREE_PER_LINK);
            self.held = held;
            self.budget.give_back(before - now);
        }
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.settle(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Wake, Waker};

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn links_share_the_budget_and_give_it_back() {
        let waker = Waker::from(Arc::new(Noop));
        let cx = || Context::from_waker(&waker);
        let budget = Budget::new(100_000);
        let (mut a, mut b) = (Share::new(budget.clone()), Share::new(budget.clone()));
        // The first 8 KiB of each link is free.
        assert_eq!(a.allow(FREE_PER_LINK, &cx()), FREE_PER_LINK);
        a.read(FREE_PER_LINK, FREE_PER_LINK);
        assert_eq!(budget.used(), 0);
        // Past it, the budget pays, and what a read did not use goes back.
        assert_eq!(a.allow(90_000, &cx()), 90_000);
        a.read(90_000, 60_000);
        assert_eq!(budget.used(), 60_000);
        assert_eq!(b.allow(80_000, &cx()), FREE_PER_LINK + 40_000);
        b.read(FREE_PER_LINK + 40_000, FREE_PER_LINK + 40_000);
        assert_eq!(budget.used(), 100_000);
        // Spent: only the free part is left to a link that holds none.
        assert_eq!(b.allow(10, &cx()), 0);
        let mut c = Share::new(budget.clone());
        assert_eq!(c.allow(10, &cx()), 10);
        // A message taken out gives its bytes back; so does a link dropped.
        a.settle(FREE_PER_LINK);
        assert_eq!(budget.used(), 40_000);
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
