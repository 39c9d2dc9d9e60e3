package io.syncforge.client.internal;

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
import java.sql.SQLException;
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

  /**
   * {@code "0"} while the snapshot in progress began on a database without live server rows and no
   * server row outside it has been stored since: then no record can be missing from it, and its
   * last page skips the scan of the whole table for rows to turn into tombstones (a first sync of
   * 100,000 records otherwise reads them all once more at the end). Absent or {@code "1"}: scan.
   */
  public static final String META_SNAPSHOT_STALE = "snapshot_stale_possible";

  private final SqlDriver.Connection conn;

  /**
   * A second, query-only connection for the app's reads ({@link #get}, {@link #list}, queue
   * counts). In WAL mode it reads the last committed state without waiting for the writer, so a UI
   * read never queues behind a snapshot chunk's transaction. Guarded by {@link #readLock}, never by
   * the store's monitor.
   */
  private final SqlDriver.Connection reader;

  private final Object readLock = new Object();
  private final ObjectMapper mapper;
  private final SqlTable db;
  private final Clock clock;
  private final MutationValidator validator = new MutationValidator();
  private volatile Runnable afterRecordWriteHook = () -> {};
  private final MediaIndex mediaIndex;
  private final MetaTable metaTable;
  private final QueueTable queueTable;
  private final RecordTable recordTable;

  /** The store on xerial's sqlite-jdbc ({@link JdbcSqlDriver}). */
  public LocalStore(Path file, ObjectMapper mapper, Clock clock) {
    this(new JdbcSqlDriver(), file, mapper, clock);
  }

  /** The store on another SQLite binding (the storage seam, e.g. Android's). */
  public LocalStore(SqlDriver driver, Path file, ObjectMapper mapper, Clock clock) {
    this.mapper = mapper;
    this.clock = clock;
    conn = driver.open(file, false);
    try {
      conn.execute("PRAGMA journal_mode=WAL");
      conn.execute("PRAGMA synchronous=FULL");
      conn.execute("PRAGMA busy_timeout=10000");
      conn.execute("PRAGMA foreign_keys=ON");
      Migrations.migrate(conn, clock);
    } catch (RuntimeException e) {
      conn.close();
      throw e;
    }
    mediaIndex = new MediaIndex(conn, clock);
    metaTable = new MetaTable(conn);
    queueTable = new QueueTable(conn, mapper);
    db = new SqlTable(conn, mapper);
    recordTable = new RecordTable(conn, mapper, clock);
    reader = driver.open(file, true);
    reader.execute("PRAGMA busy_timeout=10000");
    reader.execute("PRAGMA query_only=ON");
  }

  /** Test seam: runs inside a write's transaction between the record write and the queue insert. */
  public void setAfterRecordWriteHook(Runnable hook) {
    this.afterRecordWriteHook = hook == null ? () -> {} : hook;
  }

  /** The SQLite journal mode ({@code wal}). */
  public synchronized String journalMode() {
    return db.query("PRAGMA journal_mode", rs -> rs.getString(1), null);
  }

  /** The schema version of the open database. */
  public synchronized int schemaVersion() {
    return db.query("SELECT MAX(version) FROM schema_migrations", rs -> rs.getInt(1), 0);
  }

  // ---------------------------------------------------------------- transactions

  @FunctionalInterface
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  private <T> T inTx(SqlWork<T> work) {
    conn.begin();
    try {
      T result = work.run();
      conn.commit();
      return result;
    } catch (SQLException e) {
      conn.rollback();
      throw new StoreException("local database error: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      conn.rollback();
      throw e;
    }
  }

  // ---------------------------------------------------------------- meta

  public synchronized Optional<String> meta(String key) {
    return metaTable.get(key);
  }

  public synchronized void setMeta(String key, String value) {
    metaTable.put(key, value); // one statement: atomic on its own
  }

  private void putMeta(String key, String value) {
    metaTable.put(key, value);
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
      "r.collection, r.id, "
          + RecordTable.VISIBLE_DATA_OF_R
          + ", r.deleted, r.server_version,"
          + " EXISTS (SELECT 1 FROM pending_mutations p WHERE p.collection = r.collection"
          + " AND p.record_id = r.id) AS pending";

  private SyncRecord toRecord(Sql.Rs rs) {
    return new SyncRecord(
        rs.getString(1),
        rs.getString(2),
        db.obj(rs.getString(3)),
        rs.getLongOrNull(5),
        rs.getInt(6) != 0);
  }

  /** A query on the reader connection (never waits for the writer's lock). */
  private <T> List<T> readList(String sql, Sql.RowMapper<T> mapperFn, Object... args) {
    synchronized (readLock) {
      return Sql.list(reader, sql, mapperFn, args);
    }
  }

  private <T> T read(String sql, Sql.RowMapper<T> mapperFn, T empty, Object... args) {
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
          RecordTable.Row row = recordTable.loadRow(collection, id);
          ObjectNode visible = row == null || row.deleted() ? null : row.data();
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
          Long baseVersion = row == null ? null : row.serverVersion();
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
            db.update(
                "INSERT INTO records (collection, id, data, deleted, updated_at)"
                    + " VALUES (?, ?, ?, ?, ?)",
                collection,
                id,
                db.json(next),
                next == null,
                clock.millis());
          } else {
            db.update(
                "UPDATE records SET data = ?, deleted = ?, updated_at = ?"
                    + " WHERE collection = ? AND id = ?",
                db.json(next),
                next == null,
                clock.millis(),
                collection,
                id);
          }
          afterRecordWriteHook.run();
          if (unsent != null) {
            queueTable.rewrite(unsent.seq(), m);
          } else {
            queueTable.insert(m, now.toEpochMilli());
          }
          return new WriteResult(next == null ? null : recordOf(collection, id), true);
        });
  }

  /** The record's last queued mutation if it was never sent (so it may still be rewritten). */
  private Queued lastUnsent(String collection, String id) {
    return queueTable.lastUnsent(collection, id);
  }

  /** See {@link RecordRules#fold}: the rule is shared with the writer's tests. */
  static Mutation fold(Mutation first, Mutation next) {
    return RecordRules.fold(first, next);
  }

  private SyncRecord recordOf(String collection, String id) {
    return db.query(
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
    return queueTable.all();
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
              Long v = rs.getLongOrNull(1);
              return v == null ? null : Instant.ofEpochMilli(v);
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
          // One IN (...) read and one UPDATE per 500 ids, not two statements per mutation.
          Map<UUID, Mutation> found = queueTable.byIds(ids);
          List<Mutation> out = new ArrayList<>();
          Set<UUID> claimed = new LinkedHashSet<>();
          for (UUID id : ids) {
            Mutation m = found.get(id);
            if (m != null && claimed.add(id)) {
              out.add(m);
            }
          }
          queueTable.countAttempts(List.copyOf(claimed));
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
                db.mutation(rs.getString(1)),
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
          Mutation m = queueTable.byId(mutationId);
          if (m == null) {
            return null;
          }
          queueTable.delete(mutationId);
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
            queueTable.markFailed(id, error);
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

    /** Whether this transaction already made sure META_SNAPSHOT_STALE is "1" (once per tx). */
    boolean snapshotStaleMarked;

    void touch(String collection, String id) {
      changed.computeIfAbsent(collection, k -> new LinkedHashSet<>()).add(id);
    }
  }

  /** Applies push outcomes: final ones leave the queue, pending ones are marked. */
  public synchronized Effects applyOutcomes(List<MutationOutcome> outcomes) {
    return inTx(
        () -> {
          Effects fx = new Effects();
          List<MutationOutcome> finals = new ArrayList<>();
          List<UUID> pending = new ArrayList<>();
          for (MutationOutcome o : outcomes) {
            if (o == null || o.mutationId() == null || o.status() == null) {
              continue;
            }
            if (o.status().isFinal()) {
              finals.add(o);
            } else {
              pending.add(o.mutationId());
            }
          }
          queueTable.markPendingAll(pending);
          // A push's outcomes are for different records (one mutation per record per round): their
          // queue entries are read and deleted in IN (...) batches, then each record is settled.
          // Outcomes of one record (not from this client's pushes) go one by one, in order.
          Map<UUID, Mutation> queued =
              queueTable.byIds(finals.stream().map(MutationOutcome::mutationId).toList());
          Set<String> keys = new java.util.HashSet<>();
          boolean distinct = true;
          for (Mutation m : queued.values()) {
            distinct &= keys.add(m.collection() + "\n" + m.recordId());
          }
          if (!distinct) {
            for (MutationOutcome o : finals) {
              settle(o, fx);
            }
            return fx;
          }
          Set<UUID> settledIds = new LinkedHashSet<>();
          for (MutationOutcome o : finals) {
            if (queued.containsKey(o.mutationId())) {
              settledIds.add(o.mutationId());
            }
          }
          queueTable.deleteAll(List.copyOf(settledIds));
          Set<UUID> done = new java.util.HashSet<>();
          for (MutationOutcome o : finals) {
            Mutation m = queued.get(o.mutationId());
            if (m != null && done.add(o.mutationId())) {
              settleDeleted(o, m, fx);
            }
          }
          return fx;
        });
  }

  private void settle(MutationOutcome o, Effects fx) throws SQLException {
    Mutation settledMutation = queueTable.byId(o.mutationId());
    if (settledMutation == null) {
      return; // Already settled (e.g. by push, then again as a receipt).
    }
    queueTable.delete(o.mutationId());
    settleDeleted(o, settledMutation, fx);
  }

  /** The rest of {@link #settle} once {@code settledMutation} has left the queue. */
  private void settleDeleted(MutationOutcome o, Mutation settledMutation, Effects fx)
      throws SQLException {
    fx.settled++;
    String collection = settledMutation.collection();
    String id = settledMutation.recordId();
    if (o.status() == OutcomeStatus.REJECTED) {
      fx.rejected.add(o);
      recompute(collection, id, true, fx);
      return;
    }
    if (o.version() != null) {
      // An adopted outcome raises expect_version in its own UPDATE: one statement less per
      // record in the common case (a push's applied upserts), same row state either way.
      if (o.status() != OutcomeStatus.APPLIED
          || !adoptIfNothingBetween(settledMutation, o.version(), fx)) {
        db.update(
            "UPDATE records SET expect_version = MAX(COALESCE(expect_version, 0), ?)"
                + " WHERE collection = ? AND id = ?",
            o.version(),
            collection,
            id);
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
   * server state at that version is known: an upsert's data (an applied upsert leaves exactly its
   * data), or a tombstone. It is adopted as the device's server state, and later never-sent
   * mutations based on the old version (made on top of this one) are based on the new one. Any
   * other gap may hold another device's edit this device never applied: the base stays, and the
   * writer's rule that a device never conflicts with itself keeps the device's own edits from
   * counting against it.
   *
   * <p>A patch is never adopted: one that changes nothing on the server's record is answered with
   * the record's current version, which may be another device's change at stored + 1 (fields the
   * patch does not name, which the device has not seen). The outcome cannot tell the two apart; the
   * pull brings the version (found by RandomConvergenceIT, seed 11477955022382).
   *
   * @return whether the outcome was adopted (then {@code expect_version} is raised too)
   */
  private boolean adoptIfNothingBetween(Mutation m, long version, Effects fx) throws SQLException {
    RecordTable.Row row = recordTable.loadRow(m.collection(), m.recordId());
    if (row == null) {
      return false;
    }
    long stored = row.serverVersion() == null ? 0 : row.serverVersion();
    if (version != stored + 1) {
      return false;
    }
    ObjectNode serverData = row.serverData();
    boolean serverDeleted;
    switch (m.op()) {
      case UPSERT -> {
        serverData = m.data().deepCopy();
        serverDeleted = false;
      }
      case DELETE -> serverDeleted = true; // the last live fields stay, as for a pulled tombstone
      default -> {
        return false;
      }
    }
    db.update(
        "UPDATE records SET server_data = ?, server_version = ?, server_deleted = ?,"
            + " expect_version = MAX(COALESCE(expect_version, 0), ?)"
            + " WHERE collection = ? AND id = ?",
        db.json(serverData),
        version,
        serverDeleted,
        version,
        m.collection(),
        m.recordId());
    if (!fx.snapshotStaleMarked) {
      // Read once per transaction, not once per adopted record.
      if ("0".equals(metaTable.get(META_SNAPSHOT_STALE).orElse("1"))) {
        putMeta(META_SNAPSHOT_STALE, "1"); // a server row the snapshot in progress may not hold
      }
      fx.snapshotStaleMarked = true;
    }
    List<Queued> later = queueTable.unsentOf(m.collection(), m.recordId());
    for (Queued q : later) {
      Mutation next = q.mutation();
      if (!java.util.Objects.equals(next.baseVersion(), row.serverVersion())) {
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
      queueTable.rewrite(q.seq(), rebased);
    }
    return true;
  }

  /** Shows the server's resolution of a merged mutation at once, before the pull brings it. */
  private void applyResolution(String collection, String id, List<Conflict> conflicts, Effects fx)
      throws SQLException {
    RecordTable.Row row = recordTable.loadRow(collection, id);
    if (row == null) {
      return;
    }
    RecordRules.State resolved =
        RecordRules.resolve(
            row.data() != null ? row.data() : row.serverData(), row.deleted(), conflicts);
    ObjectNode data = resolved.data();
    boolean deleted = resolved.deleted();
    recordTable.writeVisible(collection, id, deleted ? null : data);
    fx.touch(collection, id);
  }

  private boolean hasPending(String collection, String id) {
    return queueTable.hasPending(collection, id);
  }

  private List<Mutation> pendingFor(String collection, String id) {
    return queueTable.pendingFor(collection, id);
  }

  /**
   * Visible = server state + pending mutations. Unless forced, server state older than a version a
   * final outcome promised does not override the visible state (the pull will bring it).
   */
  private void recompute(String collection, String id, boolean force, Effects fx)
      throws SQLException {
    RecordTable.Row row = recordTable.loadRow(collection, id);
    if (row == null) {
      return;
    }
    if (!force
        && row.expectVersion() != null
        && (row.serverVersion() == null || row.serverVersion() < row.expectVersion())) {
      return;
    }
    ObjectNode visible =
        RecordRules.replay(
            row.serverData(),
            row.serverVersion() != null && !row.serverDeleted(),
            pendingFor(collection, id));
    if (!java.util.Objects.equals(visible, row.deleted() ? null : row.data())) {
      recordTable.writeVisible(collection, id, visible);
      fx.touch(collection, id);
    }
  }

  // ---------------------------------------------------------------- pull and snapshot

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
              if (recordTable.storeServerState(c, false, gen)) {
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
          boolean live =
              db.query(
                  "SELECT 1 FROM records WHERE server_version IS NOT NULL AND server_deleted = 0"
                      + " LIMIT 1",
                  rs -> true,
                  false);
          putMeta(META_SNAPSHOT_STALE, live ? "1" : "0");
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
    conn.execute(sql);
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
            boolean queueEmpty = queueTable.isEmpty();
            Set<String> existing = recordTable.existingKeys(chunk);
            List<SnapshotPageReader.RawRecord> fresh = new ArrayList<>(chunk.size());
            Set<String> seen = new java.util.HashSet<>();
            for (SnapshotPageReader.RawRecord c : chunk) {
              String key = c.collection() + "\n" + c.recordId();
              if (!existing.contains(key) && seen.add(key)) {
                fresh.add(c);
              }
            }
            recordTable.insertNewServerRows(fresh, gen);
            Set<SnapshotPageReader.RawRecord> inserted =
                java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            inserted.addAll(fresh);
            for (SnapshotPageReader.RawRecord c : chunk) {
              boolean isNew = inserted.contains(c);
              if (!isNew) {
                recordTable.storeServerStateHow(c, true, gen);
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
          if (last && !"0".equals(metaTable.get(META_SNAPSHOT_STALE).orElse("1"))) {
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
                db.queryList(
                    "SELECT collection, id FROM records WHERE " + where,
                    rs -> new String[] {rs.getString(1), rs.getString(2)},
                    args.toArray());
            for (String[] k : gone) {
              db.update(
                  "UPDATE records SET server_deleted = 1, snap_gen = ?"
                      + " WHERE collection = ? AND id = ?",
                  RecordTable.INFERRED_TOMBSTONE,
                  k[0],
                  k[1]);
              recompute(k[0], k[1], true, fx);
            }
          }
          if (last) {
            putMeta(META_SNAPSHOT_STALE, null);
            putMeta(META_CURSOR, page.cursor());
            putMeta(META_NEEDS_SNAPSHOT, null);
          }
          return null;
        });
  }

  /** Number of records stored with the given snapshot generation (first-sync progress). */
  public synchronized long countSnapGen(long gen) {
    return db.query(
        "SELECT COUNT(*) FROM records WHERE snap_gen = ?", rs -> rs.getLong(1), 0L, gen);
  }

  // ---------------------------------------------------------------- media index

  public synchronized Optional<MediaIndex.MediaRow> media(String sha256) {
    return mediaIndex.get(sha256);
  }

  public synchronized List<MediaIndex.MediaRow> mediaUploads() {
    return mediaIndex.uploads();
  }

  /** Records a file attached locally and queues its upload (the durable upload queue entry). */
  public synchronized void mediaAttached(
      String sha256, long size, String contentType, String fileName) {
    mediaIndex.attached(sha256, size, contentType, fileName);
  }

  public synchronized void mediaUploaded(String sha256) {
    mediaIndex.uploaded(sha256);
  }

  public synchronized void mediaState(
      String sha256, Long size, String state, long bytes, String error, boolean countAttempt) {
    mediaIndex.state(sha256, size, state, bytes, error, countAttempt);
  }

  public synchronized void mediaUploadFailed(String sha256, String error) {
    mediaIndex.uploadFailed(sha256, error);
  }

  @Override
  public synchronized void close() {
    try {
      conn.close();
    } finally {
      synchronized (readLock) {
        reader.close();
      }
    }
  }

  /** Limit helper for callers that size push batches. */
  public static int maxMutationsPerPush() {
    return Limits.MAX_MUTATIONS_PER_PUSH;
  }
}
