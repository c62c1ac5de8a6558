-- The rows the priority, project and indicator reports are made of. Views, so that the service
-- reads them through its query builder (filtered by fund year and partnership) with statements
-- prepared once per connection, and spells no status in its own SQL. Documents count once
-- submitted: not drafts, nor signed by the manager only. The words here are tied to the Rust enums
-- by a unit test in src/reports/mod.rs.

-- Every line of an approved plan, with the spend its submitted final report gives it and how many
-- Police and Crime Plan priorities it serves.
CREATE VIEW approved_plan_lines AS
SELECT l.id AS plan_line_id, a.fund_year_id, y.label AS fund_year, a.partnership_id,
       l.amount_pence AS planned,
       (SELECT fl.actual_spend_pence FROM final_report_lines fl
          JOIN final_reports f ON f.id = fl.final_report_id
         WHERE fl.plan_line_id = l.id
           AND f.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')) AS spent,
       (SELECT COUNT(*) FROM plan_line_priorities lp WHERE lp.plan_line_id = l.id) AS priorities_served
  FROM plan_lines l
  JOIN plans pl ON pl.id = l.plan_id
  JOIN allocations a ON a.id = pl.allocation_id
  JOIN fund_years y ON y.id = a.fund_year_id
 WHERE pl.status = 'approved';

-- Every project of a submitted half-year return: its line's funding and its expenditure to date.
CREATE VIEW submitted_projects AS
SELECT p.id AS project_id, y.label AS fund_year, y.starts_on, a.partnership_id, r.half, p.rag,
       p.provider_status, l.amount_pence AS funding,
       CAST(COALESCE((SELECT SUM(e.amount_pence) FROM half_year_expenditure_items e
                       WHERE e.half_year_project_id = p.id), 0) AS BIGINT) AS expenditure_to_date
  FROM half_year_projects p
  JOIN half_year_returns r ON r.id = p.half_year_return_id
  JOIN plan_lines l ON l.id = p.plan_line_id
  JOIN allocations a ON a.id = r.allocation_id
  JOIN fund_years y ON y.id = a.fund_year_id
 WHERE r.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted');

-- Every indicator of an approved plan's lines, with the actuals reported against it in each half
-- and at year end.
CREATE VIEW indicator_outcomes AS
SELECT y.label AS fund_year, y.starts_on, a.id AS allocation_id, a.partnership_id, pa.name AS partnership,
       l.number AS plan_line, l.title, i.number AS indicator, i.name, i.comparison, i.target, i.unit,
       (SELECT MAX(ha.actual) FROM half_year_indicator_actuals ha
          JOIN half_year_projects hp ON hp.id = ha.half_year_project_id
          JOIN half_year_returns r ON r.id = hp.half_year_return_id
         WHERE ha.plan_line_indicator_id = i.id AND r.half = 'first'
           AND r.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted'))
           AS first_half_actual,
       (SELECT MAX(ha.actual) FROM half_year_indicator_actuals ha
          JOIN half_year_projects hp ON hp.id = ha.half_year_project_id
          JOIN half_year_returns r ON r.id = hp.half_year_return_id
         WHERE ha.plan_line_indicator_id = i.id AND r.half = 'second'
           AND r.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted'))
           AS second_half_actual,
       (SELECT MAX(fa.actual) FROM final_report_indicator_actuals fa
          JOIN final_report_lines fl ON fl.id = fa.final_report_line_id
          JOIN final_reports f ON f.id = fl.final_report_id
         WHERE fa.plan_line_indicator_id = i.id
           AND f.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted'))
           AS year_end_actual
  FROM plan_line_indicators i
  JOIN plan_lines l ON l.id = i.plan_line_id
  JOIN plans pl ON pl.id = l.plan_id
  JOIN allocations a ON a.id = pl.allocation_id
  JOIN partnerships pa ON pa.id = a.partnership_id
  JOIN fund_years y ON y.id = a.fund_year_id
 WHERE pl.status = 'approved';
