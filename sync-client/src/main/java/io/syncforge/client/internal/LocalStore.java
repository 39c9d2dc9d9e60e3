package io.syncforge.client.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.client.SyncRecord;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.OutcomeStatus;
import io.syncforge.protocol.RecordRules;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.json.StrictJson;
import io.syncforge.protocol.validation.MutationValidator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The local SQLite database (WAL): records with server state and visible state, the pending
 * mutation queue, sync metadata and the media index. One writer connection (every writing method
 * synchronized on the store) and one query-only reader connection for the app's reads, which
 * therefore never wait for a sync's transactions (WAL). A local write and its queue entry commit in
 * one transaction; a pulled page and its cursor commit in one transaction.
 */
public final class LocalStore implements AutoCloseable {

  /** Meta keys. */
  public static final String META_CLIENT_ID = "client_id";

  public static final String META_CURSOR = "cursor";
  public static final String META_LAST_SUCCESS = "last_success_server_time";
  public static final String META_SCOPE = "scope";
  public static final String META_NEEDS_SNAPSHOT = "needs_snapshot";
  public static final String META_SNAPSHOT_GEN = "snapshot_gen";
  public static final String META_LAST_ERROR = "last_error";
  public static final String META_LAST_ERROR_CLASS = "last_error_class";
  public static final String META_IDENTITY = "identity";

  /** {@code <scope key>\n<page token>} of the next snapshot page, stored with the page before. */
  public static final String META_SNAPSHOT_RESUME = "snapshot_resume";

  /** Schema migrations, applied in order; index + 1 is the schema version. Append only. */
  private static final List<String[]> MIGRATIONS =
      List.<String[]>of(
          new String[] {
            """
            CREATE TABLE records (
              collection TEXT NOT NULL,
              id TEXT NOT NULL,
              data TEXT,
              deleted INTEGER NOT NULL DEFAULT 0,
              server_data TEXT,
              server_version INTEGER,
              server_deleted INTEGER NOT NULL DEFAULT 0,
              expect_version INTEGER,
              snap_gen INTEGER NOT NULL DEFAULT 0,
              updated_at INTEGER NOT NULL,
              PRIMARY KEY (collection, id)
            ) WITHOUT ROWID""",
            """
            CREATE TABLE pending_mutations (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              mutation_id TEXT NOT NULL UNIQUE,
              collection TEXT NOT NULL,
              record_id TEXT NOT NULL,
              op TEXT NOT NULL,
              base_version INTEGER,
              mutation TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0,
              last_error TEXT,
              state TEXT NOT NULL DEFAULT 'queued'
            )""",
            "CREATE INDEX pending_by_record ON pending_mutations (collection, record_id, seq)",
            "CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT)",
            """
            CREATE TABLE media_files (
              sha256 TEXT PRIMARY KEY,
              size INTEGER,
              content_type TEXT,
              file_name TEXT,
              state TEXT NOT NULL,
              bytes_downloaded INTEGER NOT NULL DEFAULT 0,
              upload_pending INTEGER NOT NULL DEFAULT 0,
              attempts INTEGER NOT NULL DEFAULT 0,
              last_error TEXT,
              updated_at INTEGER NOT NULL
            )"""
          });

  private final Connection conn;

  /**
   * A second, query-only connection for the app's reads ({@link #get}, {@link #list}, queue
   * counts). In WAL mode it reads the last committed state without waiting for the writer, so a UI
   * read never queues behind a 5,000-record snapshot transaction. Guarded by {@link #readLock},
   * never by the store's monitor.
   */
  private final Connection reader;

  private final Object readLock = new Object();
  private final ObjectMapper mapper;
  private final Clock clock;
  private final MutationValidator validator = new MutationValidator();
  private volatile Runnable afterRecordWriteHook = () -> {};

