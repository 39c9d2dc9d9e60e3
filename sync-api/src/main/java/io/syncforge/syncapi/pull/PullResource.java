package io.syncforge.syncapi.pull;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.syncforge.protocol.Headers;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Problem;
import io.syncforge.protocol.PullResponse;
import io.syncforge.service.Caller;
import io.syncforge.syncapi.config.CollectionPolicy;
import io.syncforge.syncapi.config.Params;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.limit.RateLimits;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code GET /v1/sync/pull}: changes after a cursor, with receipts and an optional live wait. */
@Path("/v1/sync/pull")
@Authenticated
public class PullResource {

  private final PullService service;
  private final CollectionPolicy collections;
  private final SyncApiConfig config;
  private final JsonWebToken jwt;
  private final RateLimits limits;

  PullResource(
      PullService service,
      CollectionPolicy collections,
      SyncApiConfig config,
      JsonWebToken jwt,
      RateLimits limits) {
    this.service = service;
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
              schema = @Schema(implementation = PullResponse.class)))
  @APIResponse(
      responseCode = "400",
      description = "invalid_request (bad limit, wait, collections or client id) or cursor_invalid",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "410",
      description =
          "cursor_expired, scope_changed or log_epoch_changed (resetReason says which): reset from a snapshot",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "422",
      description = "unknown_collection in collections",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @Operation(
      summary = "Changes after a cursor",
      description =
          "Reads the tenant's change log after the cursor (all partitions, up to limit), the"
              + " caller's receipts in the same range, and the next cursor. See"
              + " docs/sync-protocol.md section 4.")
  public Uni<PullResponse> pull(
      @Parameter(description = "cursor of the previous pull or snapshot; absent = log start")
          @QueryParam("cursor")
          String cursor,
      @Parameter(description = "most changes, 1..5000, default 500") @QueryParam("limit")
          String limit,
      @Parameter(description = "comma-separated collection names; absent = all")
          @QueryParam("collections")
          String collectionsParam,
      @Parameter(description = "seconds (0..30) to hold the request when nothing is new")
          @QueryParam("wait")
          String wait,
      @Parameter(description = "the caller's client id for receipts (the header wins)")
          @HeaderParam(Headers.CLIENT_ID)
          String clientIdHeader,
      @Parameter(description = "the caller's client id, when the header is not sent")
          @QueryParam("clientId")
          String clientIdQuery) {
    Caller caller = Caller.of(jwt);
    PullReader.Request request =
        new PullReader.Request(
            caller.tenant(),
            Params.emptyToNull(cursor),
            collections.filter(collectionsParam),
            Params.pageLimit(limit, config),
            Params.clientId(clientIdHeader, clientIdQuery));
    limits.request(caller, request.clientId());
    int maxWait = Math.min(config.pull().maxWaitSeconds(), Limits.MAX_WAIT_SECONDS);
    Duration waitFor = Duration.ofSeconds(Params.intIn("wait", wait, 0, maxWait, 0));
    return service.pull(request, waitFor);
  }
}
