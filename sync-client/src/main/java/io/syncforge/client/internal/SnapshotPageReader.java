package io.syncforge.client.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.SnapshotPage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a snapshot page ({@code GET /v1/sync/snapshot}) with Jackson's streaming parser, without
 * building a tree: each record's {@code data} object is skipped over and kept as the exact JSON
 * text the server sent (a slice of the body), which is what the store writes into SQLite. The first
 * sync of 100,000 records otherwise builds 100,000 trees only to serialize them again.
 *
 * <p>The whole page is read before anything is returned, so a truncated or malformed body is an
 * {@link IOException} and nothing of it reaches the store. Unknown fields are ignored (forward
 * compatibility); an optional {@code total} (the records the snapshot holds, when the server can
 * say) is passed on for progress.
 */
public final class SnapshotPageReader {

  /** One snapshot record; {@code dataJson} is the record's JSON object text, or null. */
  public record RawRecord(
      String collection, String recordId, long version, boolean deleted, String dataJson) {}

  /** A parsed page. {@code total} is null when the server did not say. */
  public record RawPage(List<RawRecord> records, String nextPageToken, String cursor, Long total) {}

  private static final JsonFactory FACTORY = new JsonFactory();

  private SnapshotPageReader() {}

  /** Parses a whole page body (UTF-8 JSON). */
  public static RawPage read(byte[] body) throws IOException {
    List<RawRecord> records = new ArrayList<>();
    String next = null;
    String cursor = null;
    Long total = null;
    try (JsonParser p = FACTORY.createParser(body)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "records" -> {
            if (t == JsonToken.VALUE_NULL) {
              break;
            }
            expect(t, JsonToken.START_ARRAY);
            while (p.nextToken() != JsonToken.END_ARRAY) {
              records.add(record(p, body));
            }
          }
          case "nextPageToken" -> next = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "cursor" -> cursor = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "total" -> total = t.isNumeric() ? p.getLongValue() : null;
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new IOException("snapshot page: trailing content or unterminated object");
      }
    }
    return new RawPage(records, next, cursor, total);
  }

  private static RawRecord record(JsonParser p, byte[] body) throws IOException {
    expect(p.currentToken(), JsonToken.START_OBJECT);
    String collection = null;
    String id = null;
    Long version = null;
    boolean deleted = false;
    String data = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "collection" -> collection = p.getValueAsString();
        case "recordId" -> id = p.getValueAsString();
        case "version" -> version = t.isNumeric() ? p.getLongValue() : null;
        case "deleted" -> deleted = t == JsonToken.VALUE_TRUE;
        case "data" -> {
          if (t == JsonToken.START_OBJECT) {
            long start = p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            long end = p.currentLocation().getByteOffset();
            if (start < 0 || end <= start || end > body.length || body[(int) end - 1] != '}') {
              throw new IOException("snapshot page: cannot locate a record's data");
            }
            data = new String(body, (int) start, (int) (end - start), StandardCharsets.UTF_8);
          } else if (t != JsonToken.VALUE_NULL) {
            throw new IOException("snapshot page: a record's data is not an object");
          }
        }
        default -> p.skipChildren();
      }
    }
    if (collection == null || id == null || version == null) {
      throw new IOException("snapshot page: a record without collection, recordId or version");
    }
    return new RawRecord(collection, id, version, deleted, data);
  }

  private static void expect(JsonToken actual, JsonToken expected) throws IOException {
    if (actual != expected) {
      throw new IOException("snapshot page: expected " + expected + ", found " + actual);
    }
  }

  /** The raw form of a parsed page (tests, and callers holding a {@link SnapshotPage}). */
  public static RawPage of(SnapshotPage page, ObjectMapper mapper) {
    List<RawRecord> records = new ArrayList<>();
    if (page.records() != null) {
      for (Change c : page.records()) {
        String data;
        try {
          data = c.data() == null ? null : mapper.writeValueAsString(c.data());
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        records.add(new RawRecord(c.collection(), c.recordId(), c.version(), c.deleted(), data));
      }
    }
    return new RawPage(records, page.nextPageToken(), page.cursor(), null);
  }
}
