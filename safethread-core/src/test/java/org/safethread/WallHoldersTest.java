package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicMarkableReference;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.AtomicStampedReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10 F and J: the shareability walk decides any depth with a short message, and a holder
 * is shareable only if what it holds is — {@code Ref}, the atomic reference holders, the
 * collections and maps of {@code java.util.concurrent} — at the wall as everywhere.
 */
@Timeout(120)
class WallHoldersTest {

    record Link(Object next) {
    }

    /** A monitor that keeps whatever it is given. */
    public static class Store {
        private final List<Object> kept = new ArrayList<>();

        @MonitorMethod
        public void keep(Object o) {
            kept.add(o);
        }

        @MonitorMethod
        public void keepRef(Ref<Buffer> r) {
            kept.add(r);
        }

        @MonitorMethod
        public int size() {
            return kept.size();
        }
    }

    /** A counted object holding plain mutable state: must not cross. */
    static final class Buffer extends RefCounted {
        final ArrayList<String> lines = new ArrayList<>();
    }

    /** A counted resource with its own thread-safe API: it says so, and may cross. */
    @Shareable
    static final class Connection extends RefCounted {
        final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
    }

    private static Object chain(int depth, Object end) {
        Object o = end;
        for (int i = 0; i < depth; i++) {
            o = new Link(o);
        }
        return o;
    }

    // ---------------------------------------------------------------- F

    @Test
    void aRecordChainOfAnyDepthIsDecided() {
        assertThat(Shareability.isShareable(chain(10_000, "end"))).isTrue();
        assertThat(Shareability.isShareable(chain(1_000_000, null))).isTrue();
        assertThat(Shareability.isShareable(chain(10_000, List.of(Optional.of(chain(10_000, 1)))))).isTrue();
        Store store = Monitor.of(new Store());
        store.keep(chain(10_000, "end"));
        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void aRefusedDeepChainHasAShortMessageNamingTheClassAndTheFirstSteps() {
        Object deep = chain(10_000, new ArrayList<>());
        String why = Shareability.whyNotShareable(deep);
        assertThat(why).contains("java.util.ArrayList").contains("record Link component next")
                .contains("more steps");
        assertThat(why.length()).as(why).isLessThan(600);
        Store store = Monitor.of(new Store());
        assertThatThrownBy(() -> store.keep(deep)).isInstanceOf(UnshareableException.class)
                .hasMessageContaining("java.util.ArrayList")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(800));
        assertThat(store.size()).isZero();
    }

    // ---------------------------------------------------------------- J

    @Test
    void aRefIsShareableOnlyIfItsReferentIs() {
        Buffer buf = new Buffer();
        Ref<Buffer> ref = new Ref<>(buf);
        Store store = Monitor.of(new Store());
        assertThatThrownBy(() -> store.keepRef(ref)).isInstanceOf(UnshareableException.class)
                .hasMessageContaining("Ref value").hasMessageContaining(Buffer.class.getName());
        assertThatThrownBy(() -> store.keep(ref)).isInstanceOf(UnshareableException.class);
        assertThat(store.size()).as("refused before entry: nothing kept").isZero();
        store.keepRef(new Ref<>()); // an empty Ref holds nothing unshareable
        assertThat(store.size()).isEqualTo(1);
        ref.clear();
        buf.decref();
    }

    @Test
    void aCountedClassThatSaysItIsShareableCrosses() {
        Connection c = new Connection();
        Ref<Connection> ref = new Ref<>(c);
        Store store = Monitor.of(new Store());
        store.keep(c);
        store.keep(ref);
        assertThat(store.size()).isEqualTo(2);
        assertThat(Shareability.isShareable(new Ref<>(c))).isTrue();
        ref.clear();
        c.decref();
    }

    @Test
    void atomicReferenceHoldersAreShareableOnlyIfWhatTheyHoldIs() {
        assertThat(Shareability.isShareable(new AtomicReference<>("s"))).isTrue();
        assertThat(Shareability.isShareable(new AtomicReference<>())).isTrue();
        assertThat(Shareability.whyNotShareable(new AtomicReference<>(new ArrayList<>())))
                .contains("AtomicReference value").contains("java.util.ArrayList");
        assertThat(Shareability.isShareable(new AtomicReferenceArray<>(new Object[] {"a", List.of(1)}))).isTrue();
        assertThat(Shareability.isShareable(new AtomicReferenceArray<>(new Object[] {"a", new ArrayList<>()})))
                .isFalse();
        assertThat(Shareability.isShareable(new AtomicStampedReference<>(new ArrayList<>(), 0))).isFalse();
        assertThat(Shareability.isShareable(new AtomicMarkableReference<>(new ArrayList<>(), false))).isFalse();
        assertThat(Shareability.isShareable(new AtomicStampedReference<>("x", 0))).isTrue();
        Store store = Monitor.of(new Store());
        assertThatThrownBy(() -> store.keep(new AtomicReference<>(new ArrayList<>())))
                .isInstanceOf(UnshareableException.class);
    }

    @Test
    void concurrentCollectionsAreShareableOnlyIfTheirElementsAre() {
        assertThat(Shareability.isShareable(new ConcurrentHashMap<>(Map.of("k", List.of(1))))).isTrue();
        assertThat(Shareability.whyNotShareable(new ConcurrentHashMap<>(Map.of("k", new ArrayList<>()))))
                .contains("map value").contains("java.util.ArrayList");
        assertThat(Shareability.isShareable(new ConcurrentLinkedQueue<>(List.of(new ArrayList<>())))).isFalse();
        assertThat(Shareability.isShareable(new CopyOnWriteArrayList<>(List.of("a", 1)))).isTrue();
        assertThat(Shareability.isShareable(ConcurrentHashMap.newKeySet())).isTrue();
    }

    @Test
    void holdersThatHoldThemselvesAreDecided() {
        AtomicReference<Object> self = new AtomicReference<>();
        self.set(self);
        assertThat(Shareability.isShareable(self)).isTrue();
        ConcurrentHashMap<String, Object> m = new ConcurrentHashMap<>();
        m.put("me", m);
        m.put("list", List.of(new AtomicReference<>(m)));
        assertThat(Shareability.isShareable(m)).isTrue();
        m.put("bad", new Link(new ArrayList<>()));
        assertThat(Shareability.isShareable(m)).isFalse();
        // a ring of many holders (more than the walk remembers without a map)
        List<AtomicReference<Object>> ring = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ring.add(new AtomicReference<>());
        }
        for (int i = 0; i < 50; i++) {
            ring.get(i).set(new Link(ring.get((i + 1) % 50)));
        }
        assertThat(Shareability.isShareable(ring.get(0))).isTrue();
        ring.get(49).set(new Link(new Object()));
        assertThat(Shareability.whyNotShareable(ring.get(0))).contains("java.lang.Object").contains("more steps");
    }

    @Test
    void optionalsAndRecordsAreShareableOnlyIfWhatTheyHoldIs() {
        assertThat(Shareability.isShareable(Optional.of(new AtomicReference<>(new ArrayList<>())))).isFalse();
        assertThat(Shareability.isShareable(new Link(new AtomicReference<>("ok")))).isTrue();
        assertThat(Shareability.isShareable(new Link(new Ref<>(new Buffer())))).isFalse();
    }
}
