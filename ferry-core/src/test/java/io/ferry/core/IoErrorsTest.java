package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reasons an operator can read. Tests run as root, which reads any file whatever its mode, so a
 * refused access is an {@link AccessDeniedException} made here rather than by the file system.
 */
class IoErrorsTest {
  @TempDir Path tmp;

  @Test
  void aRefusedReadIsPermissionDeniedNotCorrupt() {
    Path file = tmp.resolve("node.toml");
    FerryException e = IoErrors.cannotRead(file, new AccessDeniedException(file.toString()));
    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(e.getMessage()).isEqualTo("cannot read " + file + ": permission denied");
  }

  @Test
  void aMissingFileIsNotFound() {
    Path file = tmp.resolve("missing");
    IOException missing = catchThrowableOfType(IOException.class, () -> Files.readString(file));
    FerryException e = IoErrors.cannotRead(file, missing);
    assertThat(missing).isInstanceOf(NoSuchFileException.class);
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(e.getMessage()).isEqualTo("cannot read " + file + ": no such file or directory");
  }

  @Test
  void aDirectoryReadAsAFileSaysSoInTheSystemsWords() {
    IOException isDir = catchThrowableOfType(IOException.class, () -> Files.readString(tmp));
    FerryException e = IoErrors.cannotWrite(tmp, isDir);
    assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
    assertThat(e.getMessage()).isEqualTo("cannot write " + tmp + ": is a directory");
  }

  @Test
  void aPortInUseNamesTheAddressWithoutNoise() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress at = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      BindException jdk =
          catchThrowableOfType(
              BindException.class,
              () -> {
                try (ServerSocket again = new ServerSocket()) {
                  again.bind(at);
                }
              });
      String expected = "cannot listen for HTTP on " + IoErrors.hostPort(at);
      assertThat(IoErrors.cannotListen("HTTP", at, jdk).getMessage())
          .isEqualTo(expected + ": address already in use");
      // Netty's native transport puts the system call and errno in front.
      IOException netty =
          new IOException("bind(..) failed with error(-98): Address already in use");
      assertThat(IoErrors.cannotListen("HTTP", at, netty).getMessage())
          .isEqualTo(expected + ": address already in use");
      assertThat(IoErrors.cannotListen("HTTP", at, netty).code()).isEqualTo(ErrorCode.IO_ERROR);
    }
  }

  @Test
  void aReasonIsNeverNull() {
    ConnectException refused = new ConnectException();
    refused.initCause(new UnresolvedAddressException());
    assertThat(IoErrors.reason(refused)).isEqualTo("unknown host");
    assertThat(IoErrors.reason(new UnresolvedAddressException())).isEqualTo("unknown host");
    assertThat(IoErrors.reason(new ConnectException())).isEqualTo("ConnectException");
    // A FileSystemException's message is just its file: that is no reason.
    assertThat(IoErrors.reason(new FileAlreadyExistsException("/srv/data")))
        .isEqualTo("file exists");
    assertThat(IoErrors.reason(new FileSystemException("/srv/data")))
        .isEqualTo("FileSystemException");
    assertThat(IoErrors.reason(new IOException("TLS alert"))).isEqualTo("TLS alert");
  }

  @Test
  void hostPortIsWhatAnOperatorTypes() {
    assertThat(IoErrors.hostPort(new InetSocketAddress("127.0.0.1", 8900)))
        .isEqualTo("127.0.0.1:8900");
    assertThat(IoErrors.hostPort(new InetSocketAddress("::1", 8899)))
        .isEqualTo("[0:0:0:0:0:0:0:1]:8899");
    assertThat(IoErrors.hostPort(InetSocketAddress.createUnresolved("nosuch.invalid", 1)))
        .isEqualTo("nosuch.invalid:1");
  }
}
