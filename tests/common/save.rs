//! The ways files land in a watched directory in real life.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// One way of putting new content at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveShape {
    /// Truncate and rewrite the file in place.
    InPlace,
    /// Write a temporary file beside it and rename it over (vim, most editors).
    TempRename,
    /// A copy that lands in several writes with pauses longer than the
    /// watcher's debounce, as a slow network copy does.
    Chunked,
    /// Delete the file, then create it anew.
    DeleteCreate,
    /// Move the file out of the directory, then move the new one in.
    RenameOutIn,
    /// A Kubernetes ConfigMap volume: the file is a symlink through `..data`,
    /// which is swapped atomically to a new timestamped directory.
    ConfigMap,
}

impl SaveShape {
    /// Every shape.
    pub const ALL: [SaveShape; 6] = [
        SaveShape::InPlace,
        SaveShape::TempRename,
        SaveShape::Chunked,
        SaveShape::DeleteCreate,
        SaveShape::RenameOutIn,
        SaveShape::ConfigMap,
    ];

    /// Whether the shape makes the file disappear for a while, which the
    /// server sees as a removal followed by an addition.
    pub fn has_gap(self) -> bool {
        matches!(self, SaveShape::DeleteCreate | SaveShape::RenameOutIn)
    }
}

/// Writes files into `dir` by a save shape. `outside` is a directory on the
/// same filesystem but outside the watched one (for renames in and out).
pub struct Saver {
    /// The watched directory.
    pub dir: PathBuf,
    /// A directory beside it.
    pub outside: tempfile::TempDir,
    counter: u64,
}

impl Saver {
    /// A saver for `dir`.
    pub fn new(dir: &Path) -> Saver {
        let outside = tempfile::Builder::new()
            .prefix("outside")
            .tempdir_in(dir.parent().unwrap())
            .unwrap();
        Saver {
            dir: dir.to_owned(),
            outside,
            counter: 0,
        }
    }

    /// Sets up `name` for the ConfigMap shape: a `..data` symlink to a
    /// timestamped directory, and `name` as a symlink through `..data`.
    pub fn configmap_init(&mut self, name: &str, content: &[u8]) {
        let versioned = self.configmap_dir(content, name);
        std::os::unix::fs::symlink(&versioned, self.dir.join("..data")).unwrap();
        std::os::unix::fs::symlink(format!("..data/{name}"), self.dir.join(name)).unwrap();
    }

    fn configmap_dir(&mut self, content: &[u8], name: &str) -> String {
        self.counter += 1;
        let versioned = format!("..2026_01_01_00_00_{:06}", self.counter);
        std::fs::create_dir(self.dir.join(&versioned)).unwrap();
        std::fs::write(self.dir.join(&versioned).join(name), content).unwrap();
        versioned
    }

    /// Phase one of a save: for shapes with a gap, removes the file and
    /// returns true (call [`Saver::finish`] once the removal is seen);
    /// otherwise writes `content` completely and returns false.
    pub fn begin(&mut self, shape: SaveShape, name: &str, content: &[u8]) -> bool {
        let path = self.dir.join(name);
        match shape {
            SaveShape::InPlace => std::fs::write(&path, content).unwrap(),
            SaveShape::TempRename => {
                let tmp = self.dir.join(format!(".{name}.swp"));
                std::fs::write(&tmp, content).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
            }
            SaveShape::Chunked => {
                use std::io::Write;
                let mut f = std::fs::File::create(&path).unwrap();
                let chunk = content.len().div_ceil(3);
                for part in content.chunks(chunk) {
                    f.write_all(part).unwrap();
                    f.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
            SaveShape::DeleteCreate => {
                std::fs::remove_file(&path).unwrap();
                return true;
            }
            SaveShape::RenameOutIn => {
                std::fs::rename(&path, self.outside.path().join(name)).unwrap();
                return true;
            }
            SaveShape::ConfigMap => {
                let old = std::fs::read_link(self.dir.join("..data")).unwrap();
                let versioned = self.configmap_dir(content, name);
                let tmp = self.dir.join("..data_tmp");
                std::os::unix::fs::symlink(&versioned, &tmp).unwrap();
                std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
                std::fs::remove_dir_all(self.dir.join(old)).unwrap();
            }
        }
        false
    }

    /// Phase two of a save with a gap: puts `content` back.
    pub fn finish(&mut self, shape: SaveShape, name: &str, content: &[u8]) {
        let path = self.dir.join(name);
        match shape {
            SaveShape::DeleteCreate => std::fs::write(&path, content).unwrap(),
            SaveShape::RenameOutIn => {
                let staged = self.outside.path().join(format!("staged-{name}"));
                std::fs::write(&staged, content).unwrap();
                std::fs::rename(&staged, &path).unwrap();
            }
            _ => unreachable!("{shape:?} has no second phase"),
        }
    }
}
