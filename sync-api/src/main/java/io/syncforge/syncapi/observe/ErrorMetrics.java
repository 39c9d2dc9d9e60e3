package io.syncforge.syncapi.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.syncforge.protocol.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/** Counts every problem+json answer by its code: metric {@code sync.errors{code=...}}. */
@Provider
public class ErrorMetrics implements ContainerResponseFilter {

  private final MeterRegistry registry;

  ErrorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    if (response.getEntity() instanceof Problem p) {
      registry.counter("sync.errors", "code", String.valueOf(p.code())).increment();
    }
  }
}
