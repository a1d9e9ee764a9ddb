package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;

/** The report's Markdown for a results document of one row, with the harness's default options. */
final class OneRowReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OneRowReport() {
    }

    static String markdown(String scenario, String variant, ObjectNode figures) {
        ObjectNode document = JSON.createObjectNode();
        ObjectNode row = document.putArray("results").addObject();
        row.put("scenario", scenario).put("target", "switchboard").put("variant", variant);
        row.set("figures", figures);
        return new Report(document, CommandLine.populateCommand(new HarnessOptions())).markdown("charts/");
    }
}
