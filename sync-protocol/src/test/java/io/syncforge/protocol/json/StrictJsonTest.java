package io.syncforge.protocol.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.syncforge.protocol.FieldError;
import java.util.List;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

  private static List<String> paths(String json) {
    return StrictJson.parse(json).violations().stream().map(FieldError::path).toList();
  }

  private static List<String> messages(String json) {
    return StrictJson.parse(json).violations().stream().map(FieldError::message).toList();
  }

  @Test
  void acceptsOrdinaryJsonAndKeepsIntegersExact() {
    StrictJson.Result r =
        StrictJson.parse(
            "{\"a\":[1,2.5,-9223372036854775808,9223372036854775807],\"b\":{\"c\":null,\"d\":true},"
                + "\"e\":\"\\u00e9\\ud83d\\ude00\",\"f\":1e308,\"g\":-0.0} \n\t");
    assertTrue(r.ok(), r.violations().toString());
    JsonNode v = r.value();
    assertEquals(Long.MIN_VALUE, v.get("a").get(2).longValue());
    assertEquals(Long.MAX_VALUE, v.get("a").get(3).longValue());
    assertEquals("é😀", v.get("e").textValue());
    assertEquals(1e308, v.get("f").doubleValue());
  }

  @Test
  void refusesTrailingContent() {
    assertEquals(List.of("$"), paths("{\"a\":1} }garbage"));
    assertEquals(List.of("$"), paths("{\"a\":1}{\"a\":1}"));
    assertEquals(List.of("$"), paths("1 2"));
  }

  @Test
  void refusesDuplicateKeysAtEveryLevel() {
    assertEquals(List.of("b.c", "a"), paths("{\"a\":1,\"b\":{\"c\":1,\"c\":2},\"a\":3}"));
  }

  @Test
  void refusesNulInStringsAndKeys() {
    assertEquals(
        List.of("a", "[\"k\\u0000\"]", "b[1]"),
        paths("{\"a\":\"x\\u0000y\",\"k\\u0000\":1,\"b\":[\"ok\",\"\\u0000\"]}"));
    assertEquals(
        List.of("string contains U+0000", "key contains U+0000", "string contains U+0000"),
        messages("{\"a\":\"x\\u0000y\",\"k\\u0000\":1,\"b\":[\"ok\",\"\\u0000\"]}"));
  }

  @Test
  void refusesUnpairedSurrogates() {
    assertEquals(List.of("a", "b"), paths("{\"a\":\"\\ud800\",\"b\":\"x\\udc00\"}"));
  }

  @Test
  void refusesNumbersThatDoNotFit() {
    assertEquals(
        List.of("n", "m", "i", "j"),
        paths("{\"n\":1e400,\"m\":-1e400,\"ok\":0e400,\"i\":9223372036854775808,\"j\":1e-400}"));
    // Too long a literal stops the reading (Jackson's own limit), still one 400 with a path.
    String longNumber = "1" + "0".repeat(StrictJson.MAX_NUMBER_CHARS + 5);
    StrictJson.Result r = StrictJson.parse("{\"n\":" + longNumber + "}");
    assertFalse(r.ok());
    assertTrue(r.violations().get(0).message().contains("number"), r.violations().toString());
  }

  @Test
  void refusesNestingDeeperThanTheLimitButNotAtTheLimit() {
    String atLimit = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);
    assertTrue(StrictJson.parse(atLimit).ok());
    String over = "[".repeat(StrictJson.MAX_DEPTH + 1) + "]".repeat(StrictJson.MAX_DEPTH + 1);
    assertEquals(List.of("[0]".repeat(StrictJson.MAX_DEPTH)), paths(over));
    // Far deeper than any parser limit: one violation, no stack overflow.
    String huge = "{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
    StrictJson.Result r = StrictJson.parse(huge);
    assertEquals(1, r.violationCount(), r.violations().toString());
    assertTrue(r.violations().get(0).message().startsWith("nested deeper"));
  }

  @Test
  void listsEveryViolationInOneAnswer() {
    StrictJson.Result r =
        StrictJson.parse(
            "{\"a\":\"\\u0000\",\"a\":1e999,\"b\":[" + "[".repeat(70) + "]".repeat(70) + "]}");
    assertEquals(4, r.violationCount(), r.violations().toString());
  }

  @Test
  void listsAtMostTheLimitButCountsAll() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 500; i++) {
      sb.append(i == 0 ? "" : ",").append("\"\\u0000\"");
    }
    StrictJson.Result r = StrictJson.parse(sb.append("]").toString());
    assertEquals(500, r.violationCount());
    assertEquals(StrictJson.MAX_VIOLATIONS, r.violations().size());
  }

  @Test
  void syntaxErrorsAndEmptyInputAreViolationsNotExceptions() {
    for (String bad :
        List.of("", "   ", "{", "{\"a\":}", "[1,]", "NaN", "{\"a\":Infinity}", "'a'", "{a:1}")) {
      StrictJson.Result r = StrictJson.parse(bad);
      assertFalse(r.ok(), bad);
      assertEquals(1, r.violationCount(), bad + " " + r.violations());
    }
    // Malformed UTF-8 (Jackson's byte parser alone accepted this one).
    assertEquals(
        List.of(new FieldError("$", "not valid UTF-8")),
        StrictJson.parse(new byte[] {'"', (byte) 0xC3, '"'}).violations());
    assertFalse(
        StrictJson.parse(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}).ok());
  }

  @Test
  void readThrowsWithTheViolations() {
    StrictJson.StrictJsonException e =
        assertThrows(
            StrictJson.StrictJsonException.class, () -> StrictJson.read("{\"a\":1,\"a\":2}"));
    assertEquals(List.of(new FieldError("a", "duplicate key")), e.violations());
    assertEquals(1, StrictJson.read("{\"a\":1}").get("a").intValue());
  }

  @Test
  void oddKeysAreQuotedAndShortenedInPaths() {
    assertEquals("[\"a.b\"]", StrictJson.segment("a.b"));
    assertEquals("[\"\"]", StrictJson.segment(""));
    assertEquals(".title_2", StrictJson.segment("title_2"));
    assertTrue(StrictJson.segment("x".repeat(10_000)).length() < 80);
  }

  @Test
  void checkFindsInMemoryTreesTheReaderWouldRefuse() {
    var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    var data = f.objectNode();
    data.put("ok", "fine");
    data.put("nul", "a\u0000");
    data.put("k\u0000", 1);
    data.put("nan", Double.NaN);
    data.put("inf", Float.NEGATIVE_INFINITY);
    data.put("big", new java.math.BigInteger("9223372036854775808"));
    data.put("max", Long.MAX_VALUE);
    data.putArray("arr").add("\udc00");
    List<FieldError> v = StrictJson.check(data, "data", 4);
    assertEquals(
        List.of(
            "data.nul", "data[\"k\\u0000\"]", "data.nan", "data.inf", "data.big", "data.arr[0]"),
        v.stream().map(FieldError::path).toList());
    // Depth counts from where the tree sits in its body: level 4 + 60 nested objects = 64 is the
    // deepest accepted, one more is refused.
    var root = f.objectNode();
    var at = root;
    for (int i = 0; i < 60; i++) {
      at = at.putObject("d");
    }
    assertTrue(StrictJson.check(root, "data", 4).isEmpty());
    at.putObject("d");
    assertEquals(1, StrictJson.check(root, "data", 4).size());
    assertTrue(StrictJson.check(null, "data", 4).isEmpty());
  }
}
