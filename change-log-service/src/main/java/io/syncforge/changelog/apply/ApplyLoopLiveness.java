package io.syncforge.changelog.apply;

import io.syncforge.changelog.config.ChangeLogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * DOWN when a restart would help: the apply loop thread is dead, or it has made no progress for
 * {@code sync.changelog.stall-timeout} while Kafka shows mutations waiting and no transient fault
 * (PostgreSQL or Kafka away, which a restart would not cure) explains it.
 */
@Liveness
@ApplicationScoped
public class ApplyLoopLiveness implements HealthCheck {

  private final MutationConsumer consumer;
  private final Duration stall;

  ApplyLoopLiveness(MutationConsumer consumer, ChangeLogConfig config) {
    this.consumer = consumer;
    this.stall = config.stallTimeout();
  }

  @Override
  public HealthCheckResponse call() {
    double idle = consumer.secondsSinceProgress();
    long waiting = consumer.lagWaiting();
    boolean alive = !consumer.enabled() || consumer.loopAlive();
    boolean stalled =
        consumer.enabled()
            && idle > stall.toSeconds()
            && waiting > 0
            && !consumer.faultWithin(stall);
    return HealthCheckResponse.named("apply-loop-progress")
        .status(alive && !stalled)
        .withData("loopAlive", alive)
        .withData("secondsSinceProgress", (long) idle)
        .withData("waiting", waiting)
        .withData("lastFailure", String.valueOf(consumer.lastFailure()))
        .build();
  }
}
