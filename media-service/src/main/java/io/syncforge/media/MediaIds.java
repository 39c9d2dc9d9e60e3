package io.syncforge.media;

import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.service.ProblemException;

/** Checks of the media id in paths. */
public final class MediaIds {

  private MediaIds() {}

  /**
   * The id if it is 64 lower-case hex characters, else 400 {@code invalid_request}; this also
   * refuses every path traversal attempt ({@code ..}, slashes, encoded or not).
   */
  public static String requireSha256(String sha256) {
    if (!Ids.isSha256Hex(sha256)) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST, "the media id must be 64 lower-case hex characters");
    }
    return sha256;
  }
}
