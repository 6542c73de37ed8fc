//! The table of tracked TCP connections, bounded in size and idle time.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// A TCP connection, the same for both of its directions: the endpoint
/// that sorts lower is `low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnKey {
    pub low: SocketAddr,
    pub high: SocketAddr,
}

/// The direction of a segment within its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Sent by `low` to `high`.
    FromLow = 0,
    /// Sent by `high` to `low`.
    FromHigh = 1,
}

impl Side {
    pub fn index(self) -> usize {
        self as usize
    }
}

impl ConnKey {
    /// Returns the connection of a segment from `src` to `dst` and the
    /// segment's direction in it.
    pub fn of(src: SocketAddr, dst: SocketAddr) -> (ConnKey, Side) {
        if src <= dst {
            (ConnKey { low: src, high: dst }, Side::FromLow)
        } else {
            (ConnKey { low: dst, high: src }, Side::FromHigh)
        }
    }

    /// Returns (sender, receiver) for a direction.
    pub fn endpoints(&self, side: Side) -> (SocketAddr, SocketAddr) {
        match side {
            Side::FromLow => (self.low, self.high),
            Side::FromHigh => (self.high, self.low),
        }
    }
}

struct Entry<V> {
    value: V,
    /// Position in `order`: the last time the flow was touched, in
    /// milliseconds, and a sequence number that breaks ties.
    stamp: (u64, u64),
}

/// What [`FlowTable::insert`] did.
pub enum Insert<V> {
    /// The flow was added without removing another.
    Added,
    /// The flow was added after the least recently used flow, returned
    /// here, was removed to make room.
    Evicted(ConnKey, V),
    /// The table is full of flows that are not idle, and eviction of
    /// active flows was not allowed, so the flow was not added.
    Full,
}

/// Flows keyed by connection, with a maximum count and an idle timeout.
///
/// Every lookup through [`FlowTable::touch`] moves a flow to the back of
/// a least-recently-used order, so [`FlowTable::expire`] and eviction find
/// the idlest flows first without a scan.
pub struct FlowTable<V> {
    map: HashMap<ConnKey, Entry<V>>,
    order: BTreeMap<(u64, u64), ConnKey>,
    max_flows: usize,
    idle_timeout_ms: u64,
    counter: u64,
}

