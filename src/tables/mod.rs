//! Tables as CSV for the office's other systems: the rows of a report or an export, money as a
//! plain decimal ("400568.00"), an absent value an empty cell, the columns named as the JSON
//! fields are, and text that a spreadsheet would run as a formula neutralised (see
//! [`neutralised`]).

pub mod http;

use serde::Serialize;

use crate::error::Error;

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

/// What Excel needs to read a CSV file as UTF-8.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// The header line of `R`'s CSV, after a byte-order mark when asked for.
pub fn header<R: CsvRow>(bom: bool) -> Result<Vec<u8>, Error> {
    let start = if bom { BYTE_ORDER_MARK.to_vec() } else { Vec::new() };
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(start);
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
        writer.write_record(cells(row)?).map_err(csv_failed)?;
    }
    writer.into_inner().map_err(|_| Error::internal("CSV buffer"))
}

/// A row's cells in column order: numbers and money as they are, absent values empty, text
/// neutralised.
fn cells<R: CsvRow>(row: &R) -> Result<Vec<String>, Error> {
    let serde_json::Value::Object(mut fields) = serde_json::to_value(row).map_err(Error::internal)? else {
        return Err(Error::internal("a CSV row is not a flat record"));
    };
    R::COLUMNS
        .iter()
        .map(|column| match fields.remove(*column) {
            Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(text)) => Ok(neutralised(text)),
            Some(serde_json::Value::Bool(value)) => Ok(value.to_string()),
            Some(serde_json::Value::Number(number)) => Ok(number.to_string()),
            Some(_) => Err(Error::internal(format!("CSV column {column} is not a plain value"))),
            None => Err(Error::internal(format!(
                "CSV column {column} is not a field of its row"
            ))),
        })
        .collect()
}

/// A text cell that a spreadsheet would read as a formula (it begins with `=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading apostrophe, as OWASP recommends against CSV
/// injection; a plain number such as a negative amount ("-440.00") stays a number.
pub fn neutralised(text: String) -> String {
    let starts_a_formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if starts_a_formula && !is_plain_number(&text) {
        format!("'{text}")
    } else {
        text
    }
}

fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A whole table: header, then rows.
pub fn table<T: Table>(report: &T, bom: bool) -> Result<Vec<u8>, Error> {
    let mut csv = header::<T::Row>(bom)?;
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
        let mut csv = header::<Line>(false)?;
        csv.extend(lines(&rows)?);
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "title,amount,provider\r\n\"ASB, low level and \"\"emerging\"\" crime\",16046.00,\r\n"
        );
        Ok(())
    }

    #[test]
    fn text_that_would_run_as_a_formula_is_neutralised_and_numbers_stay_numbers() -> Result<(), Error> {
        let line = |title: &str, amount: Money, provider: Option<&str>| Line {
            title: title.into(),
            amount,
            provider: provider.map(str::to_owned),
        };
        let rows = [
            line(
                "=HYPERLINK(\"http://x.example\",\"Click\")",
                Money::pounds(-440),
                Some("@SUM(A1:A9)"),
            ),
            line("+44 1752 668000", Money::pounds(0), Some("-2+3")),
            line("\tTabbed", Money::pounds(1), Some("\rReturned")),
            line("-440.00", Money::pounds(2), Some("Street Pastors - Plymouth")),
        ];
        let csv = String::from_utf8(lines(&rows)?).map_err(Error::internal)?;
        assert_eq!(
            csv,
            "\"'=HYPERLINK(\"\"http://x.example\"\",\"\"Click\"\")\",-440.00,'@SUM(A1:A9)\r\n\
             '+44 1752 668000,0.00,'-2+3\r\n\
             '\tTabbed,1.00,\"'\rReturned\"\r\n\
             -440.00,2.00,Street Pastors - Plymouth\r\n"
        );
        assert!(header::<Line>(true)?.starts_with(b"\xEF\xBB\xBFtitle,"));
        Ok(())
    }
}
