package io.syncforge.protocol;

import java.time.Duration;

/** Default protocol limits; services may lower them by configuration, never raise the caps. */
public final class Limits {
  /** Most mutations in one push. */
  public static final int MAX_MUTATIONS_PER_PUSH = 500;

  /** Largest request body, in bytes (2 MiB). */
  public static final int MAX_REQUEST_BYTES = 2 * 1024 * 1024;

  /** Largest serialized {@code data} of one record, in bytes (256 KiB). */
  public static final int MAX_RECORD_BYTES = 256 * 1024;

  /** Pull and snapshot page size when {@code limit} is absent. */
  public static final int DEFAULT_PULL_LIMIT = 500;

  /** Largest accepted pull and snapshot {@code limit}. */
  public static final int MAX_PULL_LIMIT = 5000;

  /** Longest accepted pull {@code wait}, in seconds. */
  public static final int MAX_WAIT_SECONDS = 30;

  /** Longest accepted pull {@code wait}. */
  public static final Duration MAX_WAIT = Duration.ofSeconds(MAX_WAIT_SECONDS);

  /**
   * Largest partition count a cursor may declare. With {@link #MAX_CURSOR_CHARS} it bounds the work
   * a forged token can cause; any cursor within it encodes to at most 3,110 characters.
   */
  public static final int MAX_PARTITIONS = 256;

  /** Longest accepted cursor token, in characters. */
  public static final int MAX_CURSOR_CHARS = 4096;

  /** Longest accepted snapshot page token (it embeds a cursor), in characters. */
  public static final int MAX_PAGE_TOKEN_CHARS = 6144;

  private Limits() {}
}
