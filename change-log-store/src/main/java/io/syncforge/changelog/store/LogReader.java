package io.syncforge.changelog.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.cursor.Cursor;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Every SQL statement sync-api runs, all read-only, all scoped by tenant in the WHERE clause. Plain
 * JDBC on a caller-supplied connection, so the caller owns the transaction (pull and the first
 * snapshot page need one repeatable-read snapshot) and tests can run the same statements as the
 * read-only role {@code sync_reader}.
 */
public final class LogReader {

  private static final ObjectMapper MAPPER = Json.newMapper();

  private LogReader() {}

  /** The log's generation: epoch and partition count of {@code sync.mutations}. */
  public record LogEpoch(long epoch, int partitions) {}

  /**
   * Compaction state.
   *
   * @param minOffsets per partition, the oldest offset from which the log is complete (0 if never
   *     compacted)
   * @param horizonTime the newest horizon time of any partition; null if never compacted
   */
  public record Horizon(long[] minOffsets, Instant horizonTime) {

    /** True if any partition was compacted past offset 0. */
    public boolean compacted() {
      for (long m : minOffsets) {
        if (m > 0) {
          return true;
        }
      }
      return false;
    }
  }

  /** A change log entry as read for a pull. */
  public record Entry(int partition, long offset, Change change) {}

  /** A receipt as read for a pull: the outcome and the log offset of its mutation. */
  public record Receipt(long offset, MutationOutcome outcome) {}

  /**
   * Rows fetched this many at a time: a page cut by bytes (issue 13 item 5) never holds more in
   * memory than it returns plus one fetch (16 records of at most 256 KiB).
   */
  static final int FETCH_ROWS = 16;

  /**
   * The rows of one open query, read one at a time (a server-side portal: the connection must be in
   * a transaction), so that the caller stops as soon as its page is full.
   */
  public static final class Rows<T> implements AutoCloseable {

    /** Maps the current row. */
    interface Mapper<T> {
      T map(ResultSet rs) throws SQLException;
    }

    /** Produces the next row, or null after the last. */
    @FunctionalInterface
    public interface Fetch<T> {
      T next() throws SQLException;
    }

    private final PreparedStatement statement;
    private final Fetch<T> fetch;
    private T head;

    private Rows(PreparedStatement statement, Fetch<T> fetch) {
      this.statement = statement;
      this.fetch = fetch;
    }

    /** Sets the parameters of a statement. */
    interface Binder {
      void bind(PreparedStatement statement) throws SQLException;
    }

    /**
     * Binds and runs {@code statement} (closing it if either fails) and positions on the first row.
     */
    static <T> Rows<T> open(PreparedStatement statement, Binder binder, Mapper<T> mapper)
        throws SQLException {
      try {
        binder.bind(statement);
        statement.setFetchSize(FETCH_ROWS);
        ResultSet rs = statement.executeQuery();
        Rows<T> rows = new Rows<>(statement, () -> rs.next() ? mapper.map(rs) : null);
        rows.advance();
        return rows;
      } catch (SQLException | RuntimeException e) {
        statement.close();
        throw e;
      }
    }

    /** No rows. */
    public static <T> Rows<T> none() {
      return new Rows<>(null, () -> null);
    }

    /**
     * Rows produced by {@code fetch} (rows already read, for instance), positioned on the first.
     */
    public static <T> Rows<T> from(Fetch<T> fetch) throws SQLException {
      Rows<T> rows = new Rows<>(null, fetch);
      rows.advance();
      return rows;
    }

    /** The current row, null after the last. */
    public T peek() {
      return head;
    }

    /** Returns the current row and moves to the next one. */
    public T next() throws SQLException {
      T current = head;
      advance();
      return current;
    }

    private void advance() throws SQLException {
      head = fetch.next();
    }

    @Override
    public void close() throws SQLException {
      if (statement != null) {
        statement.close();
      }
    }
  }

