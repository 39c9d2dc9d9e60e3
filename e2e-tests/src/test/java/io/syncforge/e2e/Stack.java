package io.syncforge.e2e;

import io.syncforge.devinfra.DevJwt;
import io.syncforge.devinfra.KafkaLauncher;
import io.syncforge.devinfra.KafkaLauncher.RunningKafka;
import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import io.syncforge.devinfra.QuarkusAppProcess;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The whole platform for end-to-end tests, started once per test run: real PostgreSQL and Kafka
 * (dev-infra), then the three packaged services as real processes, configured like {@code
 * ./sync-stack up} does. Individual services can be stopped and restarted by a test.
 */
public final class Stack {

  private static Stack instance;

  private final RunningPostgres pg;
  private final RunningKafka kafka;
  private final String jdbc;
  private final DevJwt jwt;
  private final Path root;
  private final Path stackHome;
  private final Path logs;
  private QuarkusAppProcess changelog;
  private QuarkusAppProcess api;
  private QuarkusAppProcess media;
  private int apiPort;

  /** The running stack, started on first use and stopped when the test JVM exits. */
  public static synchronized Stack get() {
    if (instance == null) {
      instance = new Stack();
      Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "e2e-stack-stop"));
    }
    return instance;
  }

  private Stack() {
    root = Path.of(System.getProperty("syncforge.root", "..")).toAbsolutePath().normalize();
    Path work = Path.of("target", "e2e").toAbsolutePath();
    logs = work.resolve("logs");
    pg = PostgresLauncher.builder().dataDir(work.resolve("postgres")).start();
    jdbc = pg.createDatabase("sync");
    kafka = KafkaLauncher.builder().dataDir(work.resolve("kafka")).start();
    kafka.createTopic("sync.mutations", 12);
    kafka.createTopic("sync.changes", 3);
    kafka.createTopic("sync.mutations.dlq", 1);
    // Laid out like ./sync-stack's home, so the README's commands can run against this stack.
    stackHome = work.resolve("stack-home");
    jwt = DevJwt.inDirectory(stackHome.resolve("jwt"));
    try {
      java.nio.file.Files.writeString(
          stackHome.resolve("devinfra.classpath"), System.getProperty("java.class.path"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }

    changelog = start("change-log-service", 0, changelogConfig());
    // sync-api reads through a login role that can only SELECT (member of sync_reader).
    try (var c = java.sql.DriverManager.getConnection(jdbc, "postgres", "");
        var s = c.createStatement()) {
      s.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync_api') THEN"
              + " CREATE ROLE sync_api LOGIN PASSWORD 'sync_api' IN ROLE sync_reader; END IF; END $$");
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("cannot create the sync_api role", e);
    }
    api = start("sync-api", 0, apiConfig());
    apiPort = api.port();
    media = start("media-service", 0, mediaConfig());
  }

  private Map<String, String> common() {
    Map<String, String> c = new HashMap<>();
    c.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    c.put("mp.jwt.verify.publickey.location", jwt.publicKeyPem().toString());
    c.put("quarkus.datasource.jdbc.url", jdbc);
    return c;
  }

  private Map<String, String> changelogConfig() {
    Map<String, String> c = common();
    c.put("quarkus.datasource.username", "postgres");
    c.put("quarkus.datasource.password", "");
    // Compaction runs only when a test calls the admin API; then everything superseded goes.
    c.put("sync.changelog.retention", "1S");
    c.put("sync.changelog.compaction-delay", "24h");
    c.put("sync.changelog.policies.notes", "server-wins");
    // One collection per policy, for tests that run a scenario under each.
    c.put("sync.changelog.policies.cwnotes", "client-wins");
    c.put("sync.changelog.policies.lwwnotes", "last-writer-wins");
    return c;
  }

  private Map<String, String> apiConfig() {
    Map<String, String> c = common();
    c.put("quarkus.datasource.username", "sync_api");
    c.put("quarkus.datasource.password", "sync_api");
    c.put(
        "sync.api.cursor-key",
        Base64.getEncoder().encodeToString("e2e-cursor-key-0123456789abcdef".getBytes()));
    return c;
  }

  private Map<String, String> mediaConfig() {
    Map<String, String> c = common();
    c.put("quarkus.datasource.username", "postgres");
    c.put("quarkus.datasource.password", "");
    c.put("sync.media.root", Path.of("target", "e2e", "media").toAbsolutePath().toString());
    return c;
  }

  private QuarkusAppProcess start(String module, int port, Map<String, String> config) {
    return QuarkusAppProcess.start(
        module, root.resolve(module).resolve("target").resolve("quarkus-app"), port, config, logs);
  }

  /** The repository root. */
  public Path root() {
    return root;
  }

  /**
   * A {@code SYNC_STACK_HOME} for {@code ./sync-stack token} that mints tokens this stack accepts.
   */
  public Path stackHome() {
    return stackHome;
  }

  /** sync-api's base URL (stable across restarts). */
  public String apiUrl() {
    return "http://localhost:" + apiPort;
  }

  /** change-log-service's base URL. */
  public String changelogUrl() {
    return changelog.url();
  }

  /** media-service's base URL. */
  public String mediaUrl() {
    return media.url();
  }

  /** Kafka's bootstrap servers. */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** JDBC URL of the database (superuser {@code postgres}, no password). */
  public String jdbcUrl() {
    return jdbc;
  }

  /** A device token. */
  public String token(String tenant, String user) {
    return jwt.token(tenant, user, false);
  }

  /** An admin token. */
  public String adminToken(String tenant) {
    return jwt.token(tenant, "ops", true);
  }

  /** Stops sync-api (SIGTERM), as an outage devices must survive. */
  public synchronized void stopApi() {
    api.close();
  }

  /** Starts sync-api again on the same port. */
  public synchronized void startApi() {
    api = start("sync-api", apiPort, apiConfig());
  }

  private synchronized void stop() {
    for (AutoCloseable c : new AutoCloseable[] {media, api, changelog, kafka, pg}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("e2e stop: " + e);
      }
    }
  }
}
