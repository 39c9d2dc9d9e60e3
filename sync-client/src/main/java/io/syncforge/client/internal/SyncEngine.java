package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.client.ErrorClass;
import io.syncforge.client.SyncResult;
import io.syncforge.client.SyncStatus;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs sync: push the queue in batches, pull (snapshot first when there is no usable cursor), then
 * media. Single-flight: a call while a run is in progress joins that run.
 */
public final class SyncEngine {
  /** Push batches stay well under the server's 2 MiB body limit. */
  static final int MAX_BATCH_BYTES = 1536 * 1024;

  private static final int MAX_RESETS_PER_RUN = 2;

  private final LocalStore store;
  private final ApiClient api;
  private final ObjectMapper mapper;
  private final List<String> scope;
  // Page sizes, lowered (halved) when the server refuses them as out of its limits.
  private volatile int pullLimit;
  private volatile int snapshotPageSize;
  private final Listeners listeners;
  private final MediaEngine media;
  private final Clock clock;
  private final ExecutorService executor;
  private final ExecutorService prefetch;
  private final AtomicReference<CompletableFuture<SyncResult>> inFlight = new AtomicReference<>();
  private volatile boolean closing;
  private volatile java.util.concurrent.Future<?> currentPrefetch;
  private final Set<java.util.concurrent.Future<?>> inFlightPushes =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Push batches in flight at once (one on the sync thread, the rest on the prefetch pool). */
  public static final int PUSH_PARALLELISM = 3;

  // Status fields, guarded by this.
  private SyncStatus.State state = SyncStatus.State.IDLE;
  private String lastError;
  private ErrorClass lastErrorClass;
  private boolean firstSyncInProgress;
  private long firstSyncRecords;
  private Long firstSyncTotal;
  private volatile java.util.function.Supplier<io.syncforge.client.MediaProgress> mediaProgress =
      () -> io.syncforge.client.MediaProgress.NONE;
  private volatile boolean online = true;

  public SyncEngine(
      LocalStore store,
      ApiClient api,
      ObjectMapper mapper,
      List<String> scope,
      int pullLimit,
      int snapshotPageSize,
      Listeners listeners,
      MediaEngine media,
      Clock clock,
      ExecutorService executor,
      ExecutorService prefetch) {
    this.store = store;
    this.api = api;
    this.mapper = mapper;
    this.scope = List.copyOf(scope);
    this.pullLimit = pullLimit;
    this.snapshotPageSize = snapshotPageSize;
    this.listeners = listeners;
    this.media = media;
    this.clock = clock;
    this.executor = executor;
    this.prefetch = prefetch;
    // The last failure survives restarts, so a fresh process (e.g. the CLI) reports it honestly.
    this.lastError = store.meta(LocalStore.META_LAST_ERROR).orElse(null);
    this.lastErrorClass =
        store.meta(LocalStore.META_LAST_ERROR_CLASS).map(ErrorClass::valueOf).orElse(null);
    if (lastErrorClass != null) {
      state =
          lastErrorClass == ErrorClass.RETRYABLE
              ? SyncStatus.State.OFFLINE
              : SyncStatus.State.ERROR;
    }
  }

  private void persistError(String message, ErrorClass errorClass) {
    if (closing) {
      return; // "client is closing" is not a sync failure to report on the next start
    }
    try {
      store.setMeta(LocalStore.META_LAST_ERROR, message);
      store.setMeta(
          LocalStore.META_LAST_ERROR_CLASS, errorClass == null ? null : errorClass.name());
    } catch (RuntimeException ignored) {
      // Status is best effort; the in-memory status is still right.
    }
  }

  /** Where {@link #status()} reads media transfer progress from. */
  public void setMediaProgress(
      java.util.function.Supplier<io.syncforge.client.MediaProgress> source) {
    this.mediaProgress = source;
  }

  /** Starts a run, or joins the one in progress. */
  public CompletableFuture<SyncResult> syncAsync() {
    while (true) {
      CompletableFuture<SyncResult> current = inFlight.get();
      if (current != null) {
        return current.copy();
      }
      CompletableFuture<SyncResult> f = new CompletableFuture<>();
      if (inFlight.compareAndSet(null, f)) {
        try {
          executor.execute(
              () -> {
                SyncResult r = null;
                try {
                  r = closing ? closedResult() : runOnce();
                } catch (RuntimeException | Error e) {
                  r = closing ? closedResult() : localFailure(e);
                } finally {
                  // Whatever happened (even an Error, or a store closed under us), the run ends:
                  // cleared before completing, so a caller reacting to the result starts anew.
                  inFlight.compareAndSet(f, null);
                  f.complete(r != null ? r : closedResult());
                }
              });
        } catch (RejectedExecutionException e) {
          inFlight.compareAndSet(f, null);
          f.complete(closedResult());
        }
        return f.copy();
      }
    }
  }

