package io.syncforge.protocol.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.PushRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MutationValidatorTest {
  private final MutationValidator validator = new MutationValidator();

  @Test
  void validMutationsPass() {
    assertEquals(List.of(), validator.validate(mutation(Op.UPSERT, data(), null), "m"));
    assertEquals(List.of(), validator.validate(mutation(Op.PATCH, data(), 3L), "m"));
    assertEquals(List.of(), validator.validate(mutation(Op.DELETE, null, 0L), "m"));
    assertEquals(
        List.of(),
        validator.validate(mutation(Op.DELETE, JsonNodeFactory.instance.objectNode(), 4L), "m"));
  }

  @Test
  void everyStructuralProblemIsReportedWithItsPath() {
    Mutation bad = new Mutation(null, "Bad-Collection", "../x", Op.UPSERT, -1L, null, null);
    List<FieldError> errors = validator.validate(bad, "mutations[3]");
    assertEquals(
        Set.of(
            "mutations[3].mutationId",
            "mutations[3].collection",
            "mutations[3].recordId",
            "mutations[3].baseVersion",
            "mutations[3].data"),
        paths(errors));
  }

  @Test
  void opIsRequired() {
    Mutation m = new Mutation(UUID.randomUUID(), "tasks", "t1", null, null, data(), null);
    assertEquals(Set.of("m.op"), paths(validator.validate(m, "m")));
  }

  @Test
  void dataRules() {
    assertEquals(Set.of("m.data"), paths(validator.validate(mutation(Op.PATCH, null, 1L), "m")));
    assertEquals(Set.of("m.data"), paths(validator.validate(mutation(Op.DELETE, data(), 1L), "m")));
  }

  @Test
  void recordSizeLimit() {
    MutationValidator small = new MutationValidator(100, false);
    ObjectNode big = JsonNodeFactory.instance.objectNode().put("text", "x".repeat(100));
    List<FieldError> errors = small.validate(mutation(Op.UPSERT, big, null), "m");
    assertEquals(Set.of("m.data"), paths(errors));
    assertTrue(errors.get(0).message().contains("100"), errors.get(0).message());
    ObjectNode fits = JsonNodeFactory.instance.objectNode().put("text", "x".repeat(80));
    assertEquals(List.of(), small.validate(mutation(Op.UPSERT, fits, null), "m"));
  }

  @Test
  void systemCollectionOnlyWhenAllowed() {
    Mutation m =
        new Mutation(UUID.randomUUID(), MediaCollection.NAME, "abc", Op.UPSERT, null, data(), null);
    assertEquals(Set.of("m.collection"), paths(validator.validate(m, "m")));
    assertEquals(List.of(), new MutationValidator(Limits.MAX_RECORD_BYTES, true).validate(m, "m"));
  }

  @Test
  void pushRequestChecksClientIdCountAndEachMutation() {
    List<Mutation> ms = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ms.add(mutation(Op.UPSERT, data(), null));
    }
    ms.set(3, new Mutation(UUID.randomUUID(), "tasks", "a b", Op.UPSERT, null, data(), null));
    assertEquals(
        Set.of("clientId", "mutations[3].recordId"),
        paths(validator.validate(new PushRequest("bad id", ms), 500)));
    assertEquals(
        Set.of("mutations"),
        paths(validator.validate(new PushRequest("dev-1", Collections.nCopies(6, ms.get(0))), 5)));
    assertEquals(Set.of("mutations"), paths(validator.validate(new PushRequest("dev-1", null), 5)));
    assertEquals(List.of(), validator.validate(new PushRequest("dev-1", List.of()), 5));
  }

  private static Set<String> paths(List<FieldError> errors) {
    return errors.stream().map(FieldError::path).collect(Collectors.toSet());
  }

  private static ObjectNode data() {
    return JsonNodeFactory.instance.objectNode().put("title", "Buy milk").put("done", false);
  }

  private static Mutation mutation(Op op, ObjectNode data, Long baseVersion) {
    return new Mutation(UUID.randomUUID(), "tasks", "t-1", op, baseVersion, data, null);
  }
}
