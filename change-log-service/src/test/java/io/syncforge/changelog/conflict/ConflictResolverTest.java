package io.syncforge.changelog.conflict;

import static io.syncforge.protocol.ConflictPolicy.CLIENT_WINS;
import static io.syncforge.protocol.ConflictPolicy.LAST_WRITER_WINS;
import static io.syncforge.protocol.ConflictPolicy.SERVER_WINS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.changelog.store.RecordState;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ConflictPolicy;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.OutcomeStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conflict table. Server history used throughout: v1 created {a:1, b:1} at t=1000; v2 changed b
 * to 2 at t=2000. A device that last saw v1 edits; so b conflicts, a does not.
 */
class ConflictResolverTest {

  private static final ObjectMapper JSON = Json.newMapper();
  private static final Instant NOW = Instant.ofEpochMilli(10_000);
  private final ConflictResolver resolver = new ConflictResolver();

  static ObjectNode obj(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** v2 of the history above. */
  static RecordState live() {
    return new RecordState(
        2,
        obj("{\"a\":1,\"b\":2}"),
        false,
        Map.of("a", 1L, "b", 2L),
        Map.of("a", 1000L, "b", 2000L),
        1,
        1000);
  }

  /** v3: v2 deleted at t=3000. */
  static RecordState deletedAtV3() {
    RecordState l = live();
    return new RecordState(3, l.data(), true, l.fieldVersions(), l.fieldTimes(), 3, 3000);
  }

  static Mutation mutation(Op op, Long base, String data, Long clientTimeMillis) {
    return new Mutation(
        UUID.randomUUID(),
        "notes",
        "r1",
        op,
        base,
        data == null ? null : obj(data),
        clientTimeMillis == null ? null : Instant.ofEpochMilli(clientTimeMillis));
  }

  Decision.Accept accept(RecordState s, Mutation m, ConflictPolicy p) {
    return assertInstanceOf(Decision.Accept.class, resolver.resolve(s, m, p, NOW));
  }

  /** {@link #accept} of a mutation sent by {@code clientId}, versions above {@code floor}. */
  Decision.Accept accept(RecordState s, Mutation m, ConflictPolicy p, String clientId, long floor) {
    return assertInstanceOf(Decision.Accept.class, resolver.resolve(s, m, p, NOW, clientId, floor));
  }

  // ---- creates --------------------------------------------------------------------------------

  @Test
  void upsertOfANewRecordCreatesVersionOne() {
    Decision.Accept d = accept(null, mutation(Op.UPSERT, null, "{\"a\":1}", null), SERVER_WINS);
    assertEquals(OutcomeStatus.APPLIED, d.status());
    assertTrue(d.changed());
    assertEquals(1, d.version());
    assertEquals(obj("{\"a\":1}"), d.state().data());
    assertEquals(Map.of("a", 1L), d.state().fieldVersions());
  }

  @Test
  void patchOfAMissingRecordIsRejectedNotFound() {
    Decision d =
        resolver.resolve(null, mutation(Op.PATCH, null, "{\"a\":1}", null), SERVER_WINS, NOW);
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(Decision.Reject.class, d).code());
  }

  static Stream<Arguments> createOnExisting() {
    // A device creates r1 (no baseVersion) while the server already has it: every differing field
    // conflicts, including b which the upsert leaves out (an upsert states the whole record).
    return Stream.of(
        Arguments.of(SERVER_WINS, "{\"a\":1,\"b\":2}", 2L),
        Arguments.of(CLIENT_WINS, "{\"a\":9}", 3L),
        // The device's edit at t=5000 is newer than both server edits.
        Arguments.of(LAST_WRITER_WINS, "{\"a\":9}", 3L));
  }

  @ParameterizedTest
  @MethodSource
  void createOnExisting(ConflictPolicy policy, String expected, long version) {
    Decision.Accept d = accept(live(), mutation(Op.UPSERT, null, "{\"a\":9}", 5000L), policy);
    assertEquals(OutcomeStatus.MERGED, d.status());
    assertEquals(obj(expected), d.state().data());
    assertEquals(version, d.version());
    assertEquals(List.of("a", "b"), d.conflicts().stream().map(Conflict::field).toList());
    assertTrue(d.conflicts().stream().allMatch(c -> c.policy() == policy));
  }

  // ---- field-level merges on a live record -----------------------------------------------------

  @ParameterizedTest
  @MethodSource("allPolicies")
  void patchOfAFieldUnchangedOnTheServerMergesCleanly(ConflictPolicy policy) {
    Decision.Accept d = accept(live(), mutation(Op.PATCH, 1L, "{\"a\":5}", null), policy);
    assertEquals(OutcomeStatus.APPLIED, d.status());
    assertEquals(obj("{\"a\":5,\"b\":2}"), d.state().data(), "the server's b is kept");
    assertEquals(3, d.version());
    assertEquals(3L, d.state().fieldVersions().get("a"));
    assertEquals(2L, d.state().fieldVersions().get("b"));
  }

