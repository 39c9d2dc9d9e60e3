package io.syncforge.changelog.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.MutationOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The apply path's SQL: set-based reads and batched writes over one connection, inside the caller's
 * transaction. Plain JDBC on purpose: this is the hot path (thousands of rows per second with
 * jsonb), where batching and {@code reWriteBatchedInserts} matter more than an ORM's convenience.
 */
public class LogWriter {

  private static final ObjectMapper JSON = Json.newMapper();
  private static final TypeReference<Map<String, Long>> LONG_MAP = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  /** The identity of one record. */
  public record RecordKey(String tenant, String collection, String recordId) {}

  /** The identity of one mutation: the dedupe key. */
  public record MutationRef(String tenant, String clientId, UUID mutationId) {}

  /** A change-log row to append. */
  public record ChangeRow(
      int partition,
      long offset,
      RecordKey key,
      RecordState state,
      String dataJson,
      String op,
      UUID mutationId,
      String clientId,
      Instant serverTime) {}

  /** A receipt row to write. */
  public record OutcomeRow(
      MutationRef ref, int partition, long offset, MutationOutcome outcome, Instant createdAt) {}

  /**
   * A record row to upsert, with the coordinates of the change that produced it; {@code dataJson}
   * is {@code state.data()} as JSON, written once per mutation.
   */
  public record RecordRow(
      RecordKey key, RecordState state, String dataJson, int partition, long offset, Instant at) {}

  /** The log epoch after {@link #recordPartitions}, and the partition count recorded before. */
  public record Epoch(long epoch, int previousPartitions) {}

  /**
   * Records the configured partition count in {@code log_epoch} (in the caller's transaction):
   * created with epoch 1 on first start; the epoch is bumped when the count differs from the
   * recorded one, because every cursor's coordinates then mean something else and devices must
   * re-snapshot ({@code 410 log_epoch_changed}).
   */
  public static Epoch recordPartitions(Connection c, int partitions) throws SQLException {
    try (PreparedStatement ins =
        c.prepareStatement(
            "INSERT INTO log_epoch (id, epoch, partitions, changed_at) VALUES (1, 1, ?, now())"
                + " ON CONFLICT (id) DO NOTHING")) {
      ins.setInt(1, partitions);
      ins.executeUpdate();
    }
    long epoch;
    int recorded;
    try (PreparedStatement sel =
            c.prepareStatement("SELECT epoch, partitions FROM log_epoch WHERE id = 1 FOR UPDATE");
        ResultSet rs = sel.executeQuery()) {
      rs.next();
      epoch = rs.getLong(1);
      recorded = rs.getInt(2);
    }
    if (recorded != partitions) {
      epoch++;
      try (PreparedStatement upd =
          c.prepareStatement(
              "UPDATE log_epoch SET epoch = ?, partitions = ?, changed_at = now() WHERE id = 1")) {
        upd.setLong(1, epoch);
        upd.setInt(2, partitions);
        upd.executeUpdate();
      }
    }
    return new Epoch(epoch, recorded);
  }

