-- The column form (functions/query/query_row_matches.sql) is what every caller uses; the
-- row form is not recreated.
SELECT 1;
