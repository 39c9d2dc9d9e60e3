package io.syncforge.media.meta;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.syncforge.media.MediaIds;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.protocol.MediaMetadata;
import io.syncforge.service.Caller;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** {@code GET /v1/media/{sha256}/meta} and {@code DELETE /v1/media/{sha256}}. */
@Path("/v1/media/{sha256}")
@Authenticated
public class MetadataResource {

  private final MediaCatalog catalog;
  private final JsonWebToken jwt;

  public MetadataResource(MediaCatalog catalog, JsonWebToken jwt) {
    this.catalog = catalog;
    this.jwt = jwt;
  }

  @GET
  @Path("meta")
  @Blocking
  @Produces(MediaType.APPLICATION_JSON)
  public MediaMetadata meta(@PathParam("sha256") String sha256) {
    Caller caller = Caller.of(jwt);
    return MediaMetadataMapper.toDto(catalog.get(caller, MediaIds.requireSha256(sha256)));
  }

  @DELETE
  @Blocking
  public Response delete(@PathParam("sha256") String sha256) {
    Caller caller = Caller.of(jwt);
    catalog.delete(caller, MediaIds.requireSha256(sha256));
    return Response.noContent().build();
  }
}
