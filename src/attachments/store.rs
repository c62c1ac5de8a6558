//! Evidence files on disk, named by the SHA-256 of their content.
//!
//! A file is written to a temporary name, flushed, then renamed into place, so a failed or
//! interrupted upload never leaves a partial file under a real name, and an existing file is
//! never overwritten. Files are never deleted: removing an attachment removes its record, and
//! the same content uploaded again shares the stored file.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(root: PathBuf) -> FileStore {
        FileStore { root }
    }

    /// Where the file with this digest lives: `<root>/ab/abcdef...`.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(sha256.get(..2).unwrap_or("00")).join(sha256)
    }

    /// Stores `content` and returns its SHA-256 (hex).
    pub fn put(&self, content: &[u8]) -> std::io::Result<String> {
        let sha256 = hex::encode(Sha256::digest(content));
        let target = self.path(&sha256);
        if target.exists() {
            return Ok(sha256);
        }
        let folder = target.parent().map(PathBuf::from).unwrap_or_else(|| self.root.clone());
        fs::create_dir_all(&folder)?;
        let temporary = folder.join(format!(".upload-{}", uuid::Uuid::new_v4().simple()));
        let written = fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(content)?;
            file.sync_all()
        });
        match written.and_then(|()| fs::rename(&temporary, &target)) {
            Ok(()) => Ok(sha256),
            Err(e) => {
                let _ = fs::remove_file(&temporary);
                Err(e)
            }
        }
    }

    pub fn read(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_stored_once_under_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().to_path_buf());
        let first = store.put(b"evaluation form").unwrap();
        let again = store.put(b"evaluation form").unwrap();
        assert_eq!(first, again);
        assert_eq!(first, hex::encode(Sha256::digest(b"evaluation form")));
        assert_eq!(store.read(&first).unwrap(), b"evaluation form");
        let stored: Vec<_> = fs::read_dir(dir.path().join(&first[..2])).unwrap().collect();
        assert_eq!(stored.len(), 1, "no temporary files are left behind");
    }
}
