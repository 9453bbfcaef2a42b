package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CONTRACT §9: WeakKeyMap. */
@Timeout(120)
class WeakKeyMapTest {
    /** @Shareable: values must be shareable, and a Ref is shareable only when its referent is. */
    @Shareable
    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    /** A counted class that does not vouch for itself: not shareable. */
    static final class Unmarked extends RefCounted {
    }

    @Shareable
    static final class Val extends RefCounted {
        final Ref<Node> back = new Ref<>();
    }

    /** A value record holding counted references. */
    record Back(Ref<Node> to, String label) {
    }

    record Nested(Back inner) {
    }

    /** A key whose equals/hashCode would merge distinct keys: identity must win. */
    static final class SameKey {
        @Override
        public boolean equals(Object o) {
            return o instanceof SameKey;
        }

        @Override
        public int hashCode() {
            return 1;
        }
    }

    @Test
    void keysAreComparedByIdentity() {
        WeakKeyMap<SameKey, String> m = new WeakKeyMap<>();
        SameKey a = new SameKey();
        SameKey b = new SameKey();
        assertThat(m.put(a, "a")).isNull();
        assertThat(m.put(b, "b")).isNull();
        assertThat(m.size()).isEqualTo(2);
        assertThat(m.get(a)).isEqualTo("a");
        assertThat(m.get(b)).isEqualTo("b");
        assertThat(m.put(a, "a2")).isEqualTo("a");
        assertThat(m.remove(a)).isEqualTo("a2");
        assertThat(m.get(a)).isNull();
        assertThat(m.remove(a)).isNull();
        assertThat(m.get(b)).isEqualTo("b");
        assertThat(m.size()).isEqualTo(1);
    }

