//! `cspfund demo`: the seed documents of Safer Plymouth (its January 2017 commissioning paper,
//! 2017-18 plan, half-year return and final report; 2021-22 plan) and of a second partnership,
//! Safer Torbay, loaded through the same
//! domain operations the API uses, with a login for every role. Each object is looked up by its
//! natural key first, so running the demo again changes nothing.

use crate::service_key::ServiceKey;
use diesel::prelude::*;
use serde::de::DeserializeOwned;

use std::collections::HashMap;

use crate::allocations::{self, NewAllocation};
use crate::auth::{Caller, Principal, Role, passwords};
use crate::commissioning::{self, AgreeInput, CommissioningPaper, CommissioningPaperInput, TableInput};
use crate::db::{DbConnection, write_transaction};
use crate::documents::Precondition;
use crate::error::Error;
use crate::final_reports::{FinalReport, FinalReportInput};
use crate::fund_years::{self, NewFundYear};
use crate::half_year_returns::review::AcceptReturn;
use crate::half_year_returns::{self, Half, HalfYearReturn, HalfYearReturnInput};
use crate::lifecycle;
use crate::money::Money;
use crate::partnerships::{self, NewPartnership};
use crate::payments::{self, NewPayment};
use crate::plans::{Plan, PlanInput};
use crate::priority_sets::{self, Priority, PrioritySetInput};
use crate::publishing::{self, PublishingInput};
use crate::schema::commissioning_papers as paper_rows;
use crate::schema::{allocations as allocation_rows, final_reports as report_rows, half_year_returns as return_rows};
use crate::schema::{partnerships as partnership_rows, plans as plan_rows, priority_sets as set_rows};
use crate::signatures::Signer;
use crate::users::{self, NewUser};
use crate::workflow::Transition;

/// The demo's people: (e-mail, name, position, role, partnership name).
pub const LOGINS: [Login; 7] = [
    (
        "admin@opcc.example",
        "OPCC administrator",
        "System administrator",
        Role::Admin,
        None,
    ),
    (
        "reviewer@opcc.example",
        "OPCC commissioning officer",
        "Commissioning Officer, OPCC",
        Role::OpccReviewer,
        None,
    ),
    (
        "finance@opcc.example",
        "OPCC finance officer",
        "Finance Officer, OPCC",
        Role::OpccFinance,
        None,
    ),
    (
        "manager@safer-plymouth.example",
        "Matt Garrett",
        "Service Director, Community Connections, Plymouth City Council",
        Role::CspManager,
        Some(PLYMOUTH),
    ),
    (
        "treasurer@safer-plymouth.example",
        "Plymouth treasurer",
        "Section 151 Officer, Plymouth City Council",
        Role::Treasurer,
        Some(PLYMOUTH),
    ),
    (
        "manager@torbay.example",
        "Torbay manager",
        "Community Safety Manager, Torbay Council",
        Role::CspManager,
        Some(TORBAY),
    ),
    (
        "treasurer@torbay.example",
        "Torbay treasurer",
        "Chief Finance Officer, Torbay Council",
        Role::Treasurer,
        Some(TORBAY),
    ),
];

const PLYMOUTH: &str = "Safer Plymouth";
const TORBAY: &str = "Safer Torbay";
const PRIORITY_SET: &str = "Police and Crime Plan 2017-2021";

fn document<T: DeserializeOwned>(name: &str, json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| Error::internal(format!("demo document {name}: {e}")))
}

/// What a run did: the objects it created (empty when everything was already there).
#[derive(Debug, Default)]
pub struct Outcome {
    pub created: Vec<String>,
}

impl Outcome {
    fn note(&mut self, what: impl Into<String>) {
        self.created.push(what.into());
    }
}

fn acting_as(conn: &mut DbConnection, email: &str) -> Result<Caller, Error> {
    let user = users::find_by_email(conn, email)?.ok_or(Error::NotFound("demo user"))?;
    Ok(Caller {
        principal: Principal::User(user.id),
        role: user.role,
        partnership_id: user.partnership_id,
        authentication: Default::default(),
    })
}

