package io.syncforge.changelog.conflict;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The server's current state of one record, as the conflict rules need it.
 *
 * @param version server version: 1 on creation, +1 on every change
 * @param data current fields (for a tombstone: the last live fields, kept so a restore by patch is
 *     whole; never sent to devices)
 * @param deleted whether the record is a tombstone
 * @param fieldVersions per field, the version that last changed it
 * @param fieldTimes per field, the edit time (epoch millis) of that change; for last-writer-wins
 * @param stateVersion the version that last created, deleted or restored the record
 * @param stateTime the edit time (epoch millis) of that change
 */
public record RecordState(
    long version,
    ObjectNode data,
    boolean deleted,
    Map<String, Long> fieldVersions,
    Map<String, Long> fieldTimes,
    long stateVersion,
    long stateTime) {

  /** Copies the maps so a state is never changed after the fact. */
  public RecordState {
    fieldVersions = Map.copyOf(fieldVersions);
    fieldTimes = Map.copyOf(fieldTimes);
  }

  /** The latest edit time of anything in this record. */
  long latestEditTime() {
    long latest = stateTime;
    for (long t : fieldTimes.values()) {
      latest = Math.max(latest, t);
    }
    return latest;
  }
}
