//! `captest merge`'s replay of the shards' bundles, on two threads: one reads the shards' tick
//! lines in time order (a k-way merge on `now`, one line a shard held) and adds each tick's
//! records up ([`TickDecoder`]); the other, the caller's, has the merged run's aggregator replay
//! the ticks and write the files. What is held is one tick a shard and the few ticks queued
//! between the two. (A third thread for the parsing alone did not make it faster on two cores.)

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};

use super::error::BundleError;
use super::merged_run::{MergedRun, MergedTick, TickDecoder};
use super::read::{SecondsReader, ShardBundleData};
use super::record::SecondRecord;

/// Ticks read ahead of the one being replayed.
const QUEUED_TICKS: usize = 4;

/// Replays every tick of every shard into `run`, grouped by history Timestamp in time order.
/// The lines left out for being cut short, by file.
pub(crate) fn replay(
    run: &mut MergedRun,
    shards: &[ShardBundleData],
) -> Result<Vec<(PathBuf, usize)>, BundleError> {
    let decoder = run.decoder();
    let (ticks_out, ticks_in) = mpsc::sync_channel::<MergedTick>(QUEUED_TICKS);
    let (spares_out, spares_in) = mpsc::channel::<MergedTick>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_ticks(shards, decoder, ticks_out, spares_in));
        for mut tick in ticks_in {
            run.replay(&mut tick);
            // The reader may be done already: then the spare is not needed.
            let _ = spares_out.send(tick);
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Reads every tick of `shards` in time order and adds each up into a [`MergedTick`] (reusing
/// the spares the replay hands back) sent on `ticks`. The lines left out for being cut short, by
/// file; an error names the file and line that does not read or add up.
fn read_ticks(
    shards: &[ShardBundleData],
    mut decoder: TickDecoder,
    ticks: SyncSender<MergedTick>,
    spares: Receiver<MergedTick>,
) -> Result<Vec<(PathBuf, usize)>, BundleError> {
    let mut readers = Vec::with_capacity(shards.len());
    // Each shard's next tick (kept from line to line: its buffers are reused) and its line,
    // `None` once the shard's ticks are all read.
    let mut records = Vec::with_capacity(shards.len());
    let mut lines = Vec::with_capacity(shards.len());
    for shard in shards {
        let mut reader = SecondsReader::open(&shard.prefix)?;
        let mut record = SecondRecord::default();
        lines.push(reader.next_record_into(&mut record)?);
        records.push(record);
        readers.push(reader);
    }
    while let Some(now) = (0..shards.len())
        .filter(|&shard| lines[shard].is_some())
        .map(|shard| records[shard].now)
        .min()
    {
        let parts: Vec<(usize, &SecondRecord)> = records
            .iter()
            .enumerate()
            .filter(|&(shard, record)| lines[shard].is_some() && record.now == now)
            .collect();
        let mut tick = spares.try_recv().unwrap_or_default();
        decoder
            .decode(now, &parts, &mut tick)
            .map_err(|(part, message)| {
                let shard = parts[part].0;
                BundleError::Parse {
                    path: readers[shard].path().to_owned(),
                    line: lines[shard].unwrap_or(0),
                    message,
                }
            })?;
        let due: Vec<usize> = parts.iter().map(|(shard, _)| *shard).collect();
        if ticks.send(tick).is_err() {
            // Only a panic stops the replaying side: it is resumed there.
            break;
        }
        for shard in due {
            lines[shard] = readers[shard].next_record_into(&mut records[shard])?;
        }
    }
    Ok(readers
        .iter()
        .filter_map(|r| Some((r.path().to_owned(), r.cut_line()?)))
        .collect())
}
