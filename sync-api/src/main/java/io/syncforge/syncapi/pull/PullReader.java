package io.syncforge.syncapi.pull;

import io.syncforge.protocol.Change;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.ResetReason;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.protocol.cursor.CursorException;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.log.LogQueries;
import io.syncforge.syncapi.log.LogQueries.Entry;
import io.syncforge.syncapi.log.LogQueries.Horizon;
import io.syncforge.syncapi.log.LogQueries.LogEpoch;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One pull, on a connection already inside a repeatable-read transaction (see {@code
 * ReadTransactions}). The cursor math lives here:
 *
 * <ul>
 *   <li>entries of partition p are read from {@code cursor[p]} up to (excluding) the partition's
 *       {@code next_offset} seen in the same snapshot;
 *   <li>a partition whose entries were all returned (or had none) moves to that {@code
 *       next_offset}; a partition cut short by {@code limit} moves to its last returned offset + 1,
 *       and one not reached at all stays where it was, so nothing committed late is skipped;
 *   <li>receipts are the caller's outcomes in exactly the ranges the cursor moved over.
 * </ul>
 */
public final class PullReader {

  /**
   * What to read.
   *
   * @param tenant from the token
   * @param cursor the opaque cursor, or null for the start of the retained log
   * @param collections sorted, distinct names to read, or null for all
   * @param limit most changes to return
   * @param clientId whose receipts to include, or null for none
   */
  public record Request(
      String tenant, String cursor, List<String> collections, int limit, String clientId) {}

  /**
   * A pull's answer.
   *
   * @param response the body
   * @param empty true when there were neither changes nor receipts (a live wait may park)
   * @param next the answered cursor's position per partition (where the next read starts)
   */
  public record Result(PullResponse response, boolean empty, long[] next) {}

  private PullReader() {}

  /** Reads one page. Throws {@link ProblemException} for cursor errors (400/410). */
  public static Result read(Connection c, CursorCodec codec, int defaultPartitions, Request request)
      throws SQLException {
    LogEpoch epoch = LogQueries.epoch(c, defaultPartitions);
    int partitions = epoch.partitions();
    Cursor cursor = decode(codec, request, epoch);
    Horizon horizon = LogQueries.horizon(c, partitions);
    if (request.cursor() == null && horizon.compacted()) {
      throw ProblemException.reset(
          ErrorCode.CURSOR_EXPIRED,
          ResetReason.CURSOR_EXPIRED,
          "the log was compacted; start with a snapshot and pull from its cursor");
    }
    for (int p = 0; p < partitions; p++) {
      if (cursor.position(p) < horizon.minOffsets()[p]) {
        throw ProblemException.reset(
            ErrorCode.CURSOR_EXPIRED,
            ResetReason.CURSOR_EXPIRED,
            "the cursor is older than the retention horizon "
                + horizon.horizonTime()
                + "; start with a snapshot");
      }
    }
    long[] upto = LogQueries.positions(c, partitions);
    long[] from = cursor.positions();
    long[] next = from.clone();
    List<Entry> entries = new ArrayList<>();
    boolean hasMore = false;
    int budget = request.limit();
    for (int p = 0; p < partitions; p++) {
      if (from[p] >= upto[p]) {
        continue; // nothing committed beyond the cursor; never move a cursor backwards
      }
      // One row more than the budget tells "cut short" from "all returned". With the budget
      // spent, a one-row probe still moves empty partitions forward.
      List<Entry> rows =
          LogQueries.changes(
              c, request.tenant(), p, from[p], upto[p], request.collections(), budget + 1);
      if (rows.size() > budget) {
        List<Entry> page = rows.subList(0, budget);
        entries.addAll(page);
        if (!page.isEmpty()) {
          next[p] = page.get(page.size() - 1).offset() + 1;
        }
        budget = 0;
        hasMore = true;
      } else {
        entries.addAll(rows);
        budget -= rows.size();
        next[p] = upto[p];
      }
    }
    List<MutationOutcome> receipts =
        request.clientId() == null
            ? List.of()
            : LogQueries.receipts(c, request.tenant(), request.clientId(), from, next);
    List<Change> changes = newestOnly(entries);
    String token = codec.encode(new Cursor(cursor.epoch(), cursor.scopeHash(), next));
    PullResponse response =
        new PullResponse(changes, receipts, token, hasMore, Instant.now(), horizon.horizonTime());
    return new Result(response, changes.isEmpty() && receipts.isEmpty(), next);
  }

  private static Cursor decode(CursorCodec codec, Request request, LogEpoch epoch) {
    int scope = Cursor.scopeHash(request.collections());
    if (request.cursor() == null) {
      return Cursor.start(epoch.epoch(), scope, epoch.partitions());
    }
    Cursor cursor;
    try {
      cursor = codec.decode(request.cursor(), epoch.partitions(), epoch.epoch());
    } catch (CursorException e) {
      throw problem(e);
    }
    if (cursor.scopeHash() != scope) {
      throw ProblemException.reset(
          ErrorCode.SCOPE_CHANGED,
          ResetReason.SCOPE_CHANGED,
          "the cursor was issued for another collections filter; start with a snapshot");
    }
    return cursor;
  }

  /** The answer to a refused cursor or page token: 410 for another epoch, else 400. */
  public static ProblemException problem(CursorException e) {
    if (e.kind() == CursorException.Kind.WRONG_EPOCH) {
      return ProblemException.reset(
          ErrorCode.LOG_EPOCH_CHANGED, ResetReason.LOG_EPOCH_CHANGED, e.getMessage());
    }
    return new ProblemException(e.errorCode(), e.getMessage());
  }

  /** Keeps, per record, only the entry with the highest version, in log order. */
  static List<Change> newestOnly(List<Entry> entries) {
    Map<String, Long> newest = new HashMap<>();
    for (Entry e : entries) {
      newest.merge(key(e.change()), e.change().version(), Math::max);
    }
    List<Change> out = new ArrayList<>(newest.size());
    for (Entry e : entries) {
      Long v = newest.get(key(e.change()));
      if (v != null && v == e.change().version()) {
        out.add(e.change());
        newest.remove(key(e.change()));
      }
    }
    return out;
  }

  private static String key(Change c) {
    return c.collection() + '\0' + c.recordId();
  }
}
