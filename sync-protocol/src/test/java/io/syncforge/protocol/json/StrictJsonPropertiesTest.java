package io.syncforge.protocol.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.FieldError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of the strict reader: valid JSON round-trips, every injected violation is found. */
class StrictJsonPropertiesTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A generated JSON value; {@code bad} asks the writer to make this node a violation. */
  sealed interface V permits Obj, Arr, Leaf {}

  record Obj(Map<String, V> fields, boolean dup) implements V {}

  record Arr(List<V> items) implements V {}

  /** kind: s string, i integer, d double, b boolean, n null. bad: 0 none, 1..5 a violation. */
  record Leaf(char kind, String s, long i, double d, int bad) implements V {}

  @Property(tries = 300)
  void strictJsonRoundTrips(@ForAll("clean") V v) throws Exception {
    String text = write(v, "$", 1, new ArrayList<>());
    StrictJson.Result r = StrictJson.parse(text);
    assertTrue(r.ok(), text + " -> " + r.violations());
    // Jackson's own reading of the same text is the same tree, and writing it back reads the same.
    assertEquals(MAPPER.readTree(text).toString(), r.value().toString());
    assertEquals(r.value(), StrictJson.parse(MAPPER.writeValueAsString(r.value())).value());
  }

  @Property(tries = 500)
  void everyViolationIsFoundAtItsPath(@ForAll("dirty") V v, @ForAll boolean trailing) {
    List<String> expected = new ArrayList<>();
    String text = write(v, "$", 1, expected);
    if (trailing) {
      text = text + " {}";
      expected.add("$");
    }
    StrictJson.Result r = StrictJson.parse(text);
    List<String> found = r.violations().stream().map(FieldError::path).sorted().toList();
    assertEquals(expected.size(), r.violationCount(), text + " -> " + r.violations());
    assertEquals(
        expected.stream().map(StrictJsonPropertiesTest::relative).sorted().toList(), found);
  }

  @Provide
  Arbitrary<V> clean() {
    return value(0, false);
  }

  @Provide
  Arbitrary<V> dirty() {
    return value(0, true);
  }

  private Arbitrary<V> value(int depth, boolean dirty) {
    Arbitrary<V> leaf = leaf(dirty);
    if (depth >= 4) {
      return leaf;
    }
    Arbitrary<String> keys =
        Arbitraries.oneOf(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6),
            Arbitraries.strings().all().ofMaxLength(4).filter(k -> StrictJson.badText(k) == null));
    Arbitrary<V> obj =
        Combinators.combine(
                Arbitraries.maps(keys, value(depth + 1, dirty)).ofMaxSize(4),
                dirty ? Arbitraries.of(false, false, true) : Arbitraries.just(false))
            .as((m, dup) -> (V) new Obj(new LinkedHashMap<>(m), dup && !m.isEmpty()));
    Arbitrary<V> arr = value(depth + 1, dirty).list().ofMaxSize(4).map(l -> (V) new Arr(l));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, leaf),
        net.jqwik.api.Tuple.of(2, obj),
        net.jqwik.api.Tuple.of(2, arr));
  }

  private Arbitrary<V> leaf(boolean dirty) {
    Arbitrary<String> strings =
        Arbitraries.strings().all().ofMaxLength(8).filter(s -> StrictJson.badText(s) == null);
    Arbitrary<Double> doubles = Arbitraries.doubles().filter(d -> !d.isNaN() && !d.isInfinite());
    Arbitrary<Integer> bad =
        dirty
            ? Arbitraries.integers().between(-12, 5).map(b -> Math.max(0, b))
            : Arbitraries.just(0);
    return Combinators.combine(
            Arbitraries.of('s', 'i', 'd', 'b', 'n'), strings, Arbitraries.longs(), doubles, bad)
        .as((k, s, i, d, b) -> (V) new Leaf(k, s, i, d, b));
  }

  private static String relative(String path) {
    String r = path.startsWith("$.") ? path.substring(2) : path;
    return r.startsWith("$[") ? r.substring(1) : r;
  }

  private static String quote(String s) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }

  /** Writes {@code v}; adds the path of every violation it writes to {@code expected}. */
  private static String write(V v, String path, int depth, List<String> expected) {
    if (v instanceof Obj o) {
      StringBuilder sb = new StringBuilder("{");
      String firstKey = null;
      for (Map.Entry<String, V> e : o.fields().entrySet()) {
        if (firstKey == null) {
          firstKey = e.getKey();
        } else {
          sb.append(',');
        }
        sb.append(quote(e.getKey()))
            .append(':')
            .append(
                write(e.getValue(), path + StrictJson.segment(e.getKey()), depth + 1, expected));
      }
      if (o.dup()) {
        sb.append(',').append(quote(firstKey)).append(":null");
        expected.add(path + StrictJson.segment(firstKey));
      }
      return sb.append('}').toString();
    }
    if (v instanceof Arr a) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < a.items().size(); i++) {
        sb.append(i == 0 ? "" : ",")
            .append(write(a.items().get(i), path + "[" + i + "]", depth + 1, expected));
      }
      return sb.append(']').toString();
    }
    Leaf l = (Leaf) v;
    switch (l.bad()) {
      case 1 -> {
        expected.add(path);
        return "\""
            + new String(JsonStringEncoder.getInstance().quoteAsString(l.s()))
            + "\\u0000\"";
      }
      case 2 -> {
        expected.add(path);
        return l.i() < 0 ? "-1e400" : "1e400";
      }
      case 3 -> {
        expected.add(path);
        return "98765432109876543210";
      }
      case 4 -> {
        expected.add(path);
        return "\"\\udbff" + "x\"";
      }
      case 5 -> {
        // Nested arrays from this depth to beyond the limit: refused where it crosses it.
        int levels = StrictJson.MAX_DEPTH + 3 - depth;
        int crossing = StrictJson.MAX_DEPTH + 1 - depth; // arrays above the refused one
        expected.add(path + "[0]".repeat(crossing));
        return "[".repeat(levels) + "]".repeat(levels);
      }
      default -> {}
    }
    return switch (l.kind()) {
      case 's' -> quote(l.s());
      case 'i' -> Long.toString(l.i());
      case 'd' -> Double.toString(l.d());
      case 'b' -> l.i() % 2 == 0 ? "true" : "false";
      default -> "null";
    };
  }
}
