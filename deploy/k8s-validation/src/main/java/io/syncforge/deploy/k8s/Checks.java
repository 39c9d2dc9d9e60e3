package io.syncforge.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.syncforge.protocol.messaging.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checks of a rendered overlay against the services' configuration in the repository. Each
 * returns its violations, one readable line each; none needs a cluster, an image or a network.
 */
public final class Checks {

  /** The services, by the value of {@code app.kubernetes.io/name} and their module directory. */
  public static final List<String> SERVICES =
      List.of("sync-api", "change-log-service", "media-service");

  /** Ports from the architecture, used only while a module is not in the repository yet. */
  static final Map<String, Integer> DOCUMENTED_PORTS =
      Map.of("sync-api", 8080, "change-log-service", 8081, "media-service", 8082);

  /** sync-api's longest live wait when its module is not in the repository yet (protocol max). */
  static final int DOCUMENTED_MAX_WAIT_SECONDS = 30;

  static final String NAME_LABEL = "app.kubernetes.io/name";

  private final Manifests m;
  private final Map<String, Optional<ServiceConfig>> services;
  private final Map<String, Set<String>> pending;

  public Checks(Manifests m, Map<String, Optional<ServiceConfig>> services) {
    this(m, services, loadPending());
  }

  /** With an explicit pending-key list instead of {@code pending-config-keys.properties}. */
  Checks(
      Manifests m,
      Map<String, Optional<ServiceConfig>> services,
      Map<String, Set<String>> pending) {
    this.m = m;
    this.services = services;
    this.pending = pending;
  }

  /** Every check but the per-service environment check, by name, in a stable order. */
  public Map<String, Supplier<List<String>>> named() {
    Map<String, Supplier<List<String>>> c = new LinkedHashMap<>();
    c.put("typed models and schemas", m::violations);
    c.put("namespaces", this::namespaces);
    c.put("references", this::references);
    c.put("selectors", this::selectors);
    c.put("ports and probes", this::portsAndProbes);
    c.put("requests, limits and probes", this::resourcesAndProbes);
    c.put("topics", this::topics);
    c.put("autoscalers", this::autoscalers);
    c.put("grace periods", this::gracePeriods);
    c.put("media storage", this::mediaStorage);
    c.put("secrets", this::secrets);
    c.put("config checksum", this::configChecksum);
    c.put("connection budget", this::connectionBudget);
    return c;
  }

  /** All violations: every named check plus the environment of every service present. */
  public List<String> all() {
    List<String> out = new ArrayList<>();
    named().values().forEach(s -> out.addAll(s.get()));
    for (String s : SERVICES) {
      if (services.get(s).isPresent()) {
        out.addAll(environment(s));
      }
    }
    return out;
  }

  // --- structure ----------------------------------------------------------------------------

  List<String> namespaces() {
    List<String> out = new ArrayList<>();
    for (JsonNode o : m.raw()) {
      if (!o.path("kind").asText().equals("Namespace")
          && o.path("metadata").path("namespace").asText("").isEmpty()) {
        out.add(Manifests.id(o) + ": no namespace (set `namespace:` in the kustomization)");
      }
    }
    return out;
  }

