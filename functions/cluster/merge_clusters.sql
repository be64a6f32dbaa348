-- Merge clusters, set-based (design §3; golden record §4): p_losers[i] is merged into p_survivors[i] (parallel arrays;
-- a survivor may appear several times). One statement per step whatever the array
-- length, so a batch can merge thousands of pairs in one call; every lookup is driven by
-- an index (= ANY on the primary key, on (tenant_id, merged_into), on the keys'
-- (tenant_id, cluster_id)).
--
-- Preconditions (the caller's job; not re-checked, the function trusts its caller):
--   * every cluster named is live (merged_into IS NULL) and locked by the caller, by
--     row locks (resolve_customer_cluster) or by the exclusive tenant lock (batches);
--   * each survivor is the oldest (created_at, then cluster_id) of its group;
--   * a survivor is never also a loser, and a loser appears once.
-- Effects:
--   1. losers get merged_into = their survivor;
--   2. every cluster that pointed at a loser is repointed at its survivor (chains ≤ 1);
--   3. the losers' keys move to the survivor;
--   4. one customer_cluster_merges row per loser;
--   5. each survivor's golden record takes, per field, the value of greatest golden_rank
--      among itself and its losers;
--      updated_at is bumped on survivors and losers.
-- Returns the number of merges done (losers merged).
CREATE OR REPLACE FUNCTION omni_identity.merge_clusters(
      p_tenant_id text
    , p_losers    uuid[]
    , p_survivors uuid[]
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_merged integer;
    v_n      bigint;
BEGIN
    IF coalesce(cardinality(p_losers), 0) = 0 THEN
        RETURN 0;
    END IF;
    IF cardinality(p_losers) <> coalesce(cardinality(p_survivors), 0) THEN
        RAISE EXCEPTION 'merge_clusters: % losers but % survivors',
                cardinality(p_losers), coalesce(cardinality(p_survivors), 0)
            USING ERRCODE = 'OI020', HINT = 'Pass parallel arrays: p_losers[i] merges into p_survivors[i].';
    END IF;

    -- 1. Losers point at their survivor.
    UPDATE omni_identity.customer_cluster c
       SET merged_into = p.survivor, updated_at = now()
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE c.tenant_id = p_tenant_id
       AND c.cluster_id = ANY (p_losers)
       AND c.cluster_id = p.loser;
    GET DIAGNOSTICS v_merged = ROW_COUNT;

    -- 2. Clusters merged earlier into a loser now point at the survivor.
    UPDATE omni_identity.customer_cluster c
       SET merged_into = p.survivor, updated_at = now()
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE c.tenant_id = p_tenant_id
       AND c.merged_into IS NOT NULL
       AND c.merged_into = ANY (p_losers)
       AND c.merged_into = p.loser;

    -- 3. The losers' keys move to the survivor.
    UPDATE omni_identity.customer_cluster_keys k
       SET cluster_id = p.survivor
      FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
     WHERE k.tenant_id = p_tenant_id
       AND k.cluster_id = ANY (p_losers)
       AND k.cluster_id = p.loser;

    -- 4. Lineage.
    -- (RETURNING: on Citus the rows then reach the shard by an INSERT, not by a COPY,
    -- which PostgreSQL refuses under row-level security.)
    WITH ins AS (
        INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
        SELECT p_tenant_id, p.loser, p.survivor
          FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
        RETURNING 1
    )
    SELECT count(*) INTO v_n FROM ins;

    -- 5. Golden records: per survivor and field, the greatest golden_rank of its group.
    UPDATE omni_identity.customer_cluster c
       SET last_buyer_email       = g.email,    last_buyer_email_at    = g.email_at
         , last_buyer_phone       = g.phone,    last_buyer_phone_at    = g.phone_at
         , last_buyer_document    = g.document, last_buyer_document_at = g.document_at
         , last_buyer_name        = g.name,     last_buyer_name_at     = g.name_at
         , updated_at             = now()
      FROM (
        SELECT m.survivor
             , (array_agg(x.last_buyer_email ORDER BY omni_identity.golden_rank(x.last_buyer_email_at, x.last_buyer_email) DESC)
                    FILTER (WHERE x.last_buyer_email IS NOT NULL))[1] AS email
             , max(x.last_buyer_email_at) AS email_at
             , (array_agg(x.last_buyer_phone ORDER BY omni_identity.golden_rank(x.last_buyer_phone_at, x.last_buyer_phone) DESC)
                    FILTER (WHERE x.last_buyer_phone IS NOT NULL))[1] AS phone
             , max(x.last_buyer_phone_at) AS phone_at
             , (array_agg(x.last_buyer_document ORDER BY omni_identity.golden_rank(x.last_buyer_document_at, x.last_buyer_document) DESC)
                    FILTER (WHERE x.last_buyer_document IS NOT NULL))[1] AS document
             , max(x.last_buyer_document_at) AS document_at
             , (array_agg(x.last_buyer_name ORDER BY omni_identity.golden_rank(x.last_buyer_name_at, x.last_buyer_name) DESC)
                    FILTER (WHERE x.last_buyer_name IS NOT NULL))[1] AS name
             , max(x.last_buyer_name_at) AS name_at
          FROM (SELECT p.loser AS member, p.survivor FROM unnest(p_losers, p_survivors) AS p(loser, survivor)
                UNION
                SELECT s.survivor, s.survivor FROM unnest(p_survivors) AS s(survivor)) m
          JOIN omni_identity.customer_cluster x
            ON x.tenant_id = p_tenant_id
           AND x.cluster_id = ANY (p_losers || p_survivors)
           AND x.cluster_id = m.member
         GROUP BY m.survivor
      ) g
     WHERE c.tenant_id = p_tenant_id
       AND c.cluster_id = ANY (p_survivors)
       AND c.cluster_id = g.survivor;

    RETURN v_merged;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.merge_clusters(text, uuid[], uuid[])
    IS 'Merge p_losers[i] into p_survivors[i] set-based: merged_into, chains repointed, keys moved, lineage, golden records.';
