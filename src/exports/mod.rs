//! CSV for the office's other systems: every report's rows, and each collection (plan lines,
//! half-year projects, final-report lines, payments) streamed in keyset-ordered chunks so a
//! large export never sits in memory. Money is a plain decimal ("400568.00"), an absent value an
//! empty cell, and the columns are named as the JSON fields are. Text that a spreadsheet would
//! run as a formula is neutralised (see [`neutralised`]).

mod collections;
pub mod http;

pub use collections::*;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::reports::ReportFilter;
use crate::tables::CsvRow;

/// A collection exported chunk by chunk, in order of a unique key.
pub trait Export: CsvRow + Send + Sized + 'static {
    /// The file name offered for download.
    const FILE_NAME: &'static str;
    /// Up to `limit` rows the caller may see with a key after `after`, in key order.
    fn chunk(
        conn: &mut DbConnection,
        caller: &Caller,
        filter: &ReportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Self>, Error>;
    fn key(&self) -> i64;
}
