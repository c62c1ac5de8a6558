-- The rows of the CSV exports, a row per plan line, half-year project and final report line with
-- its document's fund year, partnership and status. Views, so that the service reads them through
-- its query builder, a chunk at a time in the row's own order, with statements prepared once per
-- connection.

CREATE VIEW plan_line_rows AS
SELECT l.id AS row_key, pl.id AS plan_id, y.label AS fund_year, a.partnership_id, pa.name AS partnership,
       pl.status AS plan_status, l.number, l.title, l.outline, l.amount_pence AS amount, l.provider,
       l.total_contract_value_pence AS total_contract_value, l.outcome_measures
  FROM plan_lines l
  JOIN plans pl ON pl.id = l.plan_id
  JOIN allocations a ON a.id = pl.allocation_id
  JOIN partnerships pa ON pa.id = a.partnership_id
  JOIN fund_years y ON y.id = a.fund_year_id;

CREATE VIEW half_year_project_rows AS
SELECT p.id AS row_key, r.id AS half_year_return_id, y.label AS fund_year, a.partnership_id,
       pa.name AS partnership, r.half, r.status AS return_status, p.position, l.number AS plan_line, l.title,
       p.provider, p.provider_status, p.commissioning_body, l.amount_pence AS funding,
       p.total_service_funding_pence AS total_service_funding,
       CAST(COALESCE((SELECT SUM(e.amount_pence) FROM half_year_expenditure_items e
                       WHERE e.half_year_project_id = p.id), 0) AS BIGINT) AS expenditure_to_date,
       p.rag, p.extent_achieved, p.actions
  FROM half_year_projects p
  JOIN half_year_returns r ON r.id = p.half_year_return_id
  JOIN plan_lines l ON l.id = p.plan_line_id
  JOIN allocations a ON a.id = r.allocation_id
  JOIN partnerships pa ON pa.id = a.partnership_id
  JOIN fund_years y ON y.id = a.fund_year_id;

CREATE VIEW final_report_line_rows AS
SELECT row_key, final_report_id, fund_year, partnership_id, partnership, report_status, plan_line, title,
       allocated, actual_spend, actual_spend - allocated AS variance, virements_in, virements_out,
       allocated + virements_in - virements_out AS allocated_after_virements, variance_explanation, outcomes
  FROM (SELECT fl.id AS row_key, f.id AS final_report_id, y.label AS fund_year, a.partnership_id,
               pa.name AS partnership, f.status AS report_status, l.number AS plan_line, l.title,
               l.amount_pence AS allocated, fl.actual_spend_pence AS actual_spend,
               CAST(COALESCE((SELECT SUM(v.amount_pence) FROM virements v
                               WHERE v.final_report_id = f.id AND v.to_plan_line_id = l.id), 0) AS BIGINT)
                   AS virements_in,
               CAST(COALESCE((SELECT SUM(v.amount_pence) FROM virements v
                               WHERE v.final_report_id = f.id AND v.from_plan_line_id = l.id), 0) AS BIGINT)
                   AS virements_out,
               fl.variance_explanation, fl.outcomes
          FROM final_report_lines fl
          JOIN final_reports f ON f.id = fl.final_report_id
          JOIN plan_lines l ON l.id = fl.plan_line_id
          JOIN allocations a ON a.id = f.allocation_id
          JOIN partnerships pa ON pa.id = a.partnership_id
          JOIN fund_years y ON y.id = a.fund_year_id) AS reported;
