package io.syncforge.syncapi.pull;

import io.syncforge.changelog.store.CursorWindow;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.changelog.store.LogReader.Entry;
import io.syncforge.changelog.store.LogReader.Horizon;
import io.syncforge.changelog.store.LogReader.LogEpoch;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.ResetReason;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.protocol.cursor.CursorException;
import io.syncforge.service.ProblemException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /**
   * A pull's answer, or the problem that refused it (its cursor), when pulls are read together.
   *
   * @param result the answer, null if refused
   * @param problem the refusal, null if answered
   */
  public record Answer(Result result, RuntimeException problem) {

    /** The result, or throws the problem. */
    public Result get() {
      if (problem != null) {
        throw problem;
      }
      return result;
    }
  }

  /** Opens the changes of one partition range for a page (see {@link LogReader#changes}). */
  @FunctionalInterface
  private interface ChangeSource {
    LogReader.Rows<Entry> open(int p, long from, long upto, int limit) throws SQLException;
  }

  /** Pulls with the same tenant, filter and cursor positions: they read the same change ranges. */
  private record Shape(String tenant, List<String> collections, List<Long> from) {}

  /** A request whose cursor was accepted. */
  private record Start(Request request, Cursor cursor) {}

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
    return readAll(c, codec, defaultPartitions, List.of(request), budget).get(0).get();
  }

  /**
   * Reads one page for each of {@code requests} in the connection's one snapshot, each exactly the
   * page {@link #read} would return for it alone in that snapshot. What they have in common is read
   * once: the log state (one statement), the answer of equal requests, which partition ranges hold
   * anything (one statement per shape), and the change rows of requests with the same tenant,
   * filter and cursor positions. Receipts are always read per client id. A refused cursor refuses
   * only its own request.
   *
   * @return one answer per request, in order
   */
  public static List<Answer> readAll(
      Connection c, CursorCodec codec, int defaultPartitions, List<Request> requests, Budget budget)
      throws SQLException {
    LogReader.LogState state = LogReader.state(c, defaultPartitions);
    Map<Request, Answer> answers = new HashMap<>();
    Map<Shape, List<Start>> shapes = new LinkedHashMap<>();
    for (Request request : requests) {
      if (answers.containsKey(request)) {
        continue; // equal requests, one answer
      }
      try {
        Cursor cursor = start(codec, request, state);
        Shape shape =
            new Shape(
                request.tenant(),
                request.collections(),
                Arrays.stream(cursor.positions()).boxed().toList());
        shapes.computeIfAbsent(shape, k -> new ArrayList<>()).add(new Start(request, cursor));
        answers.put(request, null);
      } catch (ProblemException e) {
        answers.put(request, new Answer(null, e));
      }
    }
    for (Map.Entry<Shape, List<Start>> e : shapes.entrySet()) {
      Shape shape = e.getKey();
      List<Start> starts = e.getValue();
      long[] from = starts.get(0).cursor().positions();
      Map<String, Set<Integer>> nonEmpty = probe(c, shape, starts, from, state.positions());
      ChangeSource db =
          (p, f, u, limit) ->
              LogReader.changes(c, shape.tenant(), p, f, u, shape.collections(), limit);
      ChangeSource changes = starts.size() > 1 ? new SharedChanges(db, budget) : db;
      for (Start s : starts) {
        Result result;
        try {
          result = page(c, codec, changes, s, state, nonEmpty, budget);
        } catch (SharedChanges.Incomplete incomplete) {
          result = page(c, codec, db, s, state, nonEmpty, budget);
        }
        answers.put(s.request(), new Answer(result, null));
      }
    }
    List<Answer> out = new ArrayList<>(requests.size());
    for (Request request : requests) {
      out.add(answers.get(request));
    }
    return out;
  }

  /** The request's cursor, refused (400/410) when it is invalid, of another scope or expired. */
  private static Cursor start(CursorCodec codec, Request request, LogReader.LogState state) {
    Horizon horizon = state.horizon();
    Cursor cursor = decode(codec, request, state.epoch());
    if (request.cursor() == null && horizon.compacted()) {
      throw ProblemException.reset(
          ErrorCode.CURSOR_EXPIRED,
          ResetReason.CURSOR_EXPIRED,
          "the log was compacted; start with a snapshot and pull from its cursor");
    }
    if (CursorWindow.belowHorizon(cursor.positions(), horizon.minOffsets()) >= 0) {
      throw ProblemException.reset(
          ErrorCode.CURSOR_EXPIRED,
          ResetReason.CURSOR_EXPIRED,
          "the cursor is older than the retention horizon "
              + horizon.horizonTime()
              + "; start with a snapshot");
    }
    return cursor;
  }

  /**
   * Which ranges of the shape hold changes (key null) or receipts (key: client id), or null when a
   * probe would cost more than it saves (one range, no client id: its query is the probe).
   */
  private static Map<String, Set<Integer>> probe(
      Connection c, Shape shape, List<Start> starts, long[] from, long[] upto) throws SQLException {
    Set<String> clients = new LinkedHashSet<>();
    for (Start s : starts) {
      if (s.request().clientId() != null) {
        clients.add(s.request().clientId());
      }
    }
    CursorWindow window = CursorWindow.between(from, upto);
    if (window.size() == 0 || (window.size() == 1 && clients.isEmpty())) {
      return null;
    }
    return LogReader.nonEmpty(
        c,
        shape.tenant(),
        shape.collections(),
        clients,
        window.partitions(),
        window.from(),
        window.upto());
  }

  /** One request's page, reading changes from {@code changes}. */
  private static Result page(
      Connection c,
      CursorCodec codec,
      ChangeSource changes,
      Start start,
      LogReader.LogState state,
      Map<String, Set<Integer>> nonEmpty,
      Budget budget)
      throws SQLException {
    Request request = start.request();
    Cursor cursor = start.cursor();
    long[] from = cursor.positions();
    long[] upto = state.positions();
    Page page = new Page(request.limit(), budget);
    for (int p = 0; p < from.length; p++) {
      if (from[p] >= upto[p]) {
        continue; // nothing committed beyond the cursor; never move it back
      }
      boolean withChanges = nonEmpty == null || nonEmpty.getOrDefault(null, Set.of()).contains(p);
      boolean withReceipts =
          request.clientId() != null
              && (nonEmpty == null
                  || nonEmpty.getOrDefault(request.clientId(), Set.of()).contains(p));
      if (withChanges || withReceipts) {
        page.read(c, withChanges ? changes : null, request, withReceipts, p, from[p], upto[p]);
      } else {
        page.moved.put(p, upto[p]); // what the queries would have found: nothing
      }
    }
    List<Change> changed = newestOnly(page.entries);
    long[] next = page.next(from);
    String token = codec.encode(new Cursor(cursor.epoch(), cursor.scopeHash(), next));
    PullResponse response =
        new PullResponse(
            changed,
            page.receipts,
            token,
            page.hasMore,
            Instant.now(),
            state.horizon().horizonTime());
    return new Result(response, changed.isEmpty() && page.receipts.isEmpty(), next);
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
      return CursorWindow.advance(from, moved);
    }

    /**
     * Takes partition {@code p}'s changes and receipts in {@code [from, upto)} offset by offset
     * while they fit. Once the page is full, only finds out whether the partition has anything for
     * this request: if not, it moves to {@code upto} all the same (a one-row probe each). Changes
     * come from {@code source} (null: the range has none); receipts are read only when {@code
     * withReceipts} (the range holds some of the caller's).
     */
    void read(
        Connection c,
        ChangeSource source,
        Request request,
        boolean withReceipts,
        int p,
        long from,
        long upto)
        throws SQLException {
      // One row more than a budget tells "cut short" from "all returned".
      int changeRows = full ? 1 : rowsLeft + 1;
      int receiptRows = full ? 1 : receiptsLeft + 1;
      try (LogReader.Rows<Entry> changes =
              source == null ? LogReader.Rows.none() : source.open(p, from, upto, changeRows);
          LogReader.Rows<LogReader.Receipt> outcomes =
              !withReceipts
                  ? LogReader.Rows.none()
                  : LogReader.receipts(
                      c, request.tenant(), request.clientId(), p, from, upto, receiptRows)) {
        while (true) {
          Entry change = changes.peek();
          LogReader.Receipt receipt = outcomes.peek();
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
            groupBytes += LogReader.jsonBytes(e.change());
          }
          while (outcomes.peek() != null && outcomes.peek().offset() == offset) {
            MutationOutcome o = outcomes.next().outcome();
            groupReceipts.add(o);
            groupBytes += LogReader.jsonBytes(o);
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

  /**
   * The change rows of one shape, each partition range read once for every page of a batch. A range
   * is read up to the query's limit and at most two rows past the page's byte budget (no page takes
   * more); a page that would read past what was kept gets {@link Incomplete} and is read again
   * straight from the database, so sharing never changes an answer. Past twice the byte budget in
   * all, further ranges are no longer kept.
   */
  private static final class SharedChanges implements ChangeSource {

    /** A page needed a row that was not kept. */
    static final class Incomplete extends RuntimeException {
      Incomplete() {
        super("shared change rows end here", null, false, false);
      }
    }

    private record Range(int p, long from, long upto) {}

    /**
     * Rows kept of a range: {@code all} when the query ran out below its limit (every row of the
     * range), {@code capped} when reading stopped at the byte budget.
     */
    private record Kept(List<Entry> rows, boolean all, boolean capped) {}

    private final ChangeSource db;
    private final Budget budget;
    private final Map<Range, Kept> kept = new HashMap<>();
    private long keptBytes;

    SharedChanges(ChangeSource db, Budget budget) {
      this.db = db;
      this.budget = budget;
    }

    @Override
    public LogReader.Rows<Entry> open(int p, long from, long upto, int limit) throws SQLException {
      Range range = new Range(p, from, upto);
      Kept k = kept.get(range);
      if (k == null || (!k.all() && !k.capped() && k.rows().size() < limit)) {
        if (keptBytes / 2 > budget.maxBytes()) { // (no overflow for an unbounded budget)
          return db.open(p, from, upto, limit);
        }
        k = keep(p, from, upto, limit);
        kept.put(range, k);
      }
      List<Entry> rows = k.rows();
      boolean ends = k.all() || limit <= rows.size();
      int n = Math.min(limit, rows.size());
      int[] i = {0};
      return LogReader.Rows.from(
          () -> {
            if (i[0] < n) {
              return rows.get(i[0]++);
            }
            if (ends) {
              return null;
            }
            throw new Incomplete();
          });
    }

    private Kept keep(int p, long from, long upto, int limit) throws SQLException {
      List<Entry> rows = new ArrayList<>();
      long bytes = 0;
      int extra = -1; // rows still to keep once the budget is crossed
      try (LogReader.Rows<Entry> r = db.open(p, from, upto, limit)) {
        while (r.peek() != null) {
          if (extra == 0) {
            keptBytes += bytes;
            return new Kept(rows, false, true);
          }
          Entry e = r.next();
          rows.add(e);
          bytes += LogReader.jsonBytes(e.change());
          if (extra > 0) {
            extra--;
          } else if (bytes > budget.maxBytes()) {
            extra = 2;
          }
        }
      }
      keptBytes += bytes;
      return new Kept(rows, rows.size() < limit, false);
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
