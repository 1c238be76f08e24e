package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.IoErrors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * What reaches the top of a command becomes one line and an exit code ({@link FailureHandler}, as
 * {@link Main} installs it). Tests run as root, where no file is unreadable, so the refused reads
 * here are real {@link AccessDeniedException}s thrown by a command rather than by the file system.
 */
class FailureHandlerTest {
  record Result(int exitCode, String err) {}

  @Command(name = "throws")
  static final class Throws implements Callable<Integer> {
    private final Exception toThrow;

    Throws(Exception toThrow) {
      this.toThrow = toThrow;
    }

    @Override
    public Integer call() throws Exception {
      throw toThrow;
    }
  }

  private static Result run(Exception e) {
    CommandLine cli = new CommandLine(new Throws(e));
    cli.setExecutionExceptionHandler(Main.commandLine().getExecutionExceptionHandler());
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    return new Result(cli.execute(), err.toString());
  }

  @Test
  void anUnreadableFileIsAnIoFailureNamingTheFile() {
    AccessDeniedException denied = new AccessDeniedException("/srv/ferry/node.toml");
    Result typed = run(IoErrors.cannotRead(java.nio.file.Path.of("/srv/ferry/node.toml"), denied));
    assertThat(typed.err())
        .isEqualTo("ferry: cannot read /srv/ferry/node.toml: permission denied%n".formatted());
    assertThat(typed.exitCode()).isEqualTo(ExitCodes.FAILURE);

    Result raw = run(denied);
    assertThat(raw.err()).isEqualTo("ferry: /srv/ferry/node.toml: permission denied%n".formatted());
    assertThat(raw.exitCode()).isEqualTo(ExitCodes.FAILURE);
  }

  @Test
  void anUnforeseenIoFailureIsNotAnUnexpectedError() {
    Result r =
        run(
            new UncheckedIOException(
                new NoSuchFileException("/srv/out.part", "/srv/out", "No such file or directory")));
    assertThat(r.err())
        .isEqualTo("ferry: /srv/out.part -> /srv/out: no such file or directory%n".formatted());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void aBugIsStillCalledUnexpected() {
    Result r = run(new IllegalStateException("boom"));
    assertThat(r.err())
        .isEqualTo("ferry: unexpected error: java.lang.IllegalStateException: boom%n".formatted());
    assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILURE);
  }
}
