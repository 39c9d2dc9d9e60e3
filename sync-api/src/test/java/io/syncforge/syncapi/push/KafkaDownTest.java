package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.TestSupport;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * Kafka cannot take the mutations: the single broker is told to require two in-sync replicas for
 * sync.mutations, so every acks=all write is refused (NOT_ENOUGH_REPLICAS) until it is undone.
 */
@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(
    value = KafkaTestResource.class,
    scope = TestResourceScope.GLOBAL,
    initArgs = @ResourceArg(name = "topics", value = "sync.mutations:12,sync.changes:3"))
@WithTestResource(value = JwtTestResource.class, scope = TestResourceScope.GLOBAL)
class KafkaDownTest {

  @Test
  void pushAnswers503WhileKafkaRefusesAndTheRetryLaterSucceedsOnce() throws Exception {
    String tenant = TestSupport.tenant("kafka-down");
    UUID id = UUID.randomUUID();
    String body = push("dev-1", mutation(id, "tasks", "t-1", "upsert", "{\"v\":1}"));
    minInsyncReplicas("2");
    try {
      as(tenant)
          .body(body)
          .post("/v1/sync/push")
          .then()
          .statusCode(503)
          .contentType("application/problem+json")
          .header("Retry-After", notNullValue())
          .body("code", equalTo("unavailable"));
    } finally {
      minInsyncReplicas(null);
    }
    pushUntilFinal(tenant, body)
        .then()
        .body("outcomes[0].status", equalTo("applied"))
        .body("outcomes[0].version", equalTo(1));
    as(tenant)
        .get("/v1/sync/pull")
        .then()
        .statusCode(200)
        .body("changes", hasSize(1))
        .body("changes[0].version", equalTo(1));
  }

  private static void minInsyncReplicas(String value) throws Exception {
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.MUTATIONS);
    AlterConfigOp op =
        value == null
            ? new AlterConfigOp(
                new ConfigEntry("min.insync.replicas", ""), AlterConfigOp.OpType.DELETE)
            : new AlterConfigOp(
                new ConfigEntry("min.insync.replicas", value), AlterConfigOp.OpType.SET);
    try (Admin admin = KafkaTestResource.current().admin()) {
      admin.incrementalAlterConfigs(Map.of(topic, List.of(op))).all().get();
    }
  }
}
