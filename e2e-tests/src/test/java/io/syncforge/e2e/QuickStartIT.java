package io.syncforge.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.syncforge.devinfra.LocalStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start, word for word: the transcript between {@code <!-- quickstart:begin -->}
 * and {@code <!-- quickstart:end -->} is run as written ({@code $ } lines are commands, the lines
 * after them their expected output, {@code …} matching anything), against the real services.
 */
class QuickStartIT {

  private final LocalStack stack = Stack.get();

  private record Step(String command, List<String> expected) {}

  @Test
  void theReadmeQuickStartWorksAsWritten() throws Exception {
    List<Step> steps = parse(Files.readString(stack.root().resolve("README.md")));
    assertTrue(steps.size() > 20, "the quick start has its commands: " + steps.size());

    Path dir = Path.of("target", "quickstart").toAbsolutePath();
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(dir);
    Files.createSymbolicLink(dir.resolve("sync-stack"), stack.root().resolve("sync-stack"));
    Files.createSymbolicLink(dir.resolve("sync-cli"), stack.root().resolve("sync-cli"));

    StringBuilder script = new StringBuilder();
    for (int i = 0; i < steps.size(); i++) {
      script.append("echo '@@step ").append(i).append("@@'\n");
      script.append(steps.get(i).command()).append(" 2>&1\n");
    }
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script.toString()).directory(dir.toFile());
    pb.environment().put("SYNC_API_URL", stack.apiUrl());
    pb.environment().put("SYNC_MEDIA_URL", stack.mediaUrl());
    pb.environment().put("SYNC_STACK_HOME", stack.home().toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES));

    List<List<String>> actual = new ArrayList<>();
    for (String line : out.split("\n", -1)) {
      if (line.matches("@@step \\d+@@")) {
        actual.add(new ArrayList<>());
      } else if (!actual.isEmpty() && !line.isEmpty()) {
        actual.get(actual.size() - 1).add(line);
      }
    }
    assertEquals(steps.size(), actual.size(), "every command ran; output:\n" + out);
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      List<String> got = actual.get(i);
      boolean ok = got.size() == step.expected().size();
      for (int j = 0; ok && j < got.size(); j++) {
        ok = pattern(step.expected().get(j)).matcher(got.get(j)).matches();
      }
      if (!ok) {
        fail(
            "README quick start, command: $ "
                + step.command()
                + "\nexpected:\n  "
                + String.join("\n  ", step.expected())
                + "\nbut printed:\n  "
                + String.join("\n  ", got));
      }
    }
  }

  private static Pattern pattern(String expected) {
    StringBuilder re = new StringBuilder();
    for (String part : expected.split("…", -1)) {
      if (re.length() > 0) {
        re.append(".*");
      }
      re.append(Pattern.quote(part));
    }
    return Pattern.compile(re.toString());
  }

  private static List<Step> parse(String readme) {
    int begin = readme.indexOf("<!-- quickstart:begin -->");
    int end = readme.indexOf("<!-- quickstart:end -->");
    assertTrue(begin >= 0 && end > begin, "README has the quick-start markers");
    String block = readme.substring(begin, end);
    block =
        block.substring(
            block.indexOf("```console") + "```console".length(), block.lastIndexOf("```"));
    List<Step> steps = new ArrayList<>();
    for (String line : block.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("$ ")) {
        steps.add(new Step(line.substring(2), new ArrayList<>()));
      } else {
        steps.get(steps.size() - 1).expected().add(line);
      }
    }
    return steps;
  }
}
