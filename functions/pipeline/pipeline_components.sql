-- Batch core, stage 3 (design §6): connected components.
--   Input   pg_temp.oi_cl_edge  the edges (a, b), a > b, each once;
--           pg_temp.oi_cl_comp  every node of the graph, root = the node itself (a node
--                               without edges is a component of its own).
--   Output  pg_temp.oi_cl_comp  root = the smallest node of the node's component;
--           pg_temp.oi_cl_edge  the components as stars: (node, root) for every node
--                               but the roots.
-- Returns the number of rounds.
-- Alternating large-star / small-star (Kiveris et al., "Connected Components in
-- MapReduce and Beyond"): O(log n) rounds in practice, each round two set-based
-- statements over the edge table; never a recursive CTE. No ANALYZE inside the loop: the
-- statistics of the first edges plan the later rounds.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_components()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_round integer := 0;
    v_n     integer;
BEGIN
    LOOP
        -- Converged when the edges form stars: every child has one parent and no parent
        -- is itself a child; the parent is then the component's smallest node. (Counted
        -- with hash joins: an EXISTS would be planned as a nested loop.)
        SELECT ((SELECT count(*) FROM (SELECT DISTINCT x.b FROM pg_temp.oi_cl_edge x) p
                                  JOIN (SELECT DISTINCT y.a FROM pg_temp.oi_cl_edge y) c ON c.a = p.b)
              + (SELECT count(*) FROM (SELECT x.a FROM pg_temp.oi_cl_edge x
                                        GROUP BY x.a HAVING count(*) > 1) m))::integer
          INTO v_n;
        EXIT WHEN v_n = 0;
        v_round := v_round + 1;
        IF v_round > 200 THEN
            RAISE EXCEPTION 'connected components did not converge after % rounds', v_round - 1
                USING ERRCODE = 'OI039',
                      HINT = 'This is a bug in omni-identity; report it with the batch that caused it.';
        END IF;

        -- Large-star: every node links its larger neighbours to its smallest neighbour
        -- (itself included): edge (a, b) becomes (a, min(b, smaller neighbours of b)).
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT e.a, coalesce(m.mb, e.b)
          FROM pg_temp.oi_cl_edge e
          LEFT JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
            ON m.a = e.b;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;

        -- Small-star: every node and its smaller neighbours link to the smallest of them.
        INSERT INTO pg_temp.oi_cl_edge2 (a, b)
        SELECT DISTINCT z.a, z.b
          FROM (SELECT e.a, m.mb AS b
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                UNION ALL
                SELECT e.b, m.mb
                  FROM pg_temp.oi_cl_edge e
                  JOIN (SELECT x.a, min(x.b) AS mb FROM pg_temp.oi_cl_edge x GROUP BY x.a) m
                    ON m.a = e.a
                 WHERE e.b <> m.mb) z;
        TRUNCATE pg_temp.oi_cl_edge;
        INSERT INTO pg_temp.oi_cl_edge SELECT * FROM pg_temp.oi_cl_edge2;
        TRUNCATE pg_temp.oi_cl_edge2;
    END LOOP;

    UPDATE pg_temp.oi_cl_comp c SET root = e.b FROM pg_temp.oi_cl_edge e WHERE e.a = c.node;
    ANALYZE pg_temp.oi_cl_comp;
    RETURN v_round;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_components()
    IS 'Batch core stage 3: connected components of oi_cl_edge; oi_cl_comp.root := smallest node of each component.';
