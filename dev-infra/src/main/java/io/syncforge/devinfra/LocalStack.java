package io.syncforge.devinfra;

import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import io.syncforge.protocol.messaging.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole SyncForge platform on one machine, in one place: real PostgreSQL and Kafka (this
 * module's launchers), the topic layout of {@link Topics#layout}, the dev keys, the read-only
 * {@code sync_api} role, then change-log-service, sync-api and media-service as their packaged
 * Quarkus apps ({@code target/quarkus-app}), each awaited on readiness. Used by {@code
 * ./sync-stack}, the end-to-end tests and the load tests, so the three cannot drift apart.
 *
 * <pre>{@code
 * try (LocalStack stack = LocalStack.builder().home(Path.of("target/stack")).start()) {
 *   String token = stack.token("t1", "alice");
 *   // ... stack.apiUrl() ...
 *   stack.kill(LocalStack.Service.CHANGELOG); // SIGKILL, as a fault
 *   stack.start(LocalStack.Service.CHANGELOG);
 * }
 * }</pre>
 */
public final class LocalStack implements AutoCloseable {

  /** The three services, in start order. */
  public enum Service {
    CHANGELOG("change-log-service"),
    API("sync-api"),
    MEDIA("media-service");

    private final String module;

    Service(String module) {
      this.module = module;
    }

    /** The Maven module (and log file) name. */
    public String module() {
      return module;
    }

    /** The service for a module name ({@code sync-api}), or an exception naming the choices. */
    public static Service of(String module) {
      for (Service s : values()) {
        if (s.module.equals(module)) {
          return s;
        }
      }
      throw new IllegalArgumentException(
          "unknown service '" + module + "' (change-log-service, sync-api, media-service)");
    }
  }

  /** Builder; every setting has the default {@code ./sync-stack} uses, except ports (0 = free). */
  public static final class Builder {
    private Path root = Path.of(System.getProperty("syncforge.root", ".")).toAbsolutePath();
    private Path home = Path.of(".local");
    private boolean fresh;
    private int partitions = Topics.DEFAULT_PARTITIONS;
    private int pgPort;
    private int kafkaPort;
    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final Map<Service, Map<String, String>> config = new EnumMap<>(Service.class);

    private Builder() {
      for (Service s : Service.values()) {
        config.put(s, new HashMap<>());
      }
    }

    /** The repository root (where {@code <module>/target/quarkus-app} lives). */
    public Builder root(Path root) {
      this.root = root.toAbsolutePath().normalize();
      return this;
    }

    /** Where data, keys and logs live (kept across starts unless {@link #fresh}). */
    public Builder home(Path home) {
      this.home = home;
      return this;
    }

    /** Wipe PostgreSQL, Kafka and media data before starting (keys are kept). */
    public Builder fresh(boolean fresh) {
      this.fresh = fresh;
      return this;
    }

    /** Partitions of {@code sync.mutations}. */
    public Builder partitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    /** PostgreSQL's port (0 = a free one). */
    public Builder postgresPort(int port) {
      this.pgPort = port;
      return this;
    }

    /** Kafka's port (0 = a free one). */
    public Builder kafkaPort(int port) {
      this.kafkaPort = port;
      return this;
    }

    /** A service's HTTP port (0 = a free one, chosen once and kept across restarts). */
    public Builder port(Service service, int port) {
      ports.put(service, port);
      return this;
    }

    /** One more configuration property for a service (a {@code -D} system property). */
    public Builder config(Service service, String key, String value) {
      config.get(service).put(key, value);
      return this;
    }

    /** Starts everything and waits until every service is ready. */
    public LocalStack start() {
      LocalStack stack = new LocalStack(this);
      try {
        stack.startAll();
      } catch (RuntimeException e) {
        stack.close();
        throw e;
      }
      return stack;
    }
  }

  private final Path root;
  private final Path home;
  private final Path logs;
  private final boolean fresh;
  private final int partitions;
  private final int pgPortWanted;
  private final int kafkaPortWanted;
  private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
  private final Map<Service, Map<String, String>> extra;
  private final Map<Service, QuarkusAppProcess> running = new EnumMap<>(Service.class);
  private RunningPostgres pg;
  private RunningKafka kafka;
  private String jdbc;
  private DevJwt jwt;
  private String cursorKey;

  private LocalStack(Builder b) {
    this.root = b.root;
    this.home = b.home.toAbsolutePath().normalize();
    this.logs = home.resolve("logs");
    this.fresh = b.fresh;
    this.partitions = b.partitions;
    this.pgPortWanted = b.pgPort;
    this.kafkaPortWanted = b.kafkaPort;
    this.extra = b.config;
    for (Service s : Service.values()) {
      int p = b.ports.getOrDefault(s, 0);
      ports.put(s, p == 0 ? Processes.freePort() : p);
    }
  }

  /** A builder with {@code ./sync-stack}'s defaults. */
  public static Builder builder() {
    return new Builder();
  }

  private void startAll() {
    stopLeftovers();
    if (fresh) {
      try {
        for (String d : List.of("postgres", "kafka", "media")) {
          Files2.deleteRecursively(home.resolve(d));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot wipe " + home, e);
      }
    }
    pg = PostgresLauncher.builder().dataDir(home.resolve("postgres")).port(pgPortWanted).start();
    jdbc = pg.createDatabase("sync");
    writeState();
    kafka = KafkaLauncher.builder().dataDir(home.resolve("kafka")).port(kafkaPortWanted).start();
    kafka.createTopics(Topics.layout(partitions));
    writeState();
    jwt = DevJwt.inDirectory(home.resolve("jwt"));
    cursorKey = cursorKey(home.resolve("cursor.key"));
    start(Service.CHANGELOG);
    // sync-api reads through a login role that can only SELECT (member of sync_reader, which the
    // change-log-service's migrations create).
    try (var c = DriverManager.getConnection(jdbc, pg.superuser(), "");
        var s = c.createStatement()) {
      s.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync_api') THEN"
              + " CREATE ROLE sync_api LOGIN PASSWORD 'sync_api' IN ROLE sync_reader; END IF;"
              + " END $$");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the sync_api role", e);
    }
    start(Service.API);
    start(Service.MEDIA);
  }

  /**
   * Stops the services a previous run under the same home left running when it was SIGKILLed (their
   * pids are in its {@link StackState}; only a process whose command line names this service's jar
   * is touched). PostgreSQL's orphan is stopped by {@link PostgresLauncher}; Kafka's broker dies
   * with its parent.
   */
  private void stopLeftovers() {
    StackState.read(home)
        .ifPresent(
            old -> {
              for (StackState.Piece piece : old.pieces()) {
                for (Service s : Service.values()) {
                  if (s.module().equals(piece.name())
                      && piece.pid() > 0
                      && Processes.stopOrphan(
                          piece.pid(), jar(s).toString(), java.time.Duration.ofSeconds(20))) {
                    System.err.println(
                        "local stack: stopped leftover "
                            + s.module()
                            + " (pid "
                            + piece.pid()
                            + ") of a previous run");
                  }
                }
              }
            });
  }

  private Path jar(Service service) {
    return root.resolve(service.module())
        .resolve("target")
        .resolve("quarkus-app")
        .resolve("quarkus-run.jar");
  }

  private synchronized void writeState() {
    List<StackState.Piece> pieces = new ArrayList<>();
    if (pg != null) {
      pieces.add(new StackState.Piece("postgres", pg.pid(), pg.port(), StackState.Probe.TCP));
    }
    if (kafka != null) {
      String bootstrap = kafka.bootstrapServers();
      pieces.add(
          new StackState.Piece(
              "kafka",
              kafka.pid(),
              Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1)),
              StackState.Probe.TCP));
    }
    for (Service s : Service.values()) {
      QuarkusAppProcess p = running.get(s);
      pieces.add(
          new StackState.Piece(
              s.module(),
              p != null && p.isAlive() ? p.pid() : 0,
              ports.get(s),
              StackState.Probe.HTTP));
    }
    new StackState(ProcessHandle.current().pid(), pieces).write(home);
  }

  private static String cursorKey(Path file) {
    try {
      if (!Files.exists(file)) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.createDirectories(file.getParent());
        Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n");
      }
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file, e);
    }
  }

  /** The configuration a service gets: the stack's wiring, then the builder's extra settings. */
  public Map<String, String> config(Service service) {
    Map<String, String> c = new HashMap<>();
    c.put("quarkus.http.host", "0.0.0.0");
    c.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    // The dev key file (PEM) stands in for the identity provider's JWKS; DevJwt tokens carry this
    // issuer and audience (a packaged service refuses to start without an audience).
    c.put("mp.jwt.verify.publickey.location", jwt.publicKeyPem().toString());
    c.put("mp.jwt.verify.issuer", DevJwt.ISSUER);
    c.put("mp.jwt.verify.audiences", DevJwt.AUDIENCE);
    c.put("quarkus.datasource.jdbc.url", jdbc);
    switch (service) {
      case CHANGELOG -> {
        c.put("quarkus.datasource.username", pg.superuser());
        c.put("quarkus.datasource.password", "");
        c.put("sync.changelog.partitions", Integer.toString(partitions));
        // Static membership: a restarted writer takes its partitions back at once. A second
        // instance beside it needs an id of its own.
        c.put("sync.changelog.instance-id", "local-writer");
      }
      case API -> {
        c.put("quarkus.datasource.username", "sync_api");
        c.put("quarkus.datasource.password", "sync_api");
        c.put("sync.api.partitions", Integer.toString(partitions));
        c.put("sync.api.cursor-key", cursorKey);
      }
      case MEDIA -> {
        c.put("quarkus.datasource.username", pg.superuser());
        c.put("quarkus.datasource.password", "");
        c.put("sync.media.root", home.resolve("media").toString());
      }
    }
    c.putAll(extra.get(service));
    return c;
  }

  /** Starts a service (again) on its port and waits until it is ready. */
  public synchronized void start(Service service) {
    QuarkusAppProcess old = running.get(service);
    if (old != null && old.isAlive()) {
      throw new IllegalStateException(service.module() + " is already running");
    }
    running.put(
        service,
        QuarkusAppProcess.start(
            service.module(), jar(service).getParent(), ports.get(service), config(service), logs));
    writeState();
  }

  /** Stops a service gracefully (SIGTERM, SIGKILL after 20 s). */
  public synchronized void stop(Service service) {
    QuarkusAppProcess p = running.remove(service);
    if (p != null) {
      p.close();
      writeState();
    }
  }

  /** Kills a service with SIGKILL: no shutdown hook runs, open transactions are simply gone. */
  public synchronized void kill(Service service) {
    QuarkusAppProcess p = running.remove(service);
    if (p != null) {
      p.kill();
      writeState();
    }
  }

  /** Whether the service's process runs. */
  public synchronized boolean isAlive(Service service) {
    QuarkusAppProcess p = running.get(service);
    return p != null && p.isAlive();
  }

  /** A service's process id, while it runs. */
  public synchronized java.util.OptionalLong pid(Service service) {
    QuarkusAppProcess p = running.get(service);
    return p != null && p.isAlive()
        ? java.util.OptionalLong.of(p.pid())
        : java.util.OptionalLong.empty();
  }

  /** A service's HTTP port (stable across restarts). */
  public int port(Service service) {
    return ports.get(service);
  }

  /** A service's base URL ({@code http://localhost:PORT}; stable across restarts). */
  public String url(Service service) {
    return "http://localhost:" + ports.get(service);
  }

  /** sync-api's base URL. */
  public String apiUrl() {
    return url(Service.API);
  }

  /** change-log-service's base URL. */
  public String changelogUrl() {
    return url(Service.CHANGELOG);
  }

  /** media-service's base URL. */
  public String mediaUrl() {
    return url(Service.MEDIA);
  }

  /** A service's log file. */
  public Path log(Service service) {
    return logs.resolve(service.module() + ".log");
  }

  /** The repository root. */
  public Path root() {
    return root;
  }

  /** The stack's home (data, keys, logs); a {@code SYNC_STACK_HOME} for {@code ./sync-stack}. */
  public Path home() {
    return home;
  }

  /** JDBC URL of the database (superuser {@code postgres}, no password). */
  public String jdbcUrl() {
    return jdbc;
  }

  /** Kafka's bootstrap servers. */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** Partitions of {@code sync.mutations}. */
  public int partitions() {
    return partitions;
  }

  /** The PostgreSQL server, for fault injection (its pid, data directory). */
  public RunningPostgres postgres() {
    return pg;
  }

  /** The Kafka broker, for fault injection (its pid) and admin calls. */
  public RunningKafka kafka() {
    return kafka;
  }

  /** The dev token issuer whose public key the services trust. */
  public DevJwt jwt() {
    return jwt;
  }

  /** A device token. */
  public String token(String tenant, String user) {
    return jwt.token(tenant, user, false);
  }

  /** An admin token. */
  public String adminToken(String tenant) {
    return jwt.token(tenant, "ops", true);
  }

  /** Stops the services (newest first), then Kafka and PostgreSQL; data is kept. */
  @Override
  public synchronized void close() {
    List<AutoCloseable> all = new ArrayList<>();
    for (Service s : List.of(Service.MEDIA, Service.API, Service.CHANGELOG)) {
      QuarkusAppProcess p = running.remove(s);
      if (p != null) {
        all.add(p);
      }
    }
    all.add(kafka);
    all.add(pg);
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("local stack stop: " + e);
      }
    }
    boolean started = kafka != null || pg != null;
    kafka = null;
    pg = null;
    if (started) {
      StackState.delete(home);
    }
  }
}