fn partnership_id(conn: &mut DbConnection, name: &str) -> Result<Option<i64>, Error> {
    Ok(partnership_rows::table
        .filter(partnership_rows::name.eq(name))
        .select(partnership_rows::id)
        .first(conn)
        .optional()?)
}

/// Loads everything missing, as one all-or-nothing write.
/// `key` is the service's, which attests the demo's signatures as it would anyone's.
pub fn load(conn: &mut DbConnection, password: &str, key: &ServiceKey) -> Result<Outcome, Error> {
    write_transaction(conn, |conn| {
        let mut outcome = Outcome::default();
        load_people(conn, password, &mut outcome)?;
        load_reference_data(conn, &mut outcome)?;
        load_documents(conn, &mut outcome, key)?;
        Ok(outcome)
    })
}

fn load_people(conn: &mut DbConnection, password: &str, outcome: &mut Outcome) -> Result<(), Error> {
    // OPCC people first: the admin then creates the partnerships their people belong to.
    let (opcc, partnership_people): (Vec<_>, Vec<_>) = LOGINS.iter().partition(|login| login.4.is_none());
    for login in opcc {
        add_login(conn, login, None, password, outcome)?;
    }
    let admin = acting_as(conn, "admin@opcc.example")?;
    for (name, area, lead, org_id) in [
        (PLYMOUTH, "Plymouth", "Plymouth City Council", "GB-LAE-PLY"),
        (TORBAY, "Torbay", "Torbay Council", "GB-LAE-TOB"),
    ] {
        if partnership_id(conn, name)?.is_none() {
            let new = NewPartnership {
                name: name.into(),
                area: area.into(),
                lead_authority: lead.into(),
                org_id: Some(org_id.into()),
                external_reference: None,
            };
            partnerships::create(conn, &admin, new)?;
            outcome.note(format!("partnership {name}"));
        }
    }
    for login in partnership_people {
        let partnership = match login.4 {
            Some(name) => partnership_id(conn, name)?,
            None => None,
        };
        add_login(conn, login, partnership, password, outcome)?;
    }
    Ok(())
}

type Login = (&'static str, &'static str, &'static str, Role, Option<&'static str>);

fn add_login(
    conn: &mut DbConnection,
    &(email, name, position, role, _): &Login,
    partnership_id: Option<i64>,
    password: &str,
    outcome: &mut Outcome,
) -> Result<(), Error> {
    if users::find_by_email(conn, email)?.is_some() {
        return Ok(());
    }
    let new = NewUser {
        email: email.into(),
        display_name: name.into(),
        job_title: position.into(),
        role,
        partnership_id,
        password: Some(password.into()),
    };
    users::validate_new(&new)?;
    users::insert(conn, &new, &passwords::hash(password)?)?;
    outcome.note(format!("login {email}"));
    Ok(())
}

