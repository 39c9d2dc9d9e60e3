package io.syncforge.media.download;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.media.MediaIds;
import io.syncforge.media.MediaObject;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.media.store.BlobStore;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.service.ProblemMapper;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.PathPart;

/**
 * {@code GET | HEAD /v1/media/{sha256}}: the bytes, streamed from the blob store, with entity tag,
 * conditional and single-range support. Content is immutable, so caches may keep it forever.
 */
@Path("/v1/media/{sha256}")
@Authenticated
public class DownloadResource {

  /** Private: the bytes are per tenant; immutable: the address is the hash. */
  static final String CACHE_CONTROL = "private, max-age=31536000, immutable";

  private static final int BUFFER = 64 * 1024;
  private static final Logger LOG = Logger.getLogger(DownloadResource.class);

  private final MediaCatalog catalog;
  private final BlobStore store;
  private final JsonWebToken jwt;

  public DownloadResource(MediaCatalog catalog, BlobStore store, JsonWebToken jwt) {
    this.catalog = catalog;
    this.store = store;
    this.jwt = jwt;
  }

  /** What GET and HEAD read from the request: the content's hash and the conditional headers. */
  public static class Read {
    @PathParam("sha256")
    String sha256;

    @HeaderParam(HttpHeaders.IF_NONE_MATCH)
    String ifNoneMatch;

    @HeaderParam("Range")
    String range;

    @HeaderParam("If-Range")
    String ifRange;
  }

  @GET
  @Blocking
  public Response get(@BeanParam Read read) {
    return serve(read.sha256, read.ifNoneMatch, read.range, read.ifRange, true);
  }

  @HEAD
  @Blocking
  public Response head(@BeanParam Read read) {
    return serve(read.sha256, read.ifNoneMatch, read.range, read.ifRange, false);
  }

  private Response serve(
      String sha256, String ifNoneMatch, String rangeHeader, String ifRange, boolean withBody) {
    Caller caller = Caller.of(jwt);
    MediaObject media = catalog.get(caller, MediaIds.requireSha256(sha256));
    long size = media.size;
    java.util.Optional<java.nio.file.Path> local = store.localFile(sha256);
    // A remote store is asked once, by the GET that streams the body (no HEAD before it).
    boolean checkedLater = withBody && local.isEmpty();
    if (!checkedLater
        && !(local.isPresent()
            ? java.nio.file.Files.isRegularFile(local.get())
            : store.existsUnchecked(sha256))) {
      throw missingBytes(sha256, caller);
    }
    String etag = EntityTags.of(sha256);
    if (EntityTags.noneMatchHits(ifNoneMatch, sha256)) {
      return Response.notModified()
          .header(HttpHeaders.ETAG, etag)
          .header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
          .build();
    }
    ByteRange range;
    try {
      range = EntityTags.ifRangeAllows(ifRange, sha256) ? ByteRange.parse(rangeHeader, size) : null;
    } catch (ByteRange.Unsatisfiable e) {
      return Response.fromResponse(
              ProblemMapper.problem(
                  ErrorCode.RANGE_NOT_SATISFIABLE,
                  "the range " + rangeHeader + " lies outside " + size + " bytes",
                  UUID.randomUUID().toString()))
          .header("Content-Range", "bytes */" + size)
          .header(HttpHeaders.ETAG, etag)
          .build();
    }
    long offset = range == null ? 0 : range.start();
    long length = range == null ? size : range.length();
    Response.ResponseBuilder response =
        range == null
            ? Response.ok()
            : Response.status(Response.Status.PARTIAL_CONTENT)
                .header("Content-Range", range.contentRange(size));
    response
        .type(media.contentType)
        .header(HttpHeaders.ETAG, etag)
        .header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
        .header("Accept-Ranges", "bytes")
        .header("X-Content-Type-Options", "nosniff")
        // User content on the API's origin: never rendered as an active document (an SVG with a
        // script, say), whatever its type.
        .header("Content-Security-Policy", "default-src 'none'; sandbox")
        .header(HttpHeaders.CONTENT_LENGTH, length);
    if (withBody) {
      if (local.isPresent()) {
        // Zero-copy: Quarkus REST hands a PathPart to Vert.x sendFile.
        response.entity(new PathPart(local.get(), offset, length));
      } else {
        InputStream in = openRemote(sha256, offset, length, caller);
        response.entity(stream(in));
      }
    }
    return response.build();
  }

  private static ProblemException missingBytes(String sha256, Caller caller) {
    // Metadata without bytes must not happen (GC and upload share a lock); say so loudly.
    LOG.errorf("media %s has metadata for tenant %s but no stored bytes", sha256, caller.tenant());
    return ProblemException.unavailable("the content is temporarily unavailable", 30);
  }

  private InputStream openRemote(String sha256, long offset, long length, Caller caller) {
    try {
      return store.open(sha256, offset, length);
    } catch (java.nio.file.NoSuchFileException e) {
      throw missingBytes(sha256, caller);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the blob store", e);
    }
  }

  private static StreamingOutput stream(InputStream opened) {
    return out -> {
      try (InputStream in = opened) {
        byte[] buffer = new byte[BUFFER];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      }
    };
  }
}
