package io.syncforge.changelog.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The server's current state of one record, as the conflict rules need it.
 *
 * @param version server version: 1 on creation (or the tenant's version floor + 1), +1 on every
 *     change
 * @param data current fields (for a tombstone: the last live fields, kept so a restore by patch is
 *     whole; never sent to devices)
 * @param deleted whether the record is a tombstone
 * @param fieldVersions per field, the version that last changed it
 * @param fieldTimes per field, the edit time (epoch millis) of that change; for last-writer-wins
 * @param stateVersion the version that last created, deleted or restored the record
 * @param stateTime the edit time (epoch millis) of that change
 * @param fieldWriters per field, the clientId that last changed it (absent: unknown, treated as
 *     another client)
 * @param stateWriter the clientId that last created, deleted or restored the record, or null
 */
public record RecordState(
    long version,
    ObjectNode data,
    boolean deleted,
    Map<String, Long> fieldVersions,
    Map<String, Long> fieldTimes,
    long stateVersion,
    long stateTime,
    Map<String, String> fieldWriters,
    String stateWriter) {

  /** Copies the maps so a state is never changed after the fact. */
  public RecordState {
    fieldVersions = Map.copyOf(fieldVersions);
    fieldTimes = Map.copyOf(fieldTimes);
    fieldWriters = Map.copyOf(fieldWriters);
  }

  /** A state whose writers are unknown (every change counts as another client's). */
  public RecordState(
      long version,
      ObjectNode data,
      boolean deleted,
      Map<String, Long> fieldVersions,
      Map<String, Long> fieldTimes,
      long stateVersion,
      long stateTime) {
    this(
        version, data, deleted, fieldVersions, fieldTimes, stateVersion, stateTime, Map.of(), null);
  }

  /** The latest edit time of anything in this record. */
  public long latestEditTime() {
    long latest = stateTime;
    for (long t : fieldTimes.values()) {
      latest = Math.max(latest, t);
    }
    return latest;
  }

  /** Whether a client other than {@code client} changed field {@code f} after {@code base}. */
  public boolean fieldChangedByOther(String f, long base, String client) {
    return fieldVersions.getOrDefault(f, 0L) > base && !isSelf(fieldWriters.get(f), client);
  }

  /** Whether a client other than {@code client} deleted/created/restored it after {@code base}. */
  public boolean stateChangedByOther(long base, String client) {
    return stateVersion > base && !isSelf(stateWriter, client);
  }

  /** Whether anything in the record was changed after {@code base} by another client. */
  public boolean changedByOther(long base, String client) {
    if (stateChangedByOther(base, client)) {
      return true;
    }
    for (String f : fieldVersions.keySet()) {
      if (fieldChangedByOther(f, base, client)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSelf(String writer, String client) {
    return writer != null && writer.equals(client);
  }
}
