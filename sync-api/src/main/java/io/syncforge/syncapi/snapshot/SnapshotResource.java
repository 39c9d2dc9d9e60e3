package io.syncforge.syncapi.snapshot;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.SnapshotPage;
import io.syncforge.protocol.cursor.CursorCodec;
import io.syncforge.service.Caller;
import io.syncforge.syncapi.config.CollectionPolicy;
import io.syncforge.syncapi.config.Params;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.limit.RateLimits;
import io.syncforge.syncapi.log.ReadTransactions;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
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
  public SnapshotPage snapshot(
      @Parameter(description = "comma-separated collection names; absent = all")
          @QueryParam("collections")
          String collectionsParam,
      @Parameter(description = "most records, 1..5000, default 500") @QueryParam("limit")
          String limit,
      @Parameter(description = "the previous page's nextPageToken; absent = first page")
          @QueryParam("pageToken")
          String pageToken) {
    Caller caller = Caller.of(jwt);
    limits.request(caller, null);
    List<String> filter = collections.filter(collectionsParam);
    int max = Math.min(config.pull().maxLimit(), Limits.MAX_PULL_LIMIT);
    int pageSize =
        Params.intIn("limit", limit, 1, max, Math.min(config.pull().defaultLimit(), max));
    String token = Params.emptyToNull(pageToken);
    return tx.read(
        c ->
            SnapshotReader.read(
                c,
                codec,
                config.partitions(),
                caller.tenant(),
                filter,
                pageSize,
                config.pull().maxPageBytes(),
                token));
  }
}
