package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real PostgreSQL for {@code @QuarkusTest}s, normally through {@link WithDevInfra}:
 *
 * <pre>{@code
 * @WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
 * }</pre>
 *
 * Hands the service {@code quarkus.datasource.jdbc.url}, user and password for a fresh database
 * (init arg {@code database}, default {@code sync}), with data under {@code
 * target/dev-infra/postgres} — or, with {@code -Dsyncforge.infra=testcontainers|auto} and Docker, a
 * PostgreSQL container ({@link InfraMode}). One server per test JVM.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

  private static RunningPostgres current;
  private static Map<String, String> config;
  private static int users;
  private String database = "sync";

  /** The embedded server started for the running tests (not with Testcontainers). */
  public static synchronized RunningPostgres current() {
    if (current == null) {
      throw new IllegalStateException(
          config == null
              ? "PostgresTestResource has not started"
              : "PostgresTestResource runs a Testcontainers server; this test needs -Dsyncforge.infra=embedded");
    }
    return current;
  }

  /** JDBC URL of the test database. */
  public static synchronized String jdbcUrl() {
    return config().get("quarkus.datasource.jdbc.url");
  }

  /** The superuser's name. */
  public static synchronized String username() {
    return config().get("quarkus.datasource.username");
  }

  /** The superuser's password. */
  public static synchronized String password() {
    return config().get("quarkus.datasource.password");
  }

  private static Map<String, String> config() {
    if (config == null) {
      throw new IllegalStateException("PostgresTestResource has not started");
    }
    return config;
  }

  @Override
  public void init(Map<String, String> initArgs) {
    database = initArgs.getOrDefault("database", database);
  }

  @Override
  public Map<String, String> start() {
    synchronized (PostgresTestResource.class) {
      if (config == null) {
        if (InfraMode.current() == InfraMode.TESTCONTAINERS) {
          config = Containers.postgres(database);
        } else {
          RunningPostgres pg =
              PostgresLauncher.builder()
                  .dataDir(Path.of("target", "dev-infra", "postgres"))
                  .start();
          current = pg;
          Map<String, String> c = new HashMap<>();
          c.put("quarkus.datasource.jdbc.url", pg.createDatabase(database));
          c.put("quarkus.datasource.username", pg.superuser());
          c.put("quarkus.datasource.password", "");
          config = Map.copyOf(c);
        }
      }
      users++;
      return config;
    }
  }

  @Override
  public void stop() {
    synchronized (PostgresTestResource.class) {
      if (--users > 0) {
        return;
      }
      RunningPostgres pg = current;
      current = null;
      config = null;
      if (pg != null) {
        pg.close();
      }
    }
  }
}