  /**
   * The current epoch; when change-log-service has not written it yet, epoch 1 with {@code
   * defaultPartitions}.
   */
  public static LogEpoch epoch(Connection c, int defaultPartitions) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT epoch, partitions FROM log_epoch");
        ResultSet rs = s.executeQuery()) {
      if (rs.next()) {
        return new LogEpoch(rs.getLong(1), rs.getInt(2));
      }
      return new LogEpoch(Cursor.DEFAULT_EPOCH, defaultPartitions);
    }
  }

  /** The compaction horizon of partitions {@code 0..partitions-1}. */
  public static Horizon horizon(Connection c, int partitions) throws SQLException {
    long[] min = new long[partitions];
    Instant[] newest = {null};
    eachPartitionRow(
        c,
        "SELECT log_partition, min_offset, horizon_time FROM log_horizon",
        partitions,
        (p, rs) -> min[p] = rs.getLong(2),
        rs -> {
          Instant t = rs.getTimestamp(3).toInstant();
          newest[0] = newest[0] == null || t.isAfter(newest[0]) ? t : newest[0];
        });
    return new Horizon(min, newest[0]);
  }

  /** Per partition, the next offset change-log-service will apply (0 if none yet). */
  public static long[] positions(Connection c, int partitions) throws SQLException {
    long[] next = new long[partitions];
    eachPartitionRow(
        c,
        "SELECT log_partition, next_offset FROM partition_positions",
        partitions,
        (p, rs) -> next[p] = rs.getLong(2),
        rs -> {});
    return next;
  }

  private interface PartitionRow {
    void read(int partition, ResultSet rs) throws SQLException;
  }

  private interface AnyRow {
    void read(ResultSet rs) throws SQLException;
  }

  /**
   * Runs {@code sql}, whose first column is a partition: {@code inRange} reads the rows of
   * partitions {@code 0..partitions-1} (a table may hold more after the topic shrank), {@code
   * every} every row.
   */
  private static void eachPartitionRow(
      Connection c, String sql, int partitions, PartitionRow inRange, AnyRow every)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql);
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        int p = rs.getInt(1);
        if (p >= 0 && p < partitions) {
          inRange.read(p, rs);
        }
        every.read(rs);
      }
    }
  }

  /**
   * Epoch, compaction horizon and partition positions as one snapshot sees them.
   *
   * @param positions per partition, the next offset change-log-service will apply (0 if none yet)
   */
  public record LogState(LogEpoch epoch, Horizon horizon, long[] positions) {}

  /**
   * {@link #epoch}, {@link #horizon} and {@link #positions} in one round trip (a pull's first
   * statement; a woken pull re-runs it).
   */
  public static LogState state(Connection c, int defaultPartitions) throws SQLException {
    LogEpoch epoch = null;
    Map<Integer, Long> next = new HashMap<>();
    Map<Integer, Long> min = new HashMap<>();
    Instant newest = null;
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT 0, log_partition, next_offset, NULL::timestamptz FROM partition_positions"
                    + " UNION ALL SELECT 1, log_partition, min_offset, horizon_time FROM log_horizon"
                    + " UNION ALL SELECT 2, partitions, epoch, NULL FROM log_epoch");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        int kind = rs.getInt(1);
        if (kind == 0) {
          next.put(rs.getInt(2), rs.getLong(3));
        } else if (kind == 1) {
          min.put(rs.getInt(2), rs.getLong(3));
          Instant t = rs.getTimestamp(4).toInstant();
          newest = newest == null || t.isAfter(newest) ? t : newest;
        } else {
          epoch = new LogEpoch(rs.getLong(3), rs.getInt(2));
        }
      }
    }
    if (epoch == null) {
      epoch = new LogEpoch(Cursor.DEFAULT_EPOCH, defaultPartitions);
    }
    long[] positions = new long[epoch.partitions()];
    long[] minOffsets = new long[epoch.partitions()];
    for (int p = 0; p < epoch.partitions(); p++) {
      positions[p] = next.getOrDefault(p, 0L);
      minOffsets[p] = min.getOrDefault(p, 0L);
    }
    return new LogState(epoch, new Horizon(minOffsets, newest), positions);
  }

  /**
   * What the log's tables hold per partition, for operators (change-log-service's {@code GET
   * /v1/admin/stats}): a partition absent from a map has no row there.
   *
   * @param positions the next offset the writer will apply
   * @param rows the change-log entries kept (after compaction)
   * @param minOffsets the compaction horizon: the oldest offset from which the log is complete
   * @param horizonTimes when that horizon was cut
   * @param epoch the log epoch, 0 before the writer first started
   */
  public record PartitionTables(
      Map<Integer, Long> positions,
      Map<Integer, Long> rows,
      Map<Integer, Long> minOffsets,
      Map<Integer, Instant> horizonTimes,
      long epoch) {}

  /** Reads {@link PartitionTables} (a full count of {@code change_log} per partition). */
  public static PartitionTables partitionTables(Connection c) throws SQLException {
    Map<Integer, Long> positions = new HashMap<>();
    Map<Integer, Long> rows = new HashMap<>();
    Map<Integer, Long> min = new HashMap<>();
    Map<Integer, Instant> times = new HashMap<>();
    long epoch = 0;
    try (PreparedStatement s =
            c.prepareStatement(
                "SELECT 0, log_partition, next_offset, NULL::timestamptz FROM partition_positions"
                    + " UNION ALL SELECT 1, log_partition, count(*), NULL FROM change_log"
                    + " GROUP BY log_partition"
                    + " UNION ALL SELECT 2, log_partition, min_offset, horizon_time FROM log_horizon"
                    + " UNION ALL SELECT 3, 0, epoch, NULL FROM log_epoch WHERE id = 1");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        int p = rs.getInt(2);
        long v = rs.getLong(3);
        switch (rs.getInt(1)) {
          case 0 -> positions.put(p, v);
          case 1 -> rows.put(p, v);
          case 2 -> {
            min.put(p, v);
            times.put(p, rs.getTimestamp(4).toInstant());
          }
          default -> epoch = v;
        }
      }
    }
    return new PartitionTables(positions, rows, min, times, epoch);
  }

  /**
   * Which of the ranges {@code from[i] <= log_offset < upto[i]} of partitions {@code partitions[i]}
   * hold anything for a pull, in one statement: changes of the tenant (within {@code collections},
   * null for all), and receipts of each of {@code clientIds}.
   *
   * @return the partitions with changes under key null, those with receipts under the client id
   */
  public static Map<String, Set<Integer>> nonEmpty(
      Connection c,
      String tenant,
      List<String> collections,
      Collection<String> clientIds,
      int[] partitions,
      long[] from,
      long[] upto)
      throws SQLException {
    String sql =
        "WITH r(p, f, u) AS (SELECT * FROM unnest(?::int[], ?::bigint[], ?::bigint[]))"
            + " SELECT r.p, NULL::text FROM r WHERE EXISTS (SELECT 1 FROM change_log l"
            + " WHERE l.tenant = ? AND l.log_partition = r.p"
            + " AND l.log_offset >= r.f AND l.log_offset < r.u"
            + (collections == null ? "" : " AND l.collection = ANY(?)")
            + ") UNION ALL SELECT r.p, k.client FROM r CROSS JOIN unnest(?::text[]) AS k(client)"
            + " WHERE EXISTS (SELECT 1 FROM mutation_outcomes o"
            + " WHERE o.tenant = ? AND o.client_id = k.client AND o.log_partition = r.p"
            + " AND o.log_offset >= r.f AND o.log_offset < r.u)";
    Map<String, Set<Integer>> out = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(sql)) {
      Integer[] ps = new Integer[partitions.length];
      Long[] fs = new Long[partitions.length];
      Long[] us = new Long[partitions.length];
      for (int i = 0; i < partitions.length; i++) {
        ps[i] = partitions[i];
        fs[i] = from[i];
        us[i] = upto[i];
      }
      int i = 1;
      s.setArray(i++, c.createArrayOf("integer", ps));
      s.setArray(i++, c.createArrayOf("bigint", fs));
      s.setArray(i++, c.createArrayOf("bigint", us));
      s.setString(i++, tenant);
      if (collections != null) {
        s.setArray(i++, c.createArrayOf("text", collections.toArray()));
      }
      s.setArray(i++, c.createArrayOf("text", clientIds.toArray()));
      s.setString(i, tenant);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(2), k -> new HashSet<>()).add(rs.getInt(1));
        }
      }
    }
    return out;
  }

  /**
   * The tenant's entries of partition {@code p} with {@code from <= log_offset < upto}, in log
   * order, at most {@code limit}, fetched as they are read.
   *
   * @param collections the collections filter, or null for all
   */
  public static Rows<Entry> changes(
      Connection c, String tenant, int p, long from, long upto, List<String> collections, int limit)
      throws SQLException {
    String sql =
        "SELECT log_offset, collection, record_id, version, deleted, data, server_time"
            + " FROM change_log WHERE tenant = ? AND log_partition = ?"
            + " AND log_offset >= ? AND log_offset < ?"
            + (collections == null ? "" : " AND collection = ANY(?)")
            + " ORDER BY log_offset LIMIT ?";
    return Rows.open(
        c.prepareStatement(sql),
        s -> {
          int i = 1;
          s.setString(i++, tenant);
          s.setInt(i++, p);
          s.setLong(i++, from);
          s.setLong(i++, upto);
          if (collections != null) {
            s.setArray(i++, c.createArrayOf("text", collections.toArray()));
          }
          s.setInt(i, limit);
        },
        rs -> {
          boolean deleted = rs.getBoolean(5);
          Change change =
              new Change(
                  rs.getString(2),
                  rs.getString(3),
                  rs.getLong(4),
                  deleted,
                  deleted ? null : object(rs.getString(6)),
                  rs.getTimestamp(7).toInstant());
          return new Entry(p, rs.getLong(1), change);
        });
  }

  /**
   * The final outcomes of {@code clientId}'s mutations at offsets {@code from <= log_offset < upto}
   * of partition {@code p}, in log order, at most {@code limit}, fetched as they are read.
   */
  public static Rows<Receipt> receipts(
      Connection c, String tenant, String clientId, int p, long from, long upto, int limit)
      throws SQLException {
    String sql =
        "SELECT "
            + OutcomeRows.COLUMNS
            + ", log_offset"
            + " FROM mutation_outcomes"
            + " WHERE tenant = ? AND client_id = ? AND log_partition = ?"
            + " AND log_offset >= ? AND log_offset < ?"
            + " ORDER BY log_offset LIMIT ?";
    return Rows.open(
        c.prepareStatement(sql),
        s -> {
          s.setString(1, tenant);
          s.setString(2, clientId);
          s.setInt(3, p);
          s.setLong(4, from);
          s.setLong(5, upto);
          s.setInt(6, limit);
        },
        rs -> new Receipt(rs.getLong(9), OutcomeRows.read(rs, 1)));
  }

  /** The final outcomes recorded for some of {@code mutationIds} of {@code clientId}. */
  public static Map<UUID, MutationOutcome> outcomes(
      Connection c, String tenant, String clientId, Collection<UUID> mutationIds)
      throws SQLException {
    Map<UUID, MutationOutcome> out = new HashMap<>();
    if (mutationIds.isEmpty()) {
      return out;
    }
    String sql =
        "SELECT "
            + OutcomeRows.COLUMNS
            + " FROM mutation_outcomes"
            + " WHERE tenant = ? AND client_id = ? AND mutation_id = ANY(?)";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, tenant);
      s.setString(2, clientId);
      Array ids = c.createArrayOf("uuid", mutationIds.toArray());
      s.setArray(3, ids);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          MutationOutcome o = OutcomeRows.read(rs, 1);
          out.put(o.mutationId(), o);
        }
      }
    }
    return out;
  }

  /**
   * The keyset query of a snapshot page, prepared and bound, not yet run: the tenant's live records
   * (tombstones excluded), ordered by collection then record id, after {@code (afterCollection,
   * afterRecordId)} (both null for the first page), at most {@code limit}. Columns: collection,
   * record_id, version, data (jsonb text), updated_at. The caller runs it (and may size its fetches
   * as it reads) and closes it.
   *
   * @param collections the collections filter, or null for all
   */
  public static PreparedStatement recordPage(
      Connection c,
      String tenant,
      List<String> collections,
      String afterCollection,
      String afterRecordId,
      int limit)
      throws SQLException {
    String sql =
        "SELECT collection, record_id, version, data, updated_at FROM records"
            + " WHERE tenant = ? AND NOT deleted"
            + (collections == null ? "" : " AND collection = ANY(?)")
            + (afterCollection == null ? "" : " AND (collection, record_id) > (?, ?)")
            + " ORDER BY collection, record_id LIMIT ?";
    PreparedStatement s = c.prepareStatement(sql);
    try {
      int i = 1;
      s.setString(i++, tenant);
      if (collections != null) {
        s.setArray(i++, c.createArrayOf("text", collections.toArray()));
      }
      if (afterCollection != null) {
        s.setString(i++, afterCollection);
        s.setString(i++, afterRecordId);
      }
      s.setInt(i, limit);
      return s;
    } catch (SQLException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * {@link #recordPage} read as {@link Change}s (data parsed), fetched as they are read: one keyset
   * page of the tenant's live records.
   */
  public static Rows<Change> records(
      Connection c,
      String tenant,
      List<String> collections,
      String afterCollection,
      String afterRecordId,
      int limit)
      throws SQLException {
    return Rows.open(
        recordPage(c, tenant, collections, afterCollection, afterRecordId, limit),
        s -> {},
        rs ->
            new Change(
                rs.getString(1),
                rs.getString(2),
                rs.getLong(3),
                false,
                object(rs.getString(4)),
                rs.getTimestamp(5).toInstant()));
  }

  /** How many live records (tombstones excluded) the tenant has, within {@code collections}. */
  public static long liveRecordCount(Connection c, String tenant, List<String> collections)
      throws SQLException {
    String sql =
        "SELECT count(*) FROM records WHERE tenant = ? AND NOT deleted"
            + (collections == null ? "" : " AND collection = ANY(?)");
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, tenant);
      if (collections != null) {
        s.setArray(2, c.createArrayOf("text", collections.toArray()));
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * The size in bytes of {@code value} serialized as the protocol's JSON, which is what a page's
   * byte budget counts.
   */
  public static long jsonBytes(Object value) {
    CountingStream out = new CountingStream();
    try {
      MAPPER.writeValue(out, value);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
    return out.count;
  }

  private static final class CountingStream extends java.io.OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }

  private static ObjectNode object(String json) {
    try {
      return (ObjectNode) MAPPER.readTree(json);
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalStateException("unreadable record data in the change log", e);
    }
  }
}
