package io.syncforge.client;

/**
 * Tells the {@link SyncScheduler} whether the device is online. An app plugs in the platform's
 * connectivity callbacks; the default assumes always online.
 */
public interface NetworkMonitor {

  /** A monitor that is always online and never calls back. */
  NetworkMonitor ALWAYS_ONLINE = new NetworkMonitor() {};

  /** True if the network is believed to be available now. */
  default boolean isOnline() {
    return true;
  }

  /**
   * Registers the scheduler's listener; the monitor calls it (on any thread) when connectivity
   * changes. Called once by {@link SyncScheduler#start()}.
   */
  default void setListener(Listener listener) {}

  /** Connectivity callbacks; the scheduler's implementation is thread-safe. */
  interface Listener {
    /** The network came back: the scheduler syncs at once. */
    default void onAvailable() {}

    /** The network was lost: the scheduler stops timed syncs until it returns. */
    default void onLost() {}
  }
}
