package io.syncforge.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The shared record rules: patch, fold, replay and resolution. */
class RecordRulesTest {
  private static final JsonNodeFactory N = JsonNodeFactory.instance;

  /** A record state: live data, a tombstone with last live fields, or absent. */
  record S(ObjectNode data, boolean live) {}

  @Provide
  Arbitrary<ObjectNode> objects() {
    Arbitrary<String> keys = Arbitraries.of("a", "b", "c", "d");
    Arbitrary<Integer> values = Arbitraries.integers().between(-1, 3); // -1 = JSON null
    return Combinators.combine(keys.list().ofMaxSize(4), values.list().ofSize(4))
        .as(
            (ks, vs) -> {
              ObjectNode o = N.objectNode();
              for (int i = 0; i < ks.size(); i++) {
                if (vs.get(i) < 0) {
                  o.putNull(ks.get(i));
                } else {
                  o.put(ks.get(i), vs.get(i));
                }
              }
              return o;
            });
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    return Combinators.combine(Arbitraries.of(Op.values()), objects())
        .as(
            (op, data) -> {
              ObjectNode d = data;
              if (op == Op.UPSERT) {
                d = noNulls(data);
              }
              return new Mutation(
                  UUID.randomUUID(), "t", "r", op, 1L, op == Op.DELETE ? null : d, null);
            });
  }

  @Provide
  Arbitrary<S> states() {
    return Combinators.combine(objects(), Arbitraries.integers().between(0, 2))
        .as((d, k) -> k == 0 ? new S(null, false) : new S(noNulls(d), k == 1));
  }

  private static ObjectNode noNulls(ObjectNode o) {
    ObjectNode out = o.deepCopy();
    out.properties().removeIf(e -> e.getValue().isNull());
    return out;
  }

  @Property(tries = 500)
  void foldingTwoEditsHasTheEffectOfBoth(
      @ForAll("states") S s, @ForAll("mutations") Mutation a, @ForAll("mutations") Mutation b) {
    assumeDeviceCouldMake(s, List.of(a, b));
    Mutation folded = RecordRules.fold(a, b);
    assertEquals(
        RecordRules.replay(s.data(), s.live(), List.of(a, b)),
        RecordRules.replay(s.data(), s.live(), List.of(folded)),
        "fold(" + a.op() + " " + a.data() + ", " + b.op() + " " + b.data() + ") over " + s);
    assertEquals(a.mutationId(), folded.mutationId());
    assertEquals(a.baseVersion(), folded.baseVersion());
  }

  @Property(tries = 300)
  void foldingIsAssociativeInEffect(
      @ForAll("states") S s,
      @ForAll("mutations") Mutation a,
      @ForAll("mutations") Mutation b,
      @ForAll("mutations") Mutation c) {
    assumeDeviceCouldMake(s, List.of(a, b, c));
    ObjectNode left =
        RecordRules.replay(
            s.data(), s.live(), List.of(RecordRules.fold(RecordRules.fold(a, b), c)));
    ObjectNode right = RecordRules.replay(s.data(), s.live(), List.of(a, b, c));
    assertEquals(right, left);
  }

  /** A device patches only a record it shows (a patch of an absent or deleted one is refused). */
  private static void assumeDeviceCouldMake(S s, List<Mutation> edits) {
    ObjectNode visible = RecordRules.replay(s.data(), s.live(), List.of());
    for (Mutation m : edits) {
      Assume.that(m.op() != Op.PATCH || visible != null);
      visible = RecordRules.replay(visible, visible != null, List.of(m));
    }
  }

  @Property(tries = 300)
  void changedFieldsHasTheSameEffectAsThePatch(
      @ForAll("objects") ObjectNode current, @ForAll("objects") ObjectNode patch) {
    ObjectNode cur = noNulls(current);
    ObjectNode reduced = RecordRules.changedFields(cur, patch);
    assertEquals(RecordRules.merge(cur, patch), RecordRules.merge(cur, reduced));
    assertTrue(RecordRules.changedFields(RecordRules.merge(cur, patch), patch).isEmpty());
  }

  @Property(tries = 200)
  void mergeNeverChangesItsInputs(
      @ForAll("objects") ObjectNode base, @ForAll("objects") ObjectNode patch) {
    ObjectNode b0 = base.deepCopy();
    ObjectNode p0 = patch.deepCopy();
    ObjectNode out = RecordRules.merge(base, patch);
    assertEquals(b0, base);
    assertEquals(p0, patch);
    patch
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isNull()) {
                assertFalse(out.has(e.getKey()));
              } else {
                assertEquals(e.getValue(), out.get(e.getKey()));
              }
            });
  }

  @Test
  void resolutionAppliesFieldsAndTheDeletedPseudoField() {
    ObjectNode data = N.objectNode().put("a", 1).put("b", 2);
    List<Conflict> cs = new ArrayList<>();
    cs.add(
        new Conflict(
            "a", N.numberNode(1), N.numberNode(5), N.numberNode(5), ConflictPolicy.SERVER_WINS));
    cs.add(
        new Conflict("b", N.numberNode(2), N.nullNode(), N.nullNode(), ConflictPolicy.SERVER_WINS));
    RecordRules.State s = RecordRules.resolve(data, false, cs);
    assertEquals(N.objectNode().put("a", 5), s.data());
    assertFalse(s.deleted());
    assertEquals(N.objectNode().put("a", 1).put("b", 2), data, "input unchanged");
    RecordRules.State gone =
        RecordRules.resolve(
            data,
            false,
            List.of(
                new Conflict(
                    RecordRules.DELETED_FIELD,
                    N.booleanNode(false),
                    N.booleanNode(true),
                    N.booleanNode(true),
                    ConflictPolicy.SERVER_WINS)));
    assertTrue(gone.deleted());
    RecordRules.State restored =
        RecordRules.resolve(
            data,
            true,
            List.of(
                new Conflict(
                    RecordRules.DELETED_FIELD,
                    N.booleanNode(true),
                    N.booleanNode(false),
                    N.booleanNode(false),
                    ConflictPolicy.CLIENT_WINS)));
    assertFalse(restored.deleted());
    assertTrue(RecordRules.resolve(null, false, List.of()).deleted(), "no data: deleted");
    assertNull(
        RecordRules.replay(
            data,
            true,
            List.of(new Mutation(UUID.randomUUID(), "t", "r", Op.DELETE, 1L, null, null))));
  }
}
