package io.syncforge.deploy.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;
import java.util.Map;

/**
 * The fields deploy/k8s uses of CloudNativePG 1.30 ({@code postgresql.cnpg.io/v1}) and of its
 * Barman Cloud Plugin 0.16 ({@code barmancloud.cnpg.io/v1}), as typed records. Not the whole API: a
 * field deploy/k8s starts using must be added here after checking it in that release's API
 * reference (the field list and its source are in deploy/k8s-validation/README.md). Loaded with
 * unknown fields and scalar coercion refused, so a misspelt field or a quoted number fails.
 */
public final class CloudNativePg130 {

  /** The operator release these records were checked against. */
  public static final String RELEASE = "1.30.0";

  /** The Barman Cloud Plugin release {@link ObjectStore} was checked against. */
  public static final String BARMAN_CLOUD_PLUGIN = "0.16.0";

  private CloudNativePg130() {}

  /** postgresql.cnpg.io/v1 Cluster. */
  public record Cluster(String apiVersion, String kind, ObjectMeta metadata, ClusterSpec spec) {}

  /** ClusterSpec. */
  public record ClusterSpec(
      Integer instances,
      String imageName,
      StorageConfiguration storage,
      ResourceRequirements resources,
      PostgresConfiguration postgresql,
      BootstrapConfiguration bootstrap,
      ManagedConfiguration managed,
      AffinityConfiguration affinity,
      List<PluginConfiguration> plugins) {}

  /** StorageConfiguration. */
  public record StorageConfiguration(String size, String storageClass) {}

  /** PostgresConfiguration: {@code parameters} is map[string]string. */
  public record PostgresConfiguration(Map<String, String> parameters) {}

  /** BootstrapConfiguration (initdb only). */
  public record BootstrapConfiguration(BootstrapInitDB initdb) {}

  /** BootstrapInitDB. */
  public record BootstrapInitDB(
      String database,
      String owner,
      LocalObjectReference secret,
      List<String> postInitApplicationSQL) {}

  /** ManagedConfiguration. */
  public record ManagedConfiguration(List<RoleConfiguration> roles) {}

  /** RoleConfiguration. */
  public record RoleConfiguration(
      String name,
      String ensure,
      Boolean login,
      List<String> inRoles,
      LocalObjectReference passwordSecret,
      Long connectionLimit,
      String comment) {}

  /** AffinityConfiguration. */
  public record AffinityConfiguration(
      Boolean enablePodAntiAffinity, String topologyKey, String podAntiAffinityType) {}

  /** PluginConfiguration: {@code parameters} is map[string]string. */
  public record PluginConfiguration(
      String name, Boolean enabled, Boolean isWALArchiver, Map<String, String> parameters) {}

  /** LocalObjectReference. */
  public record LocalObjectReference(String name) {}

  /** postgresql.cnpg.io/v1 Pooler. */
  public record Pooler(String apiVersion, String kind, ObjectMeta metadata, PoolerSpec spec) {}

  /** PoolerSpec: {@code type} is rw | ro | r. */
  public record PoolerSpec(
      LocalObjectReference cluster, Integer instances, String type, PgBouncerSpec pgbouncer) {}

  /** PgBouncerSpec: {@code poolMode} session | transaction; parameters map[string]string. */
  public record PgBouncerSpec(String poolMode, Map<String, String> parameters) {}

  /** postgresql.cnpg.io/v1 ScheduledBackup. */
  public record ScheduledBackup(
      String apiVersion, String kind, ObjectMeta metadata, ScheduledBackupSpec spec) {}

  /**
   * ScheduledBackupSpec: {@code schedule} is a six-field cron expression (seconds first); {@code
   * method} barmanObjectStore | volumeSnapshot | plugin.
   */
  public record ScheduledBackupSpec(
      String schedule,
      Boolean immediate,
      String backupOwnerReference,
      LocalObjectReference cluster,
      String method,
      BackupPluginConfiguration pluginConfiguration) {}

  /** BackupPluginConfiguration. */
  public record BackupPluginConfiguration(String name, Map<String, String> parameters) {}

  /** barmancloud.cnpg.io/v1 ObjectStore (Barman Cloud Plugin). */
  public record ObjectStore(
      String apiVersion, String kind, ObjectMeta metadata, ObjectStoreSpec spec) {}

  /** ObjectStoreSpec: {@code retentionPolicy} like {@code 30d}. */
  public record ObjectStoreSpec(
      BarmanObjectStoreConfiguration configuration, String retentionPolicy) {}

  /** BarmanObjectStoreConfiguration (the same schema as the in-tree barmanObjectStore). */
  public record BarmanObjectStoreConfiguration(
      String destinationPath,
      String endpointURL,
      S3Credentials s3Credentials,
      WalBackupConfiguration wal,
      DataBackupConfiguration data) {}

  /** S3Credentials. */
  public record S3Credentials(SecretKeySelector accessKeyId, SecretKeySelector secretAccessKey) {}

  /** SecretKeySelector. */
  public record SecretKeySelector(String name, String key) {}

  /** WalBackupConfiguration. */
  public record WalBackupConfiguration(String compression, Integer maxParallel) {}

  /** DataBackupConfiguration. */
  public record DataBackupConfiguration(String compression, Integer jobs) {}
}
