-- depends: 0210.alter-evidence-fillfactor
-- query_row_matches took a whole public.omni_sales row; on Citus a shard's query names the
-- shard's row type, for which it does not exist. functions/query/query_row_matches.sql now
-- takes the sale's columns; the row form goes. Only the package's own functions called it.
-- squawk-ignore-file ban-drop-function
DROP FUNCTION IF EXISTS omni_identity.query_row_matches(public.omni_sales, text, text, text, text, text, text, text,
                                                        timestamptz, timestamptz);
