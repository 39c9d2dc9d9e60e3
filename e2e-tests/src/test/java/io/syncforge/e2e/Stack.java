package io.syncforge.e2e;

import io.syncforge.devinfra.LocalStack;
import io.syncforge.devinfra.LocalStack.Service;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one {@link LocalStack} of an end-to-end test run, started on first use (fresh, free ports,
 * under {@code target/e2e}) and stopped when the test JVM exits. Configured like {@code
 * ./sync-stack up}, plus a collection per conflict policy and compaction only on request.
 */
final class Stack {

  private static LocalStack instance;

  private Stack() {}

  /** The running stack. */
  static synchronized LocalStack get() {
    if (instance == null) {
      Path home = Path.of("target", "e2e").toAbsolutePath();
      Path root = Path.of(System.getProperty("syncforge.root", "..")).toAbsolutePath().normalize();
      instance =
          LocalStack.builder()
              .root(root)
              .home(home)
              .fresh(true)
              // Compaction runs only when a test calls the admin API; then everything superseded
              // goes.
              .config(Service.CHANGELOG, "sync.changelog.retention", "1S")
              .config(Service.CHANGELOG, "sync.changelog.compaction-delay", "24h")
              .config(Service.CHANGELOG, "sync.changelog.policies.notes", "server-wins")
              // One collection per policy, for tests that run a scenario under each.
              .config(Service.CHANGELOG, "sync.changelog.policies.cwnotes", "client-wins")
              .config(Service.CHANGELOG, "sync.changelog.policies.lwwnotes", "last-writer-wins")
              .start();
      // So that ./sync-stack token (SYNC_STACK_HOME=home) mints tokens this stack accepts
      // without building anything.
      try {
        Files.writeString(
            home.resolve("devinfra.classpath"), System.getProperty("java.class.path"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "e2e-stack-stop"));
    }
    return instance;
  }
}
