-- Issue 11 (writer throughput): compaction finds superseded entries and a record's last entry
-- through records' (log_partition, log_offset) (LogCompaction), so nothing reads change_log by
-- record any more; the index cost every mutation one insertion into a wide btree at a random
-- position. Brief exclusive lock on change_log while it is dropped; no rewrite.
DROP INDEX IF EXISTS change_log_record;
