package io.syncforge.syncapi;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.syncforge.devinfra.quarkus.JwtTestResource;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The test infrastructure of {@link io.syncforge.devinfra.quarkus.WithDevInfra} with a Kafka that
 * holds only the two topics sync-api uses ({@code sync.mutations} with 12 partitions, {@code
 * sync.changes} with 3), declared once for the tests that start on it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(
    value = KafkaTestResource.class,
    scope = TestResourceScope.GLOBAL,
    initArgs = @ResourceArg(name = "topics", value = "sync.mutations:12,sync.changes:3"))
@WithTestResource(value = JwtTestResource.class, scope = TestResourceScope.GLOBAL)
public @interface WithApiTopics {}
