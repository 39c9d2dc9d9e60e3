package io.syncforge.changelog.apply;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the instance can serve: the apply loop runs and has joined the consumer group (with
 * zero or more partitions: an instance beyond the partition count is a ready standby), and no
 * partition is refused for its topology. A transient fault does not make it unready: the loop
 * retries it by itself. PostgreSQL readiness comes from the datasource's own check.
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
    boolean topologyOk =
        consumer.refusedPartitions().isEmpty() && consumer.topologyProblem() == null;
    return HealthCheckResponse.named("apply-loop")
        .status(!consumer.enabled() || (consumer.healthy() && topologyOk))
        .withData("partitions", consumer.assignedPartitions().toString())
        .withData("refused", consumer.refusedPartitions().toString())
        .withData("topology", String.valueOf(consumer.topologyProblem()))
        .withData("lastFailure", String.valueOf(consumer.lastFailure()))
        .build();
  }
}
