package io.syncforge.protocol.cursor;

import io.syncforge.protocol.ErrorCode;

/** A cursor or page token was refused. {@link #kind()} says why and which error to answer. */
public final class CursorException extends RuntimeException {

  /** Why a token was refused. */
  public enum Kind {
    /** No token where one is required. */
    EMPTY,
    /** Not base64url, too long, a bad varint, an impossible count, or trailing bytes. */
    MALFORMED,
    /** The bytes end before the declared content and MAC: the token was cut off. */
    TRUNCATED,
    /** A format version this server does not read (with a valid MAC: it is ours, from elsewhen). */
    UNSUPPORTED_VERSION,
    /** The MAC does not match: altered, forged, or issued with another key. */
    TAMPERED,
    /** Authentic, but from another log epoch (partition count or epoch differ). */
    WRONG_EPOCH;

    /** {@code log_epoch_changed} (410) for WRONG_EPOCH, {@code cursor_invalid} (400) otherwise. */
    public ErrorCode errorCode() {
      return this == WRONG_EPOCH ? ErrorCode.LOG_EPOCH_CHANGED : ErrorCode.CURSOR_INVALID;
    }
  }

  private final Kind kind;

  /** Creates the exception; the message is safe to show to clients. */
  public CursorException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /** Why the token was refused. */
  public Kind kind() {
    return kind;
  }

  /** The error code to answer with. */
  public ErrorCode errorCode() {
    return kind.errorCode();
  }
}
