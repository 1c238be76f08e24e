package io.ferry.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry blocks ls}: the datasets a node holds. */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = "List the datasets a node holds: CID, size, blocks held, pinned, file name.")
final class BlocksListCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin DataNodeOption node;

  @Option(names = "--json", description = "Print the node's answer as it is.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    DataClient client = node.client();
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(client.uri("")).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    var w = spec.commandLine().getOut();
    if (json) {
      w.println(r.body());
      return ExitCodes.OK;
    }
    for (JsonNode d : new ObjectMapper().readTree(r.body()).path("content")) {
      String held =
          d.path("complete").asBoolean()
              ? "complete"
              : d.path("heldBlocks").asInt() + "/" + d.path("blocks").asText("?") + " blocks";
      w.printf(
          "%s  %,15d  %-16s %-8s %s%n",
          d.path("cid").asText(d.path("treeCid").asText()),
          d.path("datasetSize").asLong(),
          held,
          d.path("pinned").asBoolean() ? "pinned" : "",
          d.path("filename").asText(""));
    }
    return ExitCodes.OK;
  }
}