  /**
   * Locks the position rows of these partitions (creating missing ones at 0) and returns the next
   * offset to apply per partition. The row lock fences a second consumer of the same partition
   * during a rebalance: it waits, then sees the advanced position and skips what was applied.
   */
  public Map<Integer, Long> lockPositions(Connection c, Collection<Integer> partitions)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO partition_positions (log_partition, next_offset, updated_at)"
                + " SELECT p, 0, now() FROM unnest(?::int[]) AS p ON CONFLICT DO NOTHING")) {
      ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
      ps.executeUpdate();
    }
    Map<Integer, Long> positions = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT log_partition, next_offset FROM partition_positions"
                + " WHERE log_partition = ANY(?) ORDER BY log_partition FOR UPDATE")) {
      ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          positions.put(rs.getInt(1), rs.getLong(2));
        }
      }
    }
    return positions;
  }

  /** Stored next offsets of these partitions (without locking), for seeking on assignment. */
  public Map<Integer, Long> positions(Connection c, Collection<Integer> partitions)
      throws SQLException {
    Map<Integer, Long> positions = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT log_partition, next_offset FROM partition_positions WHERE log_partition = ANY(?)")) {
      ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          positions.put(rs.getInt(1), rs.getLong(2));
        }
      }
    }
    return positions;
  }

  /**
   * Per partition, the lowest change-log offset at or beyond its stored position, for those that
   * have one. Positions move in the same transaction as the log, so a hit means the offsets were
   * reused: the topic was recreated and its new offsets would collide with the old log.
   */
  public Map<Integer, Long> loggedBeyond(Connection c, Map<Integer, Long> stored)
      throws SQLException {
    Map<Integer, Long> beyond = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT log_offset FROM change_log WHERE log_partition = ? AND log_offset >= ?"
                + " ORDER BY log_offset LIMIT 1")) {
      for (Map.Entry<Integer, Long> e : stored.entrySet()) {
        ps.setInt(1, e.getKey());
        ps.setLong(2, e.getValue());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            beyond.put(e.getKey(), rs.getLong(1));
          }
        }
      }
    }
    return beyond;
  }

  /** Stores each partition's next offset. */
  public void savePositions(Connection c, Map<Integer, Long> next, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE partition_positions SET next_offset = ?, updated_at = ? WHERE log_partition = ?")) {
      for (Map.Entry<Integer, Long> e : next.entrySet()) {
        ps.setLong(1, e.getValue());
        ps.setTimestamp(2, Timestamp.from(now));
        ps.setInt(3, e.getKey());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * The first outcomes already recorded for these mutations (the duplicates). One query per
   * (tenant, client) with {@code mutation_id = ANY(...)}: an index scan on the primary key whatever
   * the table's size (a join against {@code unnest} made the planner scan the whole table).
   */
  public Map<MutationRef, MutationOutcome> findOutcomes(Connection c, Collection<MutationRef> refs)
      throws SQLException {
    Map<MutationRef, MutationOutcome> found = new HashMap<>();
    Map<List<String>, List<UUID>> groups = new HashMap<>();
    for (MutationRef r : refs) {
      groups
          .computeIfAbsent(List.of(r.tenant(), r.clientId()), k -> new ArrayList<>())
          .add(r.mutationId());
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + OutcomeRows.COLUMNS
                + " FROM mutation_outcomes"
                + " WHERE tenant = ? AND client_id = ? AND mutation_id = ANY(?)")) {
      for (Map.Entry<List<String>, List<UUID>> g : groups.entrySet()) {
        String tenant = g.getKey().get(0);
        String client = g.getKey().get(1);
        ps.setString(1, tenant);
        ps.setString(2, client);
        ps.setArray(3, c.createArrayOf("uuid", g.getValue().toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found.put(
                new MutationRef(tenant, client, rs.getObject(1, UUID.class)),
                OutcomeRows.read(rs, 1));
          }
        }
      }
    }
    return found;
  }

  /**
   * The current state of these records; missing ones are absent from the map. One query per
   * (tenant, collection) with {@code record_id = ANY(...)}: a primary-key index scan.
   */
  public Map<RecordKey, RecordState> findRecords(Connection c, Collection<RecordKey> keys)
      throws SQLException {
    Map<RecordKey, RecordState> found = new HashMap<>();
    Map<List<String>, List<String>> groups = new HashMap<>();
    for (RecordKey k : keys) {
      groups
          .computeIfAbsent(List.of(k.tenant(), k.collection()), x -> new ArrayList<>())
          .add(k.recordId());
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT record_id, version, data, deleted, field_versions, field_times, state_version,"
                + " state_time, field_writers, state_writer FROM records"
                + " WHERE tenant = ? AND collection = ? AND record_id = ANY(?)")) {
      for (Map.Entry<List<String>, List<String>> g : groups.entrySet()) {
        String tenant = g.getKey().get(0);
        String collection = g.getKey().get(1);
        ps.setString(1, tenant);
        ps.setString(2, collection);
        ps.setArray(3, c.createArrayOf("text", g.getValue().toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found.put(
                new RecordKey(tenant, collection, rs.getString(1)),
                new RecordState(
                    rs.getLong(2),
                    (ObjectNode) JSON.readTree(rs.getString(3)),
                    rs.getBoolean(4),
                    JSON.readValue(rs.getString(5), LONG_MAP),
                    JSON.readValue(rs.getString(6), LONG_MAP),
                    rs.getLong(7),
                    rs.getLong(8),
                    JSON.readValue(rs.getString(9), STRING_MAP),
                    rs.getString(10)));
          }
        }
      }
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable record row", e);
    }
    return found;
  }

  /**
   * The version floors of these (tenant, collection) pairs: the highest version of a purged
   * tombstone; a record created where none exists starts above it. Absent pairs have floor 0.
   */
  public Map<List<String>, Long> findFloors(Connection c, Collection<RecordKey> missing)
      throws SQLException {
    Map<List<String>, Long> floors = new HashMap<>();
    if (missing.isEmpty()) {
      return floors;
    }
    // One query for all tenants of the batch: a tenant has at most one row per collection.
    Object[] tenants = missing.stream().map(RecordKey::tenant).distinct().toArray();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT tenant, collection, floor FROM version_floors WHERE tenant = ANY(?)")) {
      ps.setArray(1, c.createArrayOf("text", tenants));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          floors.put(List.of(rs.getString(1), rs.getString(2)), rs.getLong(3));
        }
      }
    }
    return floors;
  }

  private static final String RECORD_COLUMNS =
      "tenant, collection, record_id, version, data, deleted, field_versions, field_times,"
          + " state_version, state_time, updated_at, log_partition, log_offset, field_writers,"
          + " state_writer";

  /**
   * Inserts or replaces record rows (one per key: the batch's final state): one {@code COPY} into a
   * session-local staging table, then one {@code INSERT ... SELECT ... ON CONFLICT} (where a
   * batched multi-row {@code INSERT} bound 15 parameters per row and planned each chunk). The
   * staging table is created in the same transaction when the session lacks it (also behind a
   * transaction-pooling proxy) and truncated by PostgreSQL at commit, its rows gone with a
   * rollback; it needs the database's default {@code TEMPORARY} privilege. Call it at most once per
   * transaction (the apply transaction does): a second call would merge the first call's rows
   * again.
   */
  public void upsertRecords(Connection c, Collection<RecordRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TEMP TABLE IF NOT EXISTS records_stage"
              + " (LIKE records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
    }
    CopyRows.copy(
        c,
        "COPY records_stage (" + RECORD_COLUMNS + ") FROM STDIN",
        rows,
        (copy, r) -> {
          RecordState s = r.state();
          copy.add(r.key().tenant())
              .add(r.key().collection())
              .add(r.key().recordId())
              .add(s.version())
              .add(r.dataJson())
              .add(s.deleted())
              .add(json(s.fieldVersions()))
              .add(json(s.fieldTimes()))
              .add(s.stateVersion())
              .add(s.stateTime())
              .add(r.at())
              .add(r.partition())
              .add(r.offset())
              .add(json(s.fieldWriters()))
              .add(s.stateWriter());
        });
    try (Statement st = c.createStatement()) {
      st.executeUpdate(
          "INSERT INTO records ("
              + RECORD_COLUMNS
              + ") SELECT "
              + RECORD_COLUMNS
              + " FROM records_stage"
              + " ON CONFLICT (tenant, collection, record_id) DO UPDATE SET"
              + " version = EXCLUDED.version, data = EXCLUDED.data, deleted = EXCLUDED.deleted,"
              + " field_versions = EXCLUDED.field_versions, field_times = EXCLUDED.field_times,"
              + " state_version = EXCLUDED.state_version, state_time = EXCLUDED.state_time,"
              + " updated_at = EXCLUDED.updated_at, log_partition = EXCLUDED.log_partition,"
              + " log_offset = EXCLUDED.log_offset, field_writers = EXCLUDED.field_writers,"
              + " state_writer = EXCLUDED.state_writer");
    }
  }

  /** Appends change-log rows (one COPY); a tombstone's post-image is {@code {}}. */
  public void insertChanges(Connection c, Collection<ChangeRow> rows) throws SQLException {
    CopyRows.copy(
        c,
        "COPY change_log (log_partition, log_offset, tenant, collection, record_id, version, op,"
            + " data, deleted, mutation_id, client_id, server_time) FROM STDIN",
        rows,
        (copy, r) ->
            copy.add(r.partition())
                .add(r.offset())
                .add(r.key().tenant())
                .add(r.key().collection())
                .add(r.key().recordId())
                .add(r.state().version())
                .add(r.op())
                .add(r.state().deleted() ? "{}" : r.dataJson())
                .add(r.state().deleted())
                .add(r.mutationId())
                .add(r.clientId())
                .add(r.serverTime()));
  }

  /** Writes receipts (one COPY). */
  public void insertOutcomes(Connection c, Collection<OutcomeRow> rows) throws SQLException {
    CopyRows.copy(
        c,
        "COPY mutation_outcomes (tenant, client_id, mutation_id, log_partition, log_offset,"
            + " collection, record_id, status, version, conflicts, error_code, error_message,"
            + " created_at) FROM STDIN",
        rows,
        (copy, r) -> {
          MutationOutcome o = r.outcome();
          copy.add(r.ref().tenant())
              .add(r.ref().clientId())
              .add(r.ref().mutationId())
              .add(r.partition())
              .add(r.offset())
              .add(o.collection())
              .add(o.recordId())
              .add(o.status().wire())
              .add(o.version())
              .add(o.conflicts() == null ? null : json(o.conflicts()))
              .add(o.error() == null ? null : o.error().code())
              .add(o.error() == null ? null : o.error().message())
              .add(r.createdAt());
        });
  }

  private static String json(Object value) throws SQLException {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }
}
