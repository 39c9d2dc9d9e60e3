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

  /** Partitions of {@link #CHANGES} (notifications only; order per tenant is all that matters). */
  public static final int CHANGES_PARTITIONS = 3;

  /** Partitions of {@link #MUTATIONS_DLQ}. */
  public static final int DLQ_PARTITIONS = 1;

  /**
   * The whole topic layout, name to partition count, in creation order: the one place that says
   * which topics exist and how wide they are (dev-infra, tests and the Kubernetes validation read
   * it).
   *
   * @param mutationPartitions partitions of {@link #MUTATIONS} (normally {@link
   *     #DEFAULT_PARTITIONS})
   */
  public static java.util.Map<String, Integer> layout(int mutationPartitions) {
    java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
    m.put(MUTATIONS, mutationPartitions);
    m.put(CHANGES, CHANGES_PARTITIONS);
    m.put(MUTATIONS_DLQ, DLQ_PARTITIONS);
    return java.util.Collections.unmodifiableMap(m);
  }

  private Topics() {}
}
