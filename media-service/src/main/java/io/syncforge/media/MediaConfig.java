package io.syncforge.media;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.syncforge.media.store.S3BlobStore;
import io.syncforge.media.store.StoreKind;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration of the media service, {@code sync.media.*} in application.properties. */
@ConfigMapping(prefix = "sync.media")
public interface MediaConfig {

  /**
   * Where blobs are stored: {@code filesystem} (the default: files under {@link #root()}) or {@code
   * s3} (objects in {@code sync.media.s3.bucket}; upload temp files still go to {@code
   * <root>/tmp}).
   */
  @WithDefault("filesystem")
  StoreKind store();

  /** The S3 store's settings, used when {@code sync.media.store=s3}. */
  S3 s3();

  /**
   * Root directory of the filesystem blob store. Blobs live at {@code <root>/ab/cd/<sha256>},
   * upload temp files in {@code <root>/tmp} (same volume, so the final move is an atomic rename).
   */
  String root();

  /**
   * Largest accepted upload in bytes (default 100 MiB). Keep {@code quarkus.http.limits.max-body-
   * size} a little above it, so this service (not Vert.x) answers the problem+json 413.
   */
  @WithDefault("104857600")
  long maxSize();

  /**
   * Accepted upload content types, matched on {@code type/subtype} without parameters; {@code
   * image/*} accepts every subtype. A request without {@code Content-Type} counts as {@code
   * application/octet-stream}.
   */
  @WithDefault(
      "image/*,video/*,audio/*,application/pdf,text/plain,application/octet-stream,application/zip")
  List<String> allowedContentTypes();

  /** Garbage collection of content no tenant references any more. */
  Gc gc();

  /** Bounds on uploads: quota, concurrency, minimum transfer rate (issue 14). */
  Limits limits();

  /** Resumable (tus 1.0) uploads. */
  Resumable resumable();

  /** Resumable upload settings. */
  interface Resumable {
    /**
     * An unfinished upload that received nothing for this long is removed (row and bytes); the
     * {@code Upload-Expires} a client sees. Default one day.
     */
    @WithDefault("PT24H")
    Duration expiry();
  }

  /** Publishing of {@code _media} mutations from the outbox table to Kafka. */
  Outbox outbox();

  /** S3 (or S3-compatible) object storage; path-style requests, signature v4. */
  interface S3 {
    /**
     * Endpoint URL, e.g. {@code https://s3.eu-west-1.amazonaws.com} or an S3-compatible server such
     * as {@code http://minio:9000}; absent = the AWS endpoint of {@link #region()}.
     */
    Optional<String> endpoint();

    /** The bucket; required with {@code sync.media.store=s3}, created at start if missing. */
    Optional<String> bucket();

    /**
     * Whether the service creates a missing bucket at start (in {@link #region()}); {@code false}
     * for a provisioned bucket: the start then only checks it exists and fails if not.
     */
    @WithDefault("true")
    boolean createBucket();

    /** Region used for signing (S3-compatible servers usually accept any). */
    @WithDefault("us-east-1")
    String region();

    /** Access key id; absent (with the secret) = the AWS SDK's default credentials chain. */
    Optional<String> accessKeyId();

    /** Secret access key; set together with {@link #accessKeyId()}. */
    Optional<String> secretAccessKey();

    /**
     * What a put sends for the server to verify: {@code sha256} ({@code x-amz-checksum-sha256}, the
     * content's hash that the service verified already; S3 refuses bytes that differ), {@code md5}
     * ({@code Content-MD5}, one more pass over the temp file; for S3-compatible servers that answer
     * the newer header with 501, such as S3Proxy) or {@code none}.
     */
    @WithDefault("sha256")
    S3BlobStore.Checksum checksum();

    /** The pooled HTTP client. */
    Http http();

    /** Settings of the S3 client's connection pool (the SDK's Apache HTTP client). */
    interface Http {
      /** Connections open at once; uploads and downloads beyond it wait for one. */
      @WithDefault("64")
      int maxConnections();

      /** TCP connect timeout. */
      @WithDefault("PT10S")
      Duration connectionTimeout();

      /** Longest wait for data on an open connection. */
      @WithDefault("PT60S")
      Duration socketTimeout();

      /** Longest wait for a free pooled connection before the request fails. */
      @WithDefault("PT10S")
      Duration acquisitionTimeout();

      /** An idle pooled connection is closed after this. */
      @WithDefault("PT60S")
      Duration maxIdleTime();
    }
  }

  /** Upload bounds. Each refusal is problem+json with a stable code. */
  interface Limits {
    /**
     * Bytes of distinct content one tenant may hold (sum of its media sizes; content shared by
     * several users of the tenant counts once); {@code 0} = unlimited. Beyond: {@code 507
     * quota_exceeded}. Default 10 GiB.
     */
    @WithDefault("10737418240")
    long tenantQuota();

    /** Uploads running at once in this pod; one more is {@code 429 too_many_requests}. */
    @WithDefault("64")
    int uploadsPerPod();

    /**
     * Uploads running at once per device (tenant, user and {@code X-Client-Id}; without that header
     * per user); one more is {@code 429 too_many_requests}.
     */
    @WithDefault("4")
    int uploadsPerDevice();

    /** An upload that receives nothing for this long is ended with {@code 408 upload_too_slow}. */
    @WithDefault("PT30S")
    Duration idleTimeout();

    /**
     * Minimum transfer rate in bytes per second, measured over {@link #rateWindow()}; a slower
     * upload is ended with {@code 408 upload_too_slow} (slow-loris protection).
     */
    @WithDefault("4096")
    long minBytesPerSecond();

    /** The window over which {@link #minBytesPerSecond()} is measured. */
    @WithDefault("PT30S")
    Duration rateWindow();
  }

  /** Garbage collection settings. */
  interface Gc {
    /**
     * How long content stays on disk after its last metadata row was deleted. Gives in-flight
     * downloads and a quick re-upload time; also the age after which stale upload temp files go.
     */
    @WithDefault("PT1H")
    Duration grace();

    /** How often the collector runs (Quarkus scheduler syntax; {@code off} disables it). */
    @WithDefault("10m")
    String every();

    /** Most blobs removed in one run. */
    @WithDefault("500")
    int batchSize();

    /**
     * How often stored bytes without a blob row (left by a crash or an older version) are looked
     * for and removed once older than {@link #grace()}; lists the whole store (a directory walk or
     * S3 ListObjectsV2). {@code off} disables it.
     */
    @WithDefault("6h")
    String orphanSweepEvery();
  }

  /** Outbox publisher settings. */
  interface Outbox {
    /**
     * How often the outbox is drained even without a new upload (after a Kafka outage, after a
     * restart). Every commit that writes the outbox also triggers a drain at once.
     */
    @WithDefault("5s")
    String every();

    /** Most outbox rows sent per transaction. */
    @WithDefault("100")
    int batchSize();

    /**
     * How long one batch waits for Kafka's acks before the transaction is rolled back and the rows
     * stay for the next run; also the producer's {@code delivery.timeout.ms} (service-common's
     * {@code SyncMutationsProducer}).
     */
    @WithDefault("PT40S")
    Duration sendTimeout();
  }
}
