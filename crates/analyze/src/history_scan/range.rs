//! One byte range of a history, read block by block into a buffer that a reader thread reuses.

use std::fs::File;
use std::os::unix::fs::FileExt;

use super::groups::Part;
use super::line::{Layout, Lines};
use super::read_lines;
use super::separators::Separators;
use crate::lines::MAX_LINE;

/// What a reader thread reuses from range to range: the block read and its separators.
pub(super) struct Scratch {
    /// One byte more than is read, for a line end after a last line without one.
    buffer: Vec<u8>,
    separators: Separators,
}

impl Scratch {
    /// A scratch whose reads ask for up to `block` bytes.
    pub(super) fn new(block: usize) -> Scratch {
        Scratch {
            buffer: vec![0u8; block.max(1) + 1],
            separators: Separators::default(),
        }
    }
}

/// Reads the lines that start in `[start, end)` (`at_line_start`: `start` is known to begin a
/// line); `None` when one needs the general reader.
pub(super) fn read_range(
    file: &File,
    layout: &Layout,
    (start, end): (u64, u64),
    at_line_start: bool,
    scratch: &mut Scratch,
) -> std::io::Result<Option<Part>> {
    let mut lines = Lines::new();
    let Scratch { buffer, separators } = scratch;
    // A range that does not start at a line start starts at the first line beginning in it:
    // read from the byte before and drop everything up to its first line end.
    let mut skip_partial_line = !at_line_start && start > 0;
    let mut offset = if skip_partial_line { start - 1 } else { start };
    let mut filled = 0;
    // File offset of buffer[0].
    let mut buffer_offset = offset;
    loop {
        if filled == buffer.len() - 1 {
            // A line longer than any history row: the general reader names it.
            if buffer.len() > MAX_LINE * 2 {
                return Ok(None);
            }
            buffer.resize(buffer.len() * 2, 0);
        }
        let room = buffer.len() - 1;
        let read = file.read_at(&mut buffer[filled..room], offset)?;
        offset += read as u64;
        filled += read;
        let at_end = read == 0;
        if at_end && filled > 0 && buffer[filled - 1] != b'\n' {
            buffer[filled] = b'\n';
            filled += 1;
        }
        // The complete lines in the buffer.
        let Some(last_line_end) = memchr::memrchr(b'\n', &buffer[..filled]) else {
            if at_end {
                return Ok(Some(lines.into_part()));
            }
            continue;
        };
        let mut first = 0;
        if skip_partial_line {
            skip_partial_line = false;
            first = memchr::memchr(b'\n', &buffer[..filled]).map_or(filled, |i| i + 1);
        }
        // Lines starting at `end` or later are the next range's.
        let limit = usize::try_from(end.saturating_sub(buffer_offset)).unwrap_or(usize::MAX);
        let (lines_end, range_done) = if limit > last_line_end {
            (last_line_end + 1, false)
        } else if limit <= first {
            (first, true)
        } else {
            // The line holding byte `limit - 1` ends at or before the last line end.
            let cut = memchr::memchr(b'\n', &buffer[limit - 1..=last_line_end])
                .map_or(last_line_end + 1, |i| limit + i);
            (cut, true)
        };
        if !read_lines(&buffer[first..lines_end], layout, separators, &mut lines) {
            return Ok(None);
        }
        if range_done || at_end {
            return Ok(Some(lines.into_part()));
        }
        let consumed = last_line_end + 1;
        buffer.copy_within(consumed..filled, 0);
        filled -= consumed;
        buffer_offset += consumed as u64;
    }
}
