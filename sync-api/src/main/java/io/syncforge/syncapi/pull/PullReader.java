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
 *       next_offset}; a partition cut short by the page's budget moves to the first offset it did
 *       not return, and one not reached at all stays where it was, so nothing committed late is
 *       skipped;
 *   <li>receipts are the caller's outcomes in exactly the ranges the cursor moved over: changes and
 *       receipts of a partition are read together in offset order and the page ends between two
 *       offsets, never inside one, so no receipt is lost or repeated;
 *   <li>a page ends when the next offset would exceed one of its budgets: {@code limit} changes,
 *       {@link Budget#maxReceipts()} receipts, {@link Budget#maxBytes()} serialized bytes. The
 *       first offset of a page always goes, whatever its size, so a page with {@code hasMore} is
 *       never empty and the cursor always moves.
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

  /**
   * What one page may hold besides {@code limit} changes.
   *
   * @param maxBytes the sum of the serialized sizes of its changes and receipts
   * @param maxReceipts receipts
   */
  public record Budget(long maxBytes, int maxReceipts) {

    /** The defaults of {@code sync.api.pull.*}: 4 MiB, 1000 receipts. */
    public static final Budget DEFAULT = new Budget(4L << 20, 1000);

    public Budget {
      if (maxBytes < 1 || maxReceipts < 1) {
        throw new IllegalArgumentException("page budget must be positive");
      }
    }
  }

  private PullReader() {}

  /** Reads one page with the default {@link Budget}. */
  public static Result read(Connection c, CursorCodec codec, int defaultPartitions, Request request)
      throws SQLException {
    return read(c, codec, defaultPartitions, request, Budget.DEFAULT);
  }

  /** Reads one page. Throws {@link ProblemException} for cursor errors (400/410). */
  public static Result read(
      Connection c, CursorCodec codec, int defaultPartitions, Request request, Budget budget)
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
    Page page = new Page(request.limit(), budget);
    for (int p = 0; p < partitions; p++) {
      if (from[p] < upto[p]) { // else nothing committed beyond the cursor; never move it back
        page.read(c, request, p, from[p], upto[p]);
      }
    }
    List<Change> changes = newestOnly(page.entries);
    String token = codec.encode(new Cursor(cursor.epoch(), cursor.scopeHash(), page.next(from)));
    PullResponse response =
        new PullResponse(
            changes, page.receipts, token, page.hasMore, Instant.now(), horizon.horizonTime());
    return new Result(response, changes.isEmpty() && page.receipts.isEmpty(), page.next(from));
  }

  /** The page being filled, partition after partition. */
  private static final class Page {
    final List<Entry> entries = new ArrayList<>();
    final List<MutationOutcome> receipts = new ArrayList<>();
    final Map<Integer, Long> moved = new HashMap<>();
    final Budget budget;
    int rowsLeft;
    int receiptsLeft;
    long bytes;
    boolean full;
    boolean hasMore;

    Page(int limit, Budget budget) {
      this.rowsLeft = limit;
      this.receiptsLeft = budget.maxReceipts();
      this.budget = budget;
    }

    boolean isEmpty() {
      return entries.isEmpty() && receipts.isEmpty();
    }

    long[] next(long[] from) {
      long[] next = from.clone();
      moved.forEach((p, position) -> next[p] = position);
      return next;
    }

    /**
     * Takes partition {@code p}'s changes and receipts in {@code [from, upto)} offset by offset
     * while they fit. Once the page is full, only finds out whether the partition has anything for
     * this request: if not, it moves to {@code upto} all the same (a one-row probe each).
     */
    void read(Connection c, Request request, int p, long from, long upto) throws SQLException {
      // One row more than a budget tells "cut short" from "all returned".
      int changeRows = full ? 1 : rowsLeft + 1;
      int receiptRows = full ? 1 : receiptsLeft + 1;
      try (LogQueries.Rows<Entry> changes =
              LogQueries.changes(
                  c, request.tenant(), p, from, upto, request.collections(), changeRows);
          LogQueries.Rows<LogQueries.Receipt> outcomes =
              request.clientId() == null
                  ? LogQueries.Rows.none()
                  : LogQueries.receipts(
                      c, request.tenant(), request.clientId(), p, from, upto, receiptRows)) {
        while (true) {
          Entry change = changes.peek();
          LogQueries.Receipt receipt = outcomes.peek();
          if (change == null && receipt == null) {
            moved.put(p, upto);
            return;
          }
          long offset =
              change == null
                  ? receipt.offset()
                  : receipt == null ? change.offset() : Math.min(change.offset(), receipt.offset());
          // Everything at this offset goes together or not at all (one mutation per offset).
          List<Entry> groupChanges = new ArrayList<>(1);
          List<MutationOutcome> groupReceipts = new ArrayList<>(1);
          long groupBytes = 0;
          while (changes.peek() != null && changes.peek().offset() == offset) {
            Entry e = changes.next();
            groupChanges.add(e);
            groupBytes += LogQueries.jsonBytes(e.change());
          }
          while (outcomes.peek() != null && outcomes.peek().offset() == offset) {
            MutationOutcome o = outcomes.next().outcome();
            groupReceipts.add(o);
            groupBytes += LogQueries.jsonBytes(o);
          }
          boolean fits =
              !full
                  && groupChanges.size() <= rowsLeft
                  && groupReceipts.size() <= receiptsLeft
                  && bytes + groupBytes <= budget.maxBytes();
          if (!fits && !isEmpty()) {
            // Cut before this offset: the partition resumes here on the next page.
            moved.put(p, offset);
            full = true;
            hasMore = true;
            return;
          }
          entries.addAll(groupChanges);
          receipts.addAll(groupReceipts);
          rowsLeft -= groupChanges.size();
          receiptsLeft -= groupReceipts.size();
          bytes += groupBytes;
          if (rowsLeft <= 0 || receiptsLeft <= 0 || bytes >= budget.maxBytes()) {
            full = true; // later offsets only probe (and a row past the LIMIT is never taken)
          }
        }
      }
    }
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
