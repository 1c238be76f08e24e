package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.net.testing.TestNet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The commits a pusher keeps for subscribers a little behind. */
class RecentCommitsTest {
  private final Chain chain = new Chain(TestNet.key(3), 3);

  @AfterEach
  void close() {
    chain.close();
  }

  private static List<Commit> commitsOf(List<RecentCommits.Entry> entries) {
    return entries.stream().map(RecentCommits.Entry::commit).toList();
  }

  private List<Commit> commit(int n) {
    for (int i = 0; i < n; i++) {
      chain.commitRandom(5);
    }
    return chain.commits;
  }

  private static KnownHead before(Commit c) {
    return new KnownHead(c.height() - 1, c.parentRoot());
  }

  @Test
  void afterAKnownHeadComeTheCommitsThatContinueIt() {
    List<Commit> all = commit(6);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    all.forEach(recent::add);
    assertThat(commitsOf(recent.after(before(all.get(0))))).isEqualTo(all);
    assertThat(commitsOf(recent.after(all.get(2).after()))).isEqualTo(all.subList(3, 6));
    assertThat(recent.after(all.get(5).after())).isEmpty();
    assertThat(recent.newest()).contains(all.get(5).after());
  }

  @Test
  void eachEntryIsTheCommitsPushEncoding() {
    List<Commit> all = commit(2);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    RecentCommits.Entry e = recent.add(all.get(0));
    assertThat(e.encoded()).isEqualTo(Messages.commitEntry(all.get(0)));
  }

  @Test
  void aKnownHeadOnAnotherHistoryGetsNothing() {
    List<Commit> all = commit(4);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    all.forEach(recent::add);
    // Right height, another root.
    KnownHead elsewhere = new KnownHead(2, Chain.root(99));
    assertThat(recent.after(elsewhere)).isEmpty();
  }

  @Test
  void aKnownHeadAheadOfEveryCommitGetsNothing() {
    List<Commit> all = commit(3);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    all.forEach(recent::add);
    assertThat(recent.after(new KnownHead(10, Chain.root(10)))).isEmpty();
  }

  @Test
  void aKnownHeadOlderThanTheHistoryGetsNothing() {
    List<Commit> all = commit(6);
    RecentCommits recent = new RecentCommits(3, 1 << 20);
    all.forEach(recent::add);
    assertThat(recent.size()).isEqualTo(3);
    assertThat(recent.after(all.get(1).after())).isEmpty();
    assertThat(commitsOf(recent.after(all.get(2).after()))).isEqualTo(all.subList(3, 6));
  }

  @Test
  void aCommitThatDoesNotFollowTheNewestStartsAgain() {
    List<Commit> all = commit(5);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    recent.add(all.get(0));
    recent.add(all.get(1));
    // The state moved by other means from height 2 to height 4: commit 5 follows nothing kept.
    recent.add(all.get(4));
    assertThat(recent.size()).isEqualTo(1);
    assertThat(commitsOf(recent.after(all.get(3).after()))).containsExactly(all.get(4));
    assertThat(recent.after(all.get(0).after())).isEmpty();
  }

  @Test
  void aCommitAtTheNextHeightOnAnotherRootStartsAgain() {
    List<Commit> all = commit(2);
    RecentCommits recent = new RecentCommits(10, 1 << 20);
    recent.add(all.get(0));
    Commit fork =
        new Commit(
            2,
            Chain.root(77),
            List.of(),
            io.ferry.gossip.head.SignedHead.sign(chain.key, 2, Chain.root(78)));
    recent.add(fork);
    assertThat(recent.size()).isEqualTo(1);
    assertThat(recent.newest()).contains(fork.after());
  }

  @Test
  void boundedByCountTheOldestGoFirst() {
    List<Commit> all = commit(8);
    RecentCommits recent = new RecentCommits(4, 1 << 20);
    all.forEach(recent::add);
    assertThat(recent.size()).isEqualTo(4);
    assertThat(commitsOf(recent.after(all.get(3).after()))).isEqualTo(all.subList(4, 8));
  }

  @Test
  void boundedByBytesButNeverBelowTheNewest() {
    List<Commit> all = commit(6);
    int one = Messages.commitEntry(all.get(5)).size();
    long three = all.subList(3, 6).stream().mapToLong(c -> Messages.commitEntry(c).size()).sum();
    RecentCommits recent = new RecentCommits(100, three);
    all.forEach(recent::add);
    assertThat(recent.size()).isEqualTo(3);
    assertThat(commitsOf(recent.after(all.get(2).after()))).isEqualTo(all.subList(3, 6));

    RecentCommits tiny = new RecentCommits(100, one - 1);
    all.forEach(tiny::add);
    assertThat(tiny.size()).isEqualTo(1);
    assertThat(tiny.newest()).contains(all.get(5).after());
  }

  @Test
  void emptyAtFirst() {
    RecentCommits recent = new RecentCommits(4, 100);
    assertThat(recent.newest()).isEmpty();
    assertThat(recent.after(chain.head())).isEmpty();
    assertThat(recent.size()).isZero();
  }
}