    @Test
    void nullsAreRefused() {
        WeakKeyMap<Object, String> m = new WeakKeyMap<>();
        assertThatThrownBy(() -> m.put(null, "v")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> m.put(new Object(), null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> m.get(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> m.remove(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void unshareableValuesAreRefusedAndTheMapIsUnchanged() {
        WeakKeyMap<Object, Object> m = new WeakKeyMap<>();
        Object k = new Object();
        m.put(k, "v");
        assertThatThrownBy(() -> m.put(k, new ArrayList<>()))
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("WeakKeyMap.put: value (java.util.ArrayList) is not shareable");
        Node counted = new Node();
        Unmarked unmarked = new Unmarked(); // a counted class not marked @Shareable
        assertThatThrownBy(() -> m.put(counted, unmarked)).isInstanceOf(UnshareableException.class);
        unmarked.decref();
        assertThat(m.get(k)).isEqualTo("v");
        assertThat(m.get(counted)).isNull();
        assertThat(m.size()).isEqualTo(1);
        counted.decref();
    }

    @Test
    void theMapIsShareable() {
        assertThat(Shareability.isShareable(new WeakKeyMap<>())).isTrue();
    }

    @Test
    void aCountedKeysEntryGoesAtItsDeathAndItsValueIsReleased() {
        WeakKeyMap<Node, Val> m = new WeakKeyMap<>();
        Node k = new Node();
        Val v = new Val();
        m.put(k, v);
        assertThat(v.refCount()).as("the map holds a counted reference to its value").isEqualTo(2);
        v.decref();
        assertThat(m.get(k)).isSameAs(v);
        k.decref();
        assertThat(k.isAlive()).isFalse();
        assertThat(m.get(k)).isNull();
        assertThat(m.size()).as("removed in the death step, no access needed").isZero();
        assertThat(v.isAlive()).as("the map's reference was released at the key's death").isFalse();
    }

    @Test
    void removeAndReplaceGiveTheMapsReferenceBack() {
        WeakKeyMap<Node, Val> m = new WeakKeyMap<>();
        Node k = new Node();
        Val v1 = new Val();
        Val v2 = new Val();
        m.put(k, v1);
        m.put(k, v2);
        assertThat(v1.refCount()).isEqualTo(1);
        assertThat(v2.refCount()).isEqualTo(2);
        assertThat(m.remove(k)).isSameAs(v2);
        assertThat(v2.refCount()).isEqualTo(1);
        v1.decref();
        v2.decref();
        k.decref();
        assertThat(v1.isAlive()).isFalse();
        assertThat(v2.isAlive()).isFalse();
    }

    @Test
    void putOfADeadKeyOrDeadValueIsRefused() {
        WeakKeyMap<Node, Object> m = new WeakKeyMap<>();
        Node k = new Node();
        k.decref();
        assertThatThrownBy(() -> m.put(k, "v")).isInstanceOf(IllegalStateException.class).hasMessageContaining("dead");
        Val dead = new Val();
        dead.decref();
        Node live = new Node();
        assertThatThrownBy(() -> m.put(live, dead)).isInstanceOf(IllegalStateException.class);
        assertThat(m.size()).isZero();
        assertThat(m.remove(k)).isNull();
        live.decref();
    }

    /** The ephemeron: map.put(k, new Ref<>(k)) then dropping k ends with k dead and the entry gone. */
    @Test
    void aValueReferringBackToItsKeyDoesNotKeepIt() {
        WeakKeyMap<Node, Ref<Node>> m = new WeakKeyMap<>();
        Node k = new Node();
        Ref<Node> back = new Ref<>(k);
        m.put(k, back);
        k.decref();
        assertThat(k.isAlive()).as("until a collection").isTrue();
        SafeThread.collect();
        assertThat(k.isAlive()).isFalse();
        assertThat(m.size()).isZero();
        assertThat(back.get()).as("the value's Ref was cleared like a field of the dead key").isNull();
    }

    @Test
    void aRecordValueAndARefCountedValueReferringBackDoNotKeepTheKey() {
        WeakKeyMap<Node, Object> m = new WeakKeyMap<>();
        Node k1 = new Node();
        Node k2 = new Node();
        Node k3 = new Node();
        m.put(k1, new Back(new Ref<>(k1), "one"));
        m.put(k2, new Nested(new Back(new Ref<>(k2), "two")));
        Val v = new Val();
        v.back.set(k3);
        m.put(k3, v);
        v.decref();
        k1.decref();
        k2.decref();
        k3.decref();
        SafeThread.collect();
        assertThat(k1.isAlive()).isFalse();
        assertThat(k2.isAlive()).isFalse();
        assertThat(k3.isAlive()).isFalse();
        assertThat(v.isAlive()).isFalse();
        assertThat(m.size()).isZero();
    }

    @Test
    void anEntryValueKeepsWhatItRefersToWhileItsKeyLives() {
        WeakKeyMap<Node, Ref<Node>> m = new WeakKeyMap<>();
        Node k = new Node();
        Node target = new Node();
        target.next.set(k); // target -> k and k's value -> target: a cycle through the entry
        m.put(k, new Ref<>(target));
        target.decref();
        SafeThread.collect();
        assertThat(target.isAlive()).as("held through the entry of a live key").isTrue();
        assertThat(k.isAlive()).isTrue();
        k.decref();
        SafeThread.collect();
        assertThat(k.isAlive()).isFalse();
        assertThat(target.isAlive()).isFalse();
        assertThat(m.size()).isZero();
    }

    /** k1's value refers to k2 and k2's to k1: one garbage group, collected in one pass. */
    @Test
    void anEphemeronChainIsCollectedAsOneGroup() {
        WeakKeyMap<Node, Ref<Node>> m = new WeakKeyMap<>();
        Node k1 = new Node();
        Node k2 = new Node();
        m.put(k1, new Ref<>(k2));
        m.put(k2, new Ref<>(k1));
        k1.decref();
        k2.decref();
        assertThat(k1.isAlive()).isTrue();
        CollectionResult r = SafeThread.collect();
        assertThat(r.collected()).isGreaterThanOrEqualTo(2);
        assertThat(k1.isAlive()).isFalse();
        assertThat(k2.isAlive()).isFalse();
        assertThat(m.size()).isZero();
    }

    /** The same Ref as the value of two entries holds one reference: traced once. */
    @Test
    void aRefSharedByTwoEntriesIsCountedOnce() {
        WeakKeyMap<Node, Ref<Node>> m = new WeakKeyMap<>();
        Node k = new Node();
        Node target = new Node(); // held by one Ref and by this test
        Ref<Node> shared = new Ref<>(target);
        Node holder = new Node();
        k.next.set(holder);
        holder.next.set(k);
        m.put(k, shared);
        m.put(holder, shared);
        k.decref();
        holder.decref(); // k and holder: garbage; target: our reference keeps it
        SafeThread.collect();
        assertThat(k.isAlive()).isFalse();
        assertThat(holder.isAlive()).isFalse();
        assertThat(target.isAlive()).as("traced twice would hide our reference").isTrue();
        assertThat(target.refCount()).isEqualTo(1);
        target.decref();
    }

    /** A Ref instance shared by two objects' fields holds one reference: traced once. */
    @Test
    void aRefSharedByTwoObjectsFieldsIsCountedOnce() {
        final class Holder extends RefCounted {
            final Ref<Node> shared;
            final Ref<Holder> other = new Ref<>();

            Holder(Ref<Node> shared) {
                this.shared = shared;
            }
        }
        Node target = new Node();
        Ref<Node> r = new Ref<>(target);
        Holder a = new Holder(r);
        Holder b = new Holder(r);
        a.other.set(b);
        b.other.set(a);
        a.decref();
        b.decref();
        SafeThread.collect();
        assertThat(a.isAlive()).isFalse();
        assertThat(target.isAlive()).as("its count holds our reference too").isTrue();
        target.decref();
    }

    @Test
    void aPlainKeysEntryIsRemovedByTheRuntimeAfterTheJvmCollectsIt() throws Exception {
        WeakKeyMap<Object, String> m = new WeakKeyMap<>();
        Object kept = new Object();
        m.put(kept, "kept");
        m.put(new Object(), "gone");
        assertThat(m.size()).isEqualTo(2);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (m.size() > 1 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10); // no map access in between: only size()
        }
        assertThat(m.size()).as("removed within 5 s of collection, without any map access").isEqualTo(1);
        assertThat(m.get(kept)).isEqualTo("kept");
    }

    @Test
    void aPlainKeysRefCountedValueIsReleasedWhenTheKeyIsCollected() throws Exception {
        WeakKeyMap<Object, Val> m = new WeakKeyMap<>();
        Val v = new Val();
        m.put(new Object(), v);
        v.decref();
        assertThat(v.isAlive()).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (v.isAlive() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
            SafeThread.poll(); // we own v: the housekeeper's release is merged at our next runtime call
        }
        assertThat(v.isAlive()).isFalse();
        assertThat(m.size()).isZero();
    }

    record Holds(Object what) {
    }

    @Shareable
    static final class Box {
        final Object inside;

        Box(Object inside) {
            this.inside = inside;
        }
    }

    @Test
    void aPlainKeysValueThatReachesItsKeyIsRefusedNamingThePath() {
        WeakKeyMap<Object, Object> m = new WeakKeyMap<>();
        Box key = new Box(null);
        assertThatThrownBy(() -> m.put(key, new Holds(new Box(key))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("value.what.inside");
        assertThat(m.size()).isZero();
        m.put(key, new Holds(new Box("other")));
        assertThat(m.size()).isEqualTo(1);
        assertThat(m.put(key, new Holds(new WeakRef<>(key)))).isNotNull(); // a weak way back is fine
    }

    /** While one thread releases the key, another reads: no entry is ever visible for a dead key. */
    @Test
    void noEntryIsEverVisibleForADeadCountedKey() throws Exception {
        WeakKeyMap<Node, String> m = new WeakKeyMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int round = 0; round < 2_000; round++) {
            Node k = new Node();
            m.put(k, "v");
            k.incref(); // the releaser's reference
            AtomicBoolean go = new AtomicBoolean();
            Thread releaser = new Thread(() -> {
                while (!go.get()) {
                    Thread.onSpinWait();
                }
                k.decref();
            });
            releaser.start();
            k.decref();
            go.set(true);
            for (int i = 0; i < 1_000; i++) {
                // a value read while alive is fine; one read after the death was seen is not
                boolean alive = k.isAlive();
                if (!alive && m.get(k) != null) {
                    failure.compareAndSet(null, new AssertionError("entry visible for a dead key, round " + round));
                }
            }
            releaser.join();
            SafeThread.poll();
            assertThat(k.isAlive()).isFalse();
            assertThat(m.get(k)).isNull();
        }
        assertThat(failure.get()).isNull();
        assertThat(m.size()).isZero();
    }

    @Test
    void manyMapsOnOneKey() {
        List<WeakKeyMap<Node, String>> maps = new ArrayList<>();
        Node k = new Node();
        for (int i = 0; i < 10; i++) {
            WeakKeyMap<Node, String> m = new WeakKeyMap<>();
            m.put(k, "v" + i);
            maps.add(m);
        }
        maps.get(3).remove(k);
        k.decref();
        for (WeakKeyMap<Node, String> m : maps) {
            assertThat(m.size()).isZero();
        }
    }
}
