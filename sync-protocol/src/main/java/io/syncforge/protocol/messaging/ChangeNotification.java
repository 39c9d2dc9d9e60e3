package io.syncforge.protocol.messaging;

/**
 * The value on {@link Topics#CHANGES}, published after a change-log transaction commits. A waiting
 * pull whose cursor position for {@code partition} is {@code <= lastOffset} has news.
 *
 * @param tenant the tenant whose records changed
 * @param partition the {@link Topics#MUTATIONS} partition
 * @param lastOffset the highest committed {@code log_offset} of that partition for the tenant
 */
public record ChangeNotification(String tenant, int partition, long lastOffset) {}
