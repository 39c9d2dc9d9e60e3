package io.syncforge.client.internal;

/** The local database failed (disk full, corrupt file). Nothing of the failed call is committed. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
