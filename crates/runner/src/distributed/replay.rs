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
    let mut heads = Vec::with_capacity(shards.len());
    for shard in shards {
        let mut reader = SecondsReader::open(&shard.prefix)?;
        heads.push(reader.next_record()?);
        readers.push(reader);
    }
    while let Some(now) = heads.iter().flatten().map(|(_, r)| r.now).min() {
        let parts: Vec<(usize, &SecondRecord)> = heads
            .iter()
            .enumerate()
            .filter_map(|(shard, head)| Some((shard, &head.as_ref()?.1)))
            .filter(|(_, record)| record.now == now)
            .collect();
        let mut tick = spares.try_recv().unwrap_or_default();
        decoder
            .decode(now, &parts, &mut tick)
            .map_err(|(part, message)| {
                let shard = parts[part].0;
                let line = heads[shard].as_ref().map_or(0, |(line, _)| *line);
                BundleError::Parse {
                    path: readers[shard].path().to_owned(),
                    line,
                    message,
                }
            })?;
        let due: Vec<usize> = parts.iter().map(|(shard, _)| *shard).collect();
        if ticks.send(tick).is_err() {
            // Only a panic stops the replaying side: it is resumed there.
            break;
        }
        for shard in due {
            heads[shard] = readers[shard].next_record()?;
        }
    }
    Ok(readers
        .iter()
        .filter_map(|r| Some((r.path().to_owned(), r.cut_line()?)))
        .collect())
}
