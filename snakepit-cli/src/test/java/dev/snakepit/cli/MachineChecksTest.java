package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.cli.DoctorCheck.Status;
import java.nio.file.FileStore;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The machine checks, each judged on a made-up machine: a small /dev/shm, low limits, another OS. */
class MachineChecksTest {
  private static final long MIB = 1024 * 1024;

  /** The text of a /proc/self/limits, with the open-files and processes limits given. */
  private static String limits(String openFiles, String processes) {
    return String.join("\n",
        "Limit                     Soft Limit           Hard Limit           Units     ",
        "Max cpu time              unlimited            unlimited            seconds   ",
        "Max stack size            8388608              unlimited            bytes     ",
        "Max processes             " + processes + "      processes ",
        "Max open files            " + openFiles + "      files     ",
        "Max realtime timeout      unlimited            unlimited            us        ",
        "");
  }

  @Test
  void warnsOfASharedMemoryFileSystemUnder64MiBFreeSayingHowToGrowIt() throws Exception {
    DoctorCheck check = MachineChecks.sharedMemory(new SizedStore(64 * MIB, 30 * MIB));

    assertThat(check.status()).isEqualTo(Status.WARN);
    assertThat(check.found()).startsWith("tmpfs, 64.0 MiB, 30.0 MiB free: under 64.0 MiB").contains("RESOURCE_EXHAUSTED");
    assertThat(check.fix()).contains("docker run --shm-size=1g", "mount -o remount,size=1g /dev/shm", "sharedMemoryDirectory");
  }

  @Test
  void acceptsASharedMemoryFileSystemWithRoom() throws Exception {
    DoctorCheck check = MachineChecks.sharedMemory(new SizedStore(8L * 1024 * MIB, 8L * 1024 * MIB - 3 * MIB));

    assertThat(check).isEqualTo(DoctorCheck.ok("/dev/shm", "tmpfs, 8.0 GiB, 8.0 GiB free"));
  }

  @Test
  void readsTheSoftAndHardLimitsOfProcSelfLimits() {
    var parsed = MachineChecks.parseLimits(limits("1024                 524288", "unlimited            unlimited"));

    assertThat(parsed.get("Max open files")).isEqualTo(new MachineChecks.Limit(1024, 524288));
    assertThat(parsed.get("Max processes")).isEqualTo(new MachineChecks.Limit(MachineChecks.UNLIMITED, MachineChecks.UNLIMITED));
    assertThat(parsed.get("Max stack size")).isEqualTo(new MachineChecks.Limit(8388608, MachineChecks.UNLIMITED));
    assertThat(parsed).containsKeys("Max cpu time", "Max realtime timeout").doesNotContainKey("Limit");
  }

  @Test
  void warnsOfFewerThan4096OpenFilesWithTheUlimitThatRaisesThem() {
    List<DoctorCheck> checks = MachineChecks.limits(limits("1024                 524288", "63704                63704"));

    assertThat(checks).extracting(DoctorCheck::name).containsExactly("open files", "processes");
    assertThat(checks.get(0).status()).isEqualTo(Status.WARN);
    assertThat(checks.get(0).found()).startsWith("soft 1024, hard 524288: under 4096");
    assertThat(checks.get(0).fix()).startsWith("ulimit -n 65536 in the shell that starts the JVM").contains("LimitNOFILE=");
    assertThat(checks.get(1)).isEqualTo(DoctorCheck.ok("processes", "soft 63704, hard 63704"));
  }

  @Test
  void raisesTheSoftLimitOnlyToTheHardOneAndSendsARootForALowHardLimit() {
    List<DoctorCheck> between = MachineChecks.limits(limits("1024                 8192", "unlimited            unlimited"));
    List<DoctorCheck> low = MachineChecks.limits(limits("1024                 2048", "512                  512"));

    assertThat(between.get(0).fix()).startsWith("ulimit -n 8192 ");
    assertThat(low.get(0).fix()).startsWith("as root, raise the hard limit first (/etc/security/limits.conf); then ulimit -n 65536");
    assertThat(low.get(1).status()).isEqualTo(Status.WARN);
    assertThat(low.get(1).fix()).contains("ulimit -u 65536", "LimitNPROC=");
  }

