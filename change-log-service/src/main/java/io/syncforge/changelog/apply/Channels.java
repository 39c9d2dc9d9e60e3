package io.syncforge.changelog.apply;

/** Names of the SmallRye Reactive Messaging channels (topics are set in application.properties). */
public final class Channels {

  private Channels() {}

  /** Outgoing: change notifications on {@code sync.changes}, after each commit. */
  public static final String CHANGES_OUT = "changes-out";

  /** Outgoing: unreadable mutations on {@code sync.mutations.dlq}. */
  public static final String DLQ_OUT = "dlq-out";
}
