//! The spool: where records wait while the database is slow or down.
//! Append-only segment files of JSON lines, each append fsynced, drained
//! oldest first once the database is back. At its size cap the oldest
//! segment goes, and every record in it is counted as dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::record::Row;

/// A segment is closed and a new one started beyond this size.
const SEGMENT_BYTES: u64 = 8 << 20;

/// The spool directory and what is in it.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// Segments oldest first: (sequence number, bytes, records).
    segments: Vec<Segment>,
    /// The segment being appended to, when open.
    open: Option<File>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    seq: u64,
    bytes: u64,
    records: u64,
}

impl Spool {
    /// Opens the spool in `dir` (created if missing), finding the segments
    /// a previous run left.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<Spool> {
        fs::create_dir_all(dir)?;
        let mut segments = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(seq) = segment_seq(&path) else {
                continue;
            };
            let bytes = fs::metadata(&path)?.len();
            let records = BufReader::new(File::open(&path)?).split(b'\n').count() as u64;
            segments.push(Segment {
                seq,
                bytes,
                records,
            });
        }
        segments.sort_by_key(|s| s.seq);
        Ok(Spool {
            dir: dir.to_owned(),
            max_bytes,
            segments,
            open: None,
        })
    }

    /// True when no record waits.
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|s| s.records == 0)
    }

    /// Records waiting.
    pub fn records(&self) -> u64 {
        self.segments.iter().map(|s| s.records).sum()
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    /// Appends `rows` and fsyncs them. Returns how many older records were
    /// dropped to stay under the cap.
    pub fn append(&mut self, rows: &[Row]) -> std::io::Result<u64> {
        let mut text = Vec::new();
        for r in rows {
            serde_json::to_writer(&mut text, r).map_err(std::io::Error::other)?;
            text.push(b'\n');
        }
        let segment_bytes = (self.max_bytes / 4).clamp(64 << 10, SEGMENT_BYTES);
        let need_new = match self.segments.last() {
            None => true,
            Some(s) => self.open.is_none() || s.bytes + text.len() as u64 > segment_bytes,
        };
        if need_new {
            let seq = self.segments.last().map_or(1, |s| s.seq + 1);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(seq))?;
            // The new file's name must survive a crash too.
            File::open(&self.dir).and_then(|d| d.sync_all()).ok();
            self.open = Some(file);
            self.segments.push(Segment {
                seq,
                bytes: 0,
                records: 0,
            });
        }
        let file = self.open.as_mut().expect("a segment is open");
        let before = self.segments.last().map_or(0, |s| s.bytes);
        if let Err(e) = file.write_all(&text).and_then(|()| file.sync_data()) {
            // Cut a partial write off, and start the next append in a new
            // segment, so no later line is glued to half of this one.
            let _ = file.set_len(before);
            self.open = None;
            return Err(e);
        }
        let last = self.segments.last_mut().expect("a segment exists");
        last.bytes += text.len() as u64;
        last.records += rows.len() as u64;
        Ok(self.enforce_cap())
    }

    /// Drops the oldest segments while the spool is above its cap (never
    /// the one just written); returns the records dropped.
    fn enforce_cap(&mut self) -> u64 {
        let mut dropped = 0;
        while self.bytes() > self.max_bytes && self.segments.len() > 1 {
            let oldest = self.segments.remove(0);
            let _ = fs::remove_file(self.path(oldest.seq));
            dropped += oldest.records;
        }
        dropped
    }

    /// The oldest segment's records, and its sequence number for
    /// [`Spool::remove`]. The segment being appended to is closed first, so
    /// that nothing is added to a segment while it drains. Lines that do not
    /// parse (a write torn by a crash) are skipped and counted.
    pub fn oldest(&mut self) -> std::io::Result<Option<(u64, Vec<Row>, u64)>> {
        let Some(first) = self.segments.first().copied() else {
            return Ok(None);
        };
        if self.segments.len() == 1 {
            self.open = None;
        }
        let file = File::open(self.path(first.seq))?;
        let mut rows = Vec::new();
        let mut torn = 0;
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        // Bytes, not text: a write torn inside a multi-byte character is
        // one bad line, not an unreadable segment.
        while reader.read_until(b'\n', &mut line)? > 0 {
            match serde_json::from_slice::<Row>(&line) {
                Ok(r) => rows.push(r),
                Err(_) => torn += 1,
            }
            line.clear();
        }
        Ok(Some((first.seq, rows, torn)))
    }

    /// Removes segment `seq` once its records are in the database.
    pub fn remove(&mut self, seq: u64) -> std::io::Result<()> {
        self.segments.retain(|s| s.seq != seq);
        if self.segments.is_empty() {
            self.open = None;
        }
        fs::remove_file(self.path(seq))
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:016}.jsonl"))
    }
}

fn segment_seq(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(".jsonl")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> Row {
        Row {
            decision_id: id.into(),
            conversation_id: "c".into(),
            decided_at: 1,
            recorded_at: 2,
            channel: None,
            category: None,
            subcategory: None,
            customer_tier: None,
            language: None,
            customer_id: None,
            action: "stay".into(),
            shadow_action: None,
            tier: "ai_resolved".into(),
            priority: 0,
            score: 0.0,
            hard: false,
            config_version: 1,
            config_sha256: None,
            generation: 1,
            elapsed_us: 5,
            reasons: vec![],
            plugins: vec![],
            record: "{}".into(),
        }
    }

    #[test]
    fn records_survive_a_reopen_and_drain_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 1 << 30).unwrap();
        spool.append(&[row("a"), row("b")]).unwrap();
        spool.append(&[row("c")]).unwrap();
        drop(spool);
        // A torn last line, as a crash mid-write leaves it.
        let seg = fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        OpenOptions::new()
            .append(true)
            .open(&seg)
            .unwrap()
            .write_all(b"{\"decis")
            .unwrap();
        let mut spool = Spool::open(dir.path(), 1 << 30).unwrap();
        spool.append(&[row("d")]).unwrap();
        let (seq, rows, torn) = spool.oldest().unwrap().unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r.decision_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(torn, 1);
        spool.remove(seq).unwrap();
        let (seq, rows, _) = spool.oldest().unwrap().unwrap();
        assert_eq!(rows[0].decision_id, "d");
        spool.remove(seq).unwrap();
        assert!(spool.is_empty());
    }

    #[test]
    fn at_the_cap_the_oldest_go_and_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path(), 1).unwrap();
        spool.append(&[row("a"), row("b")]).unwrap();
        // Each reopen starts a new segment, so the first can be dropped.
        let mut spool = {
            drop(spool);
            Spool::open(dir.path(), 1).unwrap()
        };
        assert_eq!(spool.append(&[row("c")]).unwrap(), 2);
        assert_eq!(spool.records(), 1);
    }
}
