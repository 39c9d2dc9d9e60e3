package io.syncforge.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JsonTest {
  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final Instant T = Instant.parse("2026-11-25T22:31:00.123Z");
  private static final UUID ID = UUID.fromString("6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e");

  @Test
  void pushRequestMatchesTheWireShape() throws Exception {
    String json =
        """
        {"clientId":"dev-1","mutations":[{"mutationId":"6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
         "collection":"tasks","recordId":"t1","op":"patch","baseVersion":null,
         "data":{"done":true},"futureField":{"x":1}}],"alsoUnknown":42}
        """;
    PushRequest req = MAPPER.readValue(json, PushRequest.class);
    Mutation m = req.mutations().get(0);
    assertEquals(ID, m.mutationId());
    assertEquals(Op.PATCH, m.op());
    assertEquals(null, m.baseVersion());
    assertTrue(m.data().get("done").asBoolean());
    assertEquals(req, roundTrip(req, PushRequest.class));
  }

  @Test
  void dataMustBeAnObjectOrNull() throws Exception {
    String base = "{\"mutationId\":\"" + ID + "\",\"op\":\"delete\",\"data\":";
    assertEquals(null, MAPPER.readValue(base + "null}", Mutation.class).data());
    assertThrows(JsonMappingException.class, () -> MAPPER.readValue(base + "5}", Mutation.class));
    assertThrows(JsonMappingException.class, () -> MAPPER.readValue(base + "[1]}", Mutation.class));
  }

  @Test
  void instantsAreIsoStringsAndNullsAreOmitted() throws Exception {
    Mutation m = new Mutation(ID, "tasks", "t1", Op.DELETE, 4L, null, T);
    JsonNode tree = MAPPER.valueToTree(m);
    assertEquals("2026-11-25T22:31:00.123Z", tree.get("clientTime").asText());
    assertEquals("delete", tree.get("op").asText());
    assertFalse(tree.has("data"));
    assertEquals(m, roundTrip(m, Mutation.class));
  }

  @Test
  void pushResponseWithEveryOutcome() throws Exception {
    Mutation m = new Mutation(ID, "tasks", "t1", Op.PATCH, 3L, obj("title", "a"), null);
    Conflict c =
        new Conflict(
            "title",
            TextNode.valueOf("a"),
            TextNode.valueOf("b"),
            TextNode.valueOf("b"),
            ConflictPolicy.SERVER_WINS);
    PushResponse resp =
        new PushResponse(
            List.of(
                MutationOutcome.applied(m, 4),
                MutationOutcome.merged(m, 5, List.of(c)),
                MutationOutcome.rejected(m, ErrorDetail.of(ErrorCode.CONFLICT, "record deleted")),
                MutationOutcome.pending(m)),
            T);
    JsonNode tree = MAPPER.valueToTree(resp);
    JsonNode outcomes = tree.get("outcomes");
    assertEquals("applied", outcomes.get(0).get("status").asText());
    assertFalse(outcomes.get(0).has("conflicts"));
    assertFalse(outcomes.get(0).has("error"));
    assertEquals("server-wins", outcomes.get(1).get("conflicts").get(0).get("policy").asText());
    assertEquals("conflict", outcomes.get(2).get("error").get("code").asText());
    assertFalse(outcomes.get(3).has("version"));
    assertEquals(resp, roundTrip(resp, PushResponse.class));
  }

  @Test
  void conflictKeepsJsonNullAsAValue() throws Exception {
    Conflict c =
        new Conflict(
            "due",
            TextNode.valueOf("2026-12-01"),
            JsonNodeFactory.instance.nullNode(),
            TextNode.valueOf("2026-12-01"),
            ConflictPolicy.LAST_WRITER_WINS);
    String json = MAPPER.writeValueAsString(c);
    assertTrue(json.contains("\"server\":null"), json);
    assertEquals(c, MAPPER.readValue(json, Conflict.class));
  }

  @Test
  void pullResponseSnapshotAndMediaRoundTrip() throws Exception {
    Change live = new Change("tasks", "t1", 7, false, obj("title", "x"), T);
    Change gone = new Change("tasks", "t2", 8, true, null, T);
    PullResponse pull =
        new PullResponse(List.of(live, gone), List.of(), "AQEM", true, T, T.minusSeconds(86400));
    JsonNode tree = MAPPER.valueToTree(pull);
    assertFalse(tree.get("changes").get(1).has("data"));
    assertTrue(tree.get("changes").get(1).get("deleted").asBoolean());
    assertEquals(pull, roundTrip(pull, PullResponse.class));

    SnapshotPage page = new SnapshotPage(List.of(live), null, "AQEM");
    assertFalse(MAPPER.valueToTree(page).has("nextPageToken"));
    assertEquals(page, roundTrip(page, SnapshotPage.class));

    MediaMetadata media =
        new MediaMetadata(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            0,
            "image/png",
            "a.png",
            "/v1/media/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "user-1",
            T);
    assertEquals(media, roundTrip(media, MediaMetadata.class));
  }

  @Test
  void problemOfFillsTypeStatusAndResetReason() throws Exception {
    Problem p = Problem.of(ErrorCode.CURSOR_EXPIRED, "cursor older than horizon", "trace-1");
    assertEquals("https://syncforge.io/problems/cursor_expired", p.type());
    assertEquals(410, p.status());
    assertEquals("cursor_expired", p.resetReason());
    JsonNode tree = MAPPER.valueToTree(p);
    assertEquals("cursor_expired", tree.get("code").asText());
    assertFalse(tree.has("errors"));
    assertEquals(p, roundTrip(p, Problem.class));

    Problem bad =
        Problem.of(ErrorCode.INVALID_REQUEST, "2 invalid fields", "t")
            .withErrors(List.of(new FieldError("mutations[0].recordId", "1..128 of ...")));
    assertFalse(MAPPER.valueToTree(bad).has("resetReason"));
    assertEquals(bad, roundTrip(bad, Problem.class));
  }

  @Test
  void errorCodesAreUniqueAndMapped() {
    Set<String> codes = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      assertTrue(codes.add(c.code()), c.code());
      assertTrue(c.code().matches("[a-z_]+"), c.code());
      assertTrue(c.status() >= 400 && c.status() < 600, c.code());
      assertEquals(c, ErrorCode.fromString(c.code()));
      assertEquals(c.status() == 410, c.resetReason().isPresent(), c.code());
    }
    assertEquals(ErrorCode.values().length, codes.size());
    assertEquals(422, ErrorCode.UNKNOWN_COLLECTION.status());
    assertEquals(400, ErrorCode.CURSOR_INVALID.status());
    for (ResetReason r : ResetReason.values()) {
      assertEquals(r.wire(), r.errorCode().code());
    }
  }

  @Test
  void enumsUseWireNames() throws Exception {
    assertEquals(
        "\"last-writer-wins\"", MAPPER.writeValueAsString(ConflictPolicy.LAST_WRITER_WINS));
    assertEquals(ConflictPolicy.CLIENT_WINS, ConflictPolicy.fromString("client-wins"));
    assertEquals(OutcomeStatus.MERGED, MAPPER.readValue("\"merged\"", OutcomeStatus.class));
    assertEquals(
        ResetReason.SCOPE_CHANGED, MAPPER.readValue("\"scope_changed\"", ResetReason.class));
    assertTrue(OutcomeStatus.APPLIED.isFinal());
    assertTrue(OutcomeStatus.MERGED.isFinal());
    assertTrue(OutcomeStatus.REJECTED.isFinal());
    assertFalse(OutcomeStatus.PENDING.isFinal());
  }

  @Test
  void unknownEnumValuesFailClearly() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Op.fromString("UPSERT"));
    assertTrue(e.getMessage().contains("unknown op 'UPSERT'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConflictPolicy.fromString("server_wins"));
    JsonMappingException je =
        assertThrows(
            JsonMappingException.class,
            () ->
                MAPPER.readValue(
                    "{\"mutationId\":\"" + ID + "\",\"op\":\"remove\"}", Mutation.class));
    assertTrue(je.getMessage().contains("unknown op 'remove'"), je.getMessage());
  }

  @Test
  void configureAppliesToAnExistingMapper() throws Exception {
    ObjectMapper m = Json.configure(new ObjectMapper());
    assertEquals("\"2026-11-25T22:31:00.123Z\"", m.writeValueAsString(T));
  }

  private static <T> T roundTrip(T value, Class<T> type) throws Exception {
    return MAPPER.readValue(MAPPER.writeValueAsString(value), type);
  }

  private static ObjectNode obj(String k, String v) {
    return JsonNodeFactory.instance.objectNode().put(k, v);
  }
}
