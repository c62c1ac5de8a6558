//! Rendered records: a document as the paper form people file, a PDF/A-2b typeset by Typst from
//! a template per form and the document's JSON, with the fonts the service carries (Libertinus
//! Serif, SIL Open Font Licence; nothing is read from the machine or downloaded).
//!
//! The same record renders to the same bytes every time: the template, the fonts, the data and
//! the date written into the PDF (the document's, never the clock's) are all it depends on.

pub mod check;
pub mod http;
pub mod store;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde_json::Value;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::error::Error;

/// The media type of a rendered record.
pub const APPLICATION_PDF: &str = "application/pdf";

/// The forms the service renders, each a Typst template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The Spending Intentions Plan.
    Plan,
    /// The Half Year Report Return, its projects A, B, C...
    HalfYearReturn,
    /// The Final Evaluation Report.
    FinalReport,
    /// The OPCC's fund report, by partnership or by priority, for a Police and Crime Panel paper.
    FundReport,
}

impl Form {
    fn template(self) -> &'static str {
        match self {
            Form::Plan => include_str!("plan.typ"),
            Form::HalfYearReturn => include_str!("half_year_return.typ"),
            Form::FinalReport => include_str!("final_report.typ"),
            Form::FundReport => include_str!("fund_report.typ"),
        }
    }
}

/// What every template imports: the page, the signature and identification blocks.
const COMMON: &str = include_str!("common.typ");

/// What a record is made from: the form's data (read by the template as `record.json`), a name
/// that identifies the record for good (the PDF's document id is derived from it), the time
/// the PDF says it was made, and the address printed as a QR code for whoever holds the paper.
pub struct Sheet {
    pub form: Form,
    pub data: Value,
    pub ident: String,
    pub dated: NaiveDateTime,
    pub check_at: String,
}

/// Typesets a record on one of the service's typesetters, waiting its turn.
///
/// A fixed set of threads, one per core (at most [`MOST_TYPESETTERS`]), does all typesetting:
/// records never take more cores than there are, and Typst's working memory stays with those few
/// threads (rendering on whichever pooled thread was free spread it over dozens and kept it
/// there: 410 MB resident instead of 295 MB after 600 records of new content; `bench/records`).
pub async fn typeset(sheet: Sheet) -> Result<Vec<u8>, Error> {
    let queue = typesetters().ok_or_else(|| Error::internal("no typesetter thread could be started"))?;
    let (answer, answered) = tokio::sync::oneshot::channel();
    queue
        .send((sheet, answer))
        .await
        .map_err(|_| Error::internal("the typesetters have stopped"))?;
    answered
        .await
        .map_err(|_| Error::internal("a typesetter stopped while setting a record"))?
}

/// The most typesetter threads, whatever the machine.
const MOST_TYPESETTERS: usize = 4;
/// How many records may wait for a typesetter before callers wait to queue.
const QUEUED: usize = 64;

type Job = (Sheet, tokio::sync::oneshot::Sender<Result<Vec<u8>, Error>>);

/// The typesetters' queue, the threads started at first use; `None` if none could be.
fn typesetters() -> Option<&'static tokio::sync::mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Option<tokio::sync::mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (queue, jobs) = tokio::sync::mpsc::channel::<Job>(QUEUED);
            let jobs = Arc::new(Mutex::new(jobs));
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(MOST_TYPESETTERS));
            let started = (0..threads)
                .filter(|number| {
                    let jobs = Arc::clone(&jobs);
                    std::thread::Builder::new()
                        .name(format!("typesetter-{number}"))
                        .spawn(move || set_records(&jobs))
                        .is_ok()
                })
                .count();
            (started > 0).then_some(queue)
        })
        .as_ref()
}

/// A typesetter's life: take the next record, set it, answer; until the queue closes.
fn set_records(jobs: &Mutex<tokio::sync::mpsc::Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).blocking_recv();
        let Some((sheet, answer)) = job else {
            return;
        };
        let set = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&sheet)))
            .unwrap_or_else(|_| Err(Error::internal("the typesetter failed on this record")));
        // The caller may have gone (a closed connection); nothing to answer then.
        let _ = answer.send(set);
    }
}

/// Typesets a record as PDF/A-2b, tagged for screen readers. CPU work of tens of milliseconds;
/// the service calls it through [`typeset`].
pub fn render(sheet: &Sheet) -> Result<Vec<u8>, Error> {
    let data = serde_json::to_vec(&sheet.data).map_err(Error::internal)?;
    let world = Desk {
        main: Source::new(
            FileId::new(None, VirtualPath::new("form.typ")),
            sheet.form.template().to_owned(),
        ),
        common: Source::new(FileId::new(None, VirtualPath::new("common.typ")), COMMON.to_owned()),
        data: Bytes::new(data),
        check_code: Bytes::new(qr_code(&sheet.check_at)?.into_bytes()),
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| Error::internal(format!("the form did not typeset: {errors:?}")))?;
    let dated = Datetime::from_ymd_hms(
        sheet.dated.year(),
        u8::try_from(sheet.dated.month()).unwrap_or(1),
        u8::try_from(sheet.dated.day()).unwrap_or(1),
        u8::try_from(sheet.dated.hour()).unwrap_or(0),
        u8::try_from(sheet.dated.minute()).unwrap_or(0),
        u8::try_from(sheet.dated.second()).unwrap_or(0),
    )
    .ok_or_else(|| Error::internal("a record's date out of range"))?;
    let standards = PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| Error::internal(e.to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(&sheet.ident),
        timestamp: Some(Timestamp::new_utc(dated)),
        page_ranges: None,
        standards,
        tagged: true,
    };
    let pdf = typst_pdf::pdf(&document, &options)
        .map_err(|errors| Error::internal(format!("the PDF was not written: {errors:?}")));
    // Typst memoizes its work in process-wide caches that only eviction shrinks: keep what the
    // last few records used (the same form again is then quick) and let the rest go, so a server
    // rendering many different records keeps a bounded memory.
    comemo::evict(RENDERS_REMEMBERED);
    pdf
}

