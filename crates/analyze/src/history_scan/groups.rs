//! Rows grouped by entry as the readers of the byte ranges parse them, and the groups of
//! consecutive ranges joined into one.

use std::collections::HashMap;

use crate::history::HistoryRow;

/// An entry's type and name, as the bytes of the file.
pub(super) type RawKey = (Vec<u8>, Vec<u8>);

/// The rows of one byte range, grouped by (type, name) in order of first appearance.
#[derive(Default)]
pub(super) struct Part {
    groups: Vec<(RawKey, Vec<HistoryRow>)>,
}

/// Joins the parts of consecutive byte ranges into one list of groups (in order of first
/// appearance, rows in file order), the groups' rows copied together on up to `threads` threads.
pub(super) fn merge(parts: Vec<Part>, threads: usize) -> Vec<(RawKey, Vec<HistoryRow>)> {
    let mut index: HashMap<RawKey, usize> = HashMap::new();
    let mut pieces: Vec<(RawKey, Vec<Vec<HistoryRow>>)> = Vec::new();
    for part in parts {
        for (key, rows) in part.groups {
            match index.get(&key) {
                Some(&i) => pieces[i].1.push(rows),
                None => {
                    index.insert(key.clone(), pieces.len());
                    pieces.push((key, vec![rows]));
                }
            }
        }
    }
    let join = |groups: &mut [(RawKey, Vec<Vec<HistoryRow>>)]| {
        for (_, pieces) in groups {
            if let [first, later @ ..] = pieces.as_mut_slice() {
                first.reserve_exact(later.iter().map(Vec::len).sum());
                for rows in later {
                    first.append(rows);
                }
            }
            pieces.truncate(1);
        }
    };
    let per_thread = pieces.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        for chunk in pieces.chunks_mut(per_thread) {
            scope.spawn(move || join(chunk));
        }
    });
    pieces
        .into_iter()
        .map(|(key, mut rows)| (key, rows.pop().unwrap_or_default()))
        .collect()
}

/// Rows of a part as they are parsed; the last group used is tried first (a full history repeats
/// the same entries in the same order every second).
pub(super) struct Grouper {
    part: Part,
    last: usize,
}

impl Grouper {
    /// No rows yet.
    pub(super) fn new() -> Grouper {
        Grouper {
            part: Part::default(),
            last: 0,
        }
    }

    /// The rows pushed, grouped.
    pub(super) fn into_part(self) -> Part {
        self.part
    }

    pub(super) fn push(&mut self, kind: &[u8], name: &[u8], row: HistoryRow) {
        let groups = &mut self.part.groups;
        let same = |i: usize| {
            groups
                .get(i)
                .is_some_and(|((k, n), _)| k.as_slice() == kind && n.as_slice() == name)
        };
        let found = if same(self.last) {
            Some(self.last)
        } else if same(self.last + 1) {
            Some(self.last + 1)
        } else {
            (0..groups.len()).find(|&i| same(i))
        };
        let index = found.unwrap_or_else(|| {
            groups.push(((kind.to_vec(), name.to_vec()), Vec::new()));
            groups.len() - 1
        });
        groups[index].1.push(row);
        self.last = index;
    }
}
