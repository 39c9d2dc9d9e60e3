package io.syncforge.syncapi.snapshot;

import io.syncforge.changelog.store.LogReader;
import io.syncforge.changelog.store.LogReader.LogEpoch;
import io.syncforge.protocol.Change;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.ResetReason;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.Cursor;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.protocol.cursor.CursorException;
import io.syncforge.protocol.cursor.PageToken;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.pull.PullReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One snapshot page, on a connection inside a repeatable-read transaction. The first page reads the
 * partition positions and its records in that one snapshot, so the cursor it hands out covers
 * exactly the state the records reflect; later pages carry that cursor in their page token.
 */
public final class SnapshotReader {

  private SnapshotReader() {}

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
   * Reads a page of at most {@code limit} records and {@code maxBytes} serialized bytes; the first
   * record of a page always goes, however large, so that a record above the budget goes alone.
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
    LogEpoch epoch = LogReader.epoch(c, defaultPartitions);
    int scope = Cursor.scopeHash(collections);
    String cursor;
    String afterCollection = null;
    String afterRecordId = null;
    if (pageToken == null) {
      long[] positions = LogReader.positions(c, epoch.partitions());
      cursor = codec.encode(new Cursor(epoch.epoch(), scope, positions));
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
    List<Change> rows = new ArrayList<>();
    boolean more = false;
    long bytes = 0;
    try (LogReader.Rows<Change> records =
        LogReader.records(c, tenant, collections, afterCollection, afterRecordId, limit + 1)) {
      while (records.peek() != null) {
        long size = LogReader.jsonBytes(records.peek());
        if (rows.size() == limit || (!rows.isEmpty() && bytes + size > maxBytes)) {
          more = true;
          break;
        }
        rows.add(records.next());
        bytes += size;
      }
    }
    String next = null;
    if (more) {
      Change last = rows.get(rows.size() - 1);
      next = codec.encodePageToken(new PageToken(cursor, last.collection(), last.recordId()));
    }
    return new SnapshotPage(List.copyOf(rows), next, cursor);
  }
}
