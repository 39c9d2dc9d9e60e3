package io.syncforge.syncapi.snapshot;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.changelog.store.LogReader.LogEpoch;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.ResetReason;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.protocol.cursor.CursorException;
import io.syncforge.protocol.cursor.PageToken;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.pull.PullReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;

/**
 * One snapshot page, on a connection inside a repeatable-read transaction. The first page reads the
 * partition positions and its records in that one snapshot, so the cursor it hands out covers
 * exactly the state the records reflect; later pages carry that cursor in their page token.
 *
 * <p>The page is written as JSON bytes straight from the rows ({@link #encode}): each record's
 * {@code data} is PostgreSQL's jsonb text with the insignificant whitespace removed, never parsed
 * into a tree and serialized again (the first sync of 100,000 records otherwise builds 100,000
 * trees and serializes each twice: once to count the page's bytes, once to answer). Rows are
 * fetched in batches sized to the byte budget left (16 at first, then as many as the budget holds
 * at the sizes seen, at most 1,000), so a page of small records costs few round trips and a page of
 * large ones never holds more than the budget plus one fetch. The first page also carries {@code
 * total}, the number of records the snapshot holds (one count, in the same snapshot), for progress.
 */
public final class SnapshotReader {

  private static final ObjectMapper MAPPER = Json.newMapper();
  private static final int FIRST_FETCH = 16;
  private static final int MAX_FETCH = 1000;

  private SnapshotReader() {}

  /** A page as the JSON bytes of a {@link SnapshotPage} (plus {@code total} on the first page). */
  public record Encoded(byte[] json, int records, boolean last) {}

  /** Reads a page within the default byte budget (4 MiB). */
  public static SnapshotPage read(
      Connection c,
      CursorCodec codec,
      int defaultPartitions,
      String tenant,
      List<String> collections,
      int limit,
      String pageToken)
      throws SQLException {
    return read(
        c,
        codec,
        defaultPartitions,
        tenant,
        collections,
        limit,
        PullReader.Budget.DEFAULT.maxBytes(),
        pageToken);
  }

  /**
   * The page {@link #encode} writes, parsed (tests and in-process callers).
   *
   * @param collections sorted distinct names, or null for all
   * @param pageToken the previous page's {@code nextPageToken}, or null to begin
   */
  public static SnapshotPage read(
      Connection c,
      CursorCodec codec,
      int defaultPartitions,
      String tenant,
      List<String> collections,
      int limit,
      long maxBytes,
      String pageToken)
      throws SQLException {
    Encoded page =
        encode(c, codec, defaultPartitions, tenant, collections, limit, maxBytes, pageToken);
    try {
      return MAPPER.readValue(page.json(), SnapshotPage.class);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable snapshot page", e);
    }
  }

