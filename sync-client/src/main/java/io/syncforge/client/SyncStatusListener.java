package io.syncforge.client;

/**
 * Receives every change of {@link SyncStatus}. Called on the client's callback executor ({@link
 * SyncClient.Builder#callbackExecutor}), in the order the changes happened when that executor is
 * sequential. A functional interface: {@code client.addStatusListener(s -> render(s))}.
 */
@FunctionalInterface
public interface SyncStatusListener {
  /** The status changed. */
  void onStatus(SyncStatus status);
}
