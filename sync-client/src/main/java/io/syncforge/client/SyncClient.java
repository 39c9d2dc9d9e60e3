package io.syncforge.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.client.internal.ApiClient;
import io.syncforge.client.internal.Backoff;
import io.syncforge.client.internal.Identity;
import io.syncforge.client.internal.Listeners;
import io.syncforge.client.internal.LiveLoop;
import io.syncforge.client.internal.LocalStore;
import io.syncforge.client.internal.MediaEngine;
import io.syncforge.client.internal.SyncEngine;
import io.syncforge.client.internal.TaskTimer;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The offline-first sync client an app embeds. Local reads and writes go to a SQLite database and
 * never wait for the network; {@link #sync()} uploads the pending queue, pulls server changes and
 * fetches media.
 *
 * <pre>{@code
 * SyncClient client = SyncClient.builder()
 *     .baseUrl("https://sync.example.com")
 *     .database(Path.of("app.db"))
 *     .token(jwt)
 *     .build();
 * client.collection("tasks").put("t-1", Map.of("title", "Buy milk"));
 * SyncResult result = client.sync();
 * }</pre>
 *
 * <p>Threading: every method is thread-safe. Sync runs on one internal thread ("syncforge-sync");
 * media downloads on a bounded pool; the scheduler's timer on one more thread. Listeners are called
 * on the {@link Builder#callbackExecutor(Executor) callback executor}. Close the client to release
 * the database and threads.
 */
public final class SyncClient implements AutoCloseable {

  /**
   * Changes the client asks for per pull page by default: 2000, where the protocol's default (when
   * {@code limit} is absent) is 500. The server still ends a page at its byte budget ({@code
   * sync.api.pull.max-page-bytes}) and at its receipt maximum, and a server whose maximum is lower
   * is adapted to (the limit is halved on {@code 400}); what the larger page buys is round trips:
   * the pull after a push of 1,000 edits is one page instead of two (measured in
   * docs/benchmarks.md, "Session 10").
   */
  public static final int DEFAULT_PULL_LIMIT = 2000;

  private final ObjectMapper mapper;
  private final LocalStore store;
  private final Listeners listeners;
  private final SyncEngine engine;
  private final MediaSync media;
  private final SyncScheduler scheduler;
  private final ExecutorService syncExecutor;
  private final ExecutorService mediaExecutor;
  private final ExecutorService prefetchExecutor;
  private final ScheduledExecutorService timerExecutor;
  private final ExecutorService ownedCallbackExecutor;
  private static final ThreadLocal<SyncClient> ON_SYNC_THREAD = new ThreadLocal<>();
  private final Map<String, Collection> collections = new ConcurrentHashMap<>();
  private volatile String token;
  private volatile boolean closed;
  private final LiveLoop live;
  private final Duration uploadDebounce;
  private java.util.concurrent.ScheduledFuture<?> pendingUpload; // guarded by this
  private final String baseUrl;
  private final String explicitTenant;
  private final String explicitUser;

  private SyncClient(Builder b) {
    this.mapper = Json.newMapper();
    this.token = b.token;
    Executor callbacks = b.callbackExecutor;
    if (callbacks == null) {
      ownedCallbackExecutor = Executors.newSingleThreadExecutor(daemon("syncforge-callbacks"));
      callbacks = ownedCallbackExecutor;
    } else {
      ownedCallbackExecutor = null;
    }
    this.listeners = new Listeners(callbacks);
    if (b.statusListener != null) {
      listeners.addStatus(b.statusListener);
    }
    if (b.conflictListener != null) {
      listeners.addConflict(b.conflictListener);
    }
    this.store = new LocalStore(b.database, mapper, b.clock);
    this.baseUrl = b.baseUrl;
    this.explicitTenant = b.tenant;
    this.explicitUser = b.user;
    try {
      bindIdentity(b.database, Identity.of(b.baseUrl, b.tenant, b.user, b.token, mapper));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    Path mediaDir =
        b.mediaDir != null
            ? b.mediaDir
            : b.database.toAbsolutePath().resolveSibling(b.database.getFileName() + ".media");
    try {
      Files.createDirectories(mediaDir);
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException("cannot create media directory " + mediaDir, e);
    }
    Transport transport =
        b.transport != null
            ? b.transport
            : Transport.jdk(Duration.ofSeconds(10), Duration.ofSeconds(60));
    ApiClient api =
        new ApiClient(
            transport, b.baseUrl, b.mediaUrl != null ? b.mediaUrl : b.baseUrl, () -> token, mapper);
    ThreadFactory syncThreads = daemon("syncforge-sync");
    this.syncExecutor =
        Executors.newSingleThreadExecutor(
            r ->
                syncThreads.newThread(
                    () -> {
                      ON_SYNC_THREAD.set(this);
                      r.run();
                    }));
    this.mediaExecutor =
        Executors.newFixedThreadPool(b.mediaConcurrency, daemon("syncforge-media"));
    this.timerExecutor = Executors.newSingleThreadScheduledExecutor(daemon("syncforge-timer"));
    // Snapshot prefetch (one page ahead) and the extra push batches in flight (SyncEngine).
    this.prefetchExecutor =
        Executors.newFixedThreadPool(SyncEngine.PUSH_PARALLELISM, daemon("syncforge-prefetch"));
    MediaEngine mediaEngine = new MediaEngine(store, api, mediaDir, mediaExecutor);
    mediaEngine.setProgressSink(listeners::media);
    List<String> scope = new ArrayList<>(b.collections);
    if (!scope.isEmpty() && !scope.contains(MediaCollection.NAME)) {
      scope.add(MediaCollection.NAME);
    }
    this.engine =
        new SyncEngine(
            store,
            api,
            mapper,
            scope,
            b.pullLimit,
            b.snapshotPageSize,
            listeners,
            b.mediaDuringSync ? mediaEngine : null,
            b.clock,
            syncExecutor,
            prefetchExecutor);
    engine.setMediaProgress(mediaEngine::progress);
    this.media = new MediaSync(this, mediaEngine);
    NetworkMonitor monitor = b.networkMonitor;
    this.scheduler =
        new SyncScheduler(
            engine::syncAsync,
            monitor,
            engine::setOnline,
            TaskTimer.of(timerExecutor),
            b.clock,
            new Backoff(b.backoffBase, b.backoffMax, b.random),
            b.syncInterval,
            b.foregroundThreshold);
    this.live =
        new LiveLoop(
            engine::syncAsync,
            engine,
            new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), b.random),
            b.liveWait);
    this.uploadDebounce = b.uploadDebounce;
    store.clientId();
  }

  /**
   * Live mode, for while the app is in the foreground: the client keeps a long-poll pull open (the
   * server holds it up to 30 s) and syncs as soon as anything changes on the server, and uploads
   * local writes after {@link Builder#uploadDebounce(Duration) a short debounce}. Errors back off
   * (500 ms doubling to 30 s, with jitter). The scheduler's triggers stay as they are. Idempotent;
   * {@link #stopLive()} or {@link #close()} ends it.
   */
  public void startLive() {
    checkOpen();
    live.start();
  }

  /** Ends live mode (the open long-poll is cancelled); waits at most {@link #CLOSE_TIMEOUT}. */
  public void stopLive() {
    live.stop(CLOSE_TIMEOUT);
    synchronized (this) {
      if (pendingUpload != null) {
        pendingUpload.cancel(false);
        pendingUpload = null;
      }
    }
  }

  /** True between {@link #startLive()} and {@link #stopLive()}. */
  public boolean isLive() {
    return live.isRunning();
  }

  /**
   * Binds the database to {@code id} on first use; refuses another tenant or user. Unknown parts
   * (an opaque token) match anything and are filled in once known. Another server URL for the same
   * account (a domain move, a dev stack on a new port) is not refused: the queue is the account's
   * own and stays; the server state is re-read from a snapshot, because cursors and versions of one
   * deployment mean nothing to another.
   */
  private void bindIdentity(Path database, Identity id) {
    synchronized (store) {
      Identity bound = store.meta(LocalStore.META_IDENTITY).map(Identity::decode).orElse(null);
      if (bound != null && !bound.sameAccount(id)) {
        throw new IdentityMismatchException(database, bound.encode(), id.encode());
      }
      Identity merged = bound == null ? id : bound.merge(id);
      if (bound != null && !bound.server().equals(id.server())) {
        store.setMeta(LocalStore.META_NEEDS_SNAPSHOT, "server_changed");
      }
      if (bound == null || !merged.equals(bound)) {
        store.setMeta(LocalStore.META_IDENTITY, merged.encode());
      }
    }
  }

  /**
   * Deletes a local database (and its WAL files and the default media directory {@code
   * <database>.media}) so it can be used by another identity. Every client of the file must be
   * closed first. Unsynced edits in it are lost.
   *
   * @return true if anything was deleted
   */
  public static boolean wipe(Path database) {
    if (database == null) {
      throw new NullPointerException("database == null");
    }
    boolean any = false;
    try {
      for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
        any |= Files.deleteIfExists(database.resolveSibling(database.getFileName() + suffix));
      }
      Path media = database.toAbsolutePath().resolveSibling(database.getFileName() + ".media");
      if (Files.isDirectory(media)) {
        try (var walk = Files.walk(media)) {
          for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
        any = true;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot wipe " + database, e);
    }
    return any;
  }

  private static void validCollection(String name) {
    try {
      Ids.validateCollection(name, "collection", true);
    } catch (ValidationException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The collection {@code name} ({@code [a-z][a-z0-9_]{0,62}}; {@code _media} can be read).
   *
   * @throws IllegalArgumentException for an invalid name
   */
  public Collection collection(String name) {
    if (name == null) {
      throw new NullPointerException("name == null");
    }
    validCollection(name);
    return collections.computeIfAbsent(name, n -> new Collection(this, n, store, mapper));
  }

  /**
   * Runs a sync and waits for it: push the queue, pull to the end, then media. A call while a sync
   * runs joins it. Never throws for network or server failures; they are the result.
   *
   * @throws IllegalStateException when called on the sync thread (from a listener run by a direct
   *     callback executor), where waiting would deadlock; use {@link #syncAsync()} there
   */
  public SyncResult sync() {
    if (ON_SYNC_THREAD.get() == this) {
      throw new IllegalStateException("sync() called on the sync thread; use syncAsync()");
    }
    try {
      return syncAsync().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new SyncResult.NetworkError("interrupted while waiting for sync");
    } catch (ExecutionException e) {
      return new SyncResult.ServerError(
          0, "local_error", String.valueOf(e.getCause()), ErrorClass.PERMANENT, null);
    }
  }

  /** Starts a sync (or joins the running one) without waiting. */
  public CompletableFuture<SyncResult> syncAsync() {
    checkOpen();
    return engine.syncAsync();
  }

  /** The current status. */
  public SyncStatus status() {
    return engine.status();
  }

  /** Media files: attach, look up, sync. */
  public MediaSync media() {
    return media;
  }

  /** The scheduler; call {@link SyncScheduler#start()} to begin automatic syncing. */
  public SyncScheduler scheduler() {
    return scheduler;
  }

  /**
   * The collection {@code name} with records as {@code type}, converted by Jackson: {@code
   * client.collection("notes", Note.class)}.
   */
  public <T> TypedCollection<T> collection(String name, Class<T> type) {
    if (type == null) {
      throw new NullPointerException("type == null");
    }
    return new TypedCollection<>(collection(name), type, mapper);
  }

  /** This installation's client id (generated once, stored in the database). */
  public String clientId() {
    return store.clientId();
  }

  /** The upload queue, oldest first: what this device has not had settled by the server yet. */
  public List<PendingMutation> pendingMutations() {
    checkOpen();
    return store.queueDetails().stream()
        .map(
            q ->
                new PendingMutation(
                    q.mutation(), q.createdAt(), q.attempts(), q.state(), q.lastError()))
        .toList();
  }

  /**
   * Drops the queued mutation {@code mutationId} (e.g. one the app cannot fix) and shows the record
   * without it; change listeners are told. A mutation that was already uploaded may still be
   * applied by the server, and then arrives with a later pull like anyone else's change.
   *
   * @return false if no such mutation is queued (already settled or discarded)
   */
  public boolean discard(java.util.UUID mutationId) {
    if (mutationId == null) {
      throw new NullPointerException("mutationId == null");
    }
    checkOpen();
    LocalStore.Effects fx = store.discard(mutationId);
    if (fx == null) {
      return false;
    }
    listeners.effects(fx);
    engine.publish();
    return true;
  }

  /** Replaces the bearer token (e.g. after a refresh) and resumes syncing after an auth error. */
  public void setToken(String token) {
    if (token == null) {
      throw new NullPointerException("token == null");
    }
    checkOpen();
    // A refreshed token of the same account is fine; another account's token is refused (its
    // owner would otherwise push this account's queue).
    bindIdentity(
        Path.of("(open database)"),
        Identity.of(baseUrl, explicitTenant, explicitUser, token, mapper));
    this.token = token;
    scheduler.onTokenUpdated();
  }

  /** Registers a status listener; called on the callback executor. */
  public void addStatusListener(SyncStatusListener listener) {
    if (listener == null) {
      throw new NullPointerException("listener == null");
    }
    listeners.addStatus(listener);
  }

  /** Unregisters a status listener. */
  public void removeStatusListener(SyncStatusListener listener) {
    listeners.removeStatus(listener);
  }

  /** Registers a conflict listener; called on the callback executor. */
  public void addConflictListener(ConflictListener listener) {
    if (listener == null) {
      throw new NullPointerException("listener == null");
    }
    listeners.addConflict(listener);
  }

  /** Unregisters a conflict listener. */
  public void removeConflictListener(ConflictListener listener) {
    listeners.removeConflict(listener);
  }

  /** Registers a listener for changes of every collection; called on the callback executor. */
  public void addChangeListener(ChangeListener listener) {
    if (listener == null) {
      throw new NullPointerException("listener == null");
    }
    listeners.addChange(null, listener);
  }

  /** Unregisters a change listener. */
  public void removeChangeListener(ChangeListener listener) {
    listeners.removeChange(listener);
  }

  /** For tests in this package. */
  LocalStore store() {
    return store;
  }

  Listeners listeners() {
    return listeners;
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
  }

  void localWrite(String collection, String id) {
    Set<String> ids = new LinkedHashSet<>();
    ids.add(id);
    listeners.changed(Map.of(collection, ids));
    engine.publish();
    if (live.isRunning()) {
      scheduleUpload();
    }
  }

  /** Live mode: an upload after the debounce; writes within it extend it (one upload for all). */
  private synchronized void scheduleUpload() {
    if (closed) {
      return;
    }
    if (pendingUpload != null) {
      pendingUpload.cancel(false);
    }
    try {
      pendingUpload =
          timerExecutor.schedule(
              () -> {
                if (!closed) {
                  engine.syncAsync();
                }
              },
              uploadDebounce.toMillis(),
              TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /**
   * How long {@link #close()} waits for the sync worker after cancelling it. A cancelled run stops
   * at its next network call or between two local transactions, so this is rarely reached.
   */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Stops syncing and releases the database and every thread. It stops the scheduler, cancels the
   * sync in progress (its HTTP request is interrupted and no further request starts), waits for the
   * sync worker for at most {@link #CLOSE_TIMEOUT} (plus the local transaction it may be in, which
   * it finishes first), then closes the database. A {@link #sync()} waiting on the cancelled run
   * returns a {@code ServerError} with code {@code closed}; no listener is called after close()
   * returns (one already running on an app-supplied executor finishes). Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    scheduler.close();
    timerExecutor.shutdownNow();
    engine.close();
    live.stop(Duration.ZERO); // interrupted now, awaited with the sync worker below
    syncExecutor.shutdownNow(); // interrupts the running sync (and its HTTP call)
    prefetchExecutor.shutdownNow();
    mediaExecutor.shutdownNow();
    long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
    boolean interrupted = false;
    try {
      syncExecutor.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      prefetchExecutor.awaitTermination(
          Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      live.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      interrupted = true;
    }
    engine.abandonRun(); // nobody waits for a run that did not stop in time
    listeners.close();
    if (ownedCallbackExecutor != null) {
      ownedCallbackExecutor.shutdownNow();
      try {
        ownedCallbackExecutor.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      store.close();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Configures a {@link SyncClient}. Required: {@link #baseUrl(String)} and {@link
   * #database(Path)}.
   */
  public static final class Builder {
    private String baseUrl;
    private String mediaUrl;
    private Path database;
    private Path mediaDir;
    private String token;
    private String tenant;
    private String user;
    private Transport transport;
    private Executor callbackExecutor;
    private Clock clock = Clock.systemUTC();
    private Random random = new Random();
    private List<String> collections = List.of();
    private int pullLimit = DEFAULT_PULL_LIMIT;
    private int snapshotPageSize = Limits.MAX_PULL_LIMIT;
    private int mediaConcurrency = 4;
    private boolean mediaDuringSync = true;
    private ConflictListener conflictListener;
    private SyncStatusListener statusListener;
    private NetworkMonitor networkMonitor = NetworkMonitor.ALWAYS_ONLINE;
    private Duration syncInterval = Duration.ofMinutes(15);
    private Duration foregroundThreshold = Duration.ofMinutes(5);
    private Duration backoffBase = Duration.ofSeconds(2);
    private Duration backoffMax = Duration.ofMinutes(10);
    private Duration liveWait = Duration.ofSeconds(Limits.MAX_WAIT_SECONDS);
    private Duration uploadDebounce = Duration.ofMillis(300);

    private Builder() {}

    /** The sync-api base URL, e.g. {@code https://sync.example.com}. Required. */
    public Builder baseUrl(String baseUrl) {
      if (baseUrl == null) {
        throw new NullPointerException("baseUrl == null");
      }
      this.baseUrl = baseUrl;
      return this;
    }

    /** The media-service base URL; defaults to {@link #baseUrl(String)}. */
    public Builder mediaUrl(String mediaUrl) {
      if (mediaUrl == null) {
        throw new NullPointerException("mediaUrl == null");
      }
      this.mediaUrl = mediaUrl;
      return this;
    }

    /** The SQLite database file (created if missing). Required. */
    public Builder database(Path database) {
      if (database == null) {
        throw new NullPointerException("database == null");
      }
      this.database = database;
      return this;
    }

    /** Where media files live; defaults to {@code <database>.media} beside the database. */
    public Builder mediaDir(Path mediaDir) {
      if (mediaDir == null) {
        throw new NullPointerException("mediaDir == null");
      }
      this.mediaDir = mediaDir;
      return this;
    }

    /**
     * The account this client syncs for, when the token does not say (an opaque token) or to be
     * explicit. Default: the token's {@code tenant} and {@code sub} claims. The database is bound
     * to (server, tenant, user) on first use; another identity gets {@link
     * IdentityMismatchException}.
     */
    public Builder identity(String tenant, String user) {
      if (tenant == null) {
        throw new NullPointerException("tenant == null");
      }
      if (user == null) {
        throw new NullPointerException("user == null");
      }
      this.tenant = tenant;
      this.user = user;
      return this;
    }

    /** The bearer token (JWT); replace it later with {@link SyncClient#setToken(String)}. */
    public Builder token(String token) {
      if (token == null) {
        throw new NullPointerException("token == null");
      }
      this.token = token;
      return this;
    }

    /** The HTTP transport; defaults to {@link Transport#jdk(Duration, Duration)} (10 s, 60 s). */
    public Builder transport(Transport transport) {
      if (transport == null) {
        throw new NullPointerException("transport == null");
      }
      this.transport = transport;
      return this;
    }

    /**
     * Where listeners are called; defaults to one background thread owned by the client. An Android
     * app passes its main-thread executor.
     */
    public Builder callbackExecutor(Executor executor) {
      if (executor == null) {
        throw new NullPointerException("executor == null");
      }
      this.callbackExecutor = executor;
      return this;
    }

    /** The clock for local timestamps (queue age, {@code clientTime}); defaults to UTC system. */
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new NullPointerException("clock == null");
      }
      this.clock = clock;
      return this;
    }

    /** The random source of backoff jitter. */
    public Builder random(Random random) {
      if (random == null) {
        throw new NullPointerException("random == null");
      }
      this.random = random;
      return this;
    }

    /**
     * Sync only these collections (the pull {@code collections} filter); default all. {@code
     * _media} is added automatically. Changing the set later triggers a snapshot reset.
     */
    public Builder collections(List<String> collections) {
      if (collections == null) {
        throw new NullPointerException("collections == null");
      }
      for (String c : collections) {
        validCollection(c);
      }
      this.collections = List.copyOf(collections);
      return this;
    }

    /** Changes per pull page, 1..5000 (default {@value SyncClient#DEFAULT_PULL_LIMIT}). */
    public Builder pullLimit(int pullLimit) {
      if (pullLimit < 1 || pullLimit > Limits.MAX_PULL_LIMIT) {
        throw new IllegalArgumentException("pullLimit must be 1.." + Limits.MAX_PULL_LIMIT);
      }
      this.pullLimit = pullLimit;
      return this;
    }

    /**
     * Records per snapshot page, 1..5000 (default 5000, the most the server allows): a first sync
     * is bulk work, and each page costs one round trip and one local transaction.
     */
    public Builder snapshotPageSize(int snapshotPageSize) {
      if (snapshotPageSize < 1 || snapshotPageSize > Limits.MAX_PULL_LIMIT) {
        throw new IllegalArgumentException("snapshotPageSize must be 1.." + Limits.MAX_PULL_LIMIT);
      }
      this.snapshotPageSize = snapshotPageSize;
      return this;
    }

    /** Parallel media downloads (default 4). */
    public Builder mediaConcurrency(int mediaConcurrency) {
      if (mediaConcurrency < 1) {
        throw new IllegalArgumentException("mediaConcurrency < 1");
      }
      this.mediaConcurrency = mediaConcurrency;
      return this;
    }

    /** Whether {@link SyncClient#sync()} also transfers media (default true). */
    public Builder mediaDuringSync(boolean mediaDuringSync) {
      this.mediaDuringSync = mediaDuringSync;
      return this;
    }

    /** Told about merged and rejected mutations; default accepts the server's resolution. */
    public Builder conflictListener(ConflictListener listener) {
      if (listener == null) {
        throw new NullPointerException("listener == null");
      }
      this.conflictListener = listener;
      return this;
    }

    /** Told about every status change. */
    public Builder statusListener(SyncStatusListener listener) {
      if (listener == null) {
        throw new NullPointerException("listener == null");
      }
      this.statusListener = listener;
      return this;
    }

    /** The connectivity source of the scheduler; default always online. */
    public Builder networkMonitor(NetworkMonitor monitor) {
      if (monitor == null) {
        throw new NullPointerException("monitor == null");
      }
      this.networkMonitor = monitor;
      return this;
    }

    /** The periodic sync interval (default 15 minutes). */
    public Builder syncInterval(Duration interval) {
      if (interval == null) {
        throw new NullPointerException("interval == null");
      }
      this.syncInterval = interval;
      return this;
    }

    /** App-foreground syncs only if the last success is older than this (default 5 minutes). */
    public Builder foregroundThreshold(Duration threshold) {
      if (threshold == null) {
        throw new NullPointerException("threshold == null");
      }
      this.foregroundThreshold = threshold;
      return this;
    }

    /** Backoff after failures: first ceiling {@code base}, doubling up to {@code max}. */
    public Builder backoff(Duration base, Duration max) {
      if (base == null) {
        throw new NullPointerException("base == null");
      }
      if (max == null) {
        throw new NullPointerException("max == null");
      }
      this.backoffBase = base;
      this.backoffMax = max;
      return this;
    }

    /** Live mode's long-poll wait, 1..30 s (default 30 s, the server's maximum). */
    public Builder liveWait(Duration wait) {
      if (wait == null) {
        throw new NullPointerException("wait == null");
      }
      if (wait.toSeconds() < 1 || wait.toSeconds() > Limits.MAX_WAIT_SECONDS) {
        throw new IllegalArgumentException("liveWait must be 1.." + Limits.MAX_WAIT_SECONDS + " s");
      }
      this.liveWait = wait;
      return this;
    }

    /** In live mode, how long after a local write the upload starts (default 300 ms). */
    public Builder uploadDebounce(Duration debounce) {
      if (debounce == null) {
        throw new NullPointerException("debounce == null");
      }
      if (debounce.isNegative()) {
        throw new IllegalArgumentException("debounce < 0");
      }
      this.uploadDebounce = debounce;
      return this;
    }

    /** Opens the database (running its migrations) and builds the client. */
    public SyncClient build() {
      if (baseUrl == null) {
        throw new IllegalStateException("baseUrl == null");
      }
      if (database == null) {
        throw new IllegalStateException("database == null");
      }
      return new SyncClient(this);
    }
  }
}
