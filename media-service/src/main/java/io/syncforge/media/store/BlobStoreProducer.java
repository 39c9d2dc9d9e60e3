package io.syncforge.media.store;

import io.quarkus.runtime.Startup;
import io.syncforge.media.MediaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The one {@link BlobStore} bean, chosen by {@code sync.media.store}: {@code filesystem} (default)
 * or {@code s3}. Created at start, so a wrong S3 configuration (or an unreachable bucket) fails the
 * start instead of the first upload; the S3 bucket is created if it is missing.
 */
@ApplicationScoped
public class BlobStoreProducer {

  private static final Logger LOG = Logger.getLogger(BlobStoreProducer.class);

  @Produces
  @ApplicationScoped
  @Startup
  BlobStore blobStore(MediaConfig config) {
    return create(config);
  }

  /** The store the configuration asks for. */
  public static BlobStore create(MediaConfig config) {
    return switch (config.store()) {
      case FILESYSTEM -> {
        LOG.infof("blob store: filesystem under %s", config.root());
        yield new FileSystemBlobStore(config);
      }
      case S3 -> createS3(config);
    };
  }

  private static S3BlobStore createS3(MediaConfig config) {
    MediaConfig.S3 s3 = config.s3();
    String bucket =
        s3.bucket()
            .filter(b -> !b.isBlank())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "sync.media.store=s3 needs sync.media.s3.bucket (SYNC_MEDIA_S3_BUCKET)"));
    S3BlobStore store =
        new S3BlobStore(
            S3BlobStore.client(
                s3.endpoint().filter(e -> !e.isBlank()).map(URI::create),
                s3.region(),
                s3.accessKeyId().filter(k -> !k.isBlank()),
                s3.secretAccessKey().filter(k -> !k.isBlank()),
                new S3BlobStore.HttpPool(
                    s3.http().maxConnections(),
                    s3.http().connectionTimeout(),
                    s3.http().socketTimeout(),
                    s3.http().acquisitionTimeout(),
                    s3.http().maxIdleTime())),
            bucket,
            Path.of(config.root()).resolve("tmp"),
            s3.checksum());
    try {
      if (s3.createBucket()) {
        store.createBucketIfMissing();
      } else {
        store.requireBucket();
      }
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException(e);
    }
    LOG.infof(
        "blob store: s3 bucket %s at %s (%s), checksum %s, temp files in %s",
        bucket, s3.endpoint().orElse("AWS"), s3.region(), s3.checksum(), store.tempDirectory());
    return store;
  }

  void close(@Disposes BlobStore store) {
    if (store instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.warn("closing the blob store failed", e);
      }
    }
  }
}
