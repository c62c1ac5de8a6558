DROP VIEW fund_by_partnership;
