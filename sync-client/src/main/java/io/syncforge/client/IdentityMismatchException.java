package io.syncforge.client;

import java.nio.file.Path;

/**
 * The local database belongs to another identity (server, tenant, user) than the one opening it. A
 * database is bound to the identity that first used it, so one account's queued edits are never
 * pushed under another account. To start over as the new identity, close every client of the file
 * and call {@link SyncClient#wipe(Path)}; the old identity's unsynced edits are then lost.
 */
public final class IdentityMismatchException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final String boundTo;
  private final String requested;

  /** For the client library. */
  IdentityMismatchException(Path database, String boundTo, String requested) {
    super(
        "local database "
            + database
            + " belongs to "
            + boundTo
            + ", not to "
            + requested
            + "; call SyncClient.wipe(database) to start over as the new identity");
    this.boundTo = boundTo;
    this.requested = requested;
  }

  /** The identity the database is bound to ({@code server tenant=... user=...}). */
  public String boundTo() {
    return boundTo;
  }

  /** The identity that tried to open it. */
  public String requested() {
    return requested;
  }
}