  public LocalStore(Path file, ObjectMapper mapper, Clock clock) {
    this.mapper = mapper;
    this.clock = clock;
    try {
      conn = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = conn.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA foreign_keys=ON");
      }
      migrate();
      reader = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = reader.createStatement()) {
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA query_only=ON");
      }
    } catch (SQLException e) {
      throw new StoreException("cannot open local database " + file + ": " + e.getMessage(), e);
    }
  }

  /** Test seam: runs inside a write's transaction between the record write and the queue insert. */
  public void setAfterRecordWriteHook(Runnable hook) {
    this.afterRecordWriteHook = hook == null ? () -> {} : hook;
  }

  private void migrate() throws SQLException {
    conn.setAutoCommit(true);
    try (Statement s = conn.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
              + " applied_at INTEGER NOT NULL)");
    }
    int current = 0;
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) {
      if (rs.next()) {
        current = rs.getInt(1);
      }
    }
    if (current > MIGRATIONS.size()) {
      throw new SQLException(
          "database schema version " + current + " is newer than this library knows");
    }
    for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
      conn.setAutoCommit(false);
      try (Statement s = conn.createStatement()) {
        for (String sql : MIGRATIONS.get(v - 1)) {
          s.execute(sql);
        }
        try (PreparedStatement p =
            conn.prepareStatement("INSERT INTO schema_migrations VALUES (?, ?)")) {
          p.setInt(1, v);
          p.setLong(2, clock.millis());
          p.executeUpdate();
        }
        conn.commit();
      } catch (SQLException e) {
        conn.rollback();
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    }
  }

  /** The SQLite journal mode ({@code wal}). */
  public synchronized String journalMode() {
    return query("PRAGMA journal_mode", rs -> rs.getString(1), null);
  }

  /** The schema version of the open database. */
  public synchronized int schemaVersion() {
    return query("SELECT MAX(version) FROM schema_migrations", rs -> rs.getInt(1), 0);
  }

  // ---------------------------------------------------------------- transactions

  @FunctionalInterface
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  @FunctionalInterface
  interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private <T> T inTx(SqlWork<T> work) {
    try {
      conn.setAutoCommit(false);
      try {
        T result = work.run();
        conn.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        conn.rollback();
        throw e;
      } finally {
        conn.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new StoreException("local database error: " + e.getMessage(), e);
    }
  }

  /**
   * Prepared statements by SQL text, reused: preparing costs more than running the small statements
   * of a snapshot page (several per record). Bounded; evicted ones are closed. Callers hold the
   * store's lock, and no statement is used by two open result sets at once.
   */
  private final Map<String, PreparedStatement> statements =
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
          if (size() <= 64) {
            return false;
          }
          try {
            eldest.getValue().close();
          } catch (SQLException ignored) {
            // Closing a cached statement cannot fail in a way that matters.
          }
          return true;
        }
      };

  private PreparedStatement prepared(String sql) throws SQLException {
    PreparedStatement p = statements.get(sql);
    if (p == null || p.isClosed()) {
      p = conn.prepareStatement(sql);
      statements.put(sql, p);
    } else {
      p.clearParameters();
    }
    return p;
  }

  private <T> T query(String sql, RowMapper<T> mapperFn, T empty, Object... args) {
    try {
      PreparedStatement p = prepared(sql);
      bind(p, args);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? mapperFn.map(rs) : empty;
      }
    } catch (SQLException e) {
      throw new StoreException("local database error: " + e.getMessage(), e);
    }
  }

  private <T> List<T> queryList(String sql, RowMapper<T> mapperFn, Object... args) {
    try {
      PreparedStatement p = prepared(sql);
      bind(p, args);
      List<T> out = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          out.add(mapperFn.map(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("local database error: " + e.getMessage(), e);
    }
  }

  private int update(String sql, Object... args) throws SQLException {
    PreparedStatement p = prepared(sql);
    bind(p, args);
    return p.executeUpdate();
  }

  private static void bind(PreparedStatement p, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      bindOne(p, i + 1, args[i]);
    }
  }

  private static void bindOne(PreparedStatement p, int index, Object a) throws SQLException {
    if (a == null) {
      p.setNull(index, Types.NULL);
    } else if (a instanceof Long l) {
      p.setLong(index, l);
    } else if (a instanceof Integer n) {
      p.setInt(index, n);
    } else if (a instanceof Boolean b) {
      p.setInt(index, b ? 1 : 0);
    } else {
      p.setString(index, a.toString());
    }
  }

  private String json(JsonNode node) {
    if (node == null) {
      return null;
    }
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String jsonValue(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private ObjectNode obj(String json) {
    if (json == null) {
      return null;
    }
    try {
      return (ObjectNode) mapper.readTree(json);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt JSON in local database: " + e.getMessage(), e);
    }
  }

  private Mutation mutation(String json) {
    try {
      return mapper.readValue(json, Mutation.class);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt mutation in local database: " + e.getMessage(), e);
    }
  }

  private static Long getLong(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : v;
  }

  // ---------------------------------------------------------------- meta

  public synchronized Optional<String> meta(String key) {
    return Optional.ofNullable(
        query("SELECT value FROM sync_meta WHERE key = ?", rs -> rs.getString(1), null, key));
  }

  public synchronized void setMeta(String key, String value) {
    inTx(
        () -> {
          putMeta(key, value);
          return null;
        });
  }

  private void putMeta(String key, String value) throws SQLException {
    if (value == null) {
      update("DELETE FROM sync_meta WHERE key = ?", key);
    } else {
      update(
          "INSERT INTO sync_meta (key, value) VALUES (?, ?)"
              + " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          key,
          value);
    }
  }

  /** The client id, generated once and kept. */
  public synchronized String clientId() {
    return meta(META_CLIENT_ID)
        .orElseGet(
            () -> {
              String id = "c-" + UUID.randomUUID().toString().replace("-", "");
              setMeta(META_CLIENT_ID, id);
              return id;
            });
  }

  // ---------------------------------------------------------------- reads

  private static final String RECORD_COLS =
      "r.collection, r.id, r.data, r.deleted, r.server_version,"
          + " EXISTS (SELECT 1 FROM pending_mutations p WHERE p.collection = r.collection"
          + " AND p.record_id = r.id) AS pending";

  private SyncRecord toRecord(ResultSet rs) throws SQLException {
    return new SyncRecord(
        rs.getString("collection"),
        rs.getString("id"),
        obj(rs.getString("data")),
        getLong(rs, "server_version"),
        rs.getInt("pending") != 0);
  }

  /** A query on the reader connection (never waits for the writer's lock). */
  private <T> List<T> readList(String sql, RowMapper<T> mapperFn, Object... args) {
    synchronized (readLock) {
      try (PreparedStatement p = reader.prepareStatement(sql)) {
        bind(p, args);
        List<T> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
          while (rs.next()) {
            out.add(mapperFn.map(rs));
          }
        }
        return out;
      } catch (SQLException e) {
        throw new StoreException("local database error: " + e.getMessage(), e);
      }
    }
  }

  private <T> T read(String sql, RowMapper<T> mapperFn, T empty, Object... args) {
    List<T> l = readList(sql, mapperFn, args);
    return l.isEmpty() ? empty : l.get(0);
  }

  /** The visible record, if present and not deleted. Reads on the reader connection. */
  public Optional<SyncRecord> get(String collection, String id) {
    return Optional.ofNullable(
        read(
            "SELECT "
                + RECORD_COLS
                + " FROM records r WHERE collection = ? AND id = ?"
                + " AND deleted = 0",
            this::toRecord,
            null,
            collection,
            id));
  }

  /** Every visible record of {@code collection}, ordered by id. Reads on the reader connection. */
  public List<SyncRecord> list(String collection) {
    return readList(
        "SELECT "
            + RECORD_COLS
            + " FROM records r WHERE collection = ? AND deleted = 0"
            + " ORDER BY id",
        this::toRecord,
        collection);
  }

  // ---------------------------------------------------------------- local writes

  /** The result of a local write. */
  public record WriteResult(SyncRecord record, boolean queued) {}

  /**
   * Applies a local edit and queues its mutation in ONE transaction.
   *
   * @param data the record (upsert) or fields (patch); ignored for delete
   * @return the visible record afterwards (null after a delete) and whether a mutation was queued
   * @throws NoSuchElementException for a patch of a record that is not visible
   * @throws IllegalArgumentException for an invalid collection, id or data
   */
  public synchronized WriteResult write(String collection, String id, Op op, ObjectNode data) {
    return inTx(
        () -> {
          Row row = loadRow(collection, id);
          ObjectNode visible = row == null || row.deleted ? null : row.data;
          ObjectNode payload;
          ObjectNode next;
          switch (op) {
            case UPSERT -> {
              payload = data.deepCopy();
              next = data.deepCopy();
            }
            case PATCH -> {
              if (visible == null) {
                throw new NoSuchElementException(collection + "/" + id + " not found");
              }
              payload = RecordRules.changedFields(visible, data);
              if (payload.isEmpty()) {
                return new WriteResult(recordOf(collection, id), false);
              }
              next = RecordRules.merge(visible, payload);
            }
            case DELETE -> {
              if (visible == null) {
                return new WriteResult(null, false);
              }
              payload = null;
              next = null;
            }
            default -> throw new IllegalArgumentException("op " + op);
          }
          // The base is the newest server version whose state this device has actually applied
          // (pulled, or adopted from an own outcome nothing could have come between). Never the
          // version an own outcome merely announced: the versions between it and the last pull
          // may hold other devices' edits this device never saw (issue 12; the writer does not
          // count the device's own later edits as conflicts).
          Long baseVersion = row == null ? null : row.serverVersion;
          Instant now = clock.instant();
          Mutation m =
              new Mutation(UUID.randomUUID(), collection, id, op, baseVersion, payload, now);
          // Edits of a record whose last queued mutation was never sent are folded into it: the
          // server sees one mutation, so the device's own consecutive offline edits can never
          // conflict with each other.
          Queued unsent = lastUnsent(collection, id);
          if (unsent != null) {
            m = fold(unsent.mutation(), m);
          }
          List<FieldError> errors = new ArrayList<>(validator.validate(m, ""));
          // The door's rules (U+0000, unpaired surrogates, non-finite numbers, depth) checked
          // before queueing, so the server never refuses at push what the device already holds.
          errors.addAll(StrictJson.check(m.data(), "data", 4));
          if (!errors.isEmpty()) {
            StringBuilder sb = new StringBuilder("invalid ").append(op).append(": ");
            for (FieldError e : errors) {
              sb.append(e.path()).append(' ').append(e.message()).append("; ");
            }
            throw new IllegalArgumentException(sb.toString().trim());
          }
          if (row == null) {
            update(
                "INSERT INTO records (collection, id, data, deleted, updated_at)"
                    + " VALUES (?, ?, ?, ?, ?)",
                collection,
                id,
                json(next),
                next == null,
                clock.millis());
          } else {
            update(
                "UPDATE records SET data = ?, deleted = ?, updated_at = ?"
                    + " WHERE collection = ? AND id = ?",
                json(next),
                next == null,
                clock.millis(),
                collection,
                id);
          }
          afterRecordWriteHook.run();
          if (unsent != null) {
            update(
                "UPDATE pending_mutations SET op = ?, base_version = ?, mutation = ? WHERE seq = ?",
                m.op().wire(),
                m.baseVersion(),
                jsonValue(m),
                unsent.seq());
          } else {
            update(
                "INSERT INTO pending_mutations (mutation_id, collection, record_id, op,"
                    + " base_version, mutation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                m.mutationId().toString(),
                collection,
                id,
                op.wire(),
                baseVersion,
                jsonValue(m),
                now.toEpochMilli());
          }
          return new WriteResult(next == null ? null : recordOf(collection, id), true);
        });
  }

  /** The record's last queued mutation if it was never sent (so it may still be rewritten). */
  private Queued lastUnsent(String collection, String id) {
    return query(
        "SELECT seq, mutation, attempts, state FROM pending_mutations"
            + " WHERE collection = ? AND record_id = ? ORDER BY seq DESC LIMIT 1",
        rs ->
            rs.getInt(3) == 0 && "queued".equals(rs.getString(4))
                ? new Queued(rs.getLong(1), mutation(rs.getString(2)), 0, "queued")
                : null,
        null,
        collection,
        id);
  }

  /** See {@link RecordRules#fold}: the rule is shared with the writer's tests. */
  static Mutation fold(Mutation first, Mutation next) {
    return RecordRules.fold(first, next);
  }

  private SyncRecord recordOf(String collection, String id) {
    return query(
        "SELECT " + RECORD_COLS + " FROM records r WHERE collection = ? AND id = ?",
        this::toRecord,
        null,
        collection,
        id);
  }

  // ---------------------------------------------------------------- queue

  /** A queued mutation. */
  public record Queued(long seq, Mutation mutation, int attempts, String state) {}

  /** The whole queue, oldest first. */
  public synchronized List<Queued> queue() {
    return queryList(
        "SELECT seq, mutation, attempts, state FROM pending_mutations ORDER BY seq",
        rs -> new Queued(rs.getLong(1), mutation(rs.getString(2)), rs.getInt(3), rs.getString(4)));
  }

  /** The queue length (reader connection). */
  public long pendingCount() {
    return read("SELECT COUNT(*) FROM pending_mutations", rs -> rs.getLong(1), 0L);
  }

  /** Creation time of the oldest queued mutation, if any (reader connection). */
  public Optional<Instant> oldestPending() {
    return Optional.ofNullable(
        read(
            "SELECT MIN(created_at) FROM pending_mutations",
            rs -> {
              long v = rs.getLong(1);
              return rs.wasNull() ? null : Instant.ofEpochMilli(v);
            },
            null));
  }

  /**
   * Claims {@code ids} for an upload: counts the attempt and returns their current content in ONE
   * transaction, BEFORE the request is sent. From then on a mutation is never rewritten (the server
   * may hold it under its id), so a concurrent edit can neither fold into a mutation being sent nor
   * be lost.
   */
  public synchronized List<Mutation> claimForSending(List<UUID> ids) {
    return inTx(
        () -> {
          List<Mutation> out = new ArrayList<>();
          for (UUID id : ids) {
            Mutation m =
                query(
                    "SELECT mutation FROM pending_mutations WHERE mutation_id = ?",
                    rs -> mutation(rs.getString(1)),
                    null,
                    id.toString());
            if (m != null) {
              update(
                  "UPDATE pending_mutations SET attempts = attempts + 1 WHERE mutation_id = ?",
                  id.toString());
              out.add(m);
            }
          }
          return out;
        });
  }

  /**
   * Settles {@code m} as rejected on the device: the server refused every request that carried it
   * (alone) as a whole, so no outcome will ever come. Same effects as a server rejection.
   */
  public synchronized Effects rejectLocally(Mutation m, String code, String message) {
    return applyOutcomes(
        List.of(
            MutationOutcome.rejected(
                m, new io.syncforge.protocol.ErrorDetail(code, message == null ? code : message))));
  }

  /** A queued mutation with its delivery state, for the app to inspect. */
  public record QueuedDetail(
      Mutation mutation, Instant createdAt, int attempts, String state, String lastError) {}

  /** The whole queue with delivery state, oldest first (reader connection). */
  public List<QueuedDetail> queueDetails() {
    return readList(
        "SELECT mutation, created_at, attempts, state, last_error FROM pending_mutations"
            + " ORDER BY seq",
        rs ->
            new QueuedDetail(
                mutation(rs.getString(1)),
                Instant.ofEpochMilli(rs.getLong(2)),
                rs.getInt(3),
                rs.getString(4),
                rs.getString(5)));
  }

  /**
   * Drops a queued mutation on the app's request and shows the record without it. Returns the
   * affected record key, or null if no such mutation is queued. A mutation already sent may still
   * be applied by the server; the device then receives it like any other change.
   */
  public synchronized Effects discard(UUID mutationId) {
    return inTx(
        () -> {
          Mutation m =
              query(
                  "SELECT mutation FROM pending_mutations WHERE mutation_id = ?",
                  rs -> mutation(rs.getString(1)),
                  null,
                  mutationId.toString());
          if (m == null) {
            return null;
          }
          update("DELETE FROM pending_mutations WHERE mutation_id = ?", mutationId.toString());
          Effects fx = new Effects();
          fx.touch(m.collection(), m.recordId());
          recompute(m.collection(), m.recordId(), true, fx);
          return fx;
        });
  }

  /** Records why the upload of {@code ids} failed. */
  public synchronized void markFailed(List<UUID> ids, String error) {
    inTx(
        () -> {
          for (UUID id : ids) {
            update(
                "UPDATE pending_mutations SET last_error = ? WHERE mutation_id = ?",
                error,
                id.toString());
          }
          return null;
        });
  }

  // ---------------------------------------------------------------- settling outcomes

  /** What a committed batch of server data did, for listeners. */
  public static final class Effects {
    public final Map<String, Set<String>> changed = new LinkedHashMap<>();
    public final List<MutationOutcome> merged = new ArrayList<>();
    public final List<MutationOutcome> rejected = new ArrayList<>();
    public int settled;
    public int applied;

    void touch(String collection, String id) {
      changed.computeIfAbsent(collection, k -> new LinkedHashSet<>()).add(id);
    }
  }

  /** Applies push outcomes: final ones leave the queue, pending ones are marked. */
  public synchronized Effects applyOutcomes(List<MutationOutcome> outcomes) {
    return inTx(
        () -> {
          Effects fx = new Effects();
          for (MutationOutcome o : outcomes) {
            if (o == null || o.mutationId() == null || o.status() == null) {
              continue;
            }
            if (o.status().isFinal()) {
              settle(o, fx);
            } else {
              update(
                  "UPDATE pending_mutations SET state = 'pending' WHERE mutation_id = ?",
                  o.mutationId().toString());
            }
          }
          return fx;
        });
  }

  private void settle(MutationOutcome o, Effects fx) throws SQLException {
    Mutation settledMutation =
        query(
            "SELECT mutation FROM pending_mutations WHERE mutation_id = ?",
            rs -> mutation(rs.getString(1)),
            null,
            o.mutationId().toString());
    if (settledMutation == null) {
      return; // Already settled (e.g. by push, then again as a receipt).
    }
    update("DELETE FROM pending_mutations WHERE mutation_id = ?", o.mutationId().toString());
    fx.settled++;
    String collection = settledMutation.collection();
    String id = settledMutation.recordId();
    if (o.status() == OutcomeStatus.REJECTED) {
      fx.rejected.add(o);
      recompute(collection, id, true, fx);
      return;
    }
    if (o.version() != null) {
      update(
          "UPDATE records SET expect_version = MAX(COALESCE(expect_version, 0), ?)"
              + " WHERE collection = ? AND id = ?",
          o.version(),
          collection,
          id);
      if (o.status() == OutcomeStatus.APPLIED) {
        adoptIfNothingBetween(settledMutation, o.version());
      }
    }
    if (o.status() == OutcomeStatus.MERGED) {
      fx.merged.add(o);
      if (!hasPending(collection, id) && o.conflicts() != null) {
        applyResolution(collection, id, o.conflicts(), fx);
      }
    }
    // The mutation left the queue, so the visible state must no longer replay it. When the stored
    // server state already holds the promised version (a pull brought it while the mutation was
    // still queued, e.g. after a push response lost after the server applied it), the visible
    // state is that server state plus what is still queued; a replayed upsert would otherwise keep
    // hiding other writers' fields (issue 15). recompute() leaves it alone while the server state
    // is older than the promised version: the pull that brings it recomputes then.
    recompute(collection, id, false, fx);
  }

  /**
   * An own {@code applied} outcome counts as seen only when nothing can have come between: its
   * version is the stored server version + 1 (a record's version rises by one per change). Then the
   * server state at that version is exactly the stored state with this mutation applied, so it is
   * adopted as the device's server state, and later never-sent mutations based on the old version
   * (made on top of this one) are based on the new one. Any other gap may hold another device's
   * edit this device never applied: the base stays, and the writer's rule that a device never
   * conflicts with itself keeps the device's own edits from counting against it.
   */
  private void adoptIfNothingBetween(Mutation m, long version) throws SQLException {
    Row row = loadRow(m.collection(), m.recordId());
    if (row == null) {
      return;
    }
    long stored = row.serverVersion == null ? 0 : row.serverVersion;
    if (version != stored + 1) {
      return;
    }
    ObjectNode serverData = row.serverData;
    boolean serverDeleted;
    switch (m.op()) {
      case UPSERT -> {
        serverData = m.data().deepCopy();
        serverDeleted = false;
      }
      case PATCH -> {
        serverData =
            RecordRules.merge(
                serverData == null ? mapper.createObjectNode() : serverData, m.data());
        serverDeleted = false;
      }
      case DELETE -> serverDeleted = true; // the last live fields stay, as for a pulled tombstone
      default -> {
        return;
      }
    }
    update(
        "UPDATE records SET server_data = ?, server_version = ?, server_deleted = ?"
            + " WHERE collection = ? AND id = ?",
        json(serverData),
        version,
        serverDeleted,
        m.collection(),
        m.recordId());
    List<Queued> later =
        queryList(
            "SELECT seq, mutation, attempts, state FROM pending_mutations"
                + " WHERE collection = ? AND record_id = ? AND attempts = 0 ORDER BY seq",
            rs -> new Queued(rs.getLong(1), mutation(rs.getString(2)), 0, rs.getString(4)),
            m.collection(),
            m.recordId());
    for (Queued q : later) {
      Mutation next = q.mutation();
      if (!java.util.Objects.equals(next.baseVersion(), row.serverVersion)) {
        continue;
      }
      Mutation rebased =
          new Mutation(
              next.mutationId(),
              next.collection(),
              next.recordId(),
              next.op(),
              version,
              next.data(),
              next.clientTime());
      update(
          "UPDATE pending_mutations SET base_version = ?, mutation = ? WHERE seq = ?",
          version,
          jsonValue(rebased),
          q.seq());
    }
  }

  /** Shows the server's resolution of a merged mutation at once, before the pull brings it. */
  private void applyResolution(String collection, String id, List<Conflict> conflicts, Effects fx)
      throws SQLException {
    Row row = loadRow(collection, id);
    if (row == null) {
      return;
    }
    RecordRules.State resolved =
        RecordRules.resolve(row.data != null ? row.data : row.serverData, row.deleted, conflicts);
    ObjectNode data = resolved.data();
    boolean deleted = resolved.deleted();
    writeVisible(collection, id, deleted ? null : data);
    fx.touch(collection, id);
  }

  private boolean hasPending(String collection, String id) {
    return query(
        "SELECT 1 FROM pending_mutations WHERE collection = ? AND record_id = ?",
        rs -> true,
        false,
        collection,
        id);
  }

  private List<Mutation> pendingFor(String collection, String id) {
    return queryList(
        "SELECT mutation FROM pending_mutations WHERE collection = ? AND record_id = ?"
            + " ORDER BY seq",
        rs -> mutation(rs.getString(1)),
        collection,
        id);
  }

  private record Row(
      ObjectNode data,
      boolean deleted,
      ObjectNode serverData,
      Long serverVersion,
      boolean serverDeleted,
      Long expectVersion) {}

  private Row loadRow(String collection, String id) {
    return query(
        "SELECT data, deleted, server_data, server_version, server_deleted, expect_version"
            + " FROM records WHERE collection = ? AND id = ?",
        rs ->
            new Row(
                obj(rs.getString(1)),
                rs.getInt(2) != 0,
                obj(rs.getString(3)),
                getLong(rs, "server_version"),
                rs.getInt(5) != 0,
                getLong(rs, "expect_version")),
        null,
        collection,
        id);
  }

  private void writeVisible(String collection, String id, ObjectNode visible) throws SQLException {
    update(
        "UPDATE records SET data = ?, deleted = ?, updated_at = ? WHERE collection = ? AND id = ?",
        json(visible),
        visible == null,
        clock.millis(),
        collection,
        id);
  }

  /**
   * Visible = server state + pending mutations. Unless forced, server state older than a version a
   * final outcome promised does not override the visible state (the pull will bring it).
   */
  private void recompute(String collection, String id, boolean force, Effects fx)
      throws SQLException {
    Row row = loadRow(collection, id);
    if (row == null) {
      return;
    }
    if (!force
        && row.expectVersion != null
        && (row.serverVersion == null || row.serverVersion < row.expectVersion)) {
      return;
    }
    ObjectNode visible =
        RecordRules.replay(
            row.serverData,
            row.serverVersion != null && !row.serverDeleted,
            pendingFor(collection, id));
    if (!java.util.Objects.equals(visible, row.deleted ? null : row.data)) {
      writeVisible(collection, id, visible);
      fx.touch(collection, id);
    }
  }

  // ---------------------------------------------------------------- pull and snapshot

  /** Stores a server change if newer than the stored version; returns true if stored. */
  private boolean storeServerState(Change c, boolean force, long snapGen) throws SQLException {
    return storeServerStateHow(
            new SnapshotPageReader.RawRecord(
                c.collection(), c.recordId(), c.version(), c.deleted(), json(c.data())),
            force,
            snapGen)
        != NOT_STORED;
  }

  private static final int NOT_STORED = 0;
  private static final int UPDATED = 1;
  private static final int INSERTED = 2;

  private static final String INSERT_SERVER_ROW =
      "INSERT INTO records (collection, id, data, deleted, server_data, server_version,"
          + " server_deleted, snap_gen, updated_at) VALUES ";
  private static final String SERVER_ROW_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** As {@link #storeServerState}; tells whether the row was new. */
  private int storeServerStateHow(SnapshotPageReader.RawRecord c, boolean force, long snapGen)
      throws SQLException {
    Long[] found =
        query(
            "SELECT server_version FROM records WHERE collection = ? AND id = ?",
            rs -> new Long[] {getLong(rs, "server_version")},
            null,
            c.collection(),
            c.recordId());
    boolean exists = found != null;
    Long known = exists ? found[0] : null;
    if (!force && known != null && c.version() <= known) {
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

  private Object[] serverRowArgs(SnapshotPageReader.RawRecord c, long snapGen) {
    String data = c.deleted() ? null : c.dataJson();
    return new Object[] {
      c.collection(),
      c.recordId(),
      data,
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
  private void insertNewServerRows(List<SnapshotPageReader.RawRecord> rows, long snapGen)
      throws SQLException {
    for (int from = 0; from < rows.size(); from += INSERT_ROWS) {
      List<SnapshotPageReader.RawRecord> part =
          rows.subList(from, Math.min(rows.size(), from + INSERT_ROWS));
      StringBuilder sql = new StringBuilder(INSERT_SERVER_ROW);
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(SERVER_ROW_VALUES);
      }
      PreparedStatement p = prepared(sql.toString());
      int k = 1;
      for (SnapshotPageReader.RawRecord c : part) {
        Object[] args = serverRowArgs(c, snapGen);
        for (Object a : args) {
          bindOne(p, k++, a);
        }
      }
      p.executeUpdate();
    }
  }

  /** The keys among {@code records} that already have a local row. */
  private Set<String> existingKeys(List<SnapshotPageReader.RawRecord> records) throws SQLException {
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

  /**
   * Commits one pull page: receipts settle queued mutations, changes newer than the stored versions
   * replace server state (pending edits re-applied on top), and the cursor, all in ONE transaction.
   */
  public synchronized Effects applyPullPage(
      List<Change> changes, List<MutationOutcome> receipts, String cursor) {
    return inTx(
        () -> {
          Effects fx = new Effects();
          if (receipts != null) {
            for (MutationOutcome o : receipts) {
              if (o != null
                  && o.mutationId() != null
                  && o.status() != null
                  && o.status().isFinal()) {
                settle(o, fx);
              }
            }
          }
          if (changes != null) {
            long gen = currentSnapGen();
            for (Change c : changes) {
              if (storeServerState(c, false, gen)) {
                fx.applied++;
                fx.touch(c.collection(), c.recordId());
                recompute(c.collection(), c.recordId(), false, fx);
              }
            }
          }
          putMeta(META_CURSOR, cursor);
          return fx;
        });
  }

  private long currentSnapGen() {
    return meta(META_SNAPSHOT_GEN).map(Long::parseLong).orElse(0L);
  }

  /** Starts a snapshot: a new generation marks which records the snapshot has seen. */
  public synchronized long beginSnapshot() {
    long gen = currentSnapGen() + 1;
    inTx(
        () -> {
          putMeta(META_SNAPSHOT_GEN, Long.toString(gen));
          putMeta(META_SNAPSHOT_RESUME, null);
          return null;
        });
    return gen;
  }

  /** The generation of the current (or last) snapshot. */
  public synchronized long snapshotGen() {
    return currentSnapGen();
  }

  /** The page token to resume an interrupted snapshot of {@code scopeKey} from, if any. */
  public synchronized Optional<String> snapshotResumeToken(String scopeKey) {
    return meta(META_SNAPSHOT_RESUME)
        .filter(v -> v.startsWith(scopeKey + "\n"))
        .map(v -> v.substring(scopeKey.length() + 1))
        .filter(t -> !t.isEmpty());
  }

  /** Snapshot records applied per transaction (the writer's lock is released between). */
  static final int SNAPSHOT_CHUNK = 1000;

  /**
   * Commits one snapshot page (tests and callers holding a parsed {@link SnapshotPage}); see {@link
   * #applySnapshotPage(SnapshotPageReader.RawPage, long, boolean, List, String)}.
   */
  public Effects applySnapshotPage(SnapshotPage page, long gen, boolean last, List<String> scope) {
    return applySnapshotPage(SnapshotPageReader.of(page, mapper), gen, last, scope, null);
  }

  /** As above, with the resume token of {@code scopeKey} stored with the page. */
  public Effects applySnapshotPage(
      SnapshotPage page, long gen, boolean last, List<String> scope, String scopeKey) {
    return applySnapshotPage(SnapshotPageReader.of(page, mapper), gen, last, scope, scopeKey);
  }

  /**
   * Commits one snapshot page, in chunks of {@value #SNAPSHOT_CHUNK} records, one transaction each,
   * so a local write waits at most for one chunk, never for a whole page. Snapshot records replace
   * the local server state (re-applying a chunk is harmless: same generation, same versions). The
   * LAST chunk's transaction also stores the next page's token (with a {@code scopeKey}, so a
   * killed snapshot resumes after the last page it finished) and, on the last page, turns server
   * records of the scope the snapshot did not contain into tombstones, stores the cursor and
   * finishes the reset. The queue is never touched.
   */
  public Effects applySnapshotPage(
      SnapshotPageReader.RawPage page,
      long gen,
      boolean last,
      List<String> scope,
      String scopeKey) {
    List<SnapshotPageReader.RawRecord> records =
        page.records() == null ? List.of() : page.records();
    Effects fx = new Effects();
    int from = 0;
    do {
      int to = Math.min(records.size(), from + SNAPSHOT_CHUNK);
      boolean finalChunk = to == records.size();
      List<SnapshotPageReader.RawRecord> chunk = records.subList(from, to);
      synchronized (this) {
        // A page is re-readable from the server: it need not wait for the disk
        // (synchronous=NORMAL in WAL mode may lose the last pages on power loss, never split a
        // page from its token or cursor). Local writes keep synchronous=FULL.
        pragma("PRAGMA synchronous=NORMAL");
        try {
          applySnapshotChunk(chunk, finalChunk, page, gen, last, scope, scopeKey, fx);
        } finally {
          pragma("PRAGMA synchronous=FULL");
        }
      }
      from = to;
    } while (from < records.size());
    return fx;
  }

  private void pragma(String sql) {
    try (Statement s = conn.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new StoreException("local database error: " + e.getMessage(), e);
    }
  }

  private void applySnapshotChunk(
      List<SnapshotPageReader.RawRecord> chunk,
      boolean finalChunk,
      SnapshotPageReader.RawPage page,
      long gen,
      boolean last,
      List<String> scope,
      String scopeKey,
      Effects fx) {
    inTx(
        () -> {
          if (!chunk.isEmpty()) {
            // Records with no local row are inserted in multi-row statements. A row inserted
            // while the queue is empty already shows the server state (data = server_data, no
            // promised version): recompute would read it back, replay nothing and find it
            // equal. First sync into an empty database is all such rows.
            boolean queueEmpty =
                !query("SELECT 1 FROM pending_mutations LIMIT 1", rs -> true, false);
            Set<String> existing = existingKeys(chunk);
            List<SnapshotPageReader.RawRecord> fresh = new ArrayList<>(chunk.size());
            Set<String> seen = new java.util.HashSet<>();
            for (SnapshotPageReader.RawRecord c : chunk) {
              String key = c.collection() + "\n" + c.recordId();
              if (!existing.contains(key) && seen.add(key)) {
                fresh.add(c);
              }
            }
            insertNewServerRows(fresh, gen);
            Set<SnapshotPageReader.RawRecord> inserted =
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            inserted.addAll(fresh);
            for (SnapshotPageReader.RawRecord c : chunk) {
              boolean isNew = inserted.contains(c);
              if (!isNew) {
                storeServerStateHow(c, true, gen);
              }
              fx.applied++;
              fx.touch(c.collection(), c.recordId());
              if (!(isNew && queueEmpty)) {
                recompute(c.collection(), c.recordId(), false, fx);
              }
            }
          }
          if (!finalChunk) {
            return null;
          }
          if (scopeKey != null) {
            putMeta(
                META_SNAPSHOT_RESUME,
                last || page.nextPageToken() == null
                    ? null
                    : scopeKey + "\n" + page.nextPageToken());
          }
          if (last) {
            String where =
                "server_version IS NOT NULL AND server_deleted = 0 AND snap_gen <> ?"
                    + (scope.isEmpty()
                        ? ""
                        : " AND collection IN ("
                            + String.join(",", java.util.Collections.nCopies(scope.size(), "?"))
                            + ")");
            List<Object> args = new ArrayList<>();
            args.add(gen);
            args.addAll(scope);
            List<String[]> gone =
                queryList(
                    "SELECT collection, id FROM records WHERE " + where,
                    rs -> new String[] {rs.getString(1), rs.getString(2)},
                    args.toArray());
            for (String[] k : gone) {
              update(
                  "UPDATE records SET server_deleted = 1 WHERE collection = ? AND id = ?",
                  k[0],
                  k[1]);
              recompute(k[0], k[1], true, fx);
            }
            putMeta(META_CURSOR, page.cursor());
            putMeta(META_NEEDS_SNAPSHOT, null);
          }
          return null;
        });
  }

  /** Number of records stored with the given snapshot generation (first-sync progress). */
  public synchronized long countSnapGen(long gen) {
    return query("SELECT COUNT(*) FROM records WHERE snap_gen = ?", rs -> rs.getLong(1), 0L, gen);
  }

  // ---------------------------------------------------------------- media index

  /** A row of the media index. */
  public record MediaRow(
      String sha256,
      Long size,
      String contentType,
      String fileName,
      String state,
      long bytesDownloaded,
      boolean uploadPending,
      int attempts,
      String lastError) {}

  private MediaRow toMedia(ResultSet rs) throws SQLException {
    return new MediaRow(
        rs.getString("sha256"),
        getLong(rs, "size"),
        rs.getString("content_type"),
        rs.getString("file_name"),
        rs.getString("state"),
        rs.getLong("bytes_downloaded"),
        rs.getInt("upload_pending") != 0,
        rs.getInt("attempts"),
        rs.getString("last_error"));
  }

  public synchronized Optional<MediaRow> media(String sha256) {
    return Optional.ofNullable(
        query("SELECT * FROM media_files WHERE sha256 = ?", this::toMedia, null, sha256));
  }

  public synchronized List<MediaRow> mediaUploads() {
    return queryList(
        "SELECT * FROM media_files WHERE upload_pending = 1 ORDER BY updated_at", this::toMedia);
  }

  /** Records a file attached locally and queues its upload (the durable upload queue entry). */
  public synchronized void mediaAttached(
      String sha256, long size, String contentType, String fileName) {
    inTx(
        () -> {
          update(
              "INSERT INTO media_files (sha256, size, content_type, file_name, state,"
                  + " bytes_downloaded, upload_pending, updated_at) VALUES (?, ?, ?, ?, 'present',"
                  + " ?, 1, ?) ON CONFLICT(sha256) DO UPDATE SET state = 'present',"
                  + " size = excluded.size, bytes_downloaded = excluded.size, upload_pending = 1,"
                  + " content_type = excluded.content_type, file_name = excluded.file_name,"
                  + " updated_at = excluded.updated_at",
              sha256,
              size,
              contentType,
              fileName,
              size,
              clock.millis());
          return null;
        });
  }

  public synchronized void mediaUploaded(String sha256) {
    inTx(
        () ->
            update(
                "UPDATE media_files SET upload_pending = 0, last_error = NULL, updated_at = ?"
                    + " WHERE sha256 = ?",
                clock.millis(),
                sha256));
  }

  public synchronized void mediaState(
      String sha256, Long size, String state, long bytes, String error, boolean countAttempt) {
    inTx(
        () ->
            update(
                "INSERT INTO media_files (sha256, size, state, bytes_downloaded, attempts,"
                    + " last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT(sha256) DO UPDATE SET size = COALESCE(excluded.size, size),"
                    + " state = excluded.state, bytes_downloaded = excluded.bytes_downloaded,"
                    + " attempts = attempts + excluded.attempts, last_error = excluded.last_error,"
                    + " updated_at = excluded.updated_at",
                sha256,
                size,
                state,
                bytes,
                countAttempt ? 1 : 0,
                error,
                clock.millis()));
  }

  public synchronized void mediaUploadFailed(String sha256, String error) {
    inTx(
        () ->
            update(
                "UPDATE media_files SET attempts = attempts + 1, last_error = ?, updated_at = ?"
                    + " WHERE sha256 = ?",
                error,
                clock.millis(),
                sha256));
  }

  @Override
  public synchronized void close() {
    try {
      for (PreparedStatement p : statements.values()) {
        p.close();
      }
      statements.clear();
      conn.close();
      synchronized (readLock) {
        reader.close();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot close local database: " + e.getMessage(), e);
    }
  }

  /** Limit helper for callers that size push batches. */
  public static int maxMutationsPerPush() {
    return Limits.MAX_MUTATIONS_PER_PUSH;
  }
}
