//! Publishing the grants the OPCC made as 360Giving data: one grant per allocation to the
//! partnership's lead authority, and the onward grants each partnership made to its providers
//! from its approved plan. The admin keeps the OPCC's own identifiers; partnerships' org-ids
//! live on the partnerships.

pub mod http;

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::{Error, Violations};
use crate::money::Money;
use crate::partnerships::check_org_id;
use crate::preconditions::Precondition;
use crate::reports::{ReportFilter, SUBMITTED_STATUSES, partnership_of};
use crate::schema::{
    allocations, final_report_lines, final_reports, fund_years, grant_publishing, half_year_returns, partnerships,
    payments, plan_lines, plans,
};
use crate::timestamps;
use crate::workflow::Status;

/// The version of the 360Giving standard the export follows.
pub const STANDARD_VERSION: &str = "1.4";

/// A partnership both spends its grant and passes part of it on as grants to its providers.
const MULTIPURPOSE_REGRANT: &str = "FRG070";

/// How the OPCC is named in what it publishes.
#[derive(Serialize, ToSchema, Queryable, Selectable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = grant_publishing, check_for_backend(crate::db::MultiBackend))]
#[schema(example = json!({"funder_name": "Office of the Police and Crime Commissioner for Devon, Cornwall and the Isles of Scilly",
    "funder_org_id": "GB-EXAMPLE-DCIOSPCC", "grant_id_prefix": "360G-DCIOSPCC", "updated_at": "2026-11-23T09:00:00Z", "version": 1}))]
pub struct PublishingSettings {
    pub funder_name: String,
    /// The OPCC's organisation identifier.
    pub funder_org_id: String,
    /// The prefix 360Giving issued to the OPCC, starting "360G-": every published id starts with it.
    pub grant_id_prefix: String,
    #[serde(serialize_with = "timestamps::as_utc")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; the ETag. Send it back in If-Match to change it.
    pub version: i32,
}

#[derive(Deserialize, ToSchema, Debug, Clone)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funder_name": "Office of the Police and Crime Commissioner for Devon, Cornwall and the Isles of Scilly",
    "funder_org_id": "GB-EXAMPLE-DCIOSPCC", "grant_id_prefix": "360G-DCIOSPCC"}))]
pub struct PublishingInput {
    pub funder_name: String,
    pub funder_org_id: String,
    pub grant_id_prefix: String,
}

fn check_prefix(v: &mut Violations, prefix: &str) {
    let rest = prefix.strip_prefix("360G-").unwrap_or("");
    v.check(
        (1..=60).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !rest.ends_with('-'),
        "grant_id_prefix",
        "grant_id_prefix",
        "must be the prefix 360Giving issued, e.g. \"360G-DCIOSPCC\"",
    );
}

pub fn settings(conn: &mut DbConnection) -> Result<Option<PublishingSettings>, Error> {
    Ok(grant_publishing::table
        .find(1_i64)
        .select(PublishingSettings::as_select())
        .first(conn)
        .optional()?)
}

/// Sets them; once set, a change names the version it was made against. The first settings need
/// no If-Match (there is nothing to have read), and `*` then fails, as RFC 9110 has it.
pub fn set(
    conn: &mut DbConnection,
    caller: &Caller,
    expected: &Precondition,
    input: &PublishingInput,
) -> Result<PublishingSettings, Error> {
    caller.require_admin()?;
    let mut v = Violations::new();
    v.text("funder_name", &input.funder_name, 300);
    check_org_id(&mut v, "funder_org_id", Some(&input.funder_org_id));
    check_prefix(&mut v, &input.grant_id_prefix);
    v.finish()?;
    let now = timestamps::now();
    let values = (
        grant_publishing::funder_name.eq(input.funder_name.trim()),
        grant_publishing::funder_org_id.eq(&input.funder_org_id),
        grant_publishing::grant_id_prefix.eq(&input.grant_id_prefix),
        grant_publishing::updated_at.eq(now),
    );
    if *expected == Precondition::Unreadable {
        return Err(Error::UnreadablePrecondition);
    }
    match settings(conn)? {
        Some(current) => {
            expected.ensure(current.version)?;
            let changed = diesel::update(grant_publishing::table.find(1_i64))
                .filter(grant_publishing::version.eq(current.version))
                .set((values, grant_publishing::version.eq(current.version + 1)))
                .execute(conn)?;
            if changed == 0 {
                return Err(Error::StaleVersion { current: None });
            }
        }
        None if *expected == Precondition::Missing => {
            diesel::insert_into(grant_publishing::table)
                .values((grant_publishing::id.eq(1_i64), values))
                .execute(conn)?;
        }
        None => return Err(Error::StaleVersion { current: None }),
    }
    settings(conn)?.ok_or_else(|| Error::internal("publishing settings just written"))
}

