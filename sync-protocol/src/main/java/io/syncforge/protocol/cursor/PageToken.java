package io.syncforge.protocol.cursor;

/**
 * Where a snapshot stopped: keyset position {@code (lastCollection, lastRecordId)} and the cursor
 * the snapshot began with. Encoded opaque and MAC'd by {@link CursorCodec#encodePageToken}.
 *
 * @param cursor the cursor token captured when the snapshot began
 * @param lastCollection collection of the last record returned
 * @param lastRecordId id of the last record returned; the next page starts after it
 */
public record PageToken(String cursor, String lastCollection, String lastRecordId) {

  /** Rejects null parts. */
  public PageToken {
    if (cursor == null || lastCollection == null || lastRecordId == null) {
      throw new NullPointerException("cursor, lastCollection and lastRecordId are required");
    }
  }
}
