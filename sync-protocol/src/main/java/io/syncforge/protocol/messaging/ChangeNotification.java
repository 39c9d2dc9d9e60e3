package io.syncforge.protocol.messaging;

import java.util.List;

/**
 * The value on {@link Topics#CHANGES}, published after a change-log transaction commits. A waiting
 * pull whose cursor position for {@code partition} is {@code <= lastOffset} has news.
 *
 * @param tenant the tenant whose records changed
 * @param partition the {@link Topics#MUTATIONS} partition
 * @param lastOffset the highest committed {@code log_offset} of that partition for the tenant
 * @param collections the collections the transaction changed for the tenant, or null when the
 *     writer does not say (then every parked pull of the tenant is concerned); optional, added for
 *     issue 13 so that a pull filtered to other collections stays parked
 */
public record ChangeNotification(
    String tenant, int partition, long lastOffset, List<String> collections) {

  /** A notification that does not name its collections. */
  public ChangeNotification(String tenant, int partition, long lastOffset) {
    this(tenant, partition, lastOffset, null);
  }
}
