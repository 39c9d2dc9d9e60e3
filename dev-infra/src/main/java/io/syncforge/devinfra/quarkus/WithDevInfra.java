package io.syncforge.devinfra.quarkus;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The test infrastructure of every service's {@code @QuarkusTest}s, declared once: a real
 * PostgreSQL ({@link PostgresTestResource}), a real Kafka with the whole topic layout ({@link
 * KafkaTestResource}, {@link io.syncforge.protocol.messaging.Topics#layout}) and the dev JWT keys
 * ({@link JwtTestResource}), all {@link TestResourceScope#GLOBAL} so that the application starts
 * once per module. Embedded by default; Testcontainers with {@code
 * -Dsyncforge.infra=testcontainers} where Docker exists ({@link InfraMode}).
 *
 * <pre>{@code
 * @QuarkusTest
 * @WithDevInfra
 * class PushTest { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = JwtTestResource.class, scope = TestResourceScope.GLOBAL)
public @interface WithDevInfra {}
