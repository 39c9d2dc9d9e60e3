package io.syncforge.syncapi.snapshot;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.service.Caller;
import io.syncforge.syncapi.config.CollectionPolicy;
import io.syncforge.syncapi.config.Params;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.limit.RateLimits;
import io.syncforge.syncapi.log.ReadTransactions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code GET /v1/sync/snapshot}: the tenant's current records, page by page. */
@Path("/v1/sync/snapshot")
@Authenticated
public class SnapshotResource {

  private final ReadTransactions tx;
  private final CursorCodec codec;
  private final CollectionPolicy collections;
  private final SyncApiConfig config;
  private final JsonWebToken jwt;
  private final RateLimits limits;

  SnapshotResource(
      ReadTransactions tx,
      CursorCodec codec,
      CollectionPolicy collections,
      SyncApiConfig config,
      JsonWebToken jwt,
      RateLimits limits) {
    this.tx = tx;
    this.codec = codec;
    this.collections = collections;
    this.config = config;
    this.jwt = jwt;
    this.limits = limits;
  }

  @GET
  @Blocking
  @Produces(MediaType.APPLICATION_JSON)
  @APIResponse(
      responseCode = "200",
      description = "OK",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = SnapshotPage.class)))
  @APIResponse(
      responseCode = "400",
      description = "invalid_request (bad limit or collections) or cursor_invalid (page token)")
  @APIResponse(
      responseCode = "410",
      description = "scope_changed or log_epoch_changed: start the snapshot again")
  @APIResponse(responseCode = "422", description = "unknown_collection in collections")
  @Operation(
      summary = "Current records, page by page",
      description =
          "Keyset pages over the tenant's live records, ordered by collection then record id,"
              + " with the cursor captured when the snapshot began. See docs/sync-protocol.md"
              + " section 5.")
  public Response snapshot(
      @Parameter(description = "comma-separated collection names; absent = all")
          @QueryParam("collections")
          String collectionsParam,
      @Parameter(description = "most records, 1..5000, default 500") @QueryParam("limit")
          String limit,
      @Parameter(description = "the previous page's nextPageToken; absent = first page")
          @QueryParam("pageToken")
          String pageToken,
      @HeaderParam("Accept-Encoding") String acceptEncoding,
      @Context HttpServerRequest http) {
    Caller caller = Caller.of(jwt);
    limits.request(caller, null);
    List<String> filter = collections.filter(collectionsParam);
    int pageSize = Params.pageLimit(limit, config);
    String token = Params.emptyToNull(pageToken);
    SnapshotReader.Encoded page =
        tx.read(
            c ->
                SnapshotReader.encode(
                    c,
                    codec,
                    config.partitions(),
                    caller.tenant(),
                    filter,
                    pageSize,
                    config.pull().maxPageBytes(),
                    token));
    Response.ResponseBuilder answer =
        Response.ok().type(MediaType.APPLICATION_JSON_TYPE).header("Vary", "Accept-Encoding");
    if (http.version() != HttpVersion.HTTP_2 && acceptsGzip(acceptEncoding)) {
      // HTTP/1.x: compressed here, at the fastest level, instead of by the HTTP layer (level 6):
      // a first sync's pages are megabytes of JSON, and level 6 costs twice the CPU for about 10 %
      // fewer bytes. The header is set (not added) on the HTTP response itself: it replaces the
      // "identity" the HTTP layer put there, which the REST layer would otherwise remove (with
      // any header added beside it) to let the HTTP layer compress the body a second time. Over
      // HTTP/2 a content-encoding header asks the HTTP layer to compress, so there the HTTP
      // layer does it, as for every other endpoint.
      http.response().putHeader("Content-Encoding", "gzip");
      return answer.entity(gzip(page.json())).build();
    }
    return answer.entity(page.json()).build();
  }

  /** gzip at this level: about 15 % larger than level 6 on text-like records, 3-4x faster. */
  static final int GZIP_LEVEL = Deflater.BEST_SPEED;

  /** True when the client accepts gzip ({@code gzip} listed without {@code q=0}). */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] f = part.trim().split(";");
      String coding = f[0].trim().toLowerCase(Locale.ROOT);
      if (!coding.equals("gzip") && !coding.equals("x-gzip")) {
        continue;
      }
      for (int i = 1; i < f.length; i++) {
        String q = f[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
        if (q.startsWith("q=")) {
          try {
            return Double.parseDouble(q.substring(2)) > 0;
          } catch (NumberFormatException e) {
            return false;
          }
        }
      }
      return true;
    }
    return false;
  }

  static byte[] gzip(byte[] json) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 3 + 64);
    try (GZIPOutputStream z =
        new GZIPOutputStream(out, 64 * 1024) {
          {
            def.setLevel(GZIP_LEVEL);
          }
        }) {
      z.write(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
