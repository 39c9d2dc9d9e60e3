package io.syncforge.media.store;

import io.syncforge.protocol.validation.Ids;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blobs as objects in one S3 bucket (AWS or any S3-compatible server), key {@code ab/cd/<sha256>}
 * like the filesystem layout. Upload temp files stay local ({@code <root>/tmp}): {@link #put} sends
 * the verified file with its length known, then deletes it. Objects are immutable once written, so
 * a put of the same hash replaces identical bytes.
 *
 * <p>Chosen with {@code sync.media.store=s3}; {@link BlobStoreProducer} creates it and the bucket
 * if it is missing. SDK errors surface as {@link IOException}s; a missing object as {@link
 * NoSuchFileException}, as with the filesystem store.
 */
public final class S3BlobStore implements BlobStore, AutoCloseable {

  /** What {@link #put} sends for the server to verify the bytes against. */
  public enum Checksum {
    /**
     * {@code x-amz-checksum-sha256}: the content's own hash (known before the upload), which S3
     * verifies and stores with the object; no extra pass over the bytes.
     */
    SHA256,
    /**
     * {@code Content-MD5}, computed from the temp file in one more pass over it (page cache): the
     * classic integrity header every S3-compatible server verifies, for those that answer {@code
     * x-amz-checksum-sha256} with {@code 501 Not Implemented} (S3Proxy 2.6.0 does).
     */
    MD5,
    /** Nothing beyond what the SDK itself sends. */
    NONE
  }

  /** The pooled HTTP client's settings ({@code sync.media.s3.http.*}). */
  public record HttpPool(
      int maxConnections,
      Duration connectionTimeout,
      Duration socketTimeout,
      Duration acquisitionTimeout,
      Duration maxIdleTime) {

    /** The defaults of {@code sync.media.s3.http.*}. */
    public static HttpPool defaults() {
      return new HttpPool(
          64,
          Duration.ofSeconds(10),
          Duration.ofSeconds(60),
          Duration.ofSeconds(10),
          Duration.ofSeconds(60));
    }
  }

  private final S3Client client;
  private final String bucket;
  private final Path tmp;
  private final Checksum checksum;

  /**
   * A store in {@code bucket} sending {@link Checksum#SHA256}; upload temp files in {@code
   * tempDirectory}. The store closes the client in {@link #close()}.
   */
  public S3BlobStore(S3Client client, String bucket, Path tempDirectory) {
    this(client, bucket, tempDirectory, Checksum.SHA256);
  }

  /** A store in {@code bucket} sending {@code checksum} with each put. */
  public S3BlobStore(S3Client client, String bucket, Path tempDirectory, Checksum checksum) {
    this.client = Objects.requireNonNull(client, "client == null");
    this.bucket = Objects.requireNonNull(bucket, "bucket == null");
    this.tmp = tempDirectory.toAbsolutePath().normalize();
    this.checksum = Objects.requireNonNull(checksum, "checksum == null");
  }

  /** An S3 client with the default pool ({@link HttpPool#defaults()}). */
  public static S3Client client(
      Optional<URI> endpoint,
      String region,
      Optional<String> accessKeyId,
      Optional<String> secretAccessKey) {
    return client(endpoint, region, accessKeyId, secretAccessKey, HttpPool.defaults());
  }

  /**
   * An S3 client: path-style requests, the SDK's pooled Apache HttpClient 5 client (keep-alive
   * connections reused across requests, at most {@code pool.maxConnections()} at once, a request
   * waits at most {@code pool.acquisitionTimeout()} for one), SDK-computed checksums only where S3
   * requires them (so S3-compatible servers without the newer checksum headers work; the content's
   * SHA-256 is sent by {@link #put} instead).
   *
   * @param endpoint absent = the AWS endpoint of the region
   * @param accessKeyId with {@code secretAccessKey}; absent = the SDK's default credentials chain
   */
  public static S3Client client(
      Optional<URI> endpoint,
      String region,
      Optional<String> accessKeyId,
      Optional<String> secretAccessKey,
      HttpPool pool) {
    AwsCredentialsProvider credentials;
    if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
      throw new IllegalArgumentException(
          "set both sync.media.s3.access-key-id and sync.media.s3.secret-access-key, or neither");
    } else if (accessKeyId.isPresent()) {
      credentials =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(accessKeyId.get(), secretAccessKey.get()));
    } else {
      credentials = DefaultCredentialsProvider.builder().build();
    }
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .maxConnections(pool.maxConnections())
                    .connectionTimeout(pool.connectionTimeout())
                    .socketTimeout(pool.socketTimeout())
                    .connectionAcquisitionTimeout(pool.acquisitionTimeout())
                    .connectionMaxIdleTime(pool.maxIdleTime())
                    .tcpKeepAlive(true))
            .region(Region.of(region))
            .credentialsProvider(credentials)
            .forcePathStyle(true)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    endpoint.ifPresent(builder::endpointOverride);
    return builder.build();
  }

  /** The bucket. */
  public String bucket() {
    return bucket;
  }

  /** The temp directory (for tests and the stale-file sweep). */
  public Path tempDirectory() {
    return tmp;
  }

  /** The object key of a hash, {@code ab/cd/<sha256>}; the hash is checked. */
  public static String keyOf(String sha256) {
    if (!Ids.isSha256Hex(sha256)) {
      throw new IllegalArgumentException("not a sha256: " + sha256);
    }
    return sha256.substring(0, 2) + "/" + sha256.substring(2, 4) + "/" + sha256;
  }

  /**
   * Checks that the bucket exists and is reachable with these credentials, without creating it (for
   * buckets provisioned outside the service, {@code sync.media.s3.create-bucket=false}).
   */
  public void requireBucket() throws IOException {
    try {
      client.headBucket(b -> b.bucket(bucket));
    } catch (SdkException e) {
      throw new IOException(
          "bucket " + bucket + " is missing or not reachable: " + e.getMessage(), e);
    }
  }

  /**
   * Creates the bucket unless it exists (owned by these credentials), in the client's region (a
   * location constraint outside {@code us-east-1}).
   */
  public void createBucketIfMissing() throws IOException {
    try {
      client.headBucket(b -> b.bucket(bucket));
      return;
    } catch (NoSuchBucketException e) {
      // create below
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw new IOException("cannot check bucket " + bucket + ": " + e.getMessage(), e);
      }
    } catch (SdkException e) {
      throw new IOException("cannot check bucket " + bucket + ": " + e.getMessage(), e);
    }
    // Outside us-east-1 S3 refuses a CreateBucket without the region as location constraint.
    Region region = client.serviceClientConfiguration().region();
    try {
      client.createBucket(
          b -> {
            b.bucket(bucket);
            if (region != null && !Region.US_EAST_1.equals(region)) {
              b.createBucketConfiguration(c -> c.locationConstraint(region.id()));
            }
          });
    } catch (BucketAlreadyOwnedByYouException e) {
      // created meanwhile by another replica
    } catch (SdkException e) {
      throw new IOException("cannot create bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Path createTempFile() throws IOException {
    return LocalTempFiles.create(tmp);
  }

  @Override
  public void put(String sha256, Path verifiedTempFile) throws IOException {
    String key = keyOf(sha256);
    long length = Files.size(verifiedTempFile);
    String sha256Base64 =
        checksum == Checksum.SHA256
            ? Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256))
            : null;
    String md5Base64 = checksum == Checksum.MD5 ? md5Base64(verifiedTempFile) : null;
    try {
      client.putObject(
          b -> {
            b.bucket(bucket).key(key).contentLength(length);
            // The server recomputes either and refuses the put (BadDigest) if the bytes differ.
            if (sha256Base64 != null) {
              b.checksumSHA256(sha256Base64);
            }
            if (md5Base64 != null) {
              b.contentMD5(md5Base64);
            }
          },
          RequestBody.fromFile(verifiedTempFile));
    } catch (SdkException e) {
      throw new IOException("cannot store " + key + " in " + bucket + ": " + e.getMessage(), e);
    }
    Files.deleteIfExists(verifiedTempFile);
  }

  private static String md5Base64(Path file) throws IOException {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
      while (in.read(buffer) >= 0) {
        buffer.flip();
        md5.update(buffer);
        buffer.clear();
      }
    }
    return Base64.getEncoder().encodeToString(md5.digest());
  }

  @Override
  public boolean placesTempFile() {
    return false;
  }

  @Override
  public void scan(Instant cutoff, Consumer<String> found) throws IOException {
    try {
      for (S3Object o :
          client.listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(1000)).contents()) {
        String key = o.key();
        int slash = key.lastIndexOf('/');
        String name = key.substring(slash + 1);
        if (Ids.isSha256Hex(name)
            && keyOf(name).equals(key)
            && o.lastModified() != null
            && o.lastModified().isBefore(cutoff)) {
          found.accept(name);
        }
      }
    } catch (SdkException e) {
      throw new IOException("cannot list " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean exists(String sha256) throws IOException {
    return head(sha256).isPresent();
  }

  @Override
  public long size(String sha256) throws IOException {
    return head(sha256)
        .orElseThrow(() -> new NoSuchFileException(bucket + "/" + keyOf(sha256)))
        .contentLength();
  }

  private Optional<HeadObjectResponse> head(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      return Optional.of(client.headObject(b -> b.bucket(bucket).key(key)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw new IOException("cannot read " + key + " in " + bucket + ": " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException("cannot read " + key + " in " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public InputStream open(String sha256, long offset, long length) throws IOException {
    String key = keyOf(sha256);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset " + offset + ", length " + length);
    }
    if (length == 0) {
      // An empty range cannot be expressed as an HTTP Range; only the existence matters.
      if (!exists(sha256)) {
        throw new NoSuchFileException(bucket + "/" + key);
      }
      return InputStream.nullInputStream();
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    try {
      return client.getObject(b -> b.bucket(bucket).key(key).range(range));
    } catch (NoSuchKeyException e) {
      throw noSuchFile(key, e);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw noSuchFile(key, e);
      }
      if (e.statusCode() == 416) {
        // Offset at or past the end: nothing to read, as with a file.
        return InputStream.nullInputStream();
      }
      throw new IOException("cannot read " + key + " in " + bucket + ": " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException("cannot read " + key + " in " + bucket + ": " + e.getMessage(), e);
    }
  }

  private NoSuchFileException noSuchFile(String key, Exception cause) {
    NoSuchFileException e = new NoSuchFileException(bucket + "/" + key);
    e.initCause(cause);
    return e;
  }

  @Override
  public void delete(String sha256) throws IOException {
    String key = keyOf(sha256);
    try {
      // S3 answers 204 for a missing key as well.
      client.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      // already gone
    } catch (SdkException e) {
      throw new IOException("cannot delete " + key + " in " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int deleteStaleTempFiles(Duration olderThan) throws IOException {
    return LocalTempFiles.deleteStale(tmp, olderThan);
  }

  @Override
  public void close() {
    client.close();
  }
}