  /** ConfigMaps, Secrets (and their keys) and ServiceAccounts a pod names exist in the set. */
  List<String> references() {
    List<String> out = new ArrayList<>();
    for (Deployment d : m.all(Deployment.class)) {
      String id = "Deployment " + name(d);
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      if (pod.getServiceAccountName() != null
          && m.named(ServiceAccount.class, pod.getServiceAccountName()).isEmpty()) {
        out.add(id + ": ServiceAccount " + pod.getServiceAccountName() + " does not exist");
      }
      for (Volume v : pod.getVolumes()) {
        if (v.getConfigMap() != null && configMap(v.getConfigMap().getName()).isEmpty()) {
          out.add(id + ": volume " + v.getName() + " names a missing ConfigMap");
        }
        if (v.getSecret() != null && secretKeys(v.getSecret().getSecretName()) == null) {
          out.add(id + ": volume " + v.getName() + " names a missing Secret");
        }
        if (v.getPersistentVolumeClaim() != null
            && m.named(
                    io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class,
                    v.getPersistentVolumeClaim().getClaimName())
                .isEmpty()) {
          out.add(id + ": volume " + v.getName() + " names a missing PersistentVolumeClaim");
        }
      }
      for (Container c : pod.getContainers()) {
        for (EnvFromSource f : c.getEnvFrom()) {
          if (f.getConfigMapRef() != null && configMap(f.getConfigMapRef().getName()).isEmpty()) {
            out.add(id + ": envFrom names missing ConfigMap " + f.getConfigMapRef().getName());
          }
          if (f.getSecretRef() != null && secretKeys(f.getSecretRef().getName()) == null) {
            out.add(id + ": envFrom names missing Secret " + f.getSecretRef().getName());
          }
        }
        for (EnvVar e : c.getEnv()) {
          if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
            var ref = e.getValueFrom().getSecretKeyRef();
            Set<String> keys = secretKeys(ref.getName());
            if (keys == null || !keys.contains(ref.getKey())) {
              out.add(
                  id + ": " + e.getName() + " reads missing " + ref.getName() + "/" + ref.getKey());
            }
          }
          if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
            var ref = e.getValueFrom().getConfigMapKeyRef();
            if (configMap(ref.getName())
                    .map(cm -> cm.getData().containsKey(ref.getKey()))
                    .orElse(false)
                == false) {
              out.add(
                  id + ": " + e.getName() + " reads missing " + ref.getName() + "/" + ref.getKey());
            }
          }
        }
      }
    }
    return out;
  }

  /** Every Service, PDB, NetworkPolicy and HPA selects or targets a Deployment's pods. */
  List<String> selectors() {
    List<String> out = new ArrayList<>();
    for (Service s : m.all(Service.class)) {
      Map<String, String> sel = s.getSpec().getSelector();
      List<Deployment> ds = selected(s, sel);
      if (ds.isEmpty()) {
        out.add("Service " + name(s) + ": selector " + sel + " matches no pod template");
        continue;
      }
      for (ServicePort p : s.getSpec().getPorts()) {
        for (Deployment d : ds) {
          if (resolvePort(
                  d, p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort())
              == null) {
            out.add(
                "Service "
                    + name(s)
                    + ": targetPort "
                    + text(p.getTargetPort())
                    + " is no port of "
                    + name(d));
          }
        }
      }
    }
    for (PodDisruptionBudget p : m.all(PodDisruptionBudget.class)) {
      if (selected(p, matchLabels(p.getSpec().getSelector())).isEmpty()) {
        out.add("PodDisruptionBudget " + name(p) + ": selector matches no pod template");
      }
    }
    for (NetworkPolicy n : m.all(NetworkPolicy.class)) {
      if (selected(n, matchLabels(n.getSpec().getPodSelector())).isEmpty()) {
        out.add("NetworkPolicy " + name(n) + ": podSelector matches no pod template");
      }
    }
    for (HorizontalPodAutoscaler h : m.all(HorizontalPodAutoscaler.class)) {
      var ref = h.getSpec().getScaleTargetRef();
      if (!"Deployment".equals(ref.getKind())
          || m.named(Deployment.class, ref.getName()).isEmpty()) {
        out.add(
            "HorizontalPodAutoscaler "
                + name(h)
                + ": targets missing "
                + ref.getKind()
                + " "
                + ref.getName());
      }
    }
    for (JsonNode so : m.custom("ScaledObject")) {
      String target = so.path("spec").path("scaleTargetRef").path("name").asText();
      if (m.named(Deployment.class, target).isEmpty()) {
        out.add(Manifests.id(so) + ": targets missing Deployment " + target);
      }
    }
    for (Deployment d : m.all(Deployment.class)) {
      Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
      if (!labels.entrySet().containsAll(matchLabels(d.getSpec().getSelector()).entrySet())) {
        out.add("Deployment " + name(d) + ": its selector does not match its own pod template");
      }
      if (m.all(PodDisruptionBudget.class).stream()
          .noneMatch(p -> matches(matchLabels(p.getSpec().getSelector()), labels))) {
        out.add("Deployment " + name(d) + ": no PodDisruptionBudget selects its pods");
      }
    }
    return out;
  }

  // --- the services -------------------------------------------------------------------------

  /** Ports the service listens on (quarkus.http.port), health probes and metrics annotations. */
  List<String> portsAndProbes() {
    List<String> out = new ArrayList<>();
    for (Deployment d : m.all(Deployment.class)) {
      String svc = serviceOf(d);
      String id = "Deployment " + name(d);
      if (!SERVICES.contains(svc)) {
        out.add(id + ": " + NAME_LABEL + "=" + svc + " is not a service of this repository");
        continue;
      }
      int port = httpPort(svc);
      Container c = container(d, svc);
      if (c == null) {
        out.add(id + ": no container named " + svc);
        continue;
      }
      int mgmt = managementPort(c);
      for (ContainerPort p : c.getPorts()) {
        if (p.getContainerPort() != port && p.getContainerPort() != mgmt) {
          out.add(
              id
                  + ": container port "
                  + p.getContainerPort()
                  + ", but "
                  + svc
                  + " serves "
                  + port
                  + " (and its management interface "
                  + mgmt
                  + ")");
        }
      }
      probe(out, id, d, c.getStartupProbe(), "startupProbe", "/q/health/started", mgmt);
      probe(out, id, d, c.getLivenessProbe(), "livenessProbe", "/q/health/live", mgmt);
      probe(out, id, d, c.getReadinessProbe(), "readinessProbe", "/q/health/ready", mgmt);
      Optional<ServiceConfig> cfg = services.get(svc);
      if (cfg.isPresent() && !cfg.get().dependsOn("quarkus-smallrye-health")) {
        out.add(id + ": probes on /q/health/*, but " + svc + " has no quarkus-smallrye-health");
      }
      Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
      if ("true".equals(ann.get("prometheus.io/scrape"))) {
        if (!String.valueOf(mgmt).equals(ann.get("prometheus.io/port"))
            || !"/q/metrics".equals(ann.get("prometheus.io/path"))) {
          out.add(
              id
                  + ": Prometheus must scrape the management port "
                  + mgmt
                  + " path /q/metrics, not "
                  + ann);
        }
        if (cfg.isPresent() && !cfg.get().dependsOn("quarkus-micrometer-registry-prometheus")) {
          out.add(id + ": scraped, but " + svc + " has no Prometheus registry");
        }
      } else {
        out.add(id + ": pods are not annotated for Prometheus scraping");
      }
    }
    return out;
  }

  private void probe(
      List<String> out, String id, Deployment d, Probe p, String kind, String path, int port) {
    if (p == null) {
      return; // reported by resourcesAndProbes
    }
    HTTPGetAction get = p.getHttpGet();
    if (get == null || !path.equals(get.getPath())) {
      out.add(
          id
              + ": "
              + kind
              + " must GET "
              + path
              + ", not "
              + (get == null ? "non-HTTP" : get.getPath()));
      return;
    }
    Integer resolved = resolvePort(d, get.getPort());
    if (resolved == null || resolved != port) {
      out.add(
          id
              + ": "
              + kind
              + " port "
              + text(get.getPort())
              + " is not the management port "
              + port);
    }
    if (p.getTimeoutSeconds() == null || p.getTimeoutSeconds() < 2) {
      out.add(id + ": " + kind + " needs its own timeoutSeconds >= 2 (the default is 1 s)");
    }
  }

  /**
   * The port of the management interface: the images are built with {@code
   * quarkus.management.enabled=true} (a build-time key, so the {@code images} profile of the root
   * pom sets it, and {@code ImagesTest} checks that); its port is runtime config, 9000 unless
   * {@code QUARKUS_MANAGEMENT_PORT} says otherwise.
   */
  private int managementPort(Container c) {
    String v = environmentValues(c).get("QUARKUS_MANAGEMENT_PORT");
    return v == null ? 9000 : Integer.parseInt(v.trim());
  }

  /** Requests and limits for CPU and memory, and all three probes, on every container. */
  List<String> resourcesAndProbes() {
    List<String> out = new ArrayList<>();
    for (Deployment d : m.all(Deployment.class)) {
      for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
        String id = "Deployment " + name(d) + " container " + c.getName();
        ResourceRequirements r = c.getResources();
        Map<String, Quantity> req = r == null ? Map.of() : r.getRequests();
        Map<String, Quantity> lim = r == null ? Map.of() : r.getLimits();
        for (String res : List.of("cpu", "memory")) {
          if (!req.containsKey(res)) {
            out.add(id + ": no " + res + " request");
          }
          if (!lim.containsKey(res)) {
            out.add(id + ": no " + res + " limit");
          }
          if (req.containsKey(res)
              && lim.containsKey(res)
              && Quantity.getAmountInBytes(req.get(res))
                      .compareTo(Quantity.getAmountInBytes(lim.get(res)))
                  > 0) {
            out.add(id + ": " + res + " request above its limit");
          }
        }
        if (c.getStartupProbe() == null) {
          out.add(id + ": no startupProbe");
        }
        if (c.getLivenessProbe() == null) {
          out.add(id + ": no livenessProbe");
        }
        if (c.getReadinessProbe() == null) {
          out.add(id + ": no readinessProbe");
        }
      }
    }
    return out;
  }

  /**
   * Every environment variable of the service's container maps, by SmallRye's rule, to a config key
   * the service has (or to a key listed as pending in {@code pending-config-keys.properties}). Call
   * only for services whose module is in the repository.
   */
  public List<String> environment(String svc) {
    ServiceConfig cfg =
        services.get(svc).orElseThrow(() -> new IllegalStateException(svc + " is not present"));
    List<String> out = new ArrayList<>();
    Set<String> pendingKeys = pending.getOrDefault(svc, Set.of());
    for (String k : pendingKeys) {
      if (cfg.keys().contains(k)) {
        out.add(
            svc
                + ": pending key "
                + k
                + " now exists; remove it from pending-config-keys.properties");
      }
    }
    for (Deployment d : m.all(Deployment.class)) {
      if (!svc.equals(serviceOf(d))) {
        continue;
      }
      Container c = container(d, svc);
      for (String env : environmentNames(c)) {
        boolean ok =
            cfg.accepts(env)
                || pendingKeys.stream().anyMatch(k -> ServiceConfig.envName(k).equals(env));
        if (!ok) {
          out.add("Deployment " + name(d) + ": " + env + " maps to no config key of " + svc);
        }
      }
    }
    return out;
  }

  /**
   * Every topic the services use has a KafkaTopic; sync.mutations has the configured partitions.
   */
  List<String> topics() {
    List<String> out = new ArrayList<>();
    Map<String, JsonNode> topics = new HashMap<>();
    for (JsonNode t : m.custom("KafkaTopic")) {
      String n = t.path("spec").path("topicName").asText(t.path("metadata").path("name").asText());
      topics.put(n, t);
      String cluster = t.path("metadata").path("labels").path("strimzi.io/cluster").asText();
      if (m.custom("Kafka").stream()
          .noneMatch(k -> k.path("metadata").path("name").asText().equals(cluster))) {
        out.add("KafkaTopic " + n + ": strimzi.io/cluster=" + cluster + " is no Kafka of this set");
      }
    }
    Set<String> used = new TreeSet<>();
    for (String svc : SERVICES) {
      Optional<ServiceConfig> cfg = services.get(svc);
      if (cfg.isEmpty()) {
        continue;
      }
      for (String k : cfg.get().keys()) {
        if (k.matches("mp\\.messaging\\.(incoming|outgoing)\\.[^.]+\\.topic")
            || k.endsWith("-topic")) {
          effective(svc, k).ifPresent(v -> used.add(v));
        }
      }
      // Every service produces to (or consumes) sync.mutations through service-common's one
      // setting, whose default lives in code, not in a properties file.
      used.add(effective(svc, "sync.kafka.mutations-topic").orElse(Topics.MUTATIONS));
    }
    for (String t : used) {
      if (!topics.containsKey(t)) {
        out.add("topic " + t + " is used by a service but has no KafkaTopic");
      }
    }
    if (SERVICES.stream().allMatch(s -> services.get(s).isPresent())) {
      for (String t : topics.keySet()) {
        if (!used.contains(t)) {
          out.add("KafkaTopic " + t + " is used by no service");
        }
      }
    }
    // The other topics of the one layout (Topics.layout) keep its partition counts.
    Topics.layout(partitions())
        .forEach(
            (name, count) -> {
              JsonNode t = topics.get(name);
              int actual = t == null ? count : t.path("spec").path("partitions").asInt(-1);
              if (!name.equals(Topics.MUTATIONS) && actual != count) {
                out.add(
                    "KafkaTopic "
                        + name
                        + " has "
                        + actual
                        + " partitions, Topics.layout says "
                        + count);
              }
            });
    String mutations =
        effective("change-log-service", "sync.kafka.mutations-topic").orElse(Topics.MUTATIONS);
    JsonNode topic = topics.get(mutations);
    if (topic == null) {
      out.add("no KafkaTopic " + mutations);
      return out;
    }
    int actual = topic.path("spec").path("partitions").asInt(-1);
    Map<String, String> partitionKeys =
        Map.of(
            "change-log-service", "sync.changelog.partitions", "sync-api", "sync.api.partitions");
    for (Map.Entry<String, String> e : partitionKeys.entrySet()) {
      Optional<String> configured = effective(e.getKey(), e.getValue());
      if (configured.isPresent() && Integer.parseInt(configured.get()) != actual) {
        out.add(
            "KafkaTopic "
                + mutations
                + " has "
                + actual
                + " partitions, but "
                + e.getKey()
                + " is configured for "
                + configured.get()
                + " ("
                + e.getValue()
                + ")");
      }
    }
    return out;
  }

  /** change-log-service never scales past the partitions; one autoscaler per Deployment. */
  List<String> autoscalers() {
    List<String> out = new ArrayList<>();
    int partitions = partitions();
    Map<String, Integer> scalers = new HashMap<>();
    for (HorizontalPodAutoscaler h : m.all(HorizontalPodAutoscaler.class)) {
      String target = h.getSpec().getScaleTargetRef().getName();
      scalers.merge(target, 1, Integer::sum);
      if (target.equals("change-log-service") && h.getSpec().getMaxReplicas() > partitions) {
        out.add(
            "HorizontalPodAutoscaler "
                + name(h)
                + ": maxReplicas "
                + h.getSpec().getMaxReplicas()
                + " > "
                + partitions
                + " partitions of sync.mutations (idle consumers)");
      }
    }
    for (JsonNode so : m.custom("ScaledObject")) {
      JsonNode spec = so.path("spec");
      String target = spec.path("scaleTargetRef").path("name").asText();
      scalers.merge(target, 1, Integer::sum);
      if (!target.equals("change-log-service")) {
        continue;
      }
      int max = spec.path("maxReplicaCount").asInt(100); // KEDA's default is 100
      if (max > partitions) {
        out.add(
            Manifests.id(so)
                + ": maxReplicaCount "
                + max
                + " > "
                + partitions
                + " partitions of sync.mutations");
      }
      String group =
          effective("change-log-service", "sync.changelog.consumer-group")
              .orElse("change-log-service");
      String topic =
          effective("change-log-service", "sync.kafka.mutations-topic").orElse(Topics.MUTATIONS);
      for (JsonNode t : spec.path("triggers")) {
        if (t.path("type").asText().equals("kafka")
            && (!group.equals(t.path("metadata").path("consumerGroup").asText())
                || !topic.equals(t.path("metadata").path("topic").asText()))) {
          out.add(Manifests.id(so) + ": kafka trigger must watch group " + group + " on " + topic);
        }
      }
    }
    scalers.forEach(
        (target, n) -> {
          if (n > 1) {
            out.add("Deployment " + target + " has " + n + " autoscalers; they would fight");
          }
        });
    m.named(Deployment.class, "change-log-service")
        .map(d -> d.getSpec().getReplicas())
        .filter(r -> r != null && r > partitions)
        .ifPresent(
            r ->
                out.add(
                    "Deployment change-log-service: "
                        + r
                        + " replicas > "
                        + partitions
                        + " partitions"));
    return out;
  }

  /**
   * terminationGracePeriodSeconds exceeds the longest request (sync-api: the live wait) plus
   * draining (preStop sleep + quarkus.shutdown.timeout).
   */
  List<String> gracePeriods() {
    List<String> out = new ArrayList<>();
    for (Deployment d : m.all(Deployment.class)) {
      String svc = serviceOf(d);
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      long grace =
          pod.getTerminationGracePeriodSeconds() == null
              ? 30
              : pod.getTerminationGracePeriodSeconds();
      long longest = 0;
      if (svc.equals("sync-api")) {
        longest =
            effective(svc, "sync.api.pull.max-wait-seconds")
                .map(Long::parseLong)
                .orElse((long) DOCUMENTED_MAX_WAIT_SECONDS);
      }
      long preStop = 0;
      Container c = container(d, svc);
      if (c != null && c.getLifecycle() != null && c.getLifecycle().getPreStop() != null) {
        var sleep = c.getLifecycle().getPreStop().getSleep();
        preStop = sleep == null ? 0 : sleep.getSeconds();
      }
      long shutdown = effective(svc, "quarkus.shutdown.timeout").map(Checks::seconds).orElse(0L);
      long needed = longest + preStop + shutdown;
      if (grace <= needed) {
        out.add(
            "Deployment "
                + name(d)
                + ": terminationGracePeriodSeconds "
                + grace
                + " must exceed "
                + longest
                + " s longest request + "
                + preStop
                + " s preStop + "
                + shutdown
                + " s shutdown timeout");
      }
    }
    return out;
  }

  /** The filesystem store keeps files in the pod: more than one replica needs the S3 store. */
  List<String> mediaStorage() {
    List<String> out = new ArrayList<>();
    Optional<Deployment> d = m.named(Deployment.class, "media-service");
    if (d.isEmpty()) {
      return out;
    }
    String store = effective("media-service", "sync.media.store").orElse("filesystem");
    if (store.equals("s3")) {
      return out;
    }
    Integer replicas = d.get().getSpec().getReplicas();
    if (replicas != null && replicas > 1) {
      out.add("Deployment media-service: " + replicas + " replicas with the " + store + " store");
    }
    for (HorizontalPodAutoscaler h : m.all(HorizontalPodAutoscaler.class)) {
      if (h.getSpec().getScaleTargetRef().getName().equals("media-service")
          && h.getSpec().getMaxReplicas() > 1) {
        out.add(
            "HorizontalPodAutoscaler media-service: scales past 1 with the "
                + store
                + " store (each pod would see only its own files)");
      }
    }
    return out;
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Partitions of sync.mutations as change-log-service runs with them here. */
  int partitions() {
    return effective("change-log-service", "sync.changelog.partitions")
        .map(Integer::parseInt)
        .orElse(Topics.DEFAULT_PARTITIONS);
  }

  /**
   * A key's value in the deployed service: its container environment first, then the repository.
   */
  Optional<String> effective(String svc, String key) {
    Optional<Deployment> d =
        m.all(Deployment.class).stream().filter(x -> svc.equals(serviceOf(x))).findFirst();
    if (d.isPresent()) {
      String v = environmentValues(container(d.get(), svc)).get(ServiceConfig.envName(key));
      if (v != null) {
        return Optional.of(v);
      }
    }
    return services.getOrDefault(svc, Optional.empty()).flatMap(c -> c.value(key));
  }

  private int httpPort(String svc) {
    return effective(svc, "quarkus.http.port")
        .map(Integer::parseInt)
        .orElse(DOCUMENTED_PORTS.get(svc));
  }

  /** Names of every variable the container gets: env, and the keys of envFrom sources. */
  private Set<String> environmentNames(Container c) {
    Set<String> names = new TreeSet<>();
    if (c == null) {
      return names;
    }
    c.getEnv().forEach(e -> names.add(e.getName()));
    for (EnvFromSource f : c.getEnvFrom()) {
      String prefix = f.getPrefix() == null ? "" : f.getPrefix();
      if (f.getConfigMapRef() != null) {
        configMap(f.getConfigMapRef().getName())
            .ifPresent(cm -> cm.getData().keySet().forEach(k -> names.add(prefix + k)));
      }
      if (f.getSecretRef() != null) {
        Set<String> keys = secretKeys(f.getSecretRef().getName());
        if (keys != null) {
          keys.forEach(k -> names.add(prefix + k));
        }
      }
    }
    return names;
  }

  /** Literal values the container gets (env wins over envFrom, as in Kubernetes). */
  private Map<String, String> environmentValues(Container c) {
    Map<String, String> values = new HashMap<>();
    if (c == null) {
      return values;
    }
    for (EnvFromSource f : c.getEnvFrom()) {
      if (f.getConfigMapRef() != null) {
        String prefix = f.getPrefix() == null ? "" : f.getPrefix();
        configMap(f.getConfigMapRef().getName())
            .ifPresent(cm -> cm.getData().forEach((k, v) -> values.put(prefix + k, v)));
      }
    }
    for (EnvVar e : c.getEnv()) {
      if (e.getValue() != null) {
        values.put(e.getName(), e.getValue());
      }
    }
    return values;
  }

  private Optional<ConfigMap> configMap(String name) {
    return m.named(ConfigMap.class, name);
  }

  /**
   * The keys of a Secret, or null when there is no such Secret: one in the set, one an
   * ExternalSecret creates ({@code spec.target.name}, its {@code data[].secretKey}s), or one an
   * operator creates: Strimzi's user operator a Secret per SCRAM KafkaUser ({@code password},
   * {@code sasl.jaas.config}), its cluster operator {@code <kafka>-cluster-ca-cert}.
   */
  private Set<String> secretKeys(String name) {
    Optional<Set<String>> own =
        m.named(Secret.class, name)
            .map(
                s -> {
                  Set<String> keys = new TreeSet<>();
                  keys.addAll(s.getData().keySet());
                  keys.addAll(s.getStringData().keySet());
                  return keys;
                });
    if (own.isPresent()) {
      return own.get();
    }
    for (JsonNode es : m.custom("ExternalSecret")) {
      String target = es.path("spec").path("target").path("name").asText("");
      if (target.isEmpty()) {
        target = es.path("metadata").path("name").asText();
      }
      if (target.equals(name)) {
        Set<String> keys = new TreeSet<>();
        es.path("spec").path("data").forEach(d -> keys.add(d.path("secretKey").asText()));
        return keys;
      }
    }
    for (JsonNode u : m.custom("KafkaUser")) {
      if (u.path("metadata").path("name").asText().equals(name)
          && u.path("spec").path("authentication").path("type").asText().equals("scram-sha-512")) {
        return new TreeSet<>(Set.of("password", "sasl.jaas.config"));
      }
    }
    for (JsonNode k : m.custom("Kafka")) {
      if ((k.path("metadata").path("name").asText() + "-cluster-ca-cert").equals(name)) {
        return new TreeSet<>(Set.of("ca.crt", "ca.p12", "ca.password"));
      }
    }
    return null;
  }

  // --- connection budget --------------------------------------------------------------------

  /** Connections kept free on every instance: superuser_reserved (3), CloudNativePG, monitoring. */
  static final int RESERVED_CONNECTIONS = 10;

  /**
   * What may connect to each PostgreSQL instance at most fits its {@code max_connections}: every
   * service that connects directly (to {@code <cluster>-rw}, or {@code -ro}/{@code -r}) brings its
   * pool size ({@code QUARKUS_DATASOURCE_JDBC_MAX_SIZE}, else its properties, else Agroal's 20)
   * times its most replicas (autoscaler maximum, else {@code replicas}); every Pooler {@code
   * instances} x {@code max_db_connections} (required: without it PgBouncer's server side is
   * unbounded). A replica is charged with every read-only client, as if all picked it.
   */
  List<String> connectionBudget() {
    List<String> out = new ArrayList<>();
    for (JsonNode cluster : m.custom("Cluster")) {
      String name = cluster.path("metadata").path("name").asText();
      int max =
          cluster
              .path("spec")
              .path("postgresql")
              .path("parameters")
              .path("max_connections")
              .asInt(100);
      int primary = RESERVED_CONNECTIONS;
      int replica = RESERVED_CONNECTIONS;
      List<String> parts = new ArrayList<>();
      for (JsonNode pooler : m.custom("Pooler")) {
        if (!pooler.path("spec").path("cluster").path("name").asText().equals(name)) {
          continue;
        }
        String pn = pooler.path("metadata").path("name").asText();
        JsonNode limit =
            pooler.path("spec").path("pgbouncer").path("parameters").path("max_db_connections");
        if (limit.isMissingNode()) {
          out.add(
              "Pooler "
                  + pn
                  + ": no pgbouncer max_db_connections, so its connections to "
                  + name
                  + " are unbounded");
          continue;
        }
        int n =
            pooler.path("spec").path("instances").asInt(1)
                * Integer.parseInt(limit.asText().trim());
        parts.add("Pooler " + pn + " " + n);
        if (pooler.path("spec").path("type").asText("rw").equals("rw")) {
          primary += n;
        } else {
          replica += n;
        }
      }
      for (Deployment d : m.all(Deployment.class)) {
        Container c = container(d, serviceOf(d));
        if (c == null) {
          continue;
        }
        Map<String, String> env = environmentValues(c);
        String url = env.getOrDefault("QUARKUS_DATASOURCE_JDBC_URL", "");
        Matcher host = Pattern.compile("^jdbc:postgresql://([^:/]+)").matcher(url);
        if (!host.find()) {
          continue;
        }
        String h = host.group(1);
        boolean rw = h.equals(name + "-rw");
        boolean ro = h.equals(name + "-ro") || h.equals(name + "-r");
        if (!rw && !ro) {
          continue; // through a pooler (counted above) or another database
        }
        String size = env.get("QUARKUS_DATASOURCE_JDBC_MAX_SIZE");
        if (size == null) {
          size =
              services
                  .get(serviceOf(d))
                  .flatMap(sc -> sc.value("quarkus.datasource.jdbc.max-size"))
                  .orElse("20");
        }
        int n = Integer.parseInt(size.trim()) * maxReplicas(d);
        parts.add(name(d) + " " + n);
        if (rw) {
          primary += n;
        } else {
          replica += n;
        }
      }
      if (primary > max) {
        out.add(
            "Cluster "
                + name
                + ": up to "
                + primary
                + " connections to the primary ("
                + parts
                + " + "
                + RESERVED_CONNECTIONS
                + " reserved) > max_connections "
                + max);
      }
      if (replica > max) {
        out.add(
            "Cluster "
                + name
                + ": up to "
                + replica
                + " connections to a replica ("
                + parts
                + " + "
                + RESERVED_CONNECTIONS
                + " reserved) > max_connections "
                + max);
      }
    }
    return out;
  }

  /** The most replicas a Deployment can have: its autoscaler's maximum, else spec.replicas. */
  private int maxReplicas(Deployment d) {
    int max = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    for (HorizontalPodAutoscaler h : m.all(HorizontalPodAutoscaler.class)) {
      if (name(d).equals(h.getSpec().getScaleTargetRef().getName())) {
        max = Math.max(max, h.getSpec().getMaxReplicas());
      }
    }
    for (JsonNode so : m.custom("ScaledObject")) {
      if (name(d).equals(so.path("spec").path("scaleTargetRef").path("name").asText())) {
        max = Math.max(max, so.path("spec").path("maxReplicaCount").asInt(100));
      }
    }
    return max;
  }

  // --- config checksum ----------------------------------------------------------------------

  /** The pod-template annotation that changes whenever a ConfigMap of the pod changes. */
  static final String CHECKSUM = "syncforge.io/config-checksum";

  /**
   * Every Deployment's pod template carries {@link #CHECKSUM} = {@link #checksum} of the ConfigMaps
   * it uses (envFrom and volumes) as rendered, so that changing one rolls the pods (Kubernetes does
   * not restart pods for a changed ConfigMap). Kustomize cannot compute it; this check does, and
   * says the value to set when it is stale.
   */
  List<String> configChecksum() {
    List<String> out = new ArrayList<>();
    for (Deployment d : m.all(Deployment.class)) {
      PodSpec pod = d.getSpec().getTemplate().getSpec();
      Set<String> names = new TreeSet<>();
      for (Container c : pod.getContainers()) {
        for (EnvFromSource f : c.getEnvFrom()) {
          if (f.getConfigMapRef() != null) {
            names.add(f.getConfigMapRef().getName());
          }
        }
      }
      for (Volume v : pod.getVolumes()) {
        if (v.getConfigMap() != null) {
          names.add(v.getConfigMap().getName());
        }
      }
      String expected =
          checksum(names.stream().map(this::configMap).flatMap(Optional::stream).toList());
      String actual =
          d.getSpec().getTemplate().getMetadata().getAnnotations().getOrDefault(CHECKSUM, "");
      if (!expected.equals(actual)) {
        out.add(
            "Deployment "
                + name(d)
                + ": annotation "
                + CHECKSUM
                + " is '"
                + actual
                + "', but its ConfigMaps "
                + names
                + " hash to '"
                + expected
                + "' (set it in the pod template of the overlay that changed them)");
      }
    }
    return out;
  }

  /** SHA-256 (first 16 hex digits) over name, key and value of every entry, sorted. */
  static String checksum(List<ConfigMap> maps) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      maps.stream()
          .sorted(java.util.Comparator.comparing(cm -> cm.getMetadata().getName()))
          .forEach(
              cm ->
                  new TreeMap<>(cm.getData())
                      .forEach(
                          (k, v) ->
                              md.update(
                                  (cm.getMetadata().getName() + "\0" + k + "\0" + v + "\0")
                                      .getBytes(StandardCharsets.UTF_8))));
      return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- secrets ------------------------------------------------------------------------------

  /** The label that marks a throw-away Secret of the dev overlay. */
  static final String DEV_ONLY = "syncforge.io/dev-only";

  /**
   * Values this repository has shipped as placeholders, or that read as one: never in a Secret that
   * is not labelled {@link #DEV_ONLY}. The cursor key is the publicly known one of earlier versions
   * of deploy/k8s.
   */
  static final List<String> PLACEHOLDERS =
      List.of(
          "change-me",
          "changeme",
          "placeholder",
          "Q0hBTkdFLU1FLXBsYWNlaG9sZGVyLWN1cnNvci1rZXk=",
          "password",
          "secret");

  /** No Secret outside dev carries a known placeholder value (plain or base64). */
  List<String> secrets() {
    List<String> out = new ArrayList<>();
    for (Secret s : m.all(Secret.class)) {
      if ("true".equals(s.getMetadata().getLabels().get(DEV_ONLY))) {
        continue;
      }
      Map<String, String> values = new TreeMap<>(s.getStringData());
      s.getData()
          .forEach(
              (k, v) -> {
                try {
                  values.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                  values.put(k, v);
                }
              });
      values.forEach(
          (k, v) -> {
            String low = v.toLowerCase(Locale.ROOT);
            for (String p : PLACEHOLDERS) {
              boolean hit =
                  p.length() > 20
                      ? v.equals(p) || decodes(v).contains("placeholder")
                      : (p.equals("password") || p.equals("secret"))
                          ? low.equals(p)
                          : low.contains(p) || decodes(v).toLowerCase(Locale.ROOT).contains(p);
              if (hit) {
                out.add(
                    "Secret "
                        + name(s)
                        + ": key "
                        + k
                        + " holds a placeholder value ("
                        + p
                        + "); provide it from your secret manager (ExternalSecret) or label the"
                        + " Secret "
                        + DEV_ONLY
                        + " in a throw-away overlay");
                break;
              }
            }
          });
    }
    return out;
  }

  private static String decodes(String v) {
    try {
      return new String(Base64.getDecoder().decode(v.trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static Container container(Deployment d, String name) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> Objects.equals(c.getName(), name))
        .findFirst()
        .orElse(null);
  }

  private static String serviceOf(Deployment d) {
    return d.getSpec().getTemplate().getMetadata().getLabels().getOrDefault(NAME_LABEL, "");
  }

  private static String name(HasMetadata o) {
    return o.getMetadata().getName();
  }

  private static String text(IntOrString port) {
    return port == null
        ? "null"
        : port.getIntVal() != null ? port.getIntVal().toString() : port.getStrVal();
  }

  /** The container port a named or numbered port means in this Deployment, or null. */
  private static Integer resolvePort(Deployment d, IntOrString port) {
    for (Container c : d.getSpec().getTemplate().getSpec().getContainers()) {
      for (ContainerPort p : c.getPorts()) {
        if (port.getIntVal() != null
            ? port.getIntVal().equals(p.getContainerPort())
            : port.getStrVal().equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    return null;
  }

  private List<Deployment> selected(HasMetadata selector, Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return List.of();
    }
    return m.all(Deployment.class).stream()
        .filter(
            d ->
                Objects.equals(
                    d.getMetadata().getNamespace(), selector.getMetadata().getNamespace()))
        .filter(d -> matches(labels, d.getSpec().getTemplate().getMetadata().getLabels()))
        .toList();
  }

  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  /** matchLabels only; matchExpressions are not used in deploy/k8s and are refused. */
  private static Map<String, String> matchLabels(LabelSelector s) {
    if (s == null) {
      return Map.of();
    }
    if (!s.getMatchExpressions().isEmpty()) {
      throw new IllegalStateException("matchExpressions are not supported by this validation");
    }
    return s.getMatchLabels();
  }

  /** {@code 10s}, {@code 1m}, {@code PT10S} or plain seconds. */
  static long seconds(String v) {
    String s = v.trim();
    if (s.startsWith("PT") || s.startsWith("pt")) {
      return Duration.parse(s).toSeconds();
    }
    if (s.endsWith("ms")) {
      return Math.max(1, Long.parseLong(s.substring(0, s.length() - 2)) / 1000);
    }
    char unit = s.charAt(s.length() - 1);
    if (Character.isDigit(unit)) {
      return Long.parseLong(s);
    }
    long n = Long.parseLong(s.substring(0, s.length() - 1));
    return switch (Character.toLowerCase(unit)) {
      case 's' -> n;
      case 'm' -> n * 60;
      case 'h' -> n * 3600;
      default -> throw new IllegalArgumentException("cannot read duration " + v);
    };
  }

  private static Map<String, Set<String>> loadPending() {
    Properties p = new Properties();
    try (InputStream in = Checks.class.getResourceAsStream("pending-config-keys.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Set<String>> out = new HashMap<>();
    for (String svc : p.stringPropertyNames()) {
      Set<String> keys = new TreeSet<>();
      for (String k : p.getProperty(svc).split(",")) {
        if (!k.isBlank()) {
          keys.add(k.trim());
        }
      }
      out.put(svc, keys);
    }
    return out;
  }
}
