package io.syncforge.client;

import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.OutcomeStatus;
import java.util.function.Consumer;

/**
 * Told when the server settled a local edit differently from how it was made. The server's
 * resolution is already applied locally; doing nothing accepts it. Called on the client's callback
 * executor after the outcome is committed locally. A functional interface: {@code
 * .conflictListener(o -> show(o))}, or {@link #of}, {@link #onMerged}, {@link #onRejected} for one
 * callback per kind.
 */
@FunctionalInterface
public interface ConflictListener {
  /**
   * A local edit was settled otherwise than made; {@code outcome.status()} tells how:
   *
   * <ul>
   *   <li>{@code merged}: applied with conflicting fields settled by the collection's policy;
   *       {@code outcome.conflicts()} lists field, local, server and resolved values (a
   *       delete-versus-edit conflict on the pseudo-field {@code _deleted});
   *   <li>{@code rejected}: refused ({@code outcome.error()} says why), by the server or isolated
   *       by the device after a whole-request refusal; it is removed from the queue and the record
   *       shows the server's state again.
   * </ul>
   */
  void onConflict(MutationOutcome outcome);

  /** One callback for merged and one for rejected outcomes (either may be null: ignored). */
  static ConflictListener of(Consumer<MutationOutcome> merged, Consumer<MutationOutcome> rejected) {
    return outcome -> {
      if (outcome.status() == OutcomeStatus.MERGED && merged != null) {
        merged.accept(outcome);
      } else if (outcome.status() == OutcomeStatus.REJECTED && rejected != null) {
        rejected.accept(outcome);
      }
    };
  }

  /**
   * A listener for merged outcomes only: {@code .conflictListener(ConflictListener.onMerged(o ->
   * show(o.conflicts())))}.
   */
  static ConflictListener onMerged(Consumer<MutationOutcome> merged) {
    if (merged == null) {
      throw new NullPointerException("merged == null");
    }
    return of(merged, null);
  }

  /**
   * A listener for rejected outcomes only (server rejections and mutations the device isolated
   * after a whole-request refusal).
   */
  static ConflictListener onRejected(Consumer<MutationOutcome> rejected) {
    if (rejected == null) {
      throw new NullPointerException("rejected == null");
    }
    return of(null, rejected);
  }
}