fn load_reference_data(conn: &mut DbConnection, outcome: &mut Outcome) -> Result<(), Error> {
    let admin = acting_as(conn, "admin@opcc.example")?;
    let set_id = match set_rows::table
        .filter(set_rows::name.eq(PRIORITY_SET))
        .select(set_rows::id)
        .first(conn)
        .optional()?
    {
        Some(id) => id,
        None => {
            let titles = [
                "Connecting Communities and Policing",
                "Preventing and deterring crime",
                "Protecting people at risk of abuse",
                "Supporting victims and witnesses and helping them to get justice",
                "Getting the best out of the police",
            ];
            let input = PrioritySetInput {
                name: PRIORITY_SET.into(),
                starts_on: date("2017-04-01")?,
                ends_on: date("2022-03-31")?,
                priorities: (1..)
                    .zip(titles)
                    .map(|(number, title)| Priority {
                        number,
                        title: title.into(),
                    })
                    .collect(),
            };
            outcome.note(format!("priority set {PRIORITY_SET}"));
            priority_sets::create(conn, &admin, &input)?.id
        }
    };
    if publishing::settings(conn)?.is_none() {
        // Placeholders in the shape of the real identifiers, for the OPCC to replace with its own.
        let input = PublishingInput {
            funder_name: "Office of the Police and Crime Commissioner for Devon, Cornwall and the Isles of Scilly"
                .into(),
            funder_org_id: "GB-EXAMPLE-DCIOSPCC".into(),
            grant_id_prefix: "360G-DCIOSPCC".into(),
        };
        publishing::set(conn, &admin, &crate::preconditions::Precondition::Missing, &input)?;
        outcome.note("360Giving publishing settings");
    }
    for (label, plan_due, first_half_due, second_half_due, final_due) in [
        ("2017-18", "2017-05-31", "2017-11-03", "2018-05-04", "2018-06-29"),
        ("2018-19", "2018-05-31", "2018-11-02", "2019-05-03", "2019-06-28"),
        ("2021-22", "2021-05-28", "2021-11-05", "2022-05-06", "2022-06-30"),
    ] {
        if fund_years::find_by_label(conn, label)?.is_none() {
            let new = NewFundYear {
                label: label.into(),
                plan_due: date(plan_due)?,
                first_half_return_due: date(first_half_due)?,
                second_half_return_due: date(second_half_due)?,
                final_report_due: date(final_due)?,
                priority_set_id: set_id,
                amendment_threshold: Some(Money::pounds(5_000)),
                amendment_threshold_percent: Some(10),
            };
            fund_years::create(conn, &admin, &new)?;
            outcome.note(format!("fund year {label}"));
        }
    }
    for (label, partnership, grant, carry_forward, purpose) in [
        (
            "2017-18",
            PLYMOUTH,
            400_568,
            27_678,
            Some("MARAC co-ordinator and IDVA hours"),
        ),
        ("2021-22", PLYMOUTH, 400_568, 0, None),
        ("2021-22", TORBAY, 180_000, 0, None),
    ] {
        if allocation_id(conn, label, partnership)?.is_none() {
            let new = NewAllocation {
                fund_year_id: fund_years::find_by_label(conn, label)?
                    .ok_or(Error::NotFound("fund year"))?
                    .id,
                partnership_id: partnership_id(conn, partnership)?.ok_or(Error::NotFound("partnership"))?,
                grant: Money::pounds(grant),
                carry_forward: Money::pounds(carry_forward),
                carry_forward_purpose: purpose.map(str::to_owned),
                external_reference: None,
            };
            allocations::create(conn, &admin, &new)?;
            outcome.note(format!("allocation {label} {partnership}"));
        }
    }
    Ok(())
}

