package io.syncforge.media.upload;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.service.ProblemMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code POST /v1/media}: the raw body is the content. Not blocking: the method pauses the request
 * on its event loop, opens the temp file (a worker does that and the quota pre-check when a quota
 * is set and the length declared: it reads the database), the event loop then hashes and writes
 * each body chunk as it arrives ({@link BodyReader}), and a worker fsyncs, stores and registers it.
 * The body is never buffered whole and never handed to a worker chunk by chunk.
 */
@Path("/v1/media")
@Authenticated
public class UploadResource {

  private final UploadService uploads;
  private final MediaConfig config;
  private final JsonWebToken jwt;
  private final ObjectMapper mapper;

  public UploadResource(
      UploadService uploads, MediaConfig config, JsonWebToken jwt, ObjectMapper mapper) {
    this.uploads = uploads;
    this.config = config;
    this.jwt = jwt;
    this.mapper = mapper;
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  public Uni<Response> upload(
      @HeaderParam(Headers.CONTENT_SHA256) String sha256,
      @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentTypeHeader,
      @HeaderParam(Headers.FILE_NAME) String fileNameHeader,
      @HeaderParam(HttpHeaders.CONTENT_LENGTH) String contentLengthHeader,
      @HeaderParam(Headers.CLIENT_ID) String clientId,
      @jakarta.ws.rs.core.Context HttpServerRequest request) {
    // On the event loop, before anything can block: no body chunk may arrive before its handler.
    request.pause();
    Caller caller = Caller.of(jwt);
    if (sha256 == null || sha256.isEmpty()) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST, Headers.CONTENT_SHA256 + " header is required");
    }
    if (!Ids.isSha256Hex(sha256)) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          Headers.CONTENT_SHA256 + " must be 64 lower-case hex characters");
    }
    String contentType = ContentTypes.normalize(contentTypeHeader);
    if (contentType == null || !ContentTypes.allowed(contentType, config.allowedContentTypes())) {
      throw new ProblemException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE, "content type not accepted: " + contentTypeHeader);
    }
    Long contentLength = parseLength(contentLengthHeader);
    if (contentLength != null && contentLength > config.maxSize()) {
      throw new ProblemException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "the body exceeds the limit of " + config.maxSize() + " bytes");
    }
    if (contentLength != null && contentLength == 0) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "the body is empty");
    }
    String fileName = FileNames.sanitize(fileNameHeader);
    Context loop = Vertx.currentContext();
    if (loop == null) {
      throw new IllegalStateException("the upload must start on the request's event loop");
    }
    Executor onLoop = task -> loop.runOnContext(v -> task.run());
    Executor worker = Infrastructure.getDefaultWorkerPool();
    // The upload's permits and temp file, released on every path: also when the request is
    // cancelled (client gone) while a step runs, and when that happens before begin() returned.
    AtomicReference<Object> opened = new AtomicReference<>();
    Runnable release =
        () -> {
          if (opened.getAndSet(RELEASED) instanceof UploadService.Receiving r) {
            r.close();
          }
        };
    Uni<UploadService.Receiving> begun =
        Uni.createFrom()
            .item(
                () -> {
                  UploadService.Receiving r =
                      uploads.begin(
                          caller,
                          device(caller, clientId),
                          sha256,
                          contentLength,
                          () -> abortTooSlow(request, mapper, config));
                  if (!opened.compareAndSet(null, r)) {
                    r.close();
                    throw new ProblemException(
                        ErrorCode.INVALID_REQUEST, "the upload was cancelled before its body");
                  }
                  return r;
                });
    if (uploads.quotaPrecheck(contentLength)) {
      // The quota pre-check reads the database: on a worker, then back to the event loop for the
      // body. Without it begin() only opens a local temp file, right here on the event loop.
      begun = begun.runSubscriptionOn(worker).emitOn(onLoop);
    }
    return begun
        .chain(receiving -> BodyReader.read(request, receiving))
        .emitOn(worker)
        .map(r -> uploads.finish(caller, r, sha256, contentType, fileName))
        .map(
            r -> {
              Response.ResponseBuilder response =
                  r.created()
                      ? Response.created(URI.create(MediaMetadataMapper.url(sha256)))
                      : Response.ok();
              return response.entity(MediaMetadataMapper.toDto(r.media())).build();
            })
        // finish() closes it too; closing is idempotent.
        .onTermination()
        .invoke(release);
  }

  /** Marks an upload's resources as released (see {@link #upload}). */
  private static final Object RELEASED = new Object();

  /** The per-device limit's key: tenant, user and (when sent) the client id. */
  public static String device(Caller caller, String clientId) {
    String client = clientId == null || clientId.isBlank() ? "" : clientId.strip();
    return caller.tenant() + "/" + caller.user() + "/" + client;
  }

  /**
   * Ends a too slow upload from the watch's thread: answers {@code 408 upload_too_slow} right away
   * (the blocked worker cannot) and closes the connection, which makes the worker's read fail so it
   * deletes its temp file and releases its permits.
   */
  public static void abortTooSlow(
      HttpServerRequest request, ObjectMapper mapper, MediaConfig config) {
    ErrorCode code = ErrorCode.UPLOAD_TOO_SLOW;
    String body;
    try {
      body =
          mapper.writeValueAsString(
              new Problem(
                  code.type(),
                  code.title(),
                  code.status(),
                  "the upload was ended: slower than "
                      + config.limits().minBytesPerSecond()
                      + " bytes/s or idle for "
                      + config.limits().idleTimeout().toSeconds()
                      + " s",
                  code.code(),
                  UUID.randomUUID().toString(),
                  null,
                  null));
    } catch (Exception e) {
      body = "{\"code\":\"" + code.code() + "\"}";
    }
    var response = request.response();
    try {
      if (!response.ended() && !response.headWritten()) {
        response
            .setStatusCode(code.status())
            .putHeader(HttpHeaders.CONTENT_TYPE, ProblemMapper.PROBLEM_JSON)
            .putHeader("Connection", "close")
            .end(body)
            .onComplete(done -> request.connection().close());
        return;
      }
    } catch (RuntimeException e) {
      // answered meanwhile: just close
    }
    request.connection().close();
  }

  private static Long parseLength(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    try {
      return Long.parseLong(header.strip());
    } catch (NumberFormatException e) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "invalid Content-Length");
    }
  }
}
