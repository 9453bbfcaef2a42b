package org.safethread.stress.lincheck;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import org.safethread.RefCounted;
import org.safethread.WeakKeyMap;

/**
 * Linearizability of {@link WeakKeyMap}: {@code put}, {@code get}, {@code remove}
 * on plain keys that stay alive, and on counted keys that die while other threads use them (the
 * entry of a counted key goes in the step of its death), against {@link Spec}; {@code size}
 * (weakly consistent) is checked when no operation runs ({@link #sizeCountsEveryEntryWhenQuiescent}).
 *
 * <p>Counted key {@code (t, k)} is made and killed by Lincheck thread {@code t} (its owner, so
 * the death happens inside {@code kill}, as in {@link DeathQueueLincheckTest}); any thread may
 * {@code putKey}/{@code getKey} it through a shared slot. A put on a key that died after the slot
 * was read throws {@code IllegalStateException} (the map unchanged): reported like "no key"
 * ({@code -1}), which is what the specification answers once the key is gone.
 *
 * <p>Stress and model checking, the latter with the runtime's plumbing left alone (see
 * {@link RefLincheckTest}; {@link LincheckRuns#IGNORED_PACKAGES} also leaves out the value-reaches-key
 * walk, whose per-class plan caches Lincheck otherwise rewound into an inconsistent state). The
 * plain keys' reaping after JVM collection runs on the housekeeper and is not exercised here:
 * their keys stay reachable. Plain-key reaping and the ephemeron tracing are covered by the
 * {@code org.safethread.stress.weak} jcstress tests and the core's WeakKeyMap tests.
 */
@Param(name = "tid", gen = ThreadIdGen.class)
@Param(name = "k", gen = IntGen.class, conf = "0:1")
@Param(name = "t", gen = IntGen.class, conf = "0:4")
@Param(name = "p", gen = IntGen.class, conf = "0:1")
@Param(name = "v", gen = IntGen.class, conf = "1:3")
public class WeakKeyMapLincheckTest {
    static final int THREAD_IDS = DeathQueueLincheckTest.THREAD_IDS;
    static final int KEYS = 2;

    static final class Key extends RefCounted {
    }

    private final WeakKeyMap<Object, Integer> map = new WeakKeyMap<>();
    private final Object[] plain = {new Object(), new Object()};
    /** The live counted key of each slot (t * KEYS + k), or null. */
    private final AtomicReferenceArray<Key> keys = new AtomicReferenceArray<>(THREAD_IDS * KEYS);

    @Operation
    public Integer putPlain(@Param(name = "p") int p, @Param(name = "v") int v) {
        return map.put(plain[p], v);
    }

    @Operation
    public Integer getPlain(@Param(name = "p") int p) {
        return map.get(plain[p]);
    }

    @Operation
    public Integer removePlain(@Param(name = "p") int p) {
        return map.remove(plain[p]);
    }

    @Operation
    public boolean create(@Param(name = "tid") int tid, @Param(name = "k") int k) {
        int i = tid * KEYS + k;
        if (keys.get(i) != null) {
            return false;
        }
        keys.set(i, new Key());
        return true;
    }

    @Operation
    public boolean kill(@Param(name = "tid") int tid, @Param(name = "k") int k) {
        int i = tid * KEYS + k;
        Key key = keys.get(i);
        if (key == null) {
            return false;
        }
        keys.set(i, null);
        key.decref();   // the owner's last reference: the key dies here, and its entry with it
        return true;
    }

    /** @return the previous value (0 for none), or -1 if the slot has no live key */
    @Operation
    public int putKey(@Param(name = "t") int t, @Param(name = "k") int k, @Param(name = "v") int v) {
        Key key = keys.get(t * KEYS + k);
        if (key == null) {
            return -1;
        }
        try {
            Integer old = map.put(key, v);
            return old == null ? 0 : old;
        } catch (IllegalStateException dead) {
            return -1;
        }
    }

    /** @return the value (0 for none or no live key) */
    @Operation
    public int getKey(@Param(name = "t") int t, @Param(name = "k") int k) {
        Key key = keys.get(t * KEYS + k);
        if (key == null) {
            return 0;
        }
        Integer v = map.get(key);
        return v == null ? 0 : v;
    }

    /**
     * {@code size} is weakly consistent (as {@code ConcurrentHashMap.size}, which holds the plain
     * keys' entries): during a put of a new key by another thread it may not count that entry yet,
     * although a later put of the same key by this thread already replaced it. This test, with
     * {@code size} as an operation, found exactly that history ({@code putPlain(1, 1): null} in
     * one thread; {@code putPlain(1, 3): 1} then {@code size(): 0} in the other). So it is checked
     * where it is exact: once no operation runs, it must count every entry.
     */
    @Validate
    public void sizeCountsEveryEntryWhenQuiescent() {
        int n = 0;
        for (Object p : plain) {
            if (map.get(p) != null) {
                n++;
            }
        }
        for (int i = 0; i < keys.length(); i++) {
            Key key = keys.get(i);
            if (key != null && map.get(key) != null) {
                n++;
            }
        }
        if (map.size() != n) {
            throw new IllegalStateException("size() is " + map.size() + " with no operation running, but " + n
                    + " keys have an entry");
        }
    }

    @Test
    void stress() {
        LincheckRuns.stressOnly(Spec.class).check(WeakKeyMapLincheckTest.class);
    }

    @Test
    void modelChecking() {
        LincheckRuns.modelChecking(Spec.class).check(WeakKeyMapLincheckTest.class);
    }

    /** The sequential specification: a map over two plain keys and the slots' keys. */
    public static class Spec {
        private final Integer[] plain = new Integer[2];
        private final boolean[] alive = new boolean[THREAD_IDS * KEYS];
        private final int[] value = new int[THREAD_IDS * KEYS];

        public Integer putPlain(int p, int v) {
            Integer old = plain[p];
            plain[p] = v;
            return old;
        }

        public Integer getPlain(int p) {
            return plain[p];
        }

        public Integer removePlain(int p) {
            Integer old = plain[p];
            plain[p] = null;
            return old;
        }

        public boolean create(int tid, int k) {
            int i = tid * KEYS + k;
            if (alive[i]) {
                return false;
            }
            alive[i] = true;
            value[i] = 0;
            return true;
        }

        public boolean kill(int tid, int k) {
            int i = tid * KEYS + k;
            if (!alive[i]) {
                return false;
            }
            alive[i] = false;
            value[i] = 0;
            return true;
        }

        public int putKey(int t, int k, int v) {
            int i = t * KEYS + k;
            if (!alive[i]) {
                return -1;
            }
            int old = value[i];
            value[i] = v;
            return old;
        }

        public int getKey(int t, int k) {
            int i = t * KEYS + k;
            return alive[i] ? value[i] : 0;
        }

    }
}
