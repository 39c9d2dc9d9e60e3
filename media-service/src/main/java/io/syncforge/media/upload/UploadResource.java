package io.syncforge.media.upload;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.media.meta.MediaCatalog;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.net.URI;
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

  public UploadResource(UploadService uploads, MediaConfig config, JsonWebToken jwt) {
    this.uploads = uploads;
    this.config = config;
    this.jwt = jwt;
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
            caller, sha256, contentType, FileNames.sanitize(fileNameHeader), contentLength, body);
    Response.ResponseBuilder response =
        r.created() ? Response.created(URI.create(MediaMetadataMapper.url(sha256))) : Response.ok();
    return response.entity(MediaMetadataMapper.toDto(r.media())).build();
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
