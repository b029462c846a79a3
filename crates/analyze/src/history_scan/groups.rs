//! Rows grouped by entry as the readers of the byte ranges parse them, and the groups of
//! consecutive ranges joined into one.

use std::collections::HashMap;

use crate::history::HistoryRow;
use crate::steady::WindowSums;

/// An entry's type and name, as the bytes of the file.
pub(super) type RawKey = (Vec<u8>, Vec<u8>);

/// What is kept of one entry's rows.
#[derive(Debug)]
pub(super) enum Group {
    /// Every row, in file order.
    Rows(Vec<HistoryRow>),
    /// The rows the steady window takes, summed (boxed: the sums are larger than a `Vec`).
    Window(Box<WindowSums>),
}

impl Group {
    /// Rows kept (none when summed).
    fn rows(&self) -> usize {
        match self {
            Group::Rows(rows) => rows.len(),
            Group::Window(_) => 0,
        }
    }

    /// Appends the group of the rows that follow this group's in the file (kept the same way).
    fn join(&mut self, later: Group) {
        match (self, later) {
            (Group::Rows(rows), Group::Rows(mut later)) => rows.append(&mut later),
            (Group::Window(window), Group::Window(later)) => window.join(&later),
            // One entry is kept the same way in every range: its name and the scan's mode decide.
            _ => unreachable!("an entry's rows kept as rows in one range and summed in another"),
        }
    }
}

/// The groups of one byte range, keyed by (type, name) in order of first appearance.
#[derive(Debug, Default)]
pub(super) struct Part {
    groups: Vec<(RawKey, Group)>,
}

/// Joins the parts of consecutive byte ranges into one list of groups (in order of first
/// appearance, rows in file order), the groups' rows copied together on up to `threads` threads.
pub(super) fn merge(parts: Vec<Part>, threads: usize) -> Vec<(RawKey, Group)> {
    let mut index: HashMap<RawKey, usize> = HashMap::new();
    let mut pieces: Vec<(RawKey, Vec<Group>)> = Vec::new();
    for part in parts {
        for (key, group) in part.groups {
            match index.get(&key) {
                Some(&i) => pieces[i].1.push(group),
                None => {
                    index.insert(key.clone(), pieces.len());
                    pieces.push((key, vec![group]));
                }
            }
        }
    }
    let join = |groups: &mut [(RawKey, Vec<Group>)]| {
        for (_, pieces) in groups {
            let rows: usize = pieces.iter().map(Group::rows).sum();
            let mut pieces_in_order = pieces.drain(..);
            if let Some(mut first) = pieces_in_order.next() {
                if let Group::Rows(kept) = &mut first {
                    kept.reserve_exact(rows - kept.len());
                }
                pieces_in_order.for_each(|later| first.join(later));
                pieces.push(first);
            }
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
        .filter_map(|(key, mut groups)| Some((key, groups.pop()?)))
        .collect()
}

/// Whether `a` and `b` hold the same bytes, compared 8 at a time inline: an entry's type and name
/// are compared on every line, short and mostly equal, where a call to `memcmp` costs more than
/// the comparison.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let length = a.len();
    if length != b.len() {
        return false;
    }
    if length < 8 {
        return a.iter().zip(b).fold(0, |differ, (x, y)| differ | (x ^ y)) == 0;
    }
    let word = |bytes: &[u8], at: usize| {
        <[u8; 8]>::try_from(&bytes[at..at + 8]).map_or(0, u64::from_le_bytes)
    };
    // Whole words, then the last 8 bytes (overlapping the last word when the length is not a
    // multiple of 8).
    let mut differ = word(a, length - 8) ^ word(b, length - 8);
    let mut at = 0;
    while at + 8 < length {
        differ |= word(a, at) ^ word(b, at);
        at += 8;
    }
    differ == 0
}

/// Whether group `i` of `groups` is that of (`kind`, `name`).
#[inline(always)]
fn is_group(groups: &[(RawKey, Group)], i: usize, kind: &[u8], name: &[u8]) -> bool {
    match groups.get(i) {
        Some(((k, n), _)) => same_bytes(k, kind) && same_bytes(n, name),
        None => false,
    }
}

/// Groups of a part as its rows are parsed; the group after the last one used is tried first,
/// then the last one (a full history repeats the same entries in the same order every second).
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

    /// The groups, in order of first appearance.
    pub(super) fn into_part(self) -> Part {
        self.part
    }

    /// The group of (`kind`, `name`); a new one is made with `new` (which must keep the rows of
    /// one entry the same way every time it is called for it).
    #[inline(always)]
    pub(super) fn group(
        &mut self,
        kind: &[u8],
        name: &[u8],
        new: impl FnOnce() -> Group,
    ) -> &mut Group {
        let groups = &mut self.part.groups;
        let same = |i: usize| is_group(groups, i, kind, name);
        let found = if is_group(groups, self.last + 1, kind, name) {
            Some(self.last + 1)
        } else if same(self.last) {
            Some(self.last)
        } else {
            (0..groups.len()).find(|&i| same(i))
        };
        let index = found.unwrap_or_else(|| {
            groups.push(((kind.to_vec(), name.to_vec()), new()));
            groups.len() - 1
        });
        self.last = index;
        &mut groups[index].1
    }
}
