package io.ferry.core.archive;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which archive a node offers as its newest, by Agave's rule: the newest full archive is the one of
 * the highest height; the newest incremental is the one of the highest height among those whose
 * base is the newest full archive, and there is none when no incremental builds on it (an
 * incremental on an older full cannot be applied to the full archive a peer downloads next).
 * Stateless.
 */
public final class NewestArchives {
  private NewestArchives() {}

  /** The full archive of the highest height, ties broken by {@link ArchiveName#NEWEST_FIRST}. */
  public static <T> Optional<T> full(Collection<T> archives, Function<T, ArchiveName> name) {
    Comparator<T> newestFirst = Comparator.comparing(name, ArchiveName.NEWEST_FIRST);
    return archives.stream().filter(a -> name.apply(a).isFull()).min(newestFirst);
  }

  /** The incremental of the highest height among those based on the newest full archive. */
  public static <T> Optional<T> incremental(Collection<T> archives, Function<T, ArchiveName> name) {
    Comparator<T> newestFirst = Comparator.comparing(name, ArchiveName.NEWEST_FIRST);
    return full(archives, name)
        .map(f -> name.apply(f).height())
        .flatMap(
            base ->
                archives.stream().filter(a -> name.apply(a).baseHeight() == base).min(newestFirst));
  }
}