  /** {@link Run#earlyPull} once the pull began: no early pull starts after it. */
  private static final Object PULL_TAKEN = new Object();

  private static SyncResult closedResult() {
    return new SyncResult.ServerError(0, "closed", "client is closed", ErrorClass.PERMANENT, null);
  }

  /**
   * Stops syncing for {@code close()}: no new network call starts, the snapshot prefetch is
   * cancelled, and a caller waiting on the run in progress gets a "closed" result at once (the
   * worker itself is interrupted and awaited by the client).
   */
  public void close() {
    closing = true;
    java.util.concurrent.Future<?> p = currentPrefetch;
    if (p != null) {
      p.cancel(true);
    }
    for (java.util.concurrent.Future<?> f : inFlightPushes) {
      f.cancel(true);
    }
  }

  /** Completes the run in progress (if any) with "closed": after close() nobody waits on it. */
  public void abandonRun() {
    CompletableFuture<SyncResult> f = inFlight.get();
    if (f != null) {
      f.complete(closedResult());
      inFlight.compareAndSet(f, null);
    }
  }

  private void checkOpen() throws ApiException {
    if (closing) {
      throw ApiException.network("client is closing", null);
    }
  }

  private SyncResult localFailure(Throwable e) {
    String msg = "local failure: " + e.getMessage();
    synchronized (this) {
      state = SyncStatus.State.ERROR;
      lastError = msg;
      lastErrorClass = ErrorClass.PERMANENT;
      firstSyncInProgress = false;
    }
    publish();
    return new SyncResult.ServerError(0, "local_error", msg, ErrorClass.PERMANENT, null);
  }

  /** Marks the network as down or up (from the network monitor); affects the reported state. */
  public void setOnline(boolean online) {
    this.online = online;
    synchronized (this) {
      if (!online && state != SyncStatus.State.SYNCING) {
        state = SyncStatus.State.OFFLINE;
      } else if (online && state == SyncStatus.State.OFFLINE) {
        state = SyncStatus.State.IDLE;
      }
    }
    publish();
  }

  /** The current status. */
  public SyncStatus status() {
    long pending = store.pendingCount();
    Duration age =
        store
            .oldestPending()
            .map(t -> Duration.between(t, clock.instant()))
            .map(d -> d.isNegative() ? Duration.ZERO : d)
            .orElse(Duration.ZERO);
    Instant lastSuccess = store.meta(LocalStore.META_LAST_SUCCESS).map(Instant::parse).orElse(null);
    synchronized (this) {
      return new SyncStatus(
          state,
          lastSuccess,
          pending,
          age,
          lastError,
          lastErrorClass,
          firstSyncInProgress,
          firstSyncRecords,
          firstSyncTotal,
          mediaProgress.get());
    }
  }

  /** Tells status listeners the current status (also after local writes change the queue). */
  public void publish() {
    try {
      listeners.status(status());
    } catch (RuntimeException e) {
      // Never throws: the status is best effort (e.g. the store is closing); the result is not.
    }
  }

  private final class Run {
    int pushed;
    int settled;
    int pulled;
    int conflicts;
    int rejected;
    boolean reset;
    Instant serverTime;

    /**
     * The first pull page, requested as soon as the run's last push was answered (while its
     * outcomes are still being stored): null until then, its future once started, {@link
     * #PULL_TAKEN} once the pull began without it (then none is started). Applied only after every
     * outcome is stored, and only for the cursor it was asked for ({@link #earlyPullCursor}).
     */
    final java.util.concurrent.atomic.AtomicReference<Object> earlyPull =
        new java.util.concurrent.atomic.AtomicReference<>();

    /** The stored cursor the early pull asks from (read on the sync thread); null: none. */
    volatile String earlyPullCursor;