  static Stream<Arguments> sameFieldConflict() {
    return Stream.of(
        // policy, device edit time, expected b, expected version
        Arguments.of(SERVER_WINS, 5000L, 2, 3L),
        Arguments.of(CLIENT_WINS, 1500L, 7, 3L),
        Arguments.of(LAST_WRITER_WINS, 5000L, 7, 3L), // device edited after the server: device wins
        Arguments.of(LAST_WRITER_WINS, 1500L, 2, 3L)); // device edited before: server wins
  }

  @ParameterizedTest
  @MethodSource
  void sameFieldConflict(ConflictPolicy policy, long editTime, int expectedB, long version) {
    Decision.Accept d =
        accept(live(), mutation(Op.PATCH, 1L, "{\"a\":5,\"b\":7}", editTime), policy);
    assertEquals(OutcomeStatus.MERGED, d.status(), "a conflict is reported whoever wins");
    assertEquals(5, d.state().data().get("a").asInt(), "the clean field merges anyway");
    assertEquals(expectedB, d.state().data().get("b").asInt());
    assertEquals(version, d.version());
    Conflict c = d.conflicts().get(0);
    assertEquals(1, d.conflicts().size());
    assertEquals("b", c.field());
    assertEquals(7, c.local().asInt());
    assertEquals(2, c.server().asInt());
    assertEquals(expectedB, c.resolved().asInt());
    assertEquals(policy, c.policy());
  }

  @Test
  void serverWinsOnEveryFieldStillAnswersMergedWithoutANewVersion() {
    Decision.Accept d = accept(live(), mutation(Op.PATCH, 1L, "{\"b\":7}", null), SERVER_WINS);
    assertEquals(OutcomeStatus.MERGED, d.status());
    assertFalse(d.changed(), "nothing changed: no new version, no change-log entry");
    assertEquals(2, d.version());
  }

  @Test
  void aFutureDeviceClockCannotWinLastWriterWinsPastItsUploadTime() {
    // Server edit of b at t=2000; device claims t=1e12 but uploaded at NOW=10000 -> clamped, wins.
    // Against a server edit later than the upload, the clamp makes the device lose.
    RecordState editedLater =
        new RecordState(2, obj("{\"b\":2}"), false, Map.of("b", 2L), Map.of("b", 20_000L), 1, 1000);
    Decision.Accept d =
        accept(
            editedLater, mutation(Op.PATCH, 1L, "{\"b\":7}", 1_000_000_000_000L), LAST_WRITER_WINS);
    assertEquals(2, d.state().data().get("b").asInt());
  }

  @Test
  void equalValuesOnBothSidesAreNoConflict() {
    Decision.Accept d = accept(live(), mutation(Op.PATCH, 1L, "{\"b\":2}", null), SERVER_WINS);
    assertEquals(OutcomeStatus.APPLIED, d.status());
    assertFalse(d.changed());
  }

  @Test
  void patchNullRemovesAFieldAndUpsertReplacesTheRecord() {
    Decision.Accept p = accept(live(), mutation(Op.PATCH, 2L, "{\"a\":null}", null), SERVER_WINS);
    assertEquals(obj("{\"b\":2}"), p.state().data());
    Decision.Accept u = accept(live(), mutation(Op.UPSERT, 2L, "{\"c\":3}", null), SERVER_WINS);
    assertEquals(obj("{\"c\":3}"), u.state().data());
    assertEquals(OutcomeStatus.APPLIED, u.status());
  }

