-- The keyset cursor of the row (p_created_at, p_id): the p_after that continues a page of
-- abstraction_buyer* after that row, {"created_at": ..., "id": ...}. It is what
-- query_page reads back; the timestamp is written in full (ISO 8601, microseconds, the
-- session's time zone offset), so the next page starts exactly after the row.
CREATE OR REPLACE FUNCTION omni_identity.query_page_cursor(
      p_created_at timestamptz
    , p_id         bigint
) RETURNS jsonb
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT jsonb_build_object('created_at', p_created_at, 'id', p_id)
$fn$;
COMMENT ON FUNCTION omni_identity.query_page_cursor(timestamptz, bigint)
    IS 'Keyset cursor {"created_at", "id"} of a row: the p_after of the next page of abstraction_buyer*.';