/// An amount as 360Giving wants it: a JSON number, written exactly from the pence.
#[derive(Debug, Clone, Copy)]
pub struct Amount(pub Money);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub start_date: String,
    pub end_date: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct Programme {
    pub code: String,
    pub title: String,
}

/// A grant as the 360Giving schema describes it.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub title: String,
    pub description: String,
    pub currency: &'static str,
    pub amount_awarded: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_disbursed: Option<Amount>,
    pub award_date: String,
    pub planned_dates: Vec<Period>,
    pub recipient_organization: Vec<Organization>,
    pub funding_organization: Vec<Organization>,
    pub grant_programme: Vec<Programme>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regrant_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_activity: Vec<String>,
    pub date_modified: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub identifier: String,
}

/// A 360Giving data package.
#[derive(Serialize, Debug, Clone)]
pub struct Package {
    pub title: String,
    pub version: &'static str,
    pub issued: String,
    pub publisher: Publisher,
    pub grants: Vec<Grant>,
}

fn date_time(at: NaiveDateTime) -> String {
    timestamps::utc(at).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Dates as full date-times: the schema's date fields accept a date-time or a plain date, and a
/// date-time matches one of those forms only.
fn day(on: NaiveDate) -> String {
    date_time(on.and_time(chrono::NaiveTime::MIN))
}

/// A provider named in a plan, which has no registered identifier here: an id in the OPCC's own
/// prefix, the same wherever the name is.
fn provider_id(prefix: &str, provider: &str) -> String {
    let mut slug = String::new();
    for word in provider
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    format!("{prefix}-PROVIDER-{slug}")
}

type AllocationRow = (
    i64,
    i64,
    Money,
    Money,
    NaiveDateTime,
    NaiveDateTime,
    (String, NaiveDate, NaiveDate),
    (String, String, Option<String>),
);

type LineRow = (
    i64,
    i64,
    i32,
    String,
    String,
    Money,
    Option<String>,
    Option<NaiveDateTime>,
);

pub fn package(conn: &mut DbConnection, caller: &Caller, filter: &ReportFilter) -> Result<Package, Error> {
    let Some(settings) = settings(conn)? else {
        return Err(Error::Conflict {
            detail: "the OPCC's publishing settings are not set: PUT /api/v1/publishing first".into(),
            field: None,
        });
    };
    let mut query = allocations::table
        .inner_join(fund_years::table)
        .inner_join(partnerships::table)
        .order((fund_years::starts_on, partnerships::name, allocations::id))
        .select((
            allocations::id,
            allocations::partnership_id,
            allocations::grant_pence,
            allocations::carry_forward_pence,
            allocations::created_at,
            allocations::updated_at,
            (fund_years::label, fund_years::starts_on, fund_years::ends_on),
            (partnerships::name, partnerships::lead_authority, partnerships::org_id),
        ))
        .into_boxed();
    match partnership_of(caller, filter) {
        Err(()) => return Ok(Package::of(settings, filter, Vec::new())),
        Ok(Some(partnership)) => query = query.filter(allocations::partnership_id.eq(partnership)),
        Ok(None) => {}
    }
    if let Some(label) = &filter.fund_year {
        query = query.filter(fund_years::label.eq(label.clone()));
    }
    let rows: Vec<AllocationRow> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();

    let mut paid: HashMap<i64, Money> = HashMap::new();
    for (allocation, amount) in payments::table
        .inner_join(half_year_returns::table)
        .filter(half_year_returns::allocation_id.eq_any(&ids))
        .select((half_year_returns::allocation_id, payments::amount_pence))
        .load::<(i64, Money)>(conn)?
    {
        let total = paid.entry(allocation).or_insert(Money::ZERO);
        *total = total
            .checked_add(amount)
            .ok_or_else(|| Error::internal("payments overflow"))?;
    }
    let lines: Vec<LineRow> = plan_lines::table
        .inner_join(plans::table)
        .filter(plans::allocation_id.eq_any(&ids))
        .filter(plans::status.eq(Status::Approved))
        .filter(plan_lines::provider.is_not_null())
        .order((plans::allocation_id, plan_lines::number))
        .select((
            plan_lines::id,
            plans::allocation_id,
            plan_lines::number,
            plan_lines::title,
            plan_lines::outline,
            plan_lines::amount_pence,
            plan_lines::provider,
            plans::approved_at,
        ))
        .load(conn)?;
    let line_ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
    let spent: HashMap<i64, Money> = final_report_lines::table
        .inner_join(final_reports::table)
        .filter(final_report_lines::plan_line_id.eq_any(&line_ids))
        .filter(final_reports::status.eq_any(SUBMITTED_STATUSES))
        .select((final_report_lines::plan_line_id, final_report_lines::actual_spend_pence))
        .load::<(i64, Money)>(conn)?
        .into_iter()
        .collect();

    let prefix = &settings.grant_id_prefix;
    let opcc = Organization {
        id: settings.funder_org_id.clone(),
        name: settings.funder_name.clone(),
        department: None,
    };
    let mut grants = Vec::new();
    for (id, partnership_id, grant, carry_forward, created_at, updated_at, year, partnership) in rows {
        let (label, starts_on, ends_on) = year;
        let (name, lead_authority, org_id) = partnership;
        let grant_id = format!("{prefix}-CSPF-A{id}");
        let programme = Programme {
            code: format!("CSPF-{label}"),
            title: format!("Community Safety Partnership Fund {label}"),
        };
        let planned_dates = vec![Period {
            start_date: day(starts_on),
            end_date: day(ends_on),
        }];
        let lead = Organization {
            id: org_id.unwrap_or_else(|| format!("{prefix}-CSP-{partnership_id}")),
            name: lead_authority.clone(),
            department: Some(name.clone()),
        };
        let carried = if carry_forward > Money::ZERO {
            format!(" It also holds {carry_forward} carried forward from the previous year's grant.")
        } else {
            String::new()
        };
        grants.push(Grant {
            id: grant_id.clone(),
            title: format!("Community Safety Partnership Fund {label}: {name}"),
            description: format!(
                "The Police and Crime Commissioner's {label} grant to {name}, the Community Safety Partnership \
                 led by {lead_authority}, for the community safety work in its spending plan.{carried}"
            ),
            currency: "GBP",
            amount_awarded: Amount(grant),
            amount_disbursed: Some(Amount(paid.get(&id).copied().unwrap_or(Money::ZERO))),
            award_date: date_time(created_at),
            planned_dates: planned_dates.clone(),
            recipient_organization: vec![lead.clone()],
            funding_organization: vec![opcc.clone()],
            grant_programme: vec![programme.clone()],
            regrant_type: Some(MULTIPURPOSE_REGRANT),
            related_activity: Vec::new(),
            date_modified: date_time(updated_at),
        });
        for (line_id, _, number, title, outline, amount, provider, approved_at) in
            lines.iter().filter(|line| line.1 == id)
        {
            let provider = provider.clone().unwrap_or_default();
            grants.push(Grant {
                id: format!("{grant_id}-L{number}"),
                title: title.clone(),
                description: if outline.is_empty() {
                    title.clone()
                } else {
                    outline.clone()
                },
                currency: "GBP",
                amount_awarded: Amount(*amount),
                amount_disbursed: spent.get(line_id).copied().map(Amount),
                award_date: date_time(approved_at.unwrap_or(updated_at)),
                planned_dates: planned_dates.clone(),
                recipient_organization: vec![Organization {
                    id: provider_id(prefix, &provider),
                    name: provider,
                    department: None,
                }],
                funding_organization: vec![lead.clone()],
                grant_programme: vec![programme.clone()],
                regrant_type: None,
                related_activity: vec![grant_id.clone()],
                date_modified: date_time(approved_at.unwrap_or(updated_at)),
            });
        }
    }
    Ok(Package::of(settings, filter, grants))
}

impl Package {
    fn of(settings: PublishingSettings, filter: &ReportFilter, grants: Vec<Grant>) -> Package {
        Package {
            title: match &filter.fund_year {
                Some(label) => format!(
                    "{}: Community Safety Partnership Fund grants {label}",
                    settings.funder_name
                ),
                None => format!("{}: Community Safety Partnership Fund grants", settings.funder_name),
            },
            version: STANDARD_VERSION,
            issued: date_time(timestamps::now()),
            publisher: Publisher {
                name: settings.funder_name,
                identifier: settings.funder_org_id,
            },
            grants,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_json_numbers() -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(&[
            Amount(Money::pounds(400_568)),
            Amount("1330.06".parse().unwrap_or_default()),
        ])?;
        assert_eq!(text, "[400568.00,1330.06]");
        Ok(())
    }

    #[test]
    fn a_provider_without_an_identifier_gets_one_in_the_opccs_prefix() {
        assert_eq!(
            provider_id("360G-DCIOSPCC", "Sanctuary Supported Living (PDAS)"),
            "360G-DCIOSPCC-PROVIDER-sanctuary-supported-living-pdas"
        );
    }
}
