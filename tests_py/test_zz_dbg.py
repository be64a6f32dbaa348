from tests_py import test_backfill_plans as b
from tests_py.test_query_plans import explained, nodes, rows_read, sales_scans, access

def test_dbg(db):
    b.load(db)
    st = explained(db, "SELECT omni_identity.pipeline_temp_tables(), omni_identity.backfill_pick(NULL, NULL, NULL, true, 100)")
    for s in st:
        sc = [ (access(n), rows_read(n)) for n in nodes(s['plan']) if n.get('Relation Name') == 'omni_sales']
        if sc:
            print([(n["Node Type"], n.get("Relation Name"), n.get("Index Name"), n.get("Actual Rows"), n.get("Actual Loops"), n.get("Index Cond"), n.get("Sort Key")) for n in nodes(s["plan"])])
    assert 0
