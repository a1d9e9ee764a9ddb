package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalServicesTest {
    @Test
    void measuresOnlyServicesOnThisMachine_byTheUrlsHost() {
        assertThat(LocalServices.isLoopback("jdbc:mariadb://127.0.0.1:3306/")).isTrue();
        assertThat(LocalServices.isLoopback("jdbc:mariadb://localhost/switchboard")).isTrue();
        assertThat(LocalServices.isLoopback("redis://127.0.0.1:6379")).isTrue();
        assertThat(LocalServices.isLoopback("jdbc:mariadb://10.0.0.7:3306/")).isFalse();
        assertThat(LocalServices.isLoopback("redis://192.168.1.20:6379")).isFalse();
        assertThat(LocalServices.isLoopback("not a url")).isFalse();
        // A Redis Cluster's nodes: the first host decides.
        assertThat(LocalServices.isLoopback("redis://127.0.0.1:7000,127.0.0.1:7001")).isTrue();
        assertThat(LocalServices.isLoopback("redis://10.0.0.9:7000,10.0.0.10:7000")).isFalse();
    }

    @Test
    void findsProcessesByProgramName() throws Exception { // the harness runs on Linux only
        long self = ProcessHandle.current().pid();
        String ownName = Files.readString(Path.of("/proc/" + self + "/comm")).strip();

        assertThat(LocalServices.processesNamed(Set.of(ownName))).contains(self);
        assertThat(LocalServices.processesNamed(Set.of("no-such-program-here"))).isEmpty();
    }

    @Test
    void leavesOutServicesElsewhere() {
        assertThat(LocalServices.pids("jdbc:mariadb://10.0.0.7:3306/", "redis://10.0.0.8:6379")).isEmpty();
    }
}