/// Plymouth's 2017-18 return is signed, countersigned and accepted with £195,000 of its £200,284
/// claim approved, of which finance has paid £150,000: a claim part-paid for the OPCC's desk.
fn pay_in_part(conn: &mut DbConnection, id: i64, key: &ServiceKey) -> Result<(), Error> {
    let manager = acting_as(conn, "manager@safer-plymouth.example")?;
    let treasurer = acting_as(conn, "treasurer@safer-plymouth.example")?;
    let reviewer = acting_as(conn, "reviewer@opcc.example")?;
    let finance = acting_as(conn, "finance@opcc.example")?;
    let version = |conn: &mut DbConnection| -> Result<Precondition, Error> {
        Ok(Precondition::version(
            return_rows::table.find(id).select(return_rows::version).first(conn)?,
        ))
    };
    let signer = |name: &str, position: &str| Signer {
        printed_name: name.into(),
        position: position.into(),
        sign_in: None,
        attested_by: key.clone(),
    };
    let expected = version(conn)?;
    lifecycle::sign_as_manager::<HalfYearReturn>(
        conn,
        &manager,
        id,
        expected,
        &signer("Matt Garrett", "Service Director, Community Connections"),
    )?;
    let expected = version(conn)?;
    lifecycle::countersign::<HalfYearReturn>(
        conn,
        &treasurer,
        id,
        expected,
        &signer("Plymouth treasurer", "Section 151 Officer"),
    )?;
    let expected = version(conn)?;
    lifecycle::step_only::<HalfYearReturn>(conn, &reviewer, id, expected, Transition::StartReview)?;
    let expected = version(conn)?;
    half_year_returns::review::accept(
        conn,
        &reviewer,
        id,
        expected,
        &AcceptReturn {
            payment_date: Some(date("2017-11-30")?),
            approved_amount: Some(Money::pounds(195_000)),
            reason: Some("Project H's share waits for its commissioning date".into()),
        },
    )?;
    payments::record(
        conn,
        &finance,
        id,
        &NewPayment {
            amount: Money::pounds(150_000),
            paid_on: date("2017-12-08")?,
            remittance_reference: "BACS 2017-12-08/0412".into(),
            external_reference: None,
        },
    )?;
    Ok(())
}

fn allocation_id(conn: &mut DbConnection, label: &str, partnership: &str) -> Result<Option<i64>, Error> {
    let Some(year) = fund_years::find_by_label(conn, label)? else {
        return Ok(None);
    };
    let Some(partnership) = partnership_id(conn, partnership)? else {
        return Ok(None);
    };
    Ok(allocation_rows::table
        .filter(allocation_rows::fund_year_id.eq(year.id))
        .filter(allocation_rows::partnership_id.eq(partnership))
        .select(allocation_rows::id)
        .first(conn)
        .optional()?)
}

fn date(text: &str) -> Result<chrono::NaiveDate, Error> {
    text.parse().map_err(Error::internal)
}

/// The board meeting that agreed Plymouth's commissioning paper (the paper's "for discussion at
/// Safer Plymouth 24th January 2017").
const BOARD_MEETING: &str = "2017-01-24";

/// Which recommendation of the commissioning paper each line of Plymouth's 2017-18 plan carries
/// out: (line, recommendation). Recommendation 7 (emerging crime) was never funded on its own;
/// line 6 serves ASB and emerging crime together and cites the ASB recommendation.
const CARRIED_OUT: [(i32, i32); 8] = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 5), (8, 8)];

/// Safer Plymouth's "Integrated Commissioning – January 2017", put to its board and agreed; the
/// ids of its recommendations, by number.
fn load_commissioning(
    conn: &mut DbConnection,
    manager: &Caller,
    outcome: &mut Outcome,
) -> Result<HashMap<i32, i64>, Error> {
    let allocation = allocation_id(conn, "2017-18", PLYMOUTH)?.ok_or(Error::NotFound("allocation"))?;
    let existing = paper_rows::table
        .filter(paper_rows::allocation_id.eq(allocation))
        .select(paper_rows::id)
        .first::<i64>(conn)
        .optional()?;
    let paper = match existing {
        Some(id) => lifecycle::get::<CommissioningPaper>(conn, manager, id)?,
        None => {
            let input: CommissioningPaperInput = document(
                "plymouth-integrated-commissioning-2017",
                include_str!("documents/plymouth-integrated-commissioning-2017.json"),
            )?;
            let created = lifecycle::create::<CommissioningPaper>(conn, manager, &input)?;
            let id = created.id;
            let table = TableInput {
                board: "Safer Plymouth".into(),
                meeting_on: date(BOARD_MEETING)?,
            };
            commissioning::table(conn, manager, id, Precondition::version(created.version), &table)?;
            let agree = AgreeInput {
                decided_on: date(BOARD_MEETING)?,
            };
            commissioning::agree(conn, manager, id, Precondition::version(created.version + 1), &agree)?;
            outcome.note(format!("commissioning paper 2017-18 {PLYMOUTH}, agreed"));
            lifecycle::get::<CommissioningPaper>(conn, manager, id)?
        }
    };
    Ok(paper.recommendations.iter().map(|r| (r.number, r.id)).collect())
}

