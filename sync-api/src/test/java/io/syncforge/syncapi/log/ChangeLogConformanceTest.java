package io.syncforge.syncapi.log;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.changelog.store.conformance.ChangeLogConformance;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.syncapi.TestSupport;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * change-log-store's conformance suite as sync-api's clients see the log: mutations pushed through
 * {@code POST /v1/sync/push} (validated, produced to Kafka) are written by the packaged
 * change-log-service ({@link io.syncforge.syncapi.ChangeLogWriter}), and read back through the
 * store's reader API, the code behind pull and snapshot, as the read-only role.
 */
@QuarkusTest
@WithDevInfra
class ChangeLogConformanceTest extends ChangeLogConformance {

  @Override
  protected void write(String tenant, String clientId, List<Mutation> mutations) throws Exception {
    String body =
        Json.newMapper().writeValueAsString(Map.of("clientId", clientId, "mutations", mutations));
    List<String> statuses =
        TestSupport.pushUntilFinal(tenant, body).jsonPath().getList("outcomes.status");
    assertFalse(statuses.contains("pending"), "final outcomes: " + statuses);
  }

  @Override
  protected Connection superuser() throws SQLException {
    return TestSupport.superuser();
  }
}