  @Test
  void baseVersionAheadOfTheServerIsRejected() {
    Decision d =
        resolver.resolve(live(), mutation(Op.PATCH, 9L, "{\"a\":1}", null), SERVER_WINS, NOW);
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Decision.Reject.class, d).code());
  }

  // ---- deletes --------------------------------------------------------------------------------

  @ParameterizedTest
  @MethodSource("allPolicies")
  void deleteOfASeenVersionMakesATombstone(ConflictPolicy policy) {
    Decision.Accept d = accept(live(), mutation(Op.DELETE, 2L, null, null), policy);
    assertEquals(OutcomeStatus.APPLIED, d.status());
    assertTrue(d.state().deleted());
    assertEquals(3, d.version());
  }

  @ParameterizedTest
  @MethodSource("allPolicies")
  void deleteOfAMissingOrDeletedRecordIsIdempotent(ConflictPolicy policy) {
    // Contract 2 (issue 11): a tombstone with a new version, never a null version (that NPE'd).
    Decision.Accept missing = accept(null, mutation(Op.DELETE, null, null, null), policy);
    assertEquals(OutcomeStatus.APPLIED, missing.status());
    assertTrue(missing.changed());
    assertEquals(1, missing.version());
    assertTrue(missing.state().deleted());
    Decision.Accept again = accept(deletedAtV3(), mutation(Op.DELETE, 1L, null, null), policy);
    assertEquals(OutcomeStatus.APPLIED, again.status());
    assertFalse(again.changed());
    assertEquals(3, again.version());
  }

  static Stream<Arguments> deleteAfterUpdate() {
    return Stream.of(
        Arguments.of(SERVER_WINS, 5000L, false),
        Arguments.of(CLIENT_WINS, 500L, true),
        Arguments.of(LAST_WRITER_WINS, 5000L, true), // delete made after the update (t=2000)
        Arguments.of(LAST_WRITER_WINS, 1500L, false)); // delete made before the update
  }

  @ParameterizedTest
  @MethodSource
  void deleteAfterUpdate(ConflictPolicy policy, long editTime, boolean deleted) {
    Decision.Accept d = accept(live(), mutation(Op.DELETE, 1L, null, editTime), policy);
    assertEquals(OutcomeStatus.MERGED, d.status());
    assertEquals(deleted, d.state().deleted());
    assertEquals(deleted, d.changed());
    assertEquals(deleted ? 3 : 2, d.version());
    Conflict c = d.conflicts().get(0);
    assertEquals(ConflictResolver.DELETED_FIELD, c.field());
    assertTrue(c.local().asBoolean());
    assertFalse(c.server().asBoolean());
    assertEquals(deleted, c.resolved().asBoolean());
  }

  static Stream<Arguments> updateAfterDelete() {
    return Stream.of(
        Arguments.of(SERVER_WINS, 5000L, true),
        Arguments.of(CLIENT_WINS, 500L, false),
        Arguments.of(LAST_WRITER_WINS, 5000L, false), // edit made after the delete (t=3000)
        Arguments.of(LAST_WRITER_WINS, 2500L, true)); // edit made before the delete
  }

  @ParameterizedTest
  @MethodSource
  void updateAfterDelete(ConflictPolicy policy, long editTime, boolean staysDeleted) {
    Decision.Accept d =
        accept(deletedAtV3(), mutation(Op.PATCH, 2L, "{\"a\":5}", editTime), policy);
    assertEquals(OutcomeStatus.MERGED, d.status());
    assertEquals(staysDeleted, d.state().deleted());
    Conflict c = d.conflicts().get(0);
    assertEquals(ConflictResolver.DELETED_FIELD, c.field());
    assertFalse(c.local().asBoolean());
    assertTrue(c.server().asBoolean());
    assertEquals(staysDeleted, c.resolved().asBoolean());
    if (!staysDeleted) {
      assertEquals(4, d.version());
      assertEquals(obj("{\"a\":5,\"b\":2}"), d.state().data(), "a patch restores the whole record");
    } else {
      assertFalse(d.changed());
    }
  }

  @ParameterizedTest
  @MethodSource("allPolicies")
  void writeAfterASeenDeleteRecreatesWithoutConflict(ConflictPolicy policy) {
    Decision.Accept d = accept(deletedAtV3(), mutation(Op.UPSERT, 3L, "{\"z\":1}", null), policy);
    assertEquals(OutcomeStatus.APPLIED, d.status());
    assertFalse(d.state().deleted());
    assertEquals(obj("{\"z\":1}"), d.state().data());
    assertEquals(4, d.version());
    assertEquals(4, d.state().stateVersion());
  }

  static Stream<ConflictPolicy> allPolicies() {
    return Stream.of(ConflictPolicy.values());
  }

  // --- Issue 11: a device never conflicts with itself (contract 1). ---

  /** v2 of the history above, every field and the record state written by {@code client}. */
  static RecordState writtenBy(String client) {
    RecordState l = live();
    return new RecordState(
        l.version(),
        l.data(),
        l.deleted(),
        l.fieldVersions(),
        l.fieldTimes(),
        l.stateVersion(),
        l.stateTime(),
        Map.of("a", client, "b", client),
        client);
  }

  @Test
  void ownLaterChangesAreNotConcurrent() {
    Decision.Accept own =
        accept(writtenBy("dev"), mutation(Op.PATCH, 1L, "{\"b\":3}", null), SERVER_WINS, "dev", 0);
    assertEquals(OutcomeStatus.APPLIED, own.status());
    assertEquals(3, own.state().data().get("b").asInt());
    assertEquals("dev", own.state().fieldWriters().get("b"));
    Decision.Accept other =
        accept(
            writtenBy("dev"), mutation(Op.PATCH, 1L, "{\"b\":3}", null), SERVER_WINS, "other", 0);
    assertEquals(OutcomeStatus.MERGED, other.status());
    assertEquals(2, other.state().data().get("b").asInt());
  }

  @Test
  void ownDeleteAfterOwnEditsIsApplied() {
    Decision.Accept own =
        accept(writtenBy("dev"), mutation(Op.DELETE, null, null, null), SERVER_WINS, "dev", 0);
    assertEquals(OutcomeStatus.APPLIED, own.status());
    assertTrue(own.state().deleted());
    assertEquals(3, own.version());
  }

  @Test
  void aRecordCreatedAfterAPurgedTombstoneStartsAboveTheFloor() {
    Decision.Accept created =
        accept(null, mutation(Op.UPSERT, null, "{\"a\":1}", null), SERVER_WINS, "dev", 41);
    assertEquals(42, created.version());
    assertEquals(42, created.state().fieldVersions().get("a"));
  }
}
