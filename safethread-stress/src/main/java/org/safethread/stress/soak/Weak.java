package org.safethread.stress.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.RefCounted;
import org.safethread.WeakKeyMap;
import org.safethread.WeakRef;

/**
 * {@link WeakKeyMap} and {@link WeakRef} (CONTRACT §9) under load: counted keys (each with a
 * counted value the map holds a reference to) that die at their owner's last release, and plain
 * keys that the JVM collects (the runtime's housekeeper removes their entries), one shared map.
 *
 * <p>Checks: {@code weak-dies}, at every counted key's death (the owner's last {@code decref}:
 * the death happens inside the call): from then on the map has no entry for it, and its
 * {@code WeakRef}'s {@code get} and {@code acquire} return null (before it, they return the key,
 * and the map its value); {@code weak-empty}, at the end, after the final collection: the map is
 * empty (every plain key's entry went with its key). The counted keys and values count into the
 * {@code stats} check's {@code objectsDied} (a value the map never released would not die).
 */
final class Weak {
    /** Plain keys kept alive for a while (then dropped for the JVM to collect). */
    static final int RECENT = 64;
    /**
     * Back-pressure: while the map holds more entries than this (entries of plain keys the JVM
     * collected wait for the housekeeper's next round), the worker pauses 1 ms. Without it the
     * worker made about 200,000 plain keys a second, and the entries awaiting reaping after a
     * {@code System.gc()} made the heap-flat samples swing by over 10 MiB on the 64 MiB heap. A
     * reaper that stopped would stall the worker (its key count stops growing) and fail
     * weak-empty at the end.
     */
    static final int MAX_ENTRIES = 20_000;

    /** A counted key. */
    static final class Key extends RefCounted {
    }

    /** A counted value (shareable: no state); the map holds a reference to it while the entry lives. */
    @org.safethread.Shareable
    static final class Value extends RefCounted {
    }

    final WeakKeyMap<Object, Object> map = new WeakKeyMap<>();
    private final Violations violations;
    private final Set<Break> breaks;
    private final AtomicBoolean keptOne = new AtomicBoolean();
    private final AtomicBoolean heldOne = new AtomicBoolean();
    /** --break=weak-hold-key: a plain key kept reachable forever. */
    private final List<Object> held = new ArrayList<>();
    /** --break=weak-keep-key: a counted key with an extra reference never released. */
    private final List<Key> kept = new ArrayList<>();
    final LongAdder countedKeys = new LongAdder();
    final LongAdder countedValues = new LongAdder();
    final LongAdder plainKeys = new LongAdder();
    final LongAdder pauses = new LongAdder();

    Weak(Violations violations, Set<Break> breaks) {
        this.violations = violations;
        this.breaks = breaks;
    }

    List<Thread> workers(int n, AtomicBoolean stop) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> work(stop), "soak-weak-" + i);
            t.setDaemon(true);
            ts.add(t);
        }
        return ts;
    }

    private void work(AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Object[] recent = new Object[RECENT];
        while (!stop.get()) {
            if (rnd.nextBoolean()) {
                countedKey();
            } else {
                if (map.size() > MAX_ENTRIES) {
                    pauses.increment();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                Object k = new byte[16 + rnd.nextInt(64)];
                map.put(k, Integer.valueOf(rnd.nextInt(1000)));
                plainKeys.increment();
                if (breaks.contains(Break.WEAK_HOLD_KEY) && heldOne.compareAndSet(false, true)) {
                    synchronized (held) {
                        held.add(k);   // --break=weak-hold-key
                    }
                }
                recent[rnd.nextInt(RECENT)] = k;   // the one it replaces may now be collected
                Object other = recent[rnd.nextInt(RECENT)];
                if (other != null && map.get(other) == null) {
                    violations.record("weak-dies", "a plain key still reachable lost its entry");
                }
            }
        }
    }

    /** A counted key with a counted value: the entry and the WeakRef must go at the owner's last release. */
    private void countedKey() {
        Key key = new Key();
        countedKeys.increment();
        Value value = new Value();
        countedValues.increment();
        WeakRef<Key> ref = new WeakRef<>(key);
        map.put(key, value);   // the map takes a counted reference to the value
        value.decref();        // ours goes: the map's keeps it alive
        if (map.get(key) != value || ref.get() != key) {
            violations.record("weak-dies", "a live counted key: map.get gave " + map.get(key) + ", WeakRef.get "
                    + ref.get());
        }
        Key again = ref.acquire();
        if (again != key) {
            violations.record("weak-dies", "WeakRef.acquire of a live counted key gave " + again);
        } else {
            again.decref();
        }
        if (breaks.contains(Break.WEAK_KEEP_KEY) && keptOne.compareAndSet(false, true)) {
            key.incref();   // --break=weak-keep-key: a reference never released
            synchronized (kept) {
                kept.add(key);
            }
        }
        key.decref();   // the owner's last release: the key dies inside this call
        Object v = map.get(key);
        Key got = ref.get();
        Key acq = ref.acquire();
        if (v != null || got != null || acq != null) {
            violations.record("weak-dies", "after a counted key's last release: map.get gave " + v + ", WeakRef.get "
                    + got + ", WeakRef.acquire " + acq + " (all must be null)");
            if (acq != null) {
                acq.decref();
            }
        }
    }

    /** At the end, after the final collection. */
    void checkEnd() {
        int n = map.size();
        if (n != 0) {
            violations.record("weak-empty", "the weak-keyed map holds " + n + " entr" + (n == 1 ? "y" : "ies")
                    + " after the final collection (every key is dead or unreachable)");
        }
    }
}
