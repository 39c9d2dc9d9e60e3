package io.syncforge.changelog.apply;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the apply loop has joined the consumer group (with zero or more partitions: an
 * instance beyond the partition count is a ready standby) and its last batch committed. PostgreSQL
 * readiness comes from the datasource's own check.
 */
@Readiness
@ApplicationScoped
public class ApplyLoopReadiness implements HealthCheck {

  private final MutationConsumer consumer;

  ApplyLoopReadiness(MutationConsumer consumer) {
    this.consumer = consumer;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("apply-loop")
        .status(consumer.healthy())
        .withData("partitions", consumer.assignedPartitions().toString())
        .withData("lastFailure", String.valueOf(consumer.lastFailure()))
        .build();
  }
}
