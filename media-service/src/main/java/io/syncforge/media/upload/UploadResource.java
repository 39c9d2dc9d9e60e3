package io.syncforge.media.upload;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.service.ProblemMapper;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.net.URI;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * {@code POST /v1/media}: the raw body is the content. Blocking on a worker thread with an {@link
 * InputStream} parameter, so Quarkus REST hands over the request body as it arrives instead of
 * buffering it.
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
  @Blocking
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  public Response upload(
      @HeaderParam(Headers.CONTENT_SHA256) String sha256,
      @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentTypeHeader,
      @HeaderParam(Headers.FILE_NAME) String fileNameHeader,
      @HeaderParam(HttpHeaders.CONTENT_LENGTH) String contentLengthHeader,
      @HeaderParam(Headers.CLIENT_ID) String clientId,
      @Context HttpServerRequest request,
      InputStream body) {
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
    MediaCatalog.Registered r =
        uploads.upload(
            caller,
            device(caller, clientId),
            sha256,
            contentType,
            FileNames.sanitize(fileNameHeader),
            contentLength,
            body,
            () -> abortTooSlow(request, mapper, config));
    Response.ResponseBuilder response =
        r.created() ? Response.created(URI.create(MediaMetadataMapper.url(sha256))) : Response.ok();
    return response.entity(MediaMetadataMapper.toDto(r.media())).build();
  }

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
