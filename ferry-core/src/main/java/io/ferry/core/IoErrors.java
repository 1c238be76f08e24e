package io.ferry.core;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns I/O failures into what an operator reads: a short reason in the system's words ("no such
 * file or directory", "address already in use") instead of an exception's class name or a bare
 * {@code null}, inside a typed {@link FerryException}. Stateless.
 */
public final class IoErrors {
  // Netty's native transport says "bind(..) failed with error(-98): Address already in use".
  private static final Pattern NATIVE_CALL =
      Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: (.+)$");

  private IoErrors() {}

  /**
   * The code for an I/O failure: {@link ErrorCode#NOT_FOUND} for a missing file or directory,
   * {@link ErrorCode#PERMISSION_DENIED} for refused access, {@link ErrorCode#IO_ERROR} otherwise.
   */
  public static ErrorCode code(Throwable e) {
    return switch (e) {
      case NoSuchFileException n -> ErrorCode.NOT_FOUND;
      case AccessDeniedException a -> ErrorCode.PERMISSION_DENIED;
      default -> ErrorCode.IO_ERROR;
    };
  }

  /** The reason for a failure in a few lowercase words, never {@code null}. */
  public static String reason(Throwable e) {
    String words =
        switch (e) {
          case NoSuchFileException n -> "no such file or directory";
          case AccessDeniedException a -> "permission denied";
          case NotDirectoryException n -> "not a directory";
          case UnresolvedAddressException u -> "unknown host";
          case UnknownHostException u -> "unknown host";
          case FileAlreadyExistsException f -> "file exists";
          case DirectoryNotEmptyException d -> "directory not empty";
          case FileSystemException f -> f.getReason(); // its message is only the file's name
          default -> e.getMessage();
        };
    if (words == null || words.isBlank()) {
      // Some exceptions (a refused connect, say) carry their reason only in their cause.
      return e.getCause() != null && e.getCause() != e
          ? reason(e.getCause())
          : e.getClass().getSimpleName();
    }
    Matcher m = NATIVE_CALL.matcher(words);
    if (m.matches()) {
      words = m.group(1);
    }
    return lowerFirst(words);
  }

  /** "cannot read FILE: reason", typed by {@link #code}. */
  public static FerryException cannotRead(Path file, IOException e) {
    return new FerryException(code(e), "cannot read " + file + ": " + reason(e), e);
  }

  /** "cannot write FILE: reason", typed by {@link #code}. */
  public static FerryException cannotWrite(Path file, IOException e) {
    return new FerryException(code(e), "cannot write " + file + ": " + reason(e), e);
  }

  /**
   * "cannot listen for WHAT on HOST:PORT: reason" with {@link ErrorCode#IO_ERROR}, for a server
   * socket that could not be bound (a port in use, an address not on this machine).
   */
  public static FerryException cannotListen(String what, InetSocketAddress bind, Throwable e) {
    return new FerryException(
        ErrorCode.IO_ERROR,
        "cannot listen for " + what + " on " + hostPort(bind) + ": " + reason(e),
        e);
  }

  /** {@code HOST:PORT} as an operator writes it: no leading slash, IPv6 in brackets. */
  public static String hostPort(InetSocketAddress a) {
    String host =
        a.isUnresolved()
            ? a.getHostString()
            : a.getAddress() instanceof Inet6Address
                ? "[" + a.getAddress().getHostAddress() + "]"
                : a.getAddress().getHostAddress();
    return host + ":" + a.getPort();
  }

  private static String lowerFirst(String s) {
    // "Is a directory" reads as "is a directory"; an acronym such as "TLS" is left alone.
    if (s.length() > 1
        && Character.isUpperCase(s.charAt(0))
        && Character.isLowerCase(s.charAt(1))) {
      return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
    return s;
  }
}
