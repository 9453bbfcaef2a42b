package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomized stress test with a reference model: random keys, values (strings, {@code Ref}s to
 * other keys or to the key itself), links between keys, releases and collections, over two maps,
 * while a reader thread looks entries up through weak references. The model keeps each key's
 * link, each map's entries and which keys the test holds. After every collection, a key is alive
 * exactly when the model can reach it from a held key through links and entry values (an entry's
 * value counts only from its key: an ephemeron); every entry of a dead key is gone; no entry of
 * a live key is lost or changed. The reader checks that no entry is ever visible for a key it
 * has seen dead.
 */
@Timeout(180)
class WeakKeyMapStressTest {
    static final int ROUNDS = 40;
    static final int OPS_PER_ROUND = 2_000;

    @Shareable
    static final class Key extends RefCounted {
        final int id;
        final Ref<Key> link = new Ref<>();

        Key(int id) {
            this.id = id;
        }
    }

    /** What the model says an entry holds: a string, or a Ref to a key. */
    record Expected(Object value, Key target) {
    }

    @Test
    void entriesFollowTheirKeysLivesExactly() throws Exception {
        SplittableRandom rnd = new SplittableRandom(16);
        List<WeakKeyMap<Key, Object>> maps = List.of(new WeakKeyMap<>(), new WeakKeyMap<>());
        List<Map<Key, Expected>> model = List.of(new HashMap<>(), new HashMap<>());
        Map<Key, Key> links = new HashMap<>();
        List<Key> all = new ArrayList<>();
        List<Key> held = new ArrayList<>();
        Set<Key> dead = new HashSet<>();
        AtomicReferenceArray<WeakRef<Key>> published = new AtomicReferenceArray<>(64);
        AtomicBoolean stop = new AtomicBoolean();
        // The reader's acquire holds keys alive for a moment: it pauses while the test verifies.
        AtomicBoolean pause = new AtomicBoolean();
        AtomicBoolean paused = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(7);
            while (!stop.get()) {
                if (pause.get()) {
                    paused.set(true);
                    while (pause.get() && !stop.get()) {
                        Thread.onSpinWait();
                    }
                    paused.set(false);
                    continue;
                }
                WeakRef<Key> w = published.get(r.nextInt(published.length()));
                if (w == null) {
                    continue;
                }
                Key k = w.get();
                if (k == null) {
                    continue;
                }
                boolean wasDead = !k.isAlive();
                for (WeakKeyMap<Key, Object> m : maps) {
                    if (wasDead && m.get(k) != null) {
                        violation.compareAndSet(null, "an entry visible for dead key " + k.id);
                    }
                }
                Key a = w.acquire();
                if (a != null) {
                    if (!a.isAlive()) {
                        violation.compareAndSet(null, "acquire returned dead key " + a.id);
                    }
                    a.decref();
                }
            }
        });
        reader.start();
        int nextId = 0;
        try {
            for (int round = 0; round < ROUNDS; round++) {
                for (int op = 0; op < OPS_PER_ROUND; op++) {
                    int choice = rnd.nextInt(100);
                    if (choice < 15 || held.isEmpty()) {
                        Key k = new Key(nextId++);
                        all.add(k);
                        held.add(k);
                        published.set(rnd.nextInt(published.length()), new WeakRef<>(k));
                    } else if (choice < 30) {
                        Key k = held.remove(rnd.nextInt(held.size()));
                        k.decref();
                    } else if (choice < 60) {
                        int mi = rnd.nextInt(2);
                        Key k = held.get(rnd.nextInt(held.size()));
                        Object v;
                        Key target = null;
                        if (rnd.nextBoolean()) {
                            v = "v" + op;
                        } else {
                            target = rnd.nextInt(4) == 0 ? k : held.get(rnd.nextInt(held.size()));
                            v = new Ref<>(target);
                        }
                        Object prev = maps.get(mi).put(k, v);
                        Expected e = model.get(mi).put(k, new Expected(v, target));
                        assertThat(prev).isSameAs(e == null ? null : e.value());
                        if (prev instanceof Ref) {
                            ((Ref<?>) prev).clear(); // handed back to us: release what it held
                        }
                    } else if (choice < 75) {
                        int mi = rnd.nextInt(2);
                        Key k = held.get(rnd.nextInt(held.size()));
                        Object prev = maps.get(mi).remove(k);
                        Expected e = model.get(mi).remove(k);
                        assertThat(prev).isSameAs(e == null ? null : e.value());
                        if (prev instanceof Ref) {
                            ((Ref<?>) prev).clear(); // ours again: release what it held
                        }
                    } else if (choice < 95) {
                        Key k = held.get(rnd.nextInt(held.size()));
                        if (rnd.nextInt(3) == 0) {
                            k.link.clear();
                            links.remove(k);
                        } else {
                            Key t = held.get(rnd.nextInt(held.size()));
                            k.link.set(t);
                            links.put(k, t);
                        }
                    } else {
                        Key k = held.get(rnd.nextInt(held.size()));
                        for (int mi = 0; mi < 2; mi++) {
                            Expected e = model.get(mi).get(k);
                            Object got = maps.get(mi).get(k);
                            assertThat(got).isSameAs(e == null ? null : e.value());
                        }
                    }
                }
                pauseReader(pause, paused);
                SafeThread.collect();
                verify(maps, model, links, all, held, dead);
                assertThat(violation.get()).isNull();
                pause.set(false);
            }
            for (Key k : held) {
                k.decref();
            }
            held.clear();
            pauseReader(pause, paused);
            SafeThread.collect();
            verify(maps, model, links, all, held, dead);
        } finally {
            stop.set(true);
            reader.join();
        }
        assertThat(violation.get()).isNull();
        assertThat(maps.get(0).size() + maps.get(1).size()).isZero();
    }

    private static void pauseReader(AtomicBoolean pause, AtomicBoolean paused) {
        pause.set(true);
        while (!paused.get()) {
            Thread.onSpinWait();
        }
    }

    private static void verify(List<WeakKeyMap<Key, Object>> maps, List<Map<Key, Expected>> model,
            Map<Key, Key> links, List<Key> all, List<Key> held, Set<Key> dead) {
        Set<Key> reach = new HashSet<>(held);
        ArrayDeque<Key> work = new ArrayDeque<>(held);
        while (!work.isEmpty()) {
            Key k = work.poll();
            List<Key> out = new ArrayList<>();
            Key l = links.get(k);
            if (l != null) {
                out.add(l);
            }
            for (Map<Key, Expected> m : model) {
                Expected e = m.get(k);
                if (e != null && e.target() != null) {
                    out.add(e.target());
                }
            }
            for (Key t : out) {
                if (reach.add(t)) {
                    work.add(t);
                }
            }
        }
        for (Key k : all) {
            boolean live = reach.contains(k);
            assertThat(k.isAlive()).as("key " + k.id + " alive as the model says").isEqualTo(live);
            if (!live && dead.add(k)) {
                links.remove(k);
                for (Map<Key, Expected> m : model) {
                    m.remove(k);
                }
            }
        }
        all.removeIf(dead::contains);
        for (int mi = 0; mi < 2; mi++) {
            assertThat(maps.get(mi).size()).as("map " + mi + " has exactly the live keys' entries")
                    .isEqualTo(model.get(mi).size());
            for (Map.Entry<Key, Expected> e : model.get(mi).entrySet()) {
                assertThat(maps.get(mi).get(e.getKey())).as("entry of live key " + e.getKey().id)
                        .isSameAs(e.getValue().value());
                if (e.getValue().target() != null) {
                    assertThat(((Ref<?>) e.getValue().value()).get()).isSameAs(e.getValue().target());
                }
            }
        }
        for (Key k : dead) {
            for (WeakKeyMap<Key, Object> m : maps) {
                assertThat(m.get(k)).as("dead key " + k.id).isNull();
            }
        }
    }
}