  /**
   * Reads a page of at most {@code limit} records and {@code maxBytes} serialized bytes (the
   * records' compact JSON); the first record of a page always goes, however large, so that a record
   * above the budget goes alone.
   *
   * @param collections sorted distinct names, or null for all
   * @param pageToken the previous page's {@code nextPageToken}, or null to begin
   */
  public static Encoded encode(
      Connection c,
      CursorCodec codec,
      int defaultPartitions,
      String tenant,
      List<String> collections,
      int limit,
      long maxBytes,
      String pageToken)
      throws SQLException {
    LogEpoch epoch = LogReader.epoch(c, defaultPartitions);
    int scope = Cursor.scopeHash(collections);
    String cursor;
    String afterCollection = null;
    String afterRecordId = null;
    Long total = null;
    if (pageToken == null) {
      long[] positions = LogReader.positions(c, epoch.partitions());
      cursor = codec.encode(new Cursor(epoch.epoch(), scope, positions));
      total = LogReader.liveRecordCount(c, tenant, collections);
    } else {
      PageToken page;
      Cursor start;
      try {
        page = codec.decodePageToken(pageToken);
        start = codec.decode(page.cursor(), epoch.partitions(), epoch.epoch());
      } catch (CursorException e) {
        throw PullReader.problem(e);
      }
      if (start.scopeHash() != scope) {
        throw ProblemException.reset(
            ErrorCode.SCOPE_CHANGED,
            ResetReason.SCOPE_CHANGED,
            "the page token belongs to a snapshot of another collections filter");
      }
      cursor = page.cursor();
      afterCollection = page.lastCollection();
      afterRecordId = page.lastRecordId();
    }
    Out out = new Out(64 * 1024);
    out.ascii("{\"records\":[");
    Out rec = new Out(1024);
    int rows = 0;
    boolean more = false;
    long bytes = 0;
    String lastCollection = null;
    String lastRecordId = null;
    try (PreparedStatement s =
        LogReader.recordPage(c, tenant, collections, afterCollection, afterRecordId, limit + 1)) {
      s.setFetchSize(FIRST_FETCH);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String collection = rs.getString(1);
          String recordId = rs.getString(2);
          rec.reset();
          writeRecord(
              rec, collection, recordId, rs.getLong(3), rs.getString(4), rs.getTimestamp(5));
          long size = rec.size();
          if (rows == limit || (rows > 0 && bytes + size > maxBytes)) {
            more = true;
            break;
          }
          if (rows > 0) {
            out.write(',');
          }
          out.append(rec);
          rows++;
          bytes += size;
          lastCollection = collection;
          lastRecordId = recordId;
          // Next fetch: as many rows as the budget left holds at the average size so far.
          long avg = Math.max(1, bytes / rows);
          long fit = Math.max(0, maxBytes - bytes) / avg + 1;
          rs.setFetchSize((int) Math.max(FIRST_FETCH, Math.min(MAX_FETCH, fit)));
        }
      }
    }
    out.write(']');
    if (more) {
      out.ascii(",\"nextPageToken\":");
      out.string(codec.encodePageToken(new PageToken(cursor, lastCollection, lastRecordId)));
    }
    out.ascii(",\"cursor\":");
    out.string(cursor);
    if (total != null) {
      out.ascii(",\"total\":").ascii(Long.toString(total));
    }
    out.write('}');
    return new Encoded(out.toByteArray(), rows, !more);
  }

  private static void writeRecord(
      Out o, String collection, String recordId, long version, String data, Timestamp t) {
    o.ascii("{\"collection\":").string(collection);
    o.ascii(",\"recordId\":").string(recordId);
    o.ascii(",\"version\":").ascii(Long.toString(version));
    o.ascii(",\"deleted\":false,\"data\":");
    compact(o, data);
    if (t != null) {
      o.ascii(",\"serverTime\":\"").ascii(t.toInstant().toString()).write('"');
    }
    o.write('}');
  }

  /**
   * Appends jsonb's text with the whitespace outside strings removed: jsonb prints {@code ": "} and
   * {@code ", "}; the protocol's JSON is compact. Escapes inside strings are kept as they are
   * (valid JSON either way); multi-byte UTF-8 never contains a quote, backslash or space byte.
   */
  static void compact(Out o, String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    boolean inString = false;
    int from = 0;
    for (int i = 0; i < b.length; i++) {
      byte x = b[i];
      if (inString) {
        if (x == '\\') {
          i++; // the escaped byte (a quote or backslash cannot end the string)
        } else if (x == '"') {
          inString = false;
        }
      } else if (x == '"') {
        inString = true;
      } else if (x == ' ' || x == '\n' || x == '\t' || x == '\r') {
        o.write(b, from, i - from);
        from = i + 1;
      }
    }
    o.write(b, from, b.length - from);
  }

  /** A growable byte buffer with the few JSON writes a page needs. */
  static final class Out extends ByteArrayOutputStream {
    Out(int size) {
      super(size);
    }

    Out ascii(String s) {
      int n = s.length();
      ensure(n);
      for (int i = 0; i < n; i++) {
        buf[count++] = (byte) s.charAt(i);
      }
      return this;
    }

    /** A JSON string: quoted and escaped. */
    Out string(String s) {
      write('"');
      byte[] q = JsonStringEncoder.getInstance().quoteAsUTF8(s);
      write(q, 0, q.length);
      write('"');
      return this;
    }

    void append(Out other) {
      write(other.buf, 0, other.count);
    }

    private void ensure(int n) {
      if (count + n > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, count + n));
      }
    }
  }
}
