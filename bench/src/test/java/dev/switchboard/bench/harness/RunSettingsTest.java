package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunSettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRunsRecordedSettingsWinOverTheRenderingOptions() {
        HarnessOptions atRun = CommandLine.populateCommand(new HarnessOptions(),
                "--warmup-seconds", "20", "--latency-warmup-seconds", "45", "--latency-rounds", "5", "--server-io-threads", "2");
        ObjectNode document = JSON.createObjectNode();
        document.set("settings", RunSettings.effective(atRun).toJson());
        HarnessOptions atRender = CommandLine.populateCommand(new HarnessOptions(),
                "--warmup-seconds", "3", "--latency-warmup-seconds", "4", "--latency-rounds", "1");

        RunSettings settings = RunSettings.read(document, atRender);

        assertThat(settings.warmupSeconds()).isEqualTo(20);
        assertThat(settings.latencyWarmupSeconds()).isEqualTo(45);
        assertThat(settings.latencyRounds()).isEqualTo(5);
        assertThat(settings.serverIoThreads()).isEqualTo(2);
        assertThat(settings.serverJvmOptions()).isEqualTo(atRun.serverJvmOptions);
    }

    @Test
    void everySettingSurvivesTheRoundTripThroughResultsJson() {
        RunSettings recorded = new RunSettings(3, "-Xmx1g", "-Xms8m", 700, 4, 9, 11, 50, 6, 250, 24);
        ObjectNode document = JSON.createObjectNode();
        document.set("settings", recorded.toJson());

        assertThat(RunSettings.read(document, CommandLine.populateCommand(new HarnessOptions()))).isEqualTo(recorded);
    }

    @Test
    void aSmokeRunRecordsItsTinySizes() {
        HarnessOptions smoke = CommandLine.populateCommand(new HarnessOptions(), "--smoke");

        RunSettings settings = RunSettings.effective(smoke);

        assertThat(settings.warmupSeconds()).isEqualTo(1);
        assertThat(settings.latencyWarmupSeconds()).isEqualTo(1);
        assertThat(settings.seconds()).isEqualTo(2);
        assertThat(settings.fanoutSubscribers()).isEqualTo(50);
    }

    @Test
    void resultsWithoutSettingsHadOneWarmUpForEveryRun() {
        HarnessOptions atRender = CommandLine.populateCommand(new HarnessOptions(),
                "--warmup-seconds", "20", "--latency-warmup-seconds", "45");

        RunSettings settings = RunSettings.read(JSON.createObjectNode(), atRender);

        assertThat(settings.warmupSeconds()).isEqualTo(20);
        assertThat(settings.latencyWarmupSeconds()).isEqualTo(20);
        assertThat(settings.latencyRate()).isEqualTo(atRender.latencyRate);
    }

    @Test
    void resultsWithoutTheThroughputWindowWereMeasuredWithEight() {
        HarnessOptions atRender = CommandLine.populateCommand(new HarnessOptions(), "--throughput-window", "32");
        ObjectNode settings = RunSettings.effective(CommandLine.populateCommand(new HarnessOptions())).toJson();
        settings.remove("throughputWindow");
        ObjectNode document = JSON.createObjectNode();
        document.set("settings", settings);

        assertThat(RunSettings.read(document, atRender).throughputWindow()).isEqualTo(8);
        assertThat(RunSettings.effective(atRender).throughputWindow()).isEqualTo(32);
    }
}