/// How many renderings an unused cached result of Typst's outlives.
const RENDERS_REMEMBERED: usize = 8;

/// `address` as a QR code, an SVG drawing.
fn qr_code(address: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::with_error_correction_level(address.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::internal(format!("the check address as a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .build())
}

/// The fonts every record is set in, loaded once.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

/// What Typst sees while it sets one record: the form and what it imports, its data, the QR
/// code of its check address, the fonts; nothing else.
struct Desk {
    main: Source,
    common: Source,
    data: Bytes,
    check_code: Bytes,
}

impl World for Desk {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.vpath().as_rootless_path();
        if path == std::path::Path::new("record.json") {
            Ok(self.data.clone())
        } else if path == std::path::Path::new("check.svg") {
            Ok(self.check_code.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

/// An amount as the forms print it: `£240,819.00` from `"240819.00"`; empty when there is none.
pub fn pounds(amount: &Value) -> String {
    let Some(amount) = amount.as_str() else {
        return String::new();
    };
    let (sign, digits) = amount.strip_prefix('-').map_or(("", amount), |rest| ("-", rest));
    let (whole, pence) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}£{grouped}.{pence}")
}

/// A text of a document's JSON as printed: empty when there is none.
pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or("").to_owned()
}

/// Indicators' actuals as the forms list them: name, target, actual, and whether it was met.
pub fn indicator_actuals(actuals: &Value) -> Vec<Value> {
    actuals
        .as_array()
        .into_iter()
        .flatten()
        .map(|actual| {
            serde_json::json!({
                "name": text(&actual["name"]),
                "target": text(&actual["target_text"]),
                "actual": text(&actual["actual"]),
                "met": match actual["met"].as_bool() {
                    Some(true) => "Met",
                    Some(false) => "Not met",
                    None => "",
                },
            })
        })
        .collect()
}

/// A date as the forms write a deadline: "Friday 3 November 2017" from "2017-11-03"; empty when
/// there is none.
pub fn long_date(date: &Value) -> String {
    date.as_str()
        .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .map_or_else(String::new, |date| date.format("%A %-d %B %Y").to_string())
}

/// A date as the forms give a month: "October 2017" from "2017-10-31".
pub fn month_and_year(date: &Value) -> String {
    date.as_str()
        .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .map_or_else(String::new, |date| date.format("%B %Y").to_string())
}

/// A fund year's label as the forms head it: "2021 – 2022" for "2021-22".
pub fn fund_year_span(label: &str) -> String {
    match label.split_once('-') {
        Some((start, end)) if start.len() == 4 && end.len() == 2 => format!("{start} – {}{end}", &start[..2]),
        _ => label.to_owned(),
    }
}

/// A signature as the form's signature block prints it.
pub fn signature_block(signature: &crate::signatures::Signature) -> Value {
    let proved = match &signature.sign_in {
        Some(sign_in) => format!("sign-in at {} (subject {})", sign_in.issuer, sign_in.subject),
        None => "the signer's password, asked again".to_owned(),
    };
    serde_json::json!({
        "capacity_key": signature.capacity,
        "printed_name": signature.printed_name,
        "position": signature.position,
        "capacity": match signature.capacity {
            crate::signatures::Capacity::CspManager => "the partnership's manager",
            crate::signatures::Capacity::Treasurer => "Treasurer / CFO (Section 151 officer)",
        },
        "declaration": signature.declaration,
        "signed_at": crate::timestamps::utc(signature.signed_at).format("%Y-%m-%d %H:%M UTC").to_string(),
        "signed_on": crate::timestamps::london_date(signature.signed_at).format("%d/%m/%Y").to_string(),
        "proved": proved,
        "attestation_key": signature.attestation.as_ref().map_or("", |a| a.key_id.as_str()),
        "attestation": signature.attestation.as_ref().map_or("", |a| a.signature.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_years_print_as_on_the_forms() {
        assert_eq!(pounds(&Value::from("240819.00")), "£240,819.00");
        assert_eq!(pounds(&Value::from("4674.00")), "£4,674.00");
        assert_eq!(pounds(&Value::from("-440.00")), "-£440.00");
        assert_eq!(pounds(&Value::from("100.00")), "£100.00");
        assert_eq!(pounds(&Value::Null), "");
        assert_eq!(fund_year_span("2021-22"), "2021 – 2022");
        assert_eq!(long_date(&Value::from("2017-11-03")), "Friday 3 November 2017");
        assert_eq!(month_and_year(&Value::from("2017-10-31")), "October 2017");
        assert_eq!(long_date(&Value::Null), "");
    }
}
