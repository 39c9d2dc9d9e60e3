package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Change;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The records table ({@code records}): per record the server state (data, version, tombstone, the
 * snapshot generation that saw it, a version a final outcome promised) and the visible state the
 * app reads (server state with pending mutations replayed). Statements only: {@link LocalStore}
 * holds the transactions and decides what is visible.
 */
final class RecordTable extends SqlTable {
  private final Clock clock;

  RecordTable(SqlDriver.Connection conn, ObjectMapper mapper, Clock clock) {
    super(conn, mapper);
    this.clock = clock;
  }

  record Row(
      ObjectNode data,
      boolean deleted,
      ObjectNode serverData,
      Long serverVersion,
      boolean serverDeleted,
      Long expectVersion) {}

  /**
   * The visible data of a row: a live row whose {@code data} is NULL shows its server state (a
   * record stored from the server and never edited here keeps its JSON once, in {@code
   * server_data}: half the bytes a first sync writes); a deleted row shows nothing.
   */
  static final String VISIBLE_DATA = visibleData("");

  /** {@link #VISIBLE_DATA} of the row aliased {@code r}. */
  static final String VISIBLE_DATA_OF_R = visibleData("r.");

  private static String visibleData(String alias) {
    return "CASE WHEN %1$sdeleted = 0 THEN COALESCE(%1$sdata, %1$sserver_data) END"
        .formatted(alias);
  }

  Row loadRow(String collection, String id) {
    return query(
        "SELECT "
            + VISIBLE_DATA
            + ", deleted, server_data, server_version, server_deleted, expect_version"
            + " FROM records WHERE collection = ? AND id = ?",
        rs ->
            new Row(
                obj(rs.getString(1)),
                rs.getInt(2) != 0,
                obj(rs.getString(3)),
                rs.getLongOrNull(4),
                rs.getInt(5) != 0,
                rs.getLongOrNull(6)),
        null,
        collection,
        id);
  }

  void writeVisible(String collection, String id, ObjectNode visible) throws SQLException {
    update(
        "UPDATE records SET data = ?, deleted = ?, updated_at = ? WHERE collection = ? AND id = ?",
        json(visible),
        visible == null,
        clock.millis(),
        collection,
        id);
  }

  /** Stores a server change if newer than the stored version; returns true if stored. */
  boolean storeServerState(Change c, boolean force, long snapGen) throws SQLException {
    return storeServerStateHow(
            new SnapshotPageReader.RawRecord(
                c.collection(), c.recordId(), c.version(), c.deleted(), json(c.data())),
            force,
            snapGen)
        != NOT_STORED;
  }

  /**
   * {@code snap_gen} of a row a snapshot turned into a tombstone because it did not hold the
   * record: the server version that deleted it is unknown (the row keeps the last one it knew), so
   * a pulled change of any version replaces it.
   */
  static final long INFERRED_TOMBSTONE = -1;

  private static final int NOT_STORED = 0;
  private static final int UPDATED = 1;
  private static final int INSERTED = 2;

