-- The report functions return the type: they go with it. The previous release's migrate
-- re-creates them from its functions/ (there they return TABLE (...) again).
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.customer_report(text, jsonb);
DROP FUNCTION IF EXISTS omni_identity.customer_report_v1(text, jsonb);
DROP FUNCTION IF EXISTS omni_identity.customer_report_v2(text, jsonb);
DROP TYPE omni_identity.customer_report_row;