fn load_documents(conn: &mut DbConnection, outcome: &mut Outcome, key: &ServiceKey) -> Result<(), Error> {
    let plymouth = acting_as(conn, "manager@safer-plymouth.example")?;
    let torbay = acting_as(conn, "manager@torbay.example")?;
    let recommendations = load_commissioning(conn, &plymouth, outcome)?;
    let plans_to_load = [
        (
            "2017-18",
            PLYMOUTH,
            &plymouth,
            "plymouth-2017-18-plan",
            include_str!("documents/plymouth-2017-18-plan.json"),
        ),
        (
            "2021-22",
            PLYMOUTH,
            &plymouth,
            "plymouth-2021-22-plan",
            include_str!("documents/plymouth-2021-22-plan.json"),
        ),
        (
            "2021-22",
            TORBAY,
            &torbay,
            "torbay-2021-22-plan",
            include_str!("documents/torbay-2021-22-plan.json"),
        ),
    ];
    for (label, partnership, manager, name, json) in plans_to_load {
        let allocation = allocation_id(conn, label, partnership)?.ok_or(Error::NotFound("allocation"))?;
        let exists = plan_rows::table
            .filter(plan_rows::allocation_id.eq(allocation))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !exists {
            let mut input: PlanInput = document(name, json)?;
            input.allocation_id = Some(allocation);
            if name == "plymouth-2017-18-plan" {
                for line in &mut input.lines {
                    line.recommendation_id = CARRIED_OUT
                        .iter()
                        .find(|(number, _)| *number == line.number)
                        .and_then(|(_, recommendation)| recommendations.get(recommendation).copied());
                }
            }
            lifecycle::create::<Plan>(conn, manager, &input)?;
            outcome.note(format!("plan {label} {partnership}"));
        }
    }
    let returns_to_load = [
        (
            "2017-18",
            PLYMOUTH,
            &plymouth,
            "plymouth-2017-18-half-year-return",
            include_str!("documents/plymouth-2017-18-half-year-return.json"),
        ),
        (
            "2021-22",
            TORBAY,
            &torbay,
            "torbay-2021-22-half-year-return",
            include_str!("documents/torbay-2021-22-half-year-return.json"),
        ),
    ];
    for (label, partnership, manager, name, json) in returns_to_load {
        let allocation = allocation_id(conn, label, partnership)?.ok_or(Error::NotFound("allocation"))?;
        let mut input: HalfYearReturnInput = document(name, json)?;
        let half = input.half.unwrap_or(Half::First);
        let exists = return_rows::table
            .filter(return_rows::allocation_id.eq(allocation))
            .filter(return_rows::half.eq(half))
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !exists {
            input.allocation_id = Some(allocation);
            let created = lifecycle::create::<HalfYearReturn>(conn, manager, &input)?;
            outcome.note(format!("half-year return {label} {partnership}"));
            if partnership == PLYMOUTH {
                pay_in_part(conn, created.header.id, key)?;
                outcome.note(format!("claim {label} {partnership} approved in part and part-paid"));
            }
        }
    }
    let allocation = allocation_id(conn, "2017-18", PLYMOUTH)?.ok_or(Error::NotFound("allocation"))?;
    let exists = report_rows::table
        .filter(report_rows::allocation_id.eq(allocation))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        let mut input: FinalReportInput = document(
            "plymouth-2017-18-final-report",
            include_str!("documents/plymouth-2017-18-final-report.json"),
        )?;
        input.allocation_id = Some(allocation);
        lifecycle::create::<FinalReport>(conn, &plymouth, &input)?;
        outcome.note(format!("final report 2017-18 {PLYMOUTH}"));
    }
    Ok(())
}
