DROP VIEW final_report_line_rows;
DROP VIEW half_year_project_rows;
DROP VIEW plan_line_rows;
