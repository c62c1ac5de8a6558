//! CSV for the office's other systems: every report's rows, and each collection (plan lines,
//! half-year projects, final-report lines, payments) streamed in keyset-ordered chunks so a
//! large export never sits in memory. Money is a plain decimal ("400568.00"), an absent value an
//! empty cell, and the columns are named as the JSON fields are.

mod collections;
pub mod http;

pub use collections::*;

use serde::Serialize;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::reports::ReportFilter;

/// A flat row with its columns, in the order its fields serialise.
pub trait CsvRow: Serialize {
    const COLUMNS: &'static [&'static str];
}

/// A report: the rows its CSV form holds (its totals are the sums of the columns, so a
/// spreadsheet recomputes them).
pub trait Table {
    type Row: CsvRow;
    fn rows(&self) -> &[Self::Row];
}

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

/// The header line of `R`'s CSV.
pub fn header<R: CsvRow>() -> Result<Vec<u8>, Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(R::COLUMNS).map_err(csv_failed)?;
    writer.into_inner().map_err(|_| Error::internal("CSV buffer"))
}

/// `rows` as CSV lines, without the header.
pub fn lines<R: CsvRow>(rows: &[R]) -> Result<Vec<u8>, Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(csv_failed)?;
    }
    writer.into_inner().map_err(|_| Error::internal("CSV buffer"))
}

/// A whole table: header, then rows.
pub fn table<T: Table>(report: &T) -> Result<Vec<u8>, Error> {
    let mut csv = header::<T::Row>()?;
    csv.extend(lines(report.rows())?);
    Ok(csv)
}

fn csv_failed(error: csv::Error) -> Error {
    Error::internal(format!("writing CSV: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    #[derive(Serialize)]
    struct Line {
        title: String,
        amount: Money,
        provider: Option<String>,
    }

    impl CsvRow for Line {
        const COLUMNS: &'static [&'static str] = &["title", "amount", "provider"];
    }

    #[test]
    fn money_is_a_plain_decimal_absent_is_empty_and_text_is_quoted() -> Result<(), Error> {
        let rows = [Line {
            title: "ASB, low level and \"emerging\" crime".into(),
            amount: Money::pounds(16_046),
            provider: None,
        }];
        let mut csv = header::<Line>()?;
        csv.extend(lines(&rows)?);
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "title,amount,provider\r\n\"ASB, low level and \"\"emerging\"\" crime\",16046.00,\r\n"
        );
        Ok(())
    }
}