    /** The early pull, or null; from now on none starts. */
    CompletableFuture<PullResponse> takeEarlyPull() {
      Object e = earlyPull.getAndSet(PULL_TAKEN);
      @SuppressWarnings("unchecked")
      CompletableFuture<PullResponse> f =
          e instanceof CompletableFuture<?> c ? (CompletableFuture<PullResponse>) c : null;
      return f;
    }

    void effects(LocalStore.Effects fx) {
      settled += fx.settled;
      conflicts += fx.merged.size();
      rejected += fx.rejected.size();
      listeners.effects(fx);
    }
  }

  private SyncResult runOnce() {
    synchronized (this) {
      state = SyncStatus.State.SYNCING;
    }
    publish();
    Run run = new Run();
    SyncResult result;
    try {
      ApiException pushFailure = null;
      try {
        push(run);
      } catch (ApiException e) {
        // A permanent refusal of the upload must not cut the device off from everybody else's
        // changes: the pull runs anyway and the run still reports the push's failure. Auth
        // failures, outages and rate limits stop the run (the pull would meet the same).
        if (closing
            || e.kind() != ApiException.Kind.HTTP
            || e.errorClass() != ErrorClass.PERMANENT) {
          throw e;
        }
        pushFailure = e;
      }
      pullAll(run);
      if (pushFailure != null) {
        throw pushFailure;
      }
      MediaEngine.Counts mc = media == null ? MediaEngine.Counts.NONE : media.runSafely();
      Instant serverTime = run.serverTime == null ? null : run.serverTime;
      if (serverTime != null) {
        store.setMeta(LocalStore.META_LAST_SUCCESS, serverTime.toString());
      }
      result =
          new SyncResult.Success(
              run.pushed,
              run.settled,
              run.pulled,
              run.conflicts,
              run.rejected,
              store.pendingCount(),
              mc.downloaded(),
              mc.uploaded(),
              mc.failed(),
              run.reset,
              serverTime);
      synchronized (this) {
        state = online ? SyncStatus.State.IDLE : SyncStatus.State.OFFLINE;
        lastError = null;
        lastErrorClass = null;
      }
      persistError(null, null);
    } catch (ApiException e) {
      result = e.toResult();
      synchronized (this) {
        state =
            e.kind() == ApiException.Kind.NETWORK
                ? SyncStatus.State.OFFLINE
                : SyncStatus.State.ERROR;
        lastError = e.getMessage();
        lastErrorClass = e.errorClass();
        firstSyncInProgress = false;
      }
      persistError(e.getMessage(), e.errorClass());
    } finally {
      CompletableFuture<PullResponse> unused = run.takeEarlyPull();
      if (unused != null) {
        unused.cancel(true); // the run failed before its pull: never applied
      }
    }
    publish();
    return result;
  }

  // ---------------------------------------------------------------- push

  /**
   * Uploads the queue in rounds. A round sends the oldest unsettled mutation of each record (in
   * batches of at most 500 mutations and ~1.5 MiB); a record's next mutation goes in a later round,
   * after the earlier one is settled and the next one rebased on its version. A record whose
   * mutation is still pending on the server waits for a later sync.
   */
  private void push(Run run) throws ApiException {
    String clientId = store.clientId();
    Set<String> held = new HashSet<>();
    while (true) {
      List<Mutation> sendable = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      List<LocalStore.Queued> queue = store.queue();
      int queuedCount = queue.size();
      for (LocalStore.Queued q : queue) {
        String key = key(q.mutation());
        if (seen.add(key) && !held.contains(key)) {
          sendable.add(q.mutation());
        }
      }
      if (sendable.isEmpty()) {
        return;
      }
      int settledBefore = run.settled;
      // Every queued mutation goes out in this round (one per record, none held): once its pushes
      // are answered nothing is left to send, so the pull can be requested while the outcomes are
      // being stored.
      boolean lastRound = sendable.size() == queuedCount;
      List<List<Mutation>> batches = new ArrayList<>();
      int i = 0;
      while (i < sendable.size()) {
        List<Mutation> batch = new ArrayList<>();
        long bytes = 64;
        while (i < sendable.size() && batch.size() < Limits.MAX_MUTATIONS_PER_PUSH) {
          Mutation m = sendable.get(i);
          long size = sizeOf(m) + 1;
          if (!batch.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
            break;
          }
          batch.add(m);
          bytes += size;
          i++;
        }
        batches.add(batch);
      }
      // Up to PUSH_PARALLELISM batches in flight at once: each push waits for the writer's
      // commit, so sequential batches add up their waits. They hold different records (one
      // mutation per record per round), so their order does not matter.
      for (int from = 0; from < batches.size(); from += PUSH_PARALLELISM) {
        List<List<Mutation>> wave =
            batches.subList(from, Math.min(batches.size(), from + PUSH_PARALLELISM));
        List<List<Mutation>> claimed = new ArrayList<>();
        for (List<Mutation> batch : wave) {
          List<UUID> ids = batch.stream().map(Mutation::mutationId).toList();
          List<Mutation> c = store.claimForSending(ids); // content fixed from now on
          if (!c.isEmpty()) {
            claimed.add(c);
          }
        }
        boolean lastWave = from + PUSH_PARALLELISM >= batches.size();
        if (lastRound && lastWave) {
          run.earlyPullCursor = ordinaryPullCursor(); // null: the pull starts with a snapshot
        }
        sendWave(run, clientId, claimed, held, lastRound && lastWave);
      }
      if (run.settled == settledBefore) {
        return; // nothing settled: another round would only resend pending mutations
      }
    }
  }

