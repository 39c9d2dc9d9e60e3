package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.Mutation;
import java.util.List;
import java.util.UUID;

/**
 * The pending mutation queue ({@code pending_mutations}), oldest first by {@code seq}. A mutation
 * is {@code queued} until sent, its {@code attempts} counted when claimed; after a {@code pending}
 * answer its state is {@code pending}. Statements only: {@link LocalStore} holds the transaction
 * that ties a queue change to the record it belongs to.
 */
final class QueueTable extends SqlTable {

  QueueTable(SqlDriver.Connection conn, ObjectMapper mapper) {
    super(conn, mapper);
  }

  /** Appends {@code m} to the queue. */
  void insert(Mutation m, long createdAt) {
    conn.update(
        "INSERT INTO pending_mutations (mutation_id, collection, record_id, op,"
            + " base_version, mutation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        m.mutationId().toString(),
        m.collection(),
        m.recordId(),
        m.op().wire(),
        m.baseVersion(),
        json(m),
        createdAt);
  }

  /** Replaces the content of the entry {@code seq} (a fold, or a rebase of a never-sent one). */
  void rewrite(long seq, Mutation m) {
    conn.update(
        "UPDATE pending_mutations SET op = ?, base_version = ?, mutation = ? WHERE seq = ?",
        m.op().wire(),
        m.baseVersion(),
        json(m),
        seq);
  }

  /** The record's last queued mutation if it was never sent (so it may still be rewritten). */
  LocalStore.Queued lastUnsent(String collection, String id) {
    return Sql.one(
        conn,
        "SELECT seq, mutation, attempts, state FROM pending_mutations"
            + " WHERE collection = ? AND record_id = ? ORDER BY seq DESC LIMIT 1",
        rs ->
            rs.getInt(3) == 0 && "queued".equals(rs.getString(4))
                ? new LocalStore.Queued(rs.getLong(1), mutation(rs.getString(2)), 0, "queued")
                : null,
        null,
        collection,
        id);
  }

  /** The record's never-sent entries, oldest first. */
  List<LocalStore.Queued> unsentOf(String collection, String id) {
    return Sql.list(
        conn,
        "SELECT seq, mutation, attempts, state FROM pending_mutations"
            + " WHERE collection = ? AND record_id = ? AND attempts = 0 ORDER BY seq",
        rs -> new LocalStore.Queued(rs.getLong(1), mutation(rs.getString(2)), 0, rs.getString(4)),
        collection,
        id);
  }

  /** The whole queue, oldest first. */
  List<LocalStore.Queued> all() {
    return Sql.list(
        conn,
        "SELECT seq, mutation, attempts, state FROM pending_mutations ORDER BY seq",
        rs ->
            new LocalStore.Queued(
                rs.getLong(1), mutation(rs.getString(2)), rs.getInt(3), rs.getString(4)));
  }

  /** The queued mutation with this id, or null. */
  Mutation byId(UUID mutationId) {
    return Sql.one(
        conn,
        "SELECT mutation FROM pending_mutations WHERE mutation_id = ?",
        rs -> mutation(rs.getString(1)),
        null,
        mutationId.toString());
  }

  /** Ids per {@code IN (...)} statement (SQLite allows 999 parameters before 3.32). */
  static final int IN_BATCH = 500;

  /**
   * The queued mutations with these ids, by id (absent ids are missing from the map): one {@code IN
   * (...)} query per {@value #IN_BATCH} ids instead of one query each.
   */
  java.util.Map<UUID, Mutation> byIds(List<UUID> ids) {
    java.util.Map<UUID, Mutation> out = new java.util.HashMap<>();
    for (int from = 0; from < ids.size(); from += IN_BATCH) {
      List<UUID> part = ids.subList(from, Math.min(ids.size(), from + IN_BATCH));
      for (Mutation m :
          Sql.list(
              conn,
              "SELECT mutation FROM pending_mutations WHERE mutation_id IN (" + marks(part) + ")",
              rs -> mutation(rs.getString(1)),
              strings(part))) {
        out.put(m.mutationId(), m);
      }
    }
    return out;
  }

  /** Counts an attempt for each of {@code ids}, {@value #IN_BATCH} per statement. */
  void countAttempts(List<UUID> ids) {
    updateEach("UPDATE pending_mutations SET attempts = attempts + 1", ids);
  }

  /** Deletes the entries of {@code ids}, {@value #IN_BATCH} per statement. */
  void deleteAll(List<UUID> ids) {
    updateEach("DELETE FROM pending_mutations", ids);
  }

  /**
   * Marks the entries of {@code ids} as pending on the server, {@value #IN_BATCH} per statement.
   */
  void markPendingAll(List<UUID> ids) {
    updateEach("UPDATE pending_mutations SET state = 'pending'", ids);
  }

  /**
   * Runs {@code statement WHERE mutation_id IN (...)} over {@code ids}, {@value #IN_BATCH} at once.
   */
  private void updateEach(String statement, List<UUID> ids) {
    for (int from = 0; from < ids.size(); from += IN_BATCH) {
      List<UUID> part = ids.subList(from, Math.min(ids.size(), from + IN_BATCH));
      conn.update(statement + " WHERE mutation_id IN (" + marks(part) + ")", strings(part));
    }
  }

  private static String marks(List<?> part) {
    return String.join(",", java.util.Collections.nCopies(part.size(), "?"));
  }

  private static Object[] strings(List<UUID> part) {
    Object[] args = new Object[part.size()];
    for (int i = 0; i < args.length; i++) {
      args[i] = part.get(i).toString();
    }
    return args;
  }

  void countAttempt(UUID mutationId) {
    conn.update(
        "UPDATE pending_mutations SET attempts = attempts + 1 WHERE mutation_id = ?",
        mutationId.toString());
  }

  void delete(UUID mutationId) {
    conn.update("DELETE FROM pending_mutations WHERE mutation_id = ?", mutationId.toString());
  }

  void markFailed(UUID mutationId, String error) {
    conn.update(
        "UPDATE pending_mutations SET last_error = ? WHERE mutation_id = ?",
        error,
        mutationId.toString());
  }

  void markPending(UUID mutationId) {
    conn.update(
        "UPDATE pending_mutations SET state = 'pending' WHERE mutation_id = ?",
        mutationId.toString());
  }

  boolean hasPending(String collection, String id) {
    return Sql.one(
        conn,
        "SELECT 1 FROM pending_mutations WHERE collection = ? AND record_id = ?",
        rs -> true,
        false,
        collection,
        id);
  }

  /** The record's queued mutations, oldest first. */
  List<Mutation> pendingFor(String collection, String id) {
    return Sql.list(
        conn,
        "SELECT mutation FROM pending_mutations WHERE collection = ? AND record_id = ?"
            + " ORDER BY seq",
        rs -> mutation(rs.getString(1)),
        collection,
        id);
  }

  boolean isEmpty() {
    return !Sql.one(conn, "SELECT 1 FROM pending_mutations LIMIT 1", rs -> true, false);
  }
}
