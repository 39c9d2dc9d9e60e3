package io.syncforge.changelog.apply;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.LogFixture;
import io.syncforge.changelog.store.conformance.ChangeLogConformance;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Mutation;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * change-log-store's conformance suite against this service's writer: mutations go to the real
 * {@code sync.mutations} topic, the in-process apply loop writes them, and the suite reads the
 * tables back through the store's reader API as the read-only role, as sync-api does.
 */
@QuarkusTest
@WithDevInfra
class ChangeLogConformanceTest extends ChangeLogConformance {

  private static final LogFixture log = LogFixture.shared();

  @Override
  protected void write(String tenant, String clientId, List<Mutation> mutations) {
    log.send(mutations.stream().map(m -> LogFixture.envelope(tenant, clientId, m)).toList());
    for (Mutation m : mutations) {
      assertNotNull(log.awaitOutcome(m.mutationId(), Duration.ofSeconds(30)), "final outcome");
    }
  }

  @Override
  protected Connection superuser() throws SQLException {
    return log.connect();
  }
}
