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

  /**
   * Connectivity callbacks; the scheduler's implementation is thread-safe. A functional interface:
   * {@code online -> ...}.
   */
  @FunctionalInterface
  interface Listener {
    /**
     * Connectivity changed: {@code true} = the network came back (the scheduler syncs at once),
     * {@code false} = it was lost (timed syncs stop until it returns).
     */
    void onChange(boolean online);

    /** The network came back. */
    default void onAvailable() {
      onChange(true);
    }

    /** The network was lost. */
    default void onLost() {
      onChange(false);
    }
  }
}
