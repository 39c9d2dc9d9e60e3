package io.syncforge.media.tus;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.media.MediaConfig;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.media.upload.ContentTypes;
import io.syncforge.media.upload.FileNames;
import io.syncforge.media.upload.UploadResource;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.service.ProblemMapper;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.net.URI;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Resumable uploads with the tus 1.0 protocol (core, {@code creation}, {@code termination}): {@code
 * POST /v1/media/uploads} creates, {@code HEAD …/{id}} tells the offset, {@code PATCH …/{id}}
 * appends, {@code DELETE …/{id}} ends. The content's SHA-256 is declared at creation ({@code
 * X-Content-SHA256}, or {@code sha256} in {@code Upload-Metadata}) and verified when the last byte
 * arrived. The one-shot {@code POST /v1/media} stays.
 */
@Path("/v1/media/uploads")
@Authenticated
public class TusResource {

  /** The protocol version this server speaks. */
  public static final String VERSION = "1.0.0";

  /** The {@code PATCH} body type tus requires. */
  public static final String OFFSET_OCTET_STREAM = "application/offset+octet-stream";

  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private final TusService tus;
  private final MediaConfig config;
  private final JsonWebToken jwt;
  private final ObjectMapper mapper;

  public TusResource(TusService tus, MediaConfig config, JsonWebToken jwt, ObjectMapper mapper) {
    this.tus = tus;
    this.config = config;
    this.jwt = jwt;
    this.mapper = mapper;
  }

  @OPTIONS
  public Response options() {
    return Response.noContent()
        .header("Tus-Resumable", VERSION)
        .header("Tus-Version", VERSION)
        .header("Tus-Extension", "creation,termination")
        .header("Tus-Max-Size", config.maxSize())
        .build();
  }

  @POST
  @Blocking
  public Response create(
      @HeaderParam("Tus-Resumable") String version,
      @HeaderParam("Upload-Length") String lengthHeader,
      @HeaderParam("Upload-Metadata") String metadataHeader,
      @HeaderParam(Headers.CONTENT_SHA256) String shaHeader) {
    Response wrong = checkVersion(version);
    if (wrong != null) {
      return wrong;
    }
    Caller caller = Caller.of(jwt);
    if (lengthHeader == null) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          "Upload-Length is required (Upload-Defer-Length is not offered)");
    }
    long length = parseLong(lengthHeader, "Upload-Length");
    Map<String, String> metadata = TusMetadata.parse(metadataHeader);
    String sha256 = shaHeader != null ? shaHeader : metadata.get("sha256");
    if (sha256 == null || !Ids.isSha256Hex(sha256)) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          Headers.CONTENT_SHA256
              + " (or sha256 in Upload-Metadata) must be 64 lower-case hex characters");
    }
    String typeRaw = metadata.getOrDefault("filetype", metadata.get("contentType"));
    String contentType = ContentTypes.normalize(typeRaw);
    if (contentType == null || !ContentTypes.allowed(contentType, config.allowedContentTypes())) {
      throw new ProblemException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE, "content type not accepted: " + typeRaw);
    }
    String fileName = FileNames.sanitize(metadata.getOrDefault("filename", metadata.get("name")));
    ResumableUpload u = tus.create(caller, length, sha256, contentType, fileName);
    return Response.created(URI.create("/v1/media/uploads/" + u.id))
        .header("Tus-Resumable", VERSION)
        .header("Upload-Offset", 0)
        .header("Upload-Expires", HTTP_DATE.format(tus.expires(u)))
        .build();
  }

  @HEAD
  @Path("{id}")
  @Blocking
  public Response head(
      @HeaderParam("Tus-Resumable") String version, @PathParam("id") String idParam) {
    Response wrong = checkVersion(version);
    if (wrong != null) {
      return wrong;
    }
    ResumableUpload u = tus.get(Caller.of(jwt), parseId(idParam));
    return Response.ok()
        .header("Tus-Resumable", VERSION)
        .header("Upload-Offset", tus.offset(u))
        .header("Upload-Length", u.length)
        .header("Upload-Expires", HTTP_DATE.format(tus.expires(u)))
        .header(HttpHeaders.CACHE_CONTROL, "no-store")
        .build();
  }

  @PATCH
  @Path("{id}")
  @Blocking
  @Consumes(MediaType.WILDCARD)
  public Response patch(
      @HeaderParam("Tus-Resumable") String version,
      @PathParam("id") String idParam,
      @HeaderParam("Upload-Offset") String offsetHeader,
      @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
      @HeaderParam(Headers.CLIENT_ID) String clientId,
      @Context HttpServerRequest request,
      InputStream body) {
    Response wrong = checkVersion(version);
    if (wrong != null) {
      return wrong;
    }
    Caller caller = Caller.of(jwt);
    UUID id = parseId(idParam);
    if (contentType == null || !contentType.strip().toLowerCase().startsWith(OFFSET_OCTET_STREAM)) {
      throw new ProblemException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE, "a PATCH body must be " + OFFSET_OCTET_STREAM);
    }
    if (offsetHeader == null) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "Upload-Offset is required");
    }
    long offset = parseLong(offsetHeader, "Upload-Offset");
    TusService.Appended a =
        tus.append(
            caller,
            UploadResource.device(caller, clientId),
            id,
            offset,
            body,
            () -> UploadResource.abortTooSlow(request, mapper, config));
    Response.ResponseBuilder r =
        Response.noContent().header("Tus-Resumable", VERSION).header("Upload-Offset", a.offset());
    if (a.completed() != null) {
      // Not part of tus: where the finished content is, for clients that want it.
      r.header(HttpHeaders.LOCATION, MediaMetadataMapper.url(a.completed().media().sha256));
    }
    return r.build();
  }

  @DELETE
  @Path("{id}")
  @Blocking
  public Response terminate(
      @HeaderParam("Tus-Resumable") String version, @PathParam("id") String idParam) {
    Response wrong = checkVersion(version);
    if (wrong != null) {
      return wrong;
    }
    tus.terminate(Caller.of(jwt), parseId(idParam));
    return Response.noContent().header("Tus-Resumable", VERSION).build();
  }

  /** tus: a request for another version is {@code 412} with the versions offered. */
  private static Response checkVersion(String version) {
    if (VERSION.equals(version == null ? null : version.strip())) {
      return null;
    }
    return Response.fromResponse(
            ProblemMapper.problem(
                ErrorCode.INVALID_REQUEST,
                "Tus-Resumable: " + VERSION + " is required",
                UUID.randomUUID().toString()))
        .status(412)
        .header("Tus-Version", VERSION)
        .build();
  }

  private static UUID parseId(String id) {
    try {
      UUID u = UUID.fromString(id);
      if (u.toString().equals(id)) {
        return u;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw new ProblemException(ErrorCode.NOT_FOUND, "no upload " + id);
  }

  private static long parseLong(String header, String name) {
    try {
      long v = Long.parseLong(header.strip());
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new ProblemException(ErrorCode.INVALID_REQUEST, "invalid " + name);
  }
}