impl<V> FlowTable<V> {
    /// Creates a table of at most `max_flows` flows (at least 1) that
    /// forgets a flow idle for `idle_timeout_ms` milliseconds.
    pub fn new(max_flows: usize, idle_timeout_ms: u64) -> FlowTable<V> {
        FlowTable {
            map: HashMap::new(),
            order: BTreeMap::new(),
            max_flows: max_flows.max(1),
            idle_timeout_ms,
            counter: 0,
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    #[cfg(test)]
    pub fn contains(&self, key: &ConnKey) -> bool {
        self.map.contains_key(key)
    }

    /// Returns the flow without changing its place in the idle order.
    pub fn get_mut(&mut self, key: &ConnKey) -> Option<&mut V> {
        self.map.get_mut(key).map(|entry| &mut entry.value)
    }

    /// Returns the flow and records it as used at `now_ms`.
    pub fn touch(&mut self, key: &ConnKey, now_ms: u64) -> Option<&mut V> {
        let entry = self.map.get_mut(key)?;
        if entry.stamp.0 != now_ms {
            self.order.remove(&entry.stamp);
            self.counter += 1;
            entry.stamp = (now_ms, self.counter);
            self.order.insert(entry.stamp, *key);
        }
        Some(&mut entry.value)
    }

    /// Adds a flow that is not in the table yet.
    ///
    /// When the table is full, its least recently used flow is removed and
    /// returned if that flow is idle or `evict_active` is set. Otherwise
    /// the new flow is rejected.
    pub fn insert(
        &mut self,
        key: ConnKey,
        value: V,
        now_ms: u64,
        evict_active: bool,
    ) -> Insert<V> {
        debug_assert!(!self.map.contains_key(&key));
        let mut outcome = Insert::Added;
        if self.map.len() >= self.max_flows {
            let Some((&stamp, &oldest)) = self.order.iter().next() else {
                return Insert::Full;
            };
            let idle = now_ms.saturating_sub(stamp.0) >= self.idle_timeout_ms;
            if !idle && !evict_active {
                return Insert::Full;
            }
            let removed = self.remove(&oldest).expect("ordered flow exists");
            outcome = Insert::Evicted(oldest, removed);
        }
        self.counter += 1;
        let stamp = (now_ms, self.counter);
        self.order.insert(stamp, key);
        self.map.insert(key, Entry { value, stamp });
        outcome
    }

    /// Removes a flow and returns it.
    pub fn remove(&mut self, key: &ConnKey) -> Option<V> {
        let entry = self.map.remove(key)?;
        self.order.remove(&entry.stamp);
        Some(entry.value)
    }

    /// Removes and returns the flows idle for at least the idle timeout at
    /// `now_ms`, idlest first.
    pub fn expire(&mut self, now_ms: u64) -> Vec<(ConnKey, V)> {
        let mut expired = Vec::new();
        while let Some((&stamp, &key)) = self.order.iter().next() {
            if now_ms.saturating_sub(stamp.0) < self.idle_timeout_ms {
                break;
            }
            let value = self.remove(&key).expect("ordered flow exists");
            expired.push((key, value));
        }
        expired
    }

    /// Removes and returns every flow.
    pub fn drain(&mut self) -> Vec<(ConnKey, V)> {
        self.order.clear();
        self.map.drain().map(|(key, entry)| (key, entry.value)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(port: u16) -> ConnKey {
        ConnKey::of(
            format!("10.99.0.1:{port}").parse().unwrap(),
            "10.99.0.2:8000".parse().unwrap(),
        )
        .0
    }

    #[test]
    fn conn_key_same_both_directions() {
        let a: SocketAddr = "10.99.0.1:40000".parse().unwrap();
        let b: SocketAddr = "10.99.0.2:8000".parse().unwrap();
        let (forward, forward_side) = ConnKey::of(a, b);
        let (reverse, reverse_side) = ConnKey::of(b, a);
        assert_eq!(forward, reverse);
        assert_ne!(forward_side, reverse_side);
        assert_eq!(forward.endpoints(forward_side), (a, b));
        assert_eq!(forward.endpoints(reverse_side), (b, a));
    }

    #[test]
    fn conn_key_ipv6() {
        let a: SocketAddr = "[fd99::1]:40000".parse().unwrap();
        let b: SocketAddr = "[fd99::2]:8000".parse().unwrap();
        assert_eq!(ConnKey::of(a, b).0, ConnKey::of(b, a).0);
    }

    #[test]
    fn touch_finds_inserted_flow() {
        let mut table = FlowTable::new(4, 1000);
        assert!(matches!(table.insert(key(1), "a", 0, true), Insert::Added));
        assert_eq!(table.touch(&key(1), 5).copied(), Some("a"));
        assert!(table.touch(&key(2), 5).is_none());
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn expire_removes_idle_flows_only() {
        let mut table = FlowTable::new(8, 1000);
        table.insert(key(1), 1, 0, true);
        table.insert(key(2), 2, 500, true);
        table.insert(key(3), 3, 900, true);
        // Flow 1 is used again, so flow 2 is now the idlest.
        table.touch(&key(1), 1200);
        let expired = table.expire(1600);
        let ports: Vec<u16> =
            expired.iter().map(|(k, _)| k.low.port()).collect();
        assert_eq!(ports, [2]);
        assert!(table.contains(&key(1)));
        assert!(table.contains(&key(3)));
        let expired = table.expire(2200);
        assert_eq!(expired.len(), 2);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn full_table_evicts_least_recently_used() {
        let mut table = FlowTable::new(2, 10_000);
        table.insert(key(1), 1, 0, true);
        table.insert(key(2), 2, 10, true);
        table.touch(&key(1), 20);
        match table.insert(key(3), 3, 30, true) {
            Insert::Evicted(evicted, value) => {
                assert_eq!(evicted, key(2));
                assert_eq!(value, 2);
            }
            _ => panic!("expected an eviction"),
        }
        assert_eq!(table.len(), 2);
        assert!(table.contains(&key(1)));
        assert!(table.contains(&key(3)));
    }

    #[test]
    fn full_table_rejects_without_eviction() {
        let mut table = FlowTable::new(1, 10_000);
        table.insert(key(1), 1, 0, false);
        assert!(matches!(table.insert(key(2), 2, 5, false), Insert::Full));
        assert!(table.contains(&key(1)));
        assert!(!table.contains(&key(2)));
    }

    #[test]
    fn full_table_reuses_idle_slot_without_eviction() {
        let mut table = FlowTable::new(1, 100);
        table.insert(key(1), 1, 0, false);
        let outcome = table.insert(key(2), 2, 150, false);
        assert!(matches!(outcome, Insert::Evicted(k, 1) if k == key(1)));
        assert!(table.contains(&key(2)));
    }

    #[test]
    fn remove_and_drain() {
        let mut table = FlowTable::new(4, 100);
        table.insert(key(1), 1, 0, true);
        table.insert(key(2), 2, 0, true);
        assert_eq!(table.remove(&key(1)), Some(1));
        assert_eq!(table.remove(&key(1)), None);
        let drained = table.drain();
        assert_eq!(drained.len(), 1);
        assert_eq!(table.len(), 0);
        assert!(table.expire(10_000).is_empty());
    }
}
