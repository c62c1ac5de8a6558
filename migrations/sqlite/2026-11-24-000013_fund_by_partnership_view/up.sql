-- The fund report's rows: each allocation's money from grant to spend, and where each of its
-- documents stands. A view, so that the service selects from it (filtered by fund year and
-- partnership) with a statement prepared once per connection. Documents count once submitted:
-- not drafts, nor signed by the manager only.
CREATE VIEW fund_by_partnership AS
SELECT allocation_id, partnership_id, partnership, fund_year, starts_on, "grant", carry_forward, available,
       planned, claimed, approved_for_payment, paid, approved_for_payment - paid AS outstanding,
       spent, moved_by_virements, spent - planned AS variance,
       CASE WHEN reported THEN available - spent ELSE 0 END AS unspent,
       unspent_decision, owed_back, offset_to_next_year, offset_from_previous_year,
       plan_status, first_half_status, second_half_status, final_report_status
  FROM (SELECT a.id AS allocation_id, a.partnership_id, p.name AS partnership, y.label AS fund_year,
               y.starts_on, a.grant_pence AS "grant", a.carry_forward_pence AS carry_forward,
               a.grant_pence + a.carry_forward_pence AS available,
               CAST(COALESCE((SELECT SUM(l.amount_pence) FROM plan_lines l JOIN plans pl ON pl.id = l.plan_id
                               WHERE pl.allocation_id = a.id AND pl.status = 'approved'), 0) AS BIGINT)
                   AS planned,
               CAST(COALESCE((SELECT SUM(r.amount_claimed_pence) FROM half_year_returns r
                               WHERE r.allocation_id = a.id AND r.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')), 0) AS BIGINT)
                   AS claimed,
               CAST(COALESCE((SELECT SUM(r.claim_approved_pence) FROM half_year_returns r
                               WHERE r.allocation_id = a.id AND r.status = 'accepted'), 0) AS BIGINT)
                   AS approved_for_payment,
               CAST(COALESCE((SELECT SUM(pay.amount_pence) FROM payments pay
                                JOIN half_year_returns r ON r.id = pay.half_year_return_id
                               WHERE r.allocation_id = a.id), 0) AS BIGINT)
                   AS paid,
               CAST(COALESCE((SELECT SUM(fl.actual_spend_pence) FROM final_report_lines fl
                                JOIN final_reports f ON f.id = fl.final_report_id
                               WHERE f.allocation_id = a.id AND f.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')), 0) AS BIGINT)
                   AS spent,
               CAST(COALESCE((SELECT SUM(v.amount_pence) FROM virements v
                                JOIN final_reports f ON f.id = v.final_report_id
                               WHERE f.allocation_id = a.id AND f.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')), 0) AS BIGINT)
                   AS moved_by_virements,
               EXISTS (SELECT 1 FROM final_reports f
                        WHERE f.allocation_id = a.id AND f.status IN ('submitted', 'under_review', 'changes_requested', 'approved', 'accepted')) AS reported,
               CAST(COALESCE((SELECT SUM(f.unspent_decided_pence) FROM final_reports f
                               WHERE f.allocation_id = a.id AND f.unspent_decision = 'returned'), 0) AS BIGINT)
                   AS owed_back,
               CAST(COALESCE((SELECT SUM(f.unspent_decided_pence) FROM final_reports f
                               WHERE f.allocation_id = a.id AND f.unspent_decision = 'offset'), 0) AS BIGINT)
                   AS offset_to_next_year,
               CAST(COALESCE((SELECT SUM(f.unspent_decided_pence) FROM final_reports f
                               WHERE f.offset_against = a.id), 0) AS BIGINT)
                   AS offset_from_previous_year,
               (SELECT f.unspent_decision FROM final_reports f WHERE f.allocation_id = a.id) AS unspent_decision,
               (SELECT pl.status FROM plans pl WHERE pl.allocation_id = a.id) AS plan_status,
               (SELECT r.status FROM half_year_returns r WHERE r.allocation_id = a.id AND r.half = 'first')
                   AS first_half_status,
               (SELECT r.status FROM half_year_returns r WHERE r.allocation_id = a.id AND r.half = 'second')
                   AS second_half_status,
               (SELECT f.status FROM final_reports f WHERE f.allocation_id = a.id) AS final_report_status
          FROM allocations a
          JOIN partnerships p ON p.id = a.partnership_id
          JOIN fund_years y ON y.id = a.fund_year_id) AS allocation_money;
