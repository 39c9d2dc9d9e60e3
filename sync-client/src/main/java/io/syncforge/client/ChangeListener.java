package io.syncforge.client;

import java.util.Set;

/**
 * Told when records of a collection changed locally or by a sync, so a UI can refresh. Called on
 * the client's callback executor ({@link SyncClient.Builder#callbackExecutor}), after the change is
 * committed to the local database. A functional interface: {@code client.addChangeListener((c, ids)
 * -> refresh(c, ids))}.
 */
@FunctionalInterface
public interface ChangeListener {
  /**
   * Records of {@code collection} changed.
   *
   * @param collection the collection
   * @param recordIds the ids whose visible state may have changed
   */
  void onChange(String collection, Set<String> recordIds);
}
