package demo;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.Map;
import java.util.Optional;

/** Demo {@link #eventsTopic()} mapping. */
@ConfigMapping(prefix = "demo")
public interface DemoConfig {

  /** Events go here. */
  @WithDefault("demo.events")
  String eventsTopic();

  // a line comment with a fake member: int fake();
  @WithName("max-things")
  int thingLimit();

  Map<String, String> rules();

  Nested nested();

  Optional<Nested> optionalNested();

  default String computed() {
    return eventsTopic();
  }

  default int withArg(String x) {
    return 1;
  }

  interface Nested {
    @WithDefault("3")
    int retryCount();
  }
}
