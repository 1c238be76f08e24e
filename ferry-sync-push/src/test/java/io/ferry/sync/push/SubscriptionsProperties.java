package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.identity.NodeId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The subscription table against a naive model: a map from peer to (close time, budget, heads) in
 * the order peers first subscribed, under any sequence of subscribes, unsubscribes, pushes, expiry
 * and the passing of time, on a few peers and a small capacity.
 */
class SubscriptionsProperties {
  private static final int PEERS = 5;

  sealed interface Op permits Sub, Unsub, Push, Expire, Tick {}

  record Sub(int peer, long window, long budget, int height) implements Op {}

  record Unsub(int peer) implements Op {}

  record Push(int peer, long bytes, int height) implements Op {}

  record Expire() implements Op {}

  record Tick(long by) implements Op {}

  /** The model's subscription. */
  record Model(long close, long remaining, List<KnownHead> heads) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> peer = Arbitraries.integers().between(0, PEERS - 1);
    Arbitrary<Op> sub =
        Combinators.combine(
                peer,
                Arbitraries.longs().between(0, 5),
                Arbitraries.longs().between(1, 100),
                Arbitraries.integers().between(0, 9))
            .as(Sub::new);
    Arbitrary<Op> unsub = peer.map(Unsub::new);
    Arbitrary<Op> push =
        Combinators.combine(
                peer, Arbitraries.longs().between(0, 60), Arbitraries.integers().between(0, 9))
            .as(Push::new);
    Arbitrary<Op> expire = Arbitraries.just(new Expire());
    Arbitrary<Op> tick = Arbitraries.longs().between(0, 3).map(Tick::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, sub),
            net.jqwik.api.Tuple.of(2, unsub),
            net.jqwik.api.Tuple.of(3, push),
            net.jqwik.api.Tuple.of(1, expire),
            net.jqwik.api.Tuple.of(3, tick))
        .list()
        .ofMaxSize(60);
  }

  @Property(tries = 500)
  void theTableBehavesLikeTheModel(
      @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 1, max = 4) int capacity) {
    Subscriptions table = new Subscriptions(capacity);
    Map<Integer, Model> model = new LinkedHashMap<>();
    long now = 0;
    for (Op op : ops) {
      switch (op) {
        case Sub s -> {
          long t = now;
          model.values().removeIf(m -> t > m.close());
          List<KnownHead> heads = List.of(SubscriptionsTest.head(s.height(), s.height()));
          Subscriptions.Outcome expected;
          if (model.containsKey(s.peer())) {
            expected = Subscriptions.Outcome.UPDATED;
          } else if (model.size() >= capacity) {
            expected = Subscriptions.Outcome.REFUSED_FULL;
          } else {
            expected = Subscriptions.Outcome.OPENED;
          }
          if (expected != Subscriptions.Outcome.REFUSED_FULL) {
            model.put(s.peer(), new Model(now + s.window(), s.budget(), heads));
          }
          assertThat(
                  table.subscribe(
                      SubscriptionsTest.peer(s.peer()), now, s.window(), s.budget(), heads))
              .as("%s at %d", s, now)
              .isEqualTo(expected);
        }
        case Unsub u -> {
          boolean had = model.remove(u.peer()) != null;
          assertThat(table.unsubscribe(SubscriptionsTest.peer(u.peer()))).isEqualTo(had);
        }
        case Push p -> {
          KnownHead h = SubscriptionsTest.head(p.height(), p.height());
          model.computeIfPresent(
              p.peer(),
              (k, m) -> new Model(m.close(), Math.max(0, m.remaining() - p.bytes()), List.of(h)));
          table.pushed(SubscriptionsTest.peer(p.peer()), p.bytes(), h);
        }
        case Expire e -> {
          long t = now;
          int before = model.size();
          model.values().removeIf(m -> t > m.close());
          assertThat(table.expire(now)).isEqualTo(before - model.size());
        }
        case Tick t -> now += t.by();
      }
      assertThat(table.size()).isEqualTo(model.size()).isLessThanOrEqualTo(capacity);
      List<NodeId> order = new ArrayList<>();
      model.keySet().forEach(p -> order.add(SubscriptionsTest.peer(p)));
      assertThat(table.snapshot().keySet()).containsExactlyElementsOf(order);
      for (Map.Entry<Integer, Model> e : model.entrySet()) {
        Subscription s = table.get(SubscriptionsTest.peer(e.getKey())).orElseThrow();
        assertThat(new Model(s.closeTimeNanos(), s.remainingBytes(), s.knownHeads()))
            .isEqualTo(e.getValue());
      }
    }
  }

  @Property(tries = 200)
  void aFullTableStillTakesUpdatesAndRefusesOthers(
      @ForAll @IntRange(min = 1, max = 6) int capacity,
      @ForAll @Size(max = 20) List<@IntRange(min = 0, max = 9) Integer> updates) {
    Subscriptions table = new Subscriptions(capacity);
    for (int i = 0; i < capacity; i++) {
      table.subscribe(SubscriptionsTest.peer(i), 0, 10, 10, List.of());
    }
    for (int u : updates) {
      Subscriptions.Outcome o = table.subscribe(SubscriptionsTest.peer(u), 1, 10, 20, List.of());
      assertThat(o)
          .isEqualTo(
              u < capacity ? Subscriptions.Outcome.UPDATED : Subscriptions.Outcome.REFUSED_FULL);
      assertThat(table.size()).isEqualTo(capacity);
    }
  }
}
