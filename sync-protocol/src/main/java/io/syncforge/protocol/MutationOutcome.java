package io.syncforge.protocol;

import java.util.List;
import java.util.UUID;

/**
 * What became of one mutation; returned by push and, once final, as a pull receipt.
 *
 * @param mutationId the mutation's id
 * @param collection the mutation's collection
 * @param recordId the mutation's record id
 * @param status applied, merged, rejected or pending
 * @param version the record version after applying; absent for rejected and pending
 * @param conflicts the settled field conflicts; present (non-empty) for merged only
 * @param error why it was rejected; present for rejected only
 */
public record MutationOutcome(
    UUID mutationId,
    String collection,
    String recordId,
    OutcomeStatus status,
    Long version,
    List<Conflict> conflicts,
    ErrorDetail error) {

  /** Copies {@code conflicts} defensively. */
  public MutationOutcome {
    conflicts = conflicts == null ? null : List.copyOf(conflicts);
  }

  /** Applied without conflicts, producing record {@code version}. */
  public static MutationOutcome applied(Mutation m, long version) {
    return new MutationOutcome(
        m.mutationId(), m.collection(), m.recordId(), OutcomeStatus.APPLIED, version, null, null);
  }

  /** Applied with settled {@code conflicts}, producing record {@code version}. */
  public static MutationOutcome merged(Mutation m, long version, List<Conflict> conflicts) {
    if (conflicts == null || conflicts.isEmpty()) {
      throw new IllegalArgumentException("a merged outcome needs at least one conflict");
    }
    return new MutationOutcome(
        m.mutationId(),
        m.collection(),
        m.recordId(),
        OutcomeStatus.MERGED,
        version,
        conflicts,
        null);
  }

  /** Not applied, for the reason in {@code error}. */
  public static MutationOutcome rejected(Mutation m, ErrorDetail error) {
    if (error == null) {
      throw new IllegalArgumentException("error == null");
    }
    return new MutationOutcome(
        m.mutationId(), m.collection(), m.recordId(), OutcomeStatus.REJECTED, null, null, error);
  }

  /** Durable in the log, not applied yet. */
  public static MutationOutcome pending(Mutation m) {
    return new MutationOutcome(
        m.mutationId(), m.collection(), m.recordId(), OutcomeStatus.PENDING, null, null, null);
  }
}
