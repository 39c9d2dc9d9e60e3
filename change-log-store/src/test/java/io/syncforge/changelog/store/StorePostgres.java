package io.syncforge.changelog.store;

import io.syncforge.devinfra.PostgresLauncher;
import io.syncforge.devinfra.PostgresLauncher.RunningPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;

/**
 * One real PostgreSQL per test JVM (the embedded launcher of dev-infra, fresh data under {@code
 * target/}), with the store's migrations applied as change-log-service applies them at start.
 */
final class StorePostgres {

  private static String url;

  private StorePostgres() {}

  static synchronized String url() {
    if (url == null) {
      RunningPostgres pg =
          PostgresLauncher.builder().dataDir(Path.of("target", "store-pg")).fresh(true).start();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "store-pg-stop"));
      String u = pg.createDatabase("store");
      Flyway.configure()
          .dataSource(u, pg.superuser(), "")
          .locations("classpath:db/changelog")
          .load()
          .migrate();
      url = u;
    }
    return url;
  }

  static Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), "postgres", "");
  }
}
