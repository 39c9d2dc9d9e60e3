package io.syncforge.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.SnapshotPage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streaming snapshot page reader gives what the tree reading gave, byte for byte of data. */
class SnapshotPageReaderTest {
  private static final ObjectMapper MAPPER = Json.newMapper();

  @Test
  void rawDataIsTheSameJsonAsTheTree() throws Exception {
    Random rnd = new Random(3);
    for (int round = 0; round < 200; round++) {
      List<Change> records = new ArrayList<>();
      for (int i = 0; i < 1 + rnd.nextInt(20); i++) {
        records.add(
            new Change(
                "c" + rnd.nextInt(3),
                "id-" + i + "-\u00e9\u4e2d\ud83d\ude00",
                1 + rnd.nextInt(1000),
                false,
                randomObject(rnd, 0),
                Instant.now()));
      }
      SnapshotPage page =
          new SnapshotPage(records, rnd.nextBoolean() ? null : "tok-" + round, "cur-" + round);
      // The server's own serialization, and a pretty-printed one (whitespace inside data).
      for (byte[] body :
          List.of(
              MAPPER.writeValueAsBytes(page),
              MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(page))) {
        SnapshotPageReader.RawPage raw = SnapshotPageReader.read(body);
        SnapshotPage tree = MAPPER.readValue(body, SnapshotPage.class);
        assertEquals(tree.nextPageToken(), raw.nextPageToken());
        assertEquals(tree.cursor(), raw.cursor());
        assertNull(raw.total());
        assertEquals(tree.records().size(), raw.records().size());
        for (int i = 0; i < tree.records().size(); i++) {
          Change c = tree.records().get(i);
          SnapshotPageReader.RawRecord r = raw.records().get(i);
          assertEquals(c.collection(), r.collection());
          assertEquals(c.recordId(), r.recordId());
          assertEquals(c.version(), r.version());
          assertEquals(c.deleted(), r.deleted());
          assertEquals(c.data(), MAPPER.readTree(r.dataJson()), "data of " + r.recordId());
        }
      }
    }
  }

  @Test
  void totalUnknownFieldsAndNullData() throws Exception {
    String body =
        "{\"future\":{\"a\":[1,{\"b\":2}]},\"records\":[{\"collection\":\"t\",\"recordId\":\"x\","
            + "\"version\":3,\"deleted\":false,\"data\":null,\"extra\":[1,2]},"
            + "{\"collection\":\"t\",\"recordId\":\"y\",\"version\":4,\"data\":{\"k\":\"}\\\"{\"}}],"
            + "\"total\":12345,\"cursor\":\"c\"}";
    SnapshotPageReader.RawPage raw = SnapshotPageReader.read(body.getBytes(StandardCharsets.UTF_8));
    assertEquals(12345L, raw.total());
    assertEquals("c", raw.cursor());
    assertNull(raw.nextPageToken());
    assertNull(raw.records().get(0).dataJson());
    JsonNode y = MAPPER.readTree(raw.records().get(1).dataJson());
    assertEquals("}\"{", y.get("k").asText());
  }

  @Test
  void truncatedOrMalformedBodiesAreErrors() throws Exception {
    byte[] good =
        MAPPER.writeValueAsBytes(
            new SnapshotPage(
                List.of(
                    new Change(
                        "t", "a", 1, false, (ObjectNode) MAPPER.readTree("{\"v\":1}"), null)),
                null,
                "c"));
    for (int cut = 0; cut < good.length; cut++) {
      byte[] part = Arrays.copyOf(good, cut);
      assertThrows(IOException.class, () -> SnapshotPageReader.read(part), "cut at " + cut);
    }
    for (String bad :
        List.of(
            "[]",
            "{\"records\":[{\"collection\":\"t\",\"version\":1}],\"cursor\":\"c\"}",
            "{\"records\":[{\"collection\":\"t\",\"recordId\":\"a\",\"version\":1,\"data\":[1]}]}",
            "{\"cursor\":\"c\"} {}")) {
      assertThrows(
          IOException.class,
          () -> SnapshotPageReader.read(bad.getBytes(StandardCharsets.UTF_8)),
          bad);
    }
  }

  private static ObjectNode randomObject(Random rnd, int depth) {
    ObjectNode o = MAPPER.createObjectNode();
    int n = rnd.nextInt(6);
    for (int i = 0; i < n; i++) {
      String key = "k" + i + (rnd.nextBoolean() ? "\"\\\n" : "");
      switch (rnd.nextInt(depth < 2 ? 6 : 4)) {
        case 0 -> o.put(key, rnd.nextLong());
        case 1 -> o.put(key, "s\u00fc\u20ac\ud83d\ude00 \"q\" \\ " + rnd.nextInt());
        case 2 -> o.put(key, rnd.nextDouble());
        case 3 -> o.putNull(key);
        case 4 -> o.set(key, randomObject(rnd, depth + 1));
        default -> o.putArray(key).add(1).add("x").add(randomObject(rnd, depth + 1));
      }
    }
    return o;
  }
}
