package io.syncforge.protocol.messaging;

/** Kafka topics between the services. */
public final class Topics {
  /**
   * Accepted mutations, value {@link MutationEnvelope}, key {@link MutationKey}. Its partition
   * offsets are the cursor's coordinates.
   */
  public static final String MUTATIONS = "sync.mutations";

  /** Mutations the change-log service could not even parse or apply; value as on MUTATIONS. */
  public static final String MUTATIONS_DLQ = "sync.mutations.dlq";

  /** Commit notifications, value {@link ChangeNotification}, key the tenant. */
  public static final String CHANGES = "sync.changes";

  /**
   * Default partition count of {@link #MUTATIONS}. Changing it on a live system changes the log
   * epoch: every cursor gets 410 {@code log_epoch_changed}.
   */
  public static final int DEFAULT_PARTITIONS = 12;

  private Topics() {}
}