  @Test
  void warnsOfALimitTheFileDoesNotList() {
    List<DoctorCheck> checks = MachineChecks.limits("Limit  Soft Limit  Hard Limit  Units\n");

    assertThat(checks).allSatisfy(check -> {
      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.found()).isEqualTo("not listed in /proc/self/limits");
    });
  }

  @Test
  void reportsTheAvailableMemoryAsInformation() {
    DoctorCheck check = MachineChecks.memory("MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    8192000 kB\n");

    assertThat(check).isEqualTo(DoctorCheck.ok("memory", "7.8 GiB available of 15.6 GiB"));
    assertThat(MachineChecks.memory("MemTotal: 100 kB\n").status()).isEqualTo(Status.WARN);
  }

  @Test
  void failsAJavaOlderThan21() {
    DoctorCheck old = MachineChecks.java(Runtime.Version.parse("17.0.9+9"), "Debian", "/opt/jdk17");
    DoctorCheck current = MachineChecks.java(Runtime.Version.parse("21.0.2+13"), "Eclipse Adoptium", "/opt/jdk21");

    assertThat(old.status()).isEqualTo(Status.FAIL);
    assertThat(old.found()).isEqualTo("17.0.9+9 (Debian) at /opt/jdk17; Snakepit needs Java 21 or newer");
    assertThat(old.fix()).isEqualTo("install a JDK 21 or newer and point JAVA_HOME at it");
    assertThat(current).isEqualTo(DoctorCheck.ok("java", "21.0.2+13 (Eclipse Adoptium) at /opt/jdk21"));
    assertThat(MachineChecks.java().status()).isEqualTo(Status.OK);
  }

  @Test
  void failsAnythingButLinuxAndWarnsOfAnInterpreterThatCannotArmTheParentDeathSignal() {
    DoctorCheck mac = MachineChecks.linux("Mac OS X", "14.1", "!not Linux but darwin");
    DoctorCheck noCtypes = MachineChecks.linux("Linux", "6.1.0", "!No module named '_ctypes'");
    DoctorCheck good = MachineChecks.linux("Linux", "6.1.0", "ok");

    assertThat(mac.status()).isEqualTo(Status.FAIL);
    assertThat(mac.found()).contains("Mac OS X 14.1", "PR_SET_PDEATHSIG", "need Linux");
    assertThat(mac.fix()).startsWith("run Snakepit on Linux");
    assertThat(noCtypes.status()).isEqualTo(Status.WARN);
    assertThat(noCtypes.found()).contains("No module named '_ctypes'", "lifeline");
    assertThat(noCtypes.fix()).contains("import ctypes");
    assertThat(good.status()).isEqualTo(Status.OK);
  }

  @Test
  void refusesACheckThatWarnsWithoutAFixAndWritesJson() {
    assertThatThrownBy(() -> DoctorCheck.warn("x", "found", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("check x is warn but says no fix");

    assertThat(DoctorCheck.fail("python", "'a\"b' cannot\nrun", "install it").toJson())
        .isEqualTo("{\"name\": \"python\", \"status\": \"FAIL\", \"found\": \"'a\\\"b' cannot\\nrun\", \"fix\": \"install it\"}");
    assertThat(DoctorCheck.ok("java", "21").toJson()).endsWith("\"fix\": null}");
  }

  @Test
  void writesSizesInTheLargestFittingUnit() {
    assertThat(MachineChecks.size(512 * 1024)).isEqualTo("512 KiB");
    assertThat(MachineChecks.size(63 * MIB + MIB / 2)).isEqualTo("63.5 MiB");
    assertThat(MachineChecks.size(24L * 1024 * MIB)).isEqualTo("24.0 GiB");
  }

  /** A tmpfs of a given size and free space. */
  private static final class SizedStore extends FileStore {
    private final long total;
    private final long free;

    SizedStore(long total, long free) {
      this.total = total;
      this.free = free;
    }

    @Override
    public String name() {
      return "shm";
    }

    @Override
    public String type() {
      return "tmpfs";
    }

    @Override
    public boolean isReadOnly() {
      return false;
    }

    @Override
    public long getTotalSpace() {
      return total;
    }

    @Override
    public long getUsableSpace() {
      return free;
    }

    @Override
    public long getUnallocatedSpace() {
      return free;
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
      return false;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
      return false;
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
      return null;
    }

    @Override
    public Object getAttribute(String attribute) {
      throw new UnsupportedOperationException(attribute);
    }
  }
}