  /**
   * Sends the (claimed) batches of one wave concurrently: all but the first on the prefetch pool,
   * the first on the sync thread; then settles their answers in order on the sync thread. A failure
   * is handled as for one batch ({@link #sendIsolating}); the first non-poison failure is rethrown
   * after the wave's other answers are stored.
   */
  private void sendWave(
      Run run, String clientId, List<List<Mutation>> wave, Set<String> held, boolean pullAfter)
      throws ApiException {
    if (wave.isEmpty()) {
      return; // every batch of it was discarded before it was claimed
    }
    // Once every push of the wave is answered (before their outcomes are stored), the pull that
    // follows the last wave starts on the prefetch pool.
    java.util.concurrent.atomic.AtomicInteger unanswered =
        new java.util.concurrent.atomic.AtomicInteger(wave.size());
    Runnable answered =
        () -> {
          if (unanswered.decrementAndGet() == 0 && pullAfter) {
            startEarlyPull(run, clientId);
          }
        };
    if (wave.size() == 1) {
      sendIsolating(run, clientId, wave.get(0), held, answered);
      return;
    }
    List<CompletableFuture<PushResponse>> futures = new ArrayList<>();
    for (int k = 1; k < wave.size(); k++) {
      List<Mutation> batch = wave.get(k);
      CompletableFuture<PushResponse> f = onPool(() -> api.push(new PushRequest(clientId, batch)));
      f.whenComplete(
          (r, e) -> {
            if (e == null) {
              answered.run(); // a failed push fails the round: no early pull
            }
          });
      futures.add(f);
    }
    ApiException failure = null;
    try {
      sendIsolating(run, clientId, wave.get(0), held, answered);
    } catch (ApiException e) {
      failure = e;
    }
    for (int k = 1; k < wave.size(); k++) {
      List<Mutation> batch = wave.get(k);
      PushResponse response = null;
      ApiException error = null;
      try {
        response = awaitPush(futures.get(k - 1));
      } catch (ApiException e) {
        error = e;
      }
      try {
        if (error == null) {
          settleResponse(run, batch, response, held);
        } else if (!closing && isPoison(error)) {
          isolate(run, clientId, batch, held, error);
        } else {
          store.markFailed(batch.stream().map(Mutation::mutationId).toList(), error.getMessage());
          failure = failure == null ? error : failure;
        }
      } catch (ApiException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static PullResponse awaitPull(CompletableFuture<PullResponse> f) throws ApiException {
    return awaitTask(f, "pull");
  }

  private static PushResponse awaitPush(CompletableFuture<PushResponse> f) throws ApiException {
    return awaitTask(f, "push");
  }

  /** The answer of a request run on the prefetch pool ({@code what}: push or pull). */
  private static <T> T awaitTask(CompletableFuture<T> f, String what) throws ApiException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw ApiException.network("interrupted during a " + what, e);
    } catch (java.util.concurrent.CancellationException e) {
      throw ApiException.network(what + " cancelled", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw unwrap(e);
    }
  }

  /** The failure of a pool task: its ApiException, or rethrows what is not one. */
  private static ApiException unwrap(java.util.concurrent.ExecutionException e) {
    Throwable c = e.getCause();
    if (c instanceof ApiException a) {
      return a;
    }
    if (c instanceof RuntimeException r) {
      throw r;
    }
    if (c instanceof Error err) {
      throw err;
    }
    throw new IllegalStateException(c);
  }

  /**
   * Sends {@code batch}. A whole-request refusal that names no mutation (a 4xx other than
   * 401/403/429, e.g. 422 unknown_collection, 400 over a server limit, 413) is bisected: each half
   * is sent alone until the offending mutations stand alone, and each of those is rejected locally
   * with the server's error (queue entry gone, visible record recomputed, listener told). Every
   * other mutation goes through, so one poisoned edit never stops a device's queue.
   */
  private void sendIsolating(Run run, String clientId, List<Mutation> batch, Set<String> held)
      throws ApiException {
    sendIsolating(run, clientId, batch, held, null);
  }

  /** As above; {@code answered} (if not null) runs once the push is answered or failed. */
  private void sendIsolating(
      Run run, String clientId, List<Mutation> batch, Set<String> held, Runnable answered)
      throws ApiException {
    PushResponse response;
    try {
      checkOpen();
      response = api.push(new PushRequest(clientId, batch));
    } catch (ApiException e) {
      if (!closing && isPoison(e)) {
        isolate(run, clientId, batch, held, e); // its halves are sent before any pull
        if (answered != null) {
          answered.run();
        }
        return;
      }
      store.markFailed(batch.stream().map(Mutation::mutationId).toList(), e.getMessage());
      throw e;
    }
    if (answered != null) {
      answered.run();
    }
    settleResponse(run, batch, response, held);
  }

  /**
   * Requests the first pull page on the prefetch pool (from whichever thread saw the last push
   * answered; it touches no store), unless the pull has begun already. Its answer is what the
   * server had committed once the run's last push was answered: it holds those pushes' changes.
   */
  private void startEarlyPull(Run run, String clientId) {
    String cursor = run.earlyPullCursor;
    if (closing || cursor == null) {
      return;
    }
    CompletableFuture<PullResponse> claim = new CompletableFuture<>();
    if (!run.earlyPull.compareAndSet(null, claim)) {
      return; // the pull began (or one was started)
    }
    int limit = pullLimit;
    CompletableFuture<PullResponse> f = onPool(() -> api.pull(cursor, limit, scope, clientId));
    f.whenComplete(
        (r, e) -> {
          if (e != null) {
            claim.completeExceptionally(e);
          } else {
            claim.complete(r);
          }
        });
    claim.whenComplete(
        (r, e) -> {
          if (claim.isCancelled()) {
            f.cancel(true); // not applied: its request is interrupted
          }
        });
  }

  /** One API call on the prefetch pool, cancelled by close(); fails at once when closing. */
  private <T> CompletableFuture<T> onPool(ApiCall<T> call) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      java.util.concurrent.Future<?> task =
          prefetch.submit(
              () -> {
                try {
                  checkOpen();
                  f.complete(call.run());
                } catch (ApiException | RuntimeException | Error e) {
                  f.completeExceptionally(e);
                }
              });
      inFlightPushes.add(task);
      f.whenComplete(
          (r, e) -> {
            inFlightPushes.remove(task);
            if (f.isCancelled()) {
              task.cancel(true); // interrupts the request: an unused answer is not awaited
            }
          });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(ApiException.network("client is closing", e));
    }
    return f;
  }

