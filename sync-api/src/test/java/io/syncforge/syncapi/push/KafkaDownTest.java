package io.syncforge.syncapi.push;

import static io.syncforge.syncapi.TestSupport.as;
import static io.syncforge.syncapi.TestSupport.mutation;
import static io.syncforge.syncapi.TestSupport.push;
import static io.syncforge.syncapi.TestSupport.pushUntilFinal;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.syncapi.ChangeLogWriter;
import io.syncforge.syncapi.TestSupport;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Kafka down: the broker (a child process of this test JVM) is frozen with SIGSTOP, so the
 * producer's requests time out exactly as with a dead or partitioned broker; SIGCONT brings it
 * back. (Stopping it for good would take the other tests' broker away.)
 */
@QuarkusTest
@WithDevInfra
class KafkaDownTest {

  @Test
  void pushAnswers503WhileKafkaIsDownAndTheRetryLaterSucceedsOnce() throws Exception {
    String tenant = TestSupport.tenant("kafka-down");
    ChangeLogWriter.get();
    UUID id = UUID.randomUUID();
    String body = push("dev-1", mutation(id, "tasks", "t-1", "upsert", "{\"v\":1}"));
    long broker = KafkaTestResource.current().pid();
    signal("STOP", broker);
    try {
      long start = System.nanoTime();
      as(tenant)
          .body(body)
          .post("/v1/sync/push")
          .then()
          .statusCode(503)
          .contentType("application/problem+json")
          .header("Retry-After", notNullValue())
          .body("code", equalTo("unavailable"));
      System.out.printf(
          "push with Kafka down answered 503 after %d ms%n",
          (System.nanoTime() - start) / 1_000_000);
    } finally {
      signal("CONT", broker);
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

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
  }
}