  private static final String INSERT_SERVER_ROW =
      "INSERT INTO records (collection, id, data, deleted, server_data, server_version,"
          + " server_deleted, snap_gen, updated_at) VALUES ";
  private static final String SERVER_ROW_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** As {@link #storeServerState}; tells whether the row was new. */
  int storeServerStateHow(SnapshotPageReader.RawRecord c, boolean force, long snapGen)
      throws SQLException {
    Long[] found =
        query(
            "SELECT server_version, server_deleted, snap_gen FROM records"
                + " WHERE collection = ? AND id = ?",
            rs -> new Long[] {rs.getLongOrNull(1), rs.getLongOrNull(2), rs.getLongOrNull(3)},
            null,
            c.collection(),
            c.recordId());
    boolean exists = found != null;
    Long known = exists ? found[0] : null;
    // A tombstone the snapshot inferred (the record was not in it) knows no version: every change
    // after the snapshot's cursor is newer than it, whatever version the row held before.
    boolean inferred =
        exists
            && Long.valueOf(1).equals(found[1])
            && Long.valueOf(INFERRED_TOMBSTONE).equals(found[2]);
    if (!force && known != null && c.version() <= known && !inferred) {
      return NOT_STORED;
    }
    if (!exists) {
      update(INSERT_SERVER_ROW + SERVER_ROW_VALUES, serverRowArgs(c, snapGen));
      return INSERTED;
    } else if (c.deleted()) {
      // Keep the last live fields: a pending patch over a tombstone still shows the user's edit.
      update(
          "UPDATE records SET server_version = ?, server_deleted = 1, snap_gen = ?"
              + " WHERE collection = ? AND id = ?",
          c.version(),
          snapGen,
          c.collection(),
          c.recordId());
    } else {
      update(
          "UPDATE records SET server_data = ?, server_version = ?, server_deleted = 0,"
              + " snap_gen = ? WHERE collection = ? AND id = ?",
          c.dataJson(),
          c.version(),
          snapGen,
          c.collection(),
          c.recordId());
    }
    return UPDATED;
  }

  /** A new row shows its server state: {@code data} NULL (see {@link #VISIBLE_DATA}). */
  private Object[] serverRowArgs(SnapshotPageReader.RawRecord c, long snapGen) {
    String data = c.deleted() ? null : c.dataJson();
    return new Object[] {
      c.collection(),
      c.recordId(),
      null,
      c.deleted() || c.dataJson() == null,
      data,
      c.version(),
      c.deleted(),
      snapGen,
      clock.millis()
    };
  }

  /** Rows per multi-row INSERT of new snapshot records (9 parameters each). */
  private static final int INSERT_ROWS = 100;

  /**
   * Inserts snapshot records that have no local row yet with multi-row INSERTs ({@value
   * #INSERT_ROWS} rows per statement: one SQLite step instead of a lookup and an insert per
   * record).
   */
  void insertNewServerRows(List<SnapshotPageReader.RawRecord> rows, long snapGen)
      throws SQLException {
    for (int from = 0; from < rows.size(); from += INSERT_ROWS) {
      List<SnapshotPageReader.RawRecord> part =
          rows.subList(from, Math.min(rows.size(), from + INSERT_ROWS));
      StringBuilder sql = new StringBuilder(INSERT_SERVER_ROW);
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(SERVER_ROW_VALUES);
      }
      Object[] args = new Object[part.size() * 9];
      int k = 0;
      for (SnapshotPageReader.RawRecord c : part) {
        for (Object a : serverRowArgs(c, snapGen)) {
          args[k++] = a;
        }
      }
      update(sql.toString(), args);
    }
  }

  /** The keys among {@code records} that already have a local row. */
  Set<String> existingKeys(List<SnapshotPageReader.RawRecord> records) throws SQLException {
    Map<String, List<String>> byCollection = new LinkedHashMap<>();
    for (SnapshotPageReader.RawRecord r : records) {
      byCollection.computeIfAbsent(r.collection(), k -> new ArrayList<>()).add(r.recordId());
    }
    Set<String> out = new java.util.HashSet<>();
    for (Map.Entry<String, List<String>> e : byCollection.entrySet()) {
      List<String> ids = e.getValue();
      for (int from = 0; from < ids.size(); from += 500) {
        List<String> part = ids.subList(from, Math.min(ids.size(), from + 500));
        Object[] args = new Object[part.size() + 1];
        args[0] = e.getKey();
        for (int i = 0; i < part.size(); i++) {
          args[i + 1] = part.get(i);
        }
        String sql =
            "SELECT id FROM records WHERE collection = ? AND id IN ("
                + String.join(",", java.util.Collections.nCopies(part.size(), "?"))
                + ")";
        for (String id : queryList(sql, rs -> rs.getString(1), args)) {
          out.add(e.getKey() + "\n" + id);
        }
      }
    }
    return out;
  }
}
