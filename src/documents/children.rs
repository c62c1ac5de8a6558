//! An edit sends a document's children whole (a plan's lines, their indicators, sub-allocations
//! and cited priorities); the store writes only those that changed. Rows other documents refer to
//! (a line a return reports on, an indicator with actuals) keep their ids, and a save that edits
//! one line of a long plan costs a handful of statements.

/// One child the edit asks for, against what is stored under its key.
#[derive(Debug, PartialEq, Eq)]
pub enum Child<'a, K, S, W> {
    /// Stored under its key, holding what the edit says.
    Unchanged(&'a S, &'a W),
    /// Stored under its key, holding something else.
    Changed(&'a S, &'a W),
    /// Not stored under its key.
    Added(K, &'a W),
}

/// What an edit does to a stored list of children.
#[derive(Debug, PartialEq, Eq)]
pub struct Changes<'a, K, S, W> {
    /// Stored children whose key the edit no longer names, in stored order.
    pub removed: Vec<&'a S>,
    /// The children the edit names, in its order.
    pub wanted: Vec<Child<'a, K, S, W>>,
}

/// Matches what an edit asks for with what is stored, by key (a line's or indicator's number, a
/// sub-allocation's position, a cited priority's number); `holds` says whether a stored child
/// already holds what the edit says of it.
pub fn changes<'a, K: PartialEq, S, W>(
    stored: impl IntoIterator<Item = (K, &'a S)>,
    wanted: impl IntoIterator<Item = (K, &'a W)>,
    holds: impl Fn(&S, &W) -> bool,
) -> Changes<'a, K, S, W> {
    let mut stored: Vec<(K, &S)> = stored.into_iter().collect();
    let wanted = wanted
        .into_iter()
        .map(|(key, child)| match stored.iter().position(|(k, _)| *k == key) {
            Some(at) => {
                let (_, old) = stored.remove(at);
                if holds(old, child) {
                    Child::Unchanged(old, child)
                } else {
                    Child::Changed(old, child)
                }
            }
            None => Child::Added(key, child),
        })
        .collect();
    Changes {
        removed: stored.into_iter().map(|(_, old)| old).collect(),
        wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(items: &[(i32, &'static str)]) -> Vec<(i32, &'static str)> {
        items.to_vec()
    }

    #[test]
    fn children_are_matched_by_key_and_compared_by_content() {
        let stored = numbered(&[(1, "youth diversion"), (2, "night-time economy"), (3, "hate crime")]);
        let wanted = numbered(&[(3, "hate crime"), (1, "youth diversion work"), (4, "modern slavery")]);
        let changes = changes(
            stored.iter().map(|(n, s)| (*n, s)),
            wanted.iter().map(|(n, w)| (*n, w)),
            |s, w| s == w,
        );
        assert_eq!(changes.removed, [&"night-time economy"]);
        assert_eq!(
            changes.wanted,
            [
                Child::Unchanged(&"hate crime", &"hate crime"),
                Child::Changed(&"youth diversion", &"youth diversion work"),
                Child::Added(4, &"modern slavery"),
            ]
        );
    }
}
