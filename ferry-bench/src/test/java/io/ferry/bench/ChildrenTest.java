package io.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChildrenTest {

  @Test
  void stopsAChildAndWhatItStartedInTheBackground() throws Exception {
    Children children = new Children();
    // A wrapper whose own child ignores the end of the wrapper: it must be stopped by its pid.
    Process wrapper =
        children.start(
            new ProcessBuilder("sh", "-c", "sleep 300 & echo $!; wait").redirectErrorStream(true));
    String pid =
        new BufferedReader(new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    ProcessHandle sleeper = ProcessHandle.of(Long.parseLong(pid.strip())).orElseThrow();
    assertThat(sleeper.isAlive()).isTrue();

    children.close();

    assertThat(wrapper.isAlive()).isFalse();
    assertThat(sleeper.onExit().get().isAlive()).isFalse();
  }

  @Test
  void aChildStartedAfterCloseIsStoppedAtOnce() throws Exception {
    Children children = new Children();
    children.close();
    Process late = new ProcessBuilder("sleep", "300").start();
    assertThatThrownBy(() -> children.add(late)).hasMessageContaining("stopping");
    assertThat(late.onExit().get().isAlive()).isFalse();
  }
}