  /** A request of the API client. */
  @FunctionalInterface
  private interface ApiCall<T> {
    T run() throws ApiException;
  }

  /** Stores a push's outcomes; records whose mutation is not final yet wait for its receipt. */
  private void settleResponse(
      Run run, List<Mutation> batch, PushResponse response, Set<String> held) {
    run.pushed += batch.size();
    run.serverTime = later(run.serverTime, response.serverTime());
    List<MutationOutcome> outcomes = response.outcomes() == null ? List.of() : response.outcomes();
    run.effects(store.applyOutcomes(outcomes));
    Set<UUID> settled = new HashSet<>();
    for (MutationOutcome o : outcomes) {
      if (o != null && o.status() != null && o.status().isFinal()) {
        settled.add(o.mutationId());
      }
    }
    for (Mutation m : batch) {
      if (!settled.contains(m.mutationId())) {
        held.add(key(m)); // pending (or unanswered): its record waits for the receipt
      }
    }
  }

  /** After a poison refusal {@code e} of {@code batch}: bisect, or reject the one mutation. */
  private void isolate(
      Run run, String clientId, List<Mutation> batch, Set<String> held, ApiException e)
      throws ApiException {
    if (batch.size() > 1) {
      int mid = batch.size() / 2;
      sendIsolating(run, clientId, List.copyOf(batch.subList(0, mid)), held);
      sendIsolating(run, clientId, List.copyOf(batch.subList(mid, batch.size())), held);
    } else {
      String code = e.code() != null ? e.code() : "http_" + e.status();
      run.effects(store.rejectLocally(batch.get(0), code, e.getMessage()));
    }
  }

