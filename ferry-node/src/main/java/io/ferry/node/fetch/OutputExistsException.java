package io.ferry.node.fetch;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.file.Path;

/**
 * A download would replace a file that is already there, and replacing was not asked for ({@link
 * Downloader.Options#replace()}). Thrown before anything is fetched; the file is untouched.
 */
public final class OutputExistsException extends FerryException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  public OutputExistsException(Path path) {
    super(ErrorCode.ILLEGAL_STATE, path + " exists already");
    this.path = path;
  }

  /** The file that is there. */
  public Path path() {
    return path;
  }
}
