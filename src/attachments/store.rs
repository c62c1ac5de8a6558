//! Evidence files, named by the SHA-256 of their content: in a folder (the embedded default), or
//! in the database, which every instance of the service shares.
//!
//! On disk, a file is written to a temporary name, flushed, then renamed into place, so a failed or
//! interrupted upload never leaves a partial file under a real name, and an existing file is
//! never overwritten. Files are never deleted: removing an attachment removes its record, and
//! the same content uploaded again shares the stored file.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Text, Timestamp};
use sha2::{Digest, Sha256};

use crate::config::{AttachmentStorage, Config};
use crate::db::{Database, DbConnection};
use crate::error::Error;
use crate::schema::evidence_files;
use crate::timestamps;

/// Where evidence files are kept, as configured.
pub enum EvidenceStore {
    Folder(FileStore),
    Database(Database),
}

impl EvidenceStore {
    pub fn of(config: &Config, db: &Database) -> EvidenceStore {
        match config.attachment_storage {
            AttachmentStorage::Folder => EvidenceStore::Folder(FileStore::new(config.attachment_dir.clone())),
            AttachmentStorage::Database => EvidenceStore::Database(db.clone()),
        }
    }

    /// Stores `content` and returns its SHA-256 (hex).
    pub async fn put(self, content: Vec<u8>) -> Result<String, Error> {
        match self {
            EvidenceStore::Folder(files) => actix_web::web::block(move || files.put(&content))
                .await
                .map_err(Error::internal)?
                .map_err(|e| Error::internal(format!("storing an attachment failed: {e}"))),
            EvidenceStore::Database(db) => db.run(move |conn| put_in_database(conn, &content)).await,
        }
    }

    pub async fn read(self, sha256: String) -> Result<Vec<u8>, Error> {
        match self {
            EvidenceStore::Folder(files) => {
                let path = files.path(&sha256);
                actix_web::web::block(move || files.read(&sha256))
                    .await
                    .map_err(Error::internal)?
                    .map_err(|e| Error::internal(format!("{} is unreadable: {e}", path.display())))
            }
            EvidenceStore::Database(db) => {
                db.run(move |conn| {
                    evidence_files::table
                        .find(&sha256)
                        .select(evidence_files::content)
                        .first::<Vec<u8>>(conn)
                        .optional()?
                        .ok_or_else(|| Error::internal(format!("the file {sha256} is not in the database")))
                })
                .await
            }
        }
    }
}

/// Stores content once under its digest; the same content stored again is the same row.
fn put_in_database(conn: &mut DbConnection, content: &[u8]) -> Result<String, Error> {
    let sha256 = hex::encode(Sha256::digest(content));
    diesel::sql_query(
        "INSERT INTO evidence_files (sha256, content, size_bytes, stored_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind::<Text, _>(&sha256)
    .bind::<Binary, _>(content)
    .bind::<BigInt, _>(i64::try_from(content.len()).map_err(Error::internal)?)
    .bind::<Timestamp, _>(timestamps::now())
    .execute(conn)?;
    Ok(sha256)
}

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
