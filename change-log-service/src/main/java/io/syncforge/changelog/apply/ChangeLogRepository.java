package io.syncforge.changelog.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.changelog.conflict.RecordState;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ErrorDetail;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.OutcomeStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
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
@ApplicationScoped
public class ChangeLogRepository {

  private static final ObjectMapper JSON = Json.newMapper();
  private static final TypeReference<Map<String, Long>> LONG_MAP = new TypeReference<>() {};
  private static final TypeReference<List<Conflict>> CONFLICTS = new TypeReference<>() {};
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
      String op,
      UUID mutationId,
      String clientId,
      Instant serverTime) {}

  /** A receipt row to write. */
  public record OutcomeRow(
      MutationRef ref, int partition, long offset, MutationOutcome outcome, Instant createdAt) {}

  /** A record row to upsert, with the coordinates of the change that produced it. */
  public record RecordRow(
      RecordKey key, RecordState state, int partition, long offset, Instant at) {}

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
   * The first outcomes already recorded for these mutations (the duplicates), in ONE round trip: a
   * primary-key lookup per mutation, forced by a {@code LATERAL ... LIMIT 1} subquery (a plain join
   * against {@code unnest} let the planner scan the whole table; one query per (tenant, client)
   * cost a round trip per device of the batch).
   */
  public Map<MutationRef, MutationOutcome> findOutcomes(Connection c, Collection<MutationRef> refs)
      throws SQLException {
    Map<MutationRef, MutationOutcome> found = new HashMap<>();
    if (refs.isEmpty()) {
      return found;
    }
    Object[] tenants = new Object[refs.size()];
    Object[] clients = new Object[refs.size()];
    Object[] ids = new Object[refs.size()];
    int i = 0;
    for (MutationRef r : refs) {
      tenants[i] = r.tenant();
      clients[i] = r.clientId();
      ids[i++] = r.mutationId();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT k.tenant, k.client_id, o.mutation_id, o.collection, o.record_id, o.status,"
                + " o.version, o.conflicts, o.error_code, o.error_message"
                + " FROM unnest(?::text[], ?::text[], ?::uuid[]) AS k(tenant, client_id, mutation_id)"
                + " CROSS JOIN LATERAL (SELECT * FROM mutation_outcomes m WHERE m.tenant = k.tenant"
                + " AND m.client_id = k.client_id AND m.mutation_id = k.mutation_id LIMIT 1) o")) {
      ps.setArray(1, c.createArrayOf("text", tenants));
      ps.setArray(2, c.createArrayOf("text", clients));
      ps.setArray(3, c.createArrayOf("uuid", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.put(
              new MutationRef(rs.getString(1), rs.getString(2), rs.getObject(3, UUID.class)),
              readOutcome(rs, 3));
        }
      }
    }
    return found;
  }

  /**
   * Reads one outcome from a result set whose columns, from {@code first}, are mutation_id,
   * collection, record_id, status, version, conflicts, error_code, error_message.
   */
  public static MutationOutcome readOutcome(ResultSet rs, int first) throws SQLException {
    long version = rs.getLong(first + 4);
    Long v = rs.wasNull() ? null : version;
    String conflicts = rs.getString(first + 5);
    String code = rs.getString(first + 6);
    try {
      return new MutationOutcome(
          rs.getObject(first, UUID.class),
          rs.getString(first + 1),
          rs.getString(first + 2),
          OutcomeStatus.fromString(rs.getString(first + 3)),
          v,
          conflicts == null ? null : JSON.readValue(conflicts, CONFLICTS),
          code == null ? null : new ErrorDetail(code, rs.getString(first + 7)));
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable conflicts column", e);
    }
  }

  /**
   * The current state of these records; missing ones are absent from the map. ONE round trip: a
   * primary-key lookup per key, forced by a {@code LATERAL ... LIMIT 1} subquery.
   */
  public Map<RecordKey, RecordState> findRecords(Connection c, Collection<RecordKey> keys)
      throws SQLException {
    Map<RecordKey, RecordState> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    Object[] tenants = new Object[keys.size()];
    Object[] collections = new Object[keys.size()];
    Object[] ids = new Object[keys.size()];
    int i = 0;
    for (RecordKey k : keys) {
      tenants[i] = k.tenant();
      collections[i] = k.collection();
      ids[i++] = k.recordId();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT k.tenant, k.collection, k.record_id, r.version, r.data, r.deleted,"
                + " r.field_versions, r.field_times, r.state_version, r.state_time,"
                + " r.field_writers, r.state_writer"
                + " FROM unnest(?::text[], ?::text[], ?::text[]) AS k(tenant, collection, record_id)"
                + " CROSS JOIN LATERAL (SELECT * FROM records x WHERE x.tenant = k.tenant"
                + " AND x.collection = k.collection AND x.record_id = k.record_id LIMIT 1) r")) {
      ps.setArray(1, c.createArrayOf("text", tenants));
      ps.setArray(2, c.createArrayOf("text", collections));
      ps.setArray(3, c.createArrayOf("text", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.put(
              new RecordKey(rs.getString(1), rs.getString(2), rs.getString(3)),
              new RecordState(
                  rs.getLong(4),
                  (ObjectNode) JSON.readTree(rs.getString(5)),
                  rs.getBoolean(6),
                  JSON.readValue(rs.getString(7), LONG_MAP),
                  JSON.readValue(rs.getString(8), LONG_MAP),
                  rs.getLong(9),
                  rs.getLong(10),
                  JSON.readValue(rs.getString(11), STRING_MAP),
                  rs.getString(12)));
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

  /**
   * Columns passed as parallel text arrays: ONE statement and round trip per table and batch,
   * whatever its size, and one server-side prepared statement reused by every batch (a batch of
   * multi-row VALUES statements is re-planned for every row count). Casts happen in SQL.
   */
  private static final class Columns {
    private final String[][] values;
    private int row;

    Columns(int columns, int rows) {
      values = new String[columns][rows];
    }

    void set(int column, Object value) {
      values[column][row] = value == null ? null : value.toString();
    }

    void next() {
      row++;
    }

    void bind(Connection c, PreparedStatement ps) throws SQLException {
      for (int i = 0; i < values.length; i++) {
        ps.setArray(i + 1, c.createArrayOf("text", values[i]));
      }
    }
  }

  private static String arrays(int n) {
    StringBuilder b = new StringBuilder("unnest(");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ", ").append("?::text[]");
    }
    return b.append(")").toString();
  }

  /** Inserts or replaces record rows (one per key: the batch's final state). */
  public void upsertRecords(Connection c, Collection<RecordRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Columns cols = new Columns(15, rows.size());
    for (RecordRow r : rows) {
      RecordState s = r.state();
      cols.set(0, r.key().tenant());
      cols.set(1, r.key().collection());
      cols.set(2, r.key().recordId());
      cols.set(3, s.version());
      cols.set(4, json(s.data()));
      cols.set(5, s.deleted());
      cols.set(6, json(s.fieldVersions()));
      cols.set(7, json(s.fieldTimes()));
      cols.set(8, s.stateVersion());
      cols.set(9, s.stateTime());
      cols.set(10, r.at());
      cols.set(11, r.partition());
      cols.set(12, r.offset());
      cols.set(13, json(s.fieldWriters()));
      cols.set(14, s.stateWriter());
      cols.next();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO records (tenant, collection, record_id, version, data, deleted,"
                + " field_versions, field_times, state_version, state_time, updated_at,"
                + " log_partition, log_offset, field_writers, state_writer)"
                + " SELECT t, c, r, v::bigint, d::jsonb, del::boolean, fv::jsonb, ft::jsonb,"
                + " sv::bigint, st::bigint, u::timestamptz, p::int, o::bigint, fw::jsonb, sw"
                + " FROM "
                + arrays(15)
                + " AS x(t, c, r, v, d, del, fv, ft, sv, st, u, p, o, fw, sw)"
                + " ON CONFLICT (tenant, collection, record_id) DO UPDATE SET"
                + " version = EXCLUDED.version, data = EXCLUDED.data, deleted = EXCLUDED.deleted,"
                + " field_versions = EXCLUDED.field_versions, field_times = EXCLUDED.field_times,"
                + " state_version = EXCLUDED.state_version, state_time = EXCLUDED.state_time,"
                + " updated_at = EXCLUDED.updated_at, log_partition = EXCLUDED.log_partition,"
                + " log_offset = EXCLUDED.log_offset, field_writers = EXCLUDED.field_writers,"
                + " state_writer = EXCLUDED.state_writer")) {
      cols.bind(c, ps);
      ps.executeUpdate();
    }
  }

  /** Appends change-log rows; a tombstone's post-image is {@code {}}. */
  public void insertChanges(Connection c, Collection<ChangeRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Columns cols = new Columns(12, rows.size());
    for (ChangeRow r : rows) {
      cols.set(0, r.partition());
      cols.set(1, r.offset());
      cols.set(2, r.key().tenant());
      cols.set(3, r.key().collection());
      cols.set(4, r.key().recordId());
      cols.set(5, r.state().version());
      cols.set(6, r.op());
      cols.set(7, r.state().deleted() ? "{}" : json(r.state().data()));
      cols.set(8, r.state().deleted());
      cols.set(9, r.mutationId());
      cols.set(10, r.clientId());
      cols.set(11, r.serverTime());
      cols.next();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO change_log (log_partition, log_offset, tenant, collection, record_id,"
                + " version, op, data, deleted, mutation_id, client_id, server_time)"
                + " SELECT p::int, o::bigint, t, c, r, v::bigint, op, d::jsonb, del::boolean,"
                + " m::uuid, cl, st::timestamptz FROM "
                + arrays(12)
                + " AS x(p, o, t, c, r, v, op, d, del, m, cl, st)")) {
      cols.bind(c, ps);
      ps.executeUpdate();
    }
  }

  /** Writes receipts. */
  public void insertOutcomes(Connection c, Collection<OutcomeRow> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Columns cols = new Columns(13, rows.size());
    for (OutcomeRow r : rows) {
      MutationOutcome o = r.outcome();
      cols.set(0, r.ref().tenant());
      cols.set(1, r.ref().clientId());
      cols.set(2, r.ref().mutationId());
      cols.set(3, r.partition());
      cols.set(4, r.offset());
      cols.set(5, o.collection());
      cols.set(6, o.recordId());
      cols.set(7, o.status().wire());
      cols.set(8, o.version());
      cols.set(9, o.conflicts() == null ? null : json(o.conflicts()));
      cols.set(10, o.error() == null ? null : o.error().code());
      cols.set(11, o.error() == null ? null : o.error().message());
      cols.set(12, r.createdAt());
      cols.next();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO mutation_outcomes (tenant, client_id, mutation_id, log_partition,"
                + " log_offset, collection, record_id, status, version, conflicts, error_code,"
                + " error_message, created_at)"
                + " SELECT t, cl, m::uuid, p::int, o::bigint, c, r, s, v::bigint, cf::jsonb, ec,"
                + " em, ca::timestamptz FROM "
                + arrays(13)
                + " AS x(t, cl, m, p, o, c, r, s, v, cf, ec, em, ca)")) {
      cols.bind(c, ps);
      ps.executeUpdate();
    }
  }

  private static String json(Object value) throws SQLException {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new SQLException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }
}
