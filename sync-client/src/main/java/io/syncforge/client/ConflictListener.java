package io.syncforge.client;

import io.syncforge.protocol.MutationOutcome;

/**
 * Told when the server settled a local edit differently from how it was made. The server's
 * resolution is already applied locally; the default (no-op) accepts it. Called on the client's
 * callback executor after the outcome is committed locally.
 */
public interface ConflictListener {
  /**
   * A mutation was applied with conflicting fields settled by the collection's policy ({@code
   * merged}); {@code outcome.conflicts()} lists field, local, server and resolved values. A
   * delete-versus-edit conflict is reported on the pseudo-field {@code _deleted}.
   */
  default void onMerged(MutationOutcome outcome) {}

  /**
   * A mutation was rejected ({@code outcome.error()} says why); it is removed from the queue and
   * the record shows the server's state again.
   */
  default void onRejected(MutationOutcome outcome) {}

  /**
   * A listener for merged outcomes only, from a lambda: {@code
   * .conflictListener(ConflictListener.onMerged(o -> show(o.conflicts())))}.
   */
  static ConflictListener onMerged(java.util.function.Consumer<MutationOutcome> merged) {
    if (merged == null) {
      throw new NullPointerException("merged == null");
    }
    return new ConflictListener() {
      @Override
      public void onMerged(MutationOutcome outcome) {
        merged.accept(outcome);
      }
    };
  }

  /**
   * A listener for rejected outcomes only (server rejections and mutations the device isolated
   * after a whole-request refusal), from a lambda.
   */
  static ConflictListener onRejected(java.util.function.Consumer<MutationOutcome> rejected) {
    if (rejected == null) {
      throw new NullPointerException("rejected == null");
    }
    return new ConflictListener() {
      @Override
      public void onRejected(MutationOutcome outcome) {
        rejected.accept(outcome);
      }
    };
  }
}
