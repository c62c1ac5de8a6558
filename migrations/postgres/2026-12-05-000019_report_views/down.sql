DROP VIEW indicator_outcomes;
DROP VIEW submitted_projects;
DROP VIEW approved_plan_lines;