  /** A refusal of the request's content (not of the caller, not a rate limit, not an outage). */
  static boolean isPoison(ApiException e) {
    if (e.kind() != ApiException.Kind.HTTP) {
      return false;
    }
    int s = e.status();
    return s >= 400
        && s < 500
        && s != 401
        && s != 403
        && s != 408
        && s != 429
        && !io.syncforge.protocol.ErrorCode.UNAVAILABLE.code().equals(e.code());
  }

  private static String key(Mutation m) {
    return m.collection() + "/" + m.recordId();
  }

  private long sizeOf(Mutation m) {
    try {
      return mapper.writeValueAsBytes(m).length;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.isAfter(b) ? a : b;
  }

  // ---------------------------------------------------------------- pull

  private String scopeKey() {
    return String.join(",", scope.stream().sorted().distinct().toList());
  }

  /**
   * The stored cursor when the next pull is an ordinary one; null when it must start with a
   * snapshot (no cursor, a reset pending, or another scope).
   */
  private String ordinaryPullCursor() {
    String scopeKey = scopeKey();
    String cursor = store.meta(LocalStore.META_CURSOR).orElse(null);
    boolean sameScope = store.meta(LocalStore.META_SCOPE).orElse(scopeKey).equals(scopeKey);
    return cursor != null && sameScope && store.meta(LocalStore.META_NEEDS_SNAPSHOT).isEmpty()
        ? cursor
        : null;
  }

  private void pullAll(Run run) throws ApiException {
    if (ordinaryPullCursor() == null) {
      snapshot(run);
    }
    int resets = 0;
    String clientId = store.clientId();
    while (true) {
      String cursor = store.meta(LocalStore.META_CURSOR).orElse(null);
      CompletableFuture<PullResponse> early = run.takeEarlyPull();
      if (early != null && !java.util.Objects.equals(cursor, run.earlyPullCursor)) {
        early.cancel(true); // asked for another cursor (a snapshot ran): never applied
        early = null;
      }
      PullResponse page;
      try {
        checkOpen();
        page = early != null ? awaitPull(early) : api.pull(cursor, pullLimit, scope, clientId);
      } catch (ApiException e) {
        if (isLimitRefused(e) && pullLimit > 1) {
          pullLimit = Math.max(1, pullLimit / 2); // the server's maximum is lower: adapt
          continue;
        }
        if (e.kind() == ApiException.Kind.RESET && resets < MAX_RESETS_PER_RUN) {
          resets++;
          // Persist the need first: an interrupted reset resumes as a reset, never as a pull.
          store.setMeta(LocalStore.META_NEEDS_SNAPSHOT, e.code() == null ? "reset" : e.code());
          snapshot(run);
          continue;
        }
        throw e;
      }
      if (page.cursor() == null) {
        throw ApiException.network("pull response without a cursor", null);
      }
      LocalStore.Effects fx = store.applyPullPage(page.changes(), page.receipts(), page.cursor());
      run.pulled += page.changes() == null ? 0 : page.changes().size();
      run.serverTime = later(run.serverTime, page.serverTime());
      run.effects(fx);
      if (!page.hasMore()) {
        return;
      }
    }
  }

  /**
   * Live mode's long-poll: one pull from the stored cursor that the server holds up to {@code
   * waitSeconds} while nothing is new. Applies nothing (a sync run does, single-flight with
   * everything else); returns true when there is something to fetch.
   *
   * @throws InterruptedException when the loop is stopped during the wait
   */
  public boolean waitForChanges(int waitSeconds) throws ApiException, InterruptedException {
    checkOpen();
    String cursor = store.meta(LocalStore.META_CURSOR).orElse(null);
    if (cursor == null) {
      return true; // no first sync yet: a run does it
    }
    PullResponse page = api.pull(cursor, 1, scope, store.clientId(), waitSeconds);
    if (Thread.interrupted()) {
      throw new InterruptedException("live mode stopped");
    }
    return page.hasMore()
        || (page.changes() != null && !page.changes().isEmpty())
        || (page.receipts() != null && !page.receipts().isEmpty());
  }

  /** A 400 invalid_request on a paged read: taken as "limit above this server's maximum". */
  private static boolean isLimitRefused(ApiException e) {
    return e.kind() == ApiException.Kind.HTTP
        && e.status() == 400
        && io.syncforge.protocol.ErrorCode.INVALID_REQUEST.code().equals(e.code());
  }

  private void snapshot(Run run) throws ApiException {
    run.reset = true;
    // A snapshot killed mid-way resumes from the page token stored with its last stored page (same
    // generation, so the pages already stored count as seen by it).
    String resume = store.snapshotResumeToken(scopeKey()).orElse(null);
    long gen = resume != null ? store.snapshotGen() : store.beginSnapshot();
    long already = resume != null ? store.countSnapGen(gen) : 0;
    synchronized (this) {
      firstSyncInProgress = true;
      firstSyncRecords = already;
      firstSyncTotal = null;
    }
    publish();
    boolean restarted = false;
    // The next page is fetched while this one is stored: the two take similar time.
    String requested = resume;
    java.util.concurrent.CompletableFuture<SnapshotPageReader.RawPage> next =
        fetchSnapshotPage(resume);
    while (true) {
      String token = requested;
      SnapshotPageReader.RawPage page;
      try {
        checkOpen();
        page = await(next);
      } catch (ApiException e) {
        if (isLimitRefused(e) && snapshotPageSize > 1) {
          snapshotPageSize = Math.max(1, snapshotPageSize / 2); // adapt to the server's maximum
          next = fetchSnapshotPage(token);
          continue;
        }
        if (e.kind() == ApiException.Kind.RESET && token != null && !restarted) {
          // The page token's epoch is gone (410 log_epoch_changed) or the key rotated (400
          // cursor_invalid): start the snapshot again, once per run.
          restarted = true;
          gen = store.beginSnapshot();
          synchronized (this) {
            firstSyncRecords = 0;
          }
          requested = null;
          next = fetchSnapshotPage(null);
          continue;
        }
        throw e;
      }
      if (page.cursor() == null) {
        throw ApiException.network("snapshot page without a cursor", null);
      }
      boolean last = page.nextPageToken() == null || page.nextPageToken().isEmpty();
      if (!last) {
        requested = page.nextPageToken();
        next = fetchSnapshotPage(requested);
      }
      LocalStore.Effects fx;
      try {
        fx = store.applySnapshotPage(page, gen, last, scope, scopeKey());
      } catch (RuntimeException e) {
        next.cancel(true);
        throw e;
      }
      if (last) {
        store.setMeta(LocalStore.META_SCOPE, scopeKey());
      }
      int n = page.records() == null ? 0 : page.records().size();
      run.pulled += n;
      run.effects(fx);
      synchronized (this) {
        firstSyncRecords += n;
        if (page.total() != null) {
          firstSyncTotal = page.total();
        }
        if (last) {
          firstSyncInProgress = false;
        }
      }
      publish();
      if (last) {
        return;
      }
    }
  }

  /**
   * Fetches a snapshot page on the client-owned prefetch thread (shut down by close()), so the next
   * page downloads while the sync thread stores this one.
   */
  private java.util.concurrent.CompletableFuture<SnapshotPageReader.RawPage> fetchSnapshotPage(
      String token) {
    java.util.concurrent.CompletableFuture<SnapshotPageReader.RawPage> f =
        new java.util.concurrent.CompletableFuture<>();
    try {
      currentPrefetch =
          prefetch.submit(
              () -> {
                try {
                  f.complete(api.snapshot(token, snapshotPageSize, scope));
                } catch (ApiException e) {
                  f.completeExceptionally(e);
                } catch (RuntimeException | Error e) {
                  f.completeExceptionally(e);
                }
              });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(ApiException.network("client is closing", e));
    }
    return f;
  }

  private static SnapshotPageReader.RawPage await(
      java.util.concurrent.CompletableFuture<SnapshotPageReader.RawPage> f) throws ApiException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiException.network("interrupted while reading the snapshot", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
        c = c.getCause();
      }
      if (c instanceof ApiException a) {
        throw a;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(c);
    }
  }
}
