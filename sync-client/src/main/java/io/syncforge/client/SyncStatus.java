package io.syncforge.client;

import java.time.Duration;
import java.time.Instant;

/**
 * An honest snapshot of the client's sync state, for a UI. Immutable.
 *
 * @param state idle, syncing, offline or error
 * @param lastSuccess server time of the last successful sync; null if never
 * @param pendingCount mutations waiting in the local queue
 * @param oldestPendingAge age of the oldest queued mutation (local clock); {@link Duration#ZERO}
 *     when the queue is empty
 * @param lastError message of the last failed run, null after a success
 * @param lastErrorClass class of the last failure, null after a success
 * @param firstSyncInProgress true while the device reads its initial snapshot
 * @param firstSyncRecords snapshot records stored so far in the current first sync or reset
 * @param firstSyncTotal the records the snapshot holds in all, when the server says (an optional
 *     {@code total} on snapshot pages); null when unknown
 * @param media media transfer progress of the current (or last) media run, per file and overall
 *     (live byte counts: {@link MediaSync#addProgressListener})
 */
public record SyncStatus(
    State state,
    Instant lastSuccess,
    long pendingCount,
    Duration oldestPendingAge,
    String lastError,
    ErrorClass lastErrorClass,
    boolean firstSyncInProgress,
    long firstSyncRecords,
    Long firstSyncTotal,
    MediaProgress media) {

  /** The coarse state of the client. */
  public enum State {
    /** Not syncing; the last run (if any) succeeded. */
    IDLE,
    /** A sync run is in progress. */
    SYNCING,
    /** The network is down (by the {@link NetworkMonitor} or the last run's network error). */
    OFFLINE,
    /** The last run failed with a server, permanent or auth error. */
    ERROR
  }
}
