package io.syncforge.syncapi.observe;

import io.agroal.api.AgroalDataSource;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.health.api.HealthGroup;
import io.syncforge.syncapi.push.PushService;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Health of sync-api. Readiness means "this pod can answer": it does not depend on PostgreSQL or
 * Kafka, because during an outage a pod that answers {@code 503} + {@code Retry-After} is what
 * devices need, while an unready pod gets them connection errors from the load balancer. The
 * dependencies are reported separately at {@code /q/health/group/dependencies} (for dashboards and
 * alerts, never for routing).
 */
public final class ApiHealth {
  private ApiHealth() {}

  /** Ready once started: the HTTP server, configuration and beans are up. */
  @Readiness
  @ApplicationScoped
  public static class Ready implements HealthCheck {
    @Override
    public HealthCheckResponse call() {
      return HealthCheckResponse.named("sync-api").up().build();
    }
  }

  /** PostgreSQL and Kafka as this pod sees them; DOWN when either is unreachable. */
  @HealthGroup("dependencies")
  @ApplicationScoped
  public static class Dependencies implements HealthCheck {
    private static final int TIMEOUT_SECONDS = 2;

    private final AgroalDataSource dataSource;
    private final PushService push;
    private final Map<String, Object> kafka;
    private volatile Admin admin;

    Dependencies(
        AgroalDataSource dataSource,
        PushService push,
        @Identifier("default-kafka-broker") Map<String, Object> kafka) {
      this.dataSource = dataSource;
      this.push = push;
      this.kafka = kafka;
    }

    @Override
    public HealthCheckResponse call() {
      String db = database();
      String broker = kafka();
      boolean up = "up".equals(db) && "up".equals(broker);
      return HealthCheckResponse.named("dependencies")
          .status(up)
          .withData("postgresql", db)
          .withData("kafka", broker)
          .withData("lastPushFoundKafkaDown", push.kafkaDown())
          .build();
    }

    private String database() {
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement()) {
        s.setQueryTimeout(TIMEOUT_SECONDS);
        s.execute("SELECT 1");
        return "up";
      } catch (Exception e) {
        return "down";
      }
    }

    private String kafka() {
      try {
        admin()
            .describeCluster(
                new DescribeClusterOptions()
                    .timeoutMs((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)))
            .nodes()
            .get(TIMEOUT_SECONDS + 1L, TimeUnit.SECONDS);
        return "up";
      } catch (Exception e) {
        return "down";
      }
    }

    private Admin admin() {
      Admin a = admin;
      if (a == null) {
        synchronized (this) {
          if (admin == null) {
            Map<String, Object> props = new HashMap<>();
            kafka.forEach(
                (k, v) -> {
                  if (AdminClientConfig.configNames().contains(k)) {
                    props.put(k, v);
                  }
                });
            props.put(AdminClientConfig.CLIENT_ID_CONFIG, "sync-api-health");
            admin = Admin.create(props);
          }
          a = admin;
        }
      }
      return a;
    }

    @PreDestroy
    void close() {
      if (admin != null) {
        admin.close();
      }
    }
  }
}
