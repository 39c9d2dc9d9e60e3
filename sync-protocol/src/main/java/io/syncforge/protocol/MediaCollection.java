package io.syncforge.protocol;

/**
 * The system collection whose records are {@link MediaMetadata}, keyed by SHA-256. Only the media
 * service writes it; devices read it through pull like any collection.
 */
public final class MediaCollection {
  /** The collection name. */
  public static final String NAME = "_media";

  private MediaCollection() {}
}
