package io.syncforge.protocol.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessagingTest {
  private static final ObjectMapper MAPPER = Json.newMapper();

  @Test
  void keyJoinsTenantCollectionAndRecord() {
    assertEquals("acme/tasks/t-1", MutationKey.of("acme", "tasks", "t-1"));
    assertThrows(IllegalArgumentException.class, () -> MutationKey.of("acme", "tasks", "a/b"));
    assertThrows(IllegalArgumentException.class, () -> MutationKey.of("", "tasks", "a"));
    assertThrows(IllegalArgumentException.class, () -> MutationKey.of("acme", null, "a"));
  }

  @Test
  void envelopeRoundTripsAndKnowsItsKey() throws Exception {
    Mutation m =
        new Mutation(
            UUID.randomUUID(),
            "tasks",
            "t-1",
            Op.UPSERT,
            null,
            JsonNodeFactory.instance.objectNode().put("title", "x"),
            null);
    MutationEnvelope env =
        new MutationEnvelope(
            "acme",
            "user-1",
            "dev-1",
            m,
            Instant.parse("2026-11-25T22:00:00Z"),
            MutationEnvelope.SOURCE_DEVICE);
    String json = MAPPER.writeValueAsString(env);
    assertEquals(env, MAPPER.readValue(json, MutationEnvelope.class));
    assertEquals("acme/tasks/t-1", env.key());
  }

  @Test
  void notificationRoundTrips() throws Exception {
    ChangeNotification n = new ChangeNotification("acme", 3, 1234L);
    assertEquals(n, MAPPER.readValue(MAPPER.writeValueAsString(n), ChangeNotification.class));
  }

  @Test
  void topicNames() {
    assertEquals("sync.mutations", Topics.MUTATIONS);
    assertEquals("sync.mutations.dlq", Topics.MUTATIONS_DLQ);
    assertEquals("sync.changes", Topics.CHANGES);
    assertEquals(12, Topics.DEFAULT_PARTITIONS);
  }
}
