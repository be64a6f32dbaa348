-- depends: 0190.alter-backfill-keyless-app
-- Room on every page of the evidence tables for the next version of their rows: the batch
-- core updates most of a batch's key_evidence and key_pairs rows in place (counters, last
-- seen), and an update whose new version fits on the same page and changes no indexed
-- column is a HOT update, which writes no index entry (key_pairs' five-column primary key
-- and its b index, key_evidence's primary key and linked index). At the default fill
-- (100) the pages are full and every update inserts into every index. The setting applies
-- to pages written from now on (a database upgraded with evidence already recorded gains
-- it as rows move; VACUUM FULL or pg_repack rewrites a table at once, off-hours).
ALTER TABLE omni_identity.key_pairs SET (fillfactor = 80);
ALTER TABLE omni_identity.key_evidence SET (fillfactor = 80);
