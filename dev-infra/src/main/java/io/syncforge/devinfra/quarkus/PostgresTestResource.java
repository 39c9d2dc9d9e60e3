package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real PostgreSQL for {@code @QuarkusTest}s:
 *
 * <pre>{@code
 * @WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
 * }</pre>
 *
 * Hands the service {@code quarkus.datasource.jdbc.url}, user and password for a fresh database
 * (init arg {@code database}, default {@code sync}), with data under {@code
 * target/dev-infra/postgres}.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

  private static volatile RunningPostgres current;
  private String database = "sync";

  /** The server started for the running tests, for tests that query it directly. */
  public static RunningPostgres current() {
    RunningPostgres pg = current;
    if (pg == null) {
      throw new IllegalStateException("PostgresTestResource has not started");
    }
    return pg;
  }

  /** JDBC URL of the test database. */
  public static String jdbcUrl() {
    return current().jdbcUrl("sync");
  }

  @Override
  public void init(Map<String, String> initArgs) {
    database = initArgs.getOrDefault("database", database);
  }

  @Override
  public Map<String, String> start() {
    RunningPostgres pg =
        PostgresLauncher.builder().dataDir(Path.of("target", "dev-infra", "postgres")).start();
    current = pg;
    String url = pg.createDatabase(database);
    return Map.of(
        "quarkus.datasource.jdbc.url",
        url,
        "quarkus.datasource.username",
        pg.superuser(),
        "quarkus.datasource.password",
        "");
  }

  @Override
  public void stop() {
    RunningPostgres pg = current;
    current = null;
    if (pg != null) {
      pg.close();
    }
  }
}
