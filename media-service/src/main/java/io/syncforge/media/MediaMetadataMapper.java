package io.syncforge.media;

import io.syncforge.protocol.MediaMetadata;

/** Entity to wire form. */
public final class MediaMetadataMapper {

  private MediaMetadataMapper() {}

  /** The download path of a content, relative to the service: {@code /v1/media/<sha256>}. */
  public static String url(String sha256) {
    return "/v1/media/" + sha256;
  }

  /** The metadata as answered by the REST endpoints, with {@code url}. */
  public static MediaMetadata toDto(MediaObject o) {
    return new MediaMetadata(
        o.sha256, o.size, o.contentType, o.fileName, url(o.sha256), o.uploadedBy, o.uploadedAt);
  }

  /** The metadata as the {@code _media} record's data: the same fields without {@code url}. */
  public static MediaMetadata toRecord(MediaObject o) {
    return new MediaMetadata(
        o.sha256, o.size, o.contentType, o.fileName, null, o.uploadedBy, o.uploadedAt);
  }
}
