package io.syncforge.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One record as the app sees it: the server state with the device's pending edits applied on top.
 *
 * @param collection the collection name
 * @param id the record id
 * @param data the visible data (a copy; changing it does not change the store)
 * @param version the server version the local copy is based on; null if the server has never
 *     confirmed this record to the device
 * @param pending true while at least one local edit of this record waits in the queue
 */
public record SyncRecord(
    String collection, String id, ObjectNode data, Long version, boolean pending) {

  /** Copies {@code data} so the record stays immutable. */
  public SyncRecord {
    data = data == null ? null : data.deepCopy();
  }

  @Override
  public ObjectNode data() {
    return data == null ? null : data.deepCopy();
  }
}
