package io.syncforge.protocol;

/** HTTP header names of the protocol beyond the standard ones. */
public final class Headers {
  /** The calling device's client id on pull (wins over the {@code clientId} query parameter). */
  public static final String CLIENT_ID = "X-Client-Id";

  /** The declared SHA-256 (lower-case hex) of a media upload body. */
  public static final String CONTENT_SHA256 = "X-Content-SHA256";

  /** The optional original file name of a media upload. */
  public static final String FILE_NAME = "X-File-Name";

  private Headers() {}
}
