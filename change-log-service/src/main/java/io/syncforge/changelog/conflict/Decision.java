package io.syncforge.changelog.conflict;

import io.syncforge.changelog.store.RecordState;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.OutcomeStatus;
import java.util.List;

/** What the conflict rules decided for one mutation. */
public sealed interface Decision {

  /**
   * The mutation is accepted.
   *
   * @param state the record's state afterwards (null when a delete found nothing to delete)
   * @param status {@code applied}, or {@code merged} when any field conflicted
   * @param conflicts one entry per conflicting field; empty for {@code applied}
   * @param changed whether the state changed: only then is there a new version and a change-log
   *     entry
   */
  record Accept(RecordState state, OutcomeStatus status, List<Conflict> conflicts, boolean changed)
      implements Decision {
    public Accept {
      conflicts = List.copyOf(conflicts);
    }

    /** The record's version after the mutation, or null if there is no record. */
    public Long version() {
      return state == null ? null : state.version();
    }
  }

  /**
   * The mutation is invalid or not allowed; nothing changes.
   *
   * @param code the stable error code
   * @param message what was wrong, for the device's user or developer
   */
  record Reject(ErrorCode code, String message) implements Decision {}
}
