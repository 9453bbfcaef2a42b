package org.safethread.internal.map;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.safethread.DeadlockException;
import org.safethread.UnshareableException;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.share.ShareRules;

/**
 * The engine of {@code org.safethread.SharedMap}: a {@link ConcurrentHashMap} whose values are
 * the user's values or {@link PendingKey} markers.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Representation.</b> A key maps to nothing (absent), to a user value, or to a
 * {@link PendingKey} while one thread runs its {@code computeIfAbsent} mapping. A pending key is
 * <em>absent</em> to every observer: {@code get}, {@code containsKey}, {@code size},
 * {@code snapshot} and the conditional writes never report the marker. User values can never be
 * markers: every value is checked shareable on the way in and a marker is not.
 *
 * <p><b>Linearizability.</b> Each public operation takes effect at one atomic operation on the
 * underlying map: a read at its {@code get}; an unconditional write at its {@code put}; a
 * conditional write ({@code remove}, {@code replace}, and the compare-and-set of
 * {@code compute}) at one {@code computeIfPresent} whose function is ours (identity comparisons
 * only, never user code) and which leaves a marker in place; those that compare values with
 * {@code equals} ({@code remove(k, v)}, {@code replace(k, e, v)}) call it first, outside every
 * lock, on the value read, then compare-and-set that very value by identity, and read again if
 * it changed (so a slow or blocking {@code equals} holds up no other writer of its bin, unlike
 * {@code ConcurrentHashMap}'s); a failed comparison is linearized at its read; a {@code computeIfAbsent} at the
 * read that found the value, or at the write that replaced its own marker. {@code size},
 * {@code isEmpty} and {@code snapshot} are weakly consistent, as {@code ConcurrentHashMap}'s
 * (exact when no write runs concurrently).
 *
 * <p><b>Pending keys.</b> The protocol is in {@link PendingKey}: a marker is published with
 * {@code putIfAbsent}, resolved exactly once by whoever takes it out of the map, and waited for
 * in the wait-for graph. A write that finds a marker ({@code put}, {@code putIfAbsent},
 * {@code compute}) replaces it as it would an absent key, and resolves it: its waiters see the
 * new value; the mapping's owner, finding its marker gone when it finishes, returns whatever
 * value the key has then (installing its own only if the key is absent again), as a
 * {@code putIfAbsent} that lost a race does. A mapping that throws or returns null removes its
 * marker: the key is absent again and each waiter retries its own {@code computeIfAbsent} (the
 * first to retry computes with its own mapping), as the next caller would after a failed
 * {@code ConcurrentHashMap.computeIfAbsent}: a failure belongs to the caller whose mapping threw.
 *
 * <p><b>Writes from a compute function.</b> {@code compute} re-runs its function whenever the key's
 * value changed while the function ran; a function that writes its own key changes it every
 * time, so it ran for ever (a silent spin: {@code ConcurrentHashMap} holds the bin's lock and
 * never re-runs). The same holds for the value's {@code equals} that {@code remove(k, v)} and
 * {@code replace(k, e, v)} call and call again when the value changed. Each write therefore
 * refuses, with {@code IllegalStateException}, a key for which such user code runs on the calling
 * thread: {@code computing} counts the user code running on this map (any thread), so a write
 * looks at its thread's frames (a thread-local stack) only while some runs. Writes of other keys,
 * and writes of the key by other threads (contention, which ends), are not refused.
 *
 * <p><b>Counting.</b> {@code pending} counts markers in the map: incremented before one is
 * published, decremented after it is taken out (or failed to be published), once per marker
 * whoever tries ({@link PendingKey#takeOut}, a CAS: a displacing write and the finishing owner may
 * both get there), so it is never below the number of markers present and {@code size} subtracts
 * it from the map's count. A stale marker (see {@link PendingKey}: its key's code made the owner's
 * removal fail) stays counted while it is in the map.
 *
 * <p><b>Releasing.</b> User code (the key's {@code hashCode}/{@code equals}/{@code compareTo},
 * the mapping, the value's check) can throw at any step after a marker is published, even after
 * a write has been made ({@code ConcurrentHashMap} builds a tree bin after it stores a value). So
 * the owner ends every publication attempt and every mapping in {@link #release}, on the normal
 * path and in a catch-and-rethrow: no path leaves a marker pending.
 */
public final class CheckedMap {
    private final ConcurrentHashMap<Object, Object> map = new ConcurrentHashMap<>();
    private final LongAdder pending = new LongAdder();
    /** How many compute functions (and remove/replace equals) run on this map now, any thread (notes). */
    private final AtomicInteger computing = new AtomicInteger();
    /** The {@code compute} functions running on the calling thread, innermost first. */
    private static final ThreadLocal<ComputeFrame> FRAMES = new ThreadLocal<>();
    /**
     * The class of the last key (value) found shareable by its class alone ({@code ShareRules}'
     * per-class verdict), so that a map of one key class and one value class pays a field read and
     * a comparison per check instead of a {@code ClassValue} lookup. Plain fields read and written
     * racily on purpose: a class's verdict never changes and a {@code Class} reference is
     * published safely by the JVM, so a thread that reads a stale or another thread's class only
     * does the lookup.
     */
    private Class<?> alwaysKeyClass;
    private Class<?> alwaysValueClass;

    // ------------------------------------------------------------------ checks

    private void checkKey(String op, Object key) {
        if (key == null) {
            throw new NullPointerException("SharedMap." + op + ": key is null (a SharedMap has no null keys)");
        }
        Class<?> c = key.getClass();
        if (c == alwaysKeyClass) {
            return; // benign race: see the field
        }
        if (ShareRules.alwaysShareable(c)) {
            alwaysKeyClass = c;
        } else if (!ShareRules.isShareable(key)) {
            throw unshareable(op, "key", key);
        }
    }

    private void checkValue(String op, Object value) {
        if (value == null) {
            throw new NullPointerException("SharedMap." + op + ": value is null (a SharedMap has no null values; "
                    + "use remove to delete a key)");
        }
        if (!shareableValue(value)) {
            throw unshareable(op, "value", value);
        }
    }

    /** @return whether a non-null value is shareable, through the one-entry class cache */
    private boolean shareableValue(Object value) {
        Class<?> c = value.getClass();
        if (c == alwaysValueClass) {
            return true; // benign race: see the field
        }
        if (ShareRules.alwaysShareable(c)) {
            alwaysValueClass = c;
            return true;
        }
        return ShareRules.isShareable(value);
    }

    private static UnshareableException unshareable(String op, String what, Object v) {
        String why = ShareRules.whyNot(v);
        return new UnshareableException("SharedMap." + op + ": " + what + " (" + v.getClass().getName()
                + ") is not shareable" + (why == null ? "" : ": " + why));
    }

    private static Object requireKey(String op, Object key) {
        if (key == null) {
            throw new NullPointerException("SharedMap." + op + ": key is null (a SharedMap has no null keys)");
        }
        return key;
    }

    /**
     * User code that a retrying operation runs on this thread for a key (a {@code compute}
     * function, the {@code equals} of {@code remove(k, v)}/{@code replace(k, e, v)}): its map, key
     * and what it is, for the message.
     */
    private static final class ComputeFrame {
        final CheckedMap map;
        final Object key;
        final String what;
        final ComputeFrame outer;

        ComputeFrame(CheckedMap map, Object key, String what, ComputeFrame outer) {
            this.map = map;
            this.key = key;
            this.what = what;
            this.outer = outer;
        }
    }

    /**
     * Refuses a write of {@code key} from inside a {@code compute} function of this map that this
     * thread runs for the same key (it would make that compute run for ever). Before any change.
     */
    private void refuseFromOwnCompute(String op, Object key) {
        if (computing.get() == 0) {
            return; // no compute function runs on this map: the common case, one volatile read
        }
        for (ComputeFrame f = FRAMES.get(); f != null; f = f.outer) {
            if (f.map == this && (f.key == key || f.key.equals(key))) {
                throw new IllegalStateException("SharedMap." + op + ": called from " + f.what + " of "
                        + KeyNames.describe(key, KeyNames.hashOf(key)) + " on this thread. That operation runs it "
                        + "again whenever the key's value changed meanwhile, so code that writes its own key would run "
                        + "for ever. Keep it free of side effects (a compute function returns the new value; an equals "
                        + "only compares), and write the key after the operation returns");
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /** @return the value, or null if absent or pending */
    public Object get(Object key) {
        Object v = map.get(key); // NullPointerException for a null key, as ConcurrentHashMap
        return v instanceof PendingKey ? null : v;
    }

    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    public int size() {
        long n = map.mappingCount() - pending.sum();
        return n <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, n);
    }

    public boolean isEmpty() {
        if (pending.sum() == 0) {
            return map.isEmpty();
        }
        for (Object v : map.values()) {
            if (!(v instanceof PendingKey)) {
                return false;
            }
        }
        return true;
    }

    /** @return an immutable copy of the present (not pending) entries */
    public Map<Object, Object> snapshot() {
        HashMap<Object, Object> copy = new HashMap<>();
        for (Map.Entry<Object, Object> e : map.entrySet()) {
            Object v = e.getValue();
            if (!(v instanceof PendingKey)) {
                copy.put(e.getKey(), v);
            }
        }
        return Map.copyOf(copy);
    }

    // ------------------------------------------------------------------ writes

    /**
     * Takes note that {@code marker} is out of the map (the caller took it out, or it was never
     * published), counting it off once whoever else tries too, and wakes its waiters.
     */
    private void resolved(PendingKey marker) {
        if (marker.takeOut()) { // the displacer and the finishing owner may both get here
            pending.decrement();
        }
        marker.resolve();
    }

    public Object put(Object key, Object value) {
        checkKey("put", key);
        checkValue("put", value);
        refuseFromOwnCompute("put", key);
        Object prev = map.put(key, value);
        if (prev instanceof PendingKey) {
            resolved((PendingKey) prev);
            return null;
        }
        return prev;
    }

    public Object putIfAbsent(Object key, Object value) {
        checkKey("putIfAbsent", key);
        checkValue("putIfAbsent", value);
        refuseFromOwnCompute("putIfAbsent", key);
        return putIfAbsentChecked(key, value, null);
    }

    /**
     * Installs {@code value} if the key is absent or pending (replacing {@code own} first, when
     * given: the caller's own marker).
     *
     * @return the present value that won, or null if {@code value} was installed
     */
    private Object putIfAbsentChecked(Object key, Object value, PendingKey own) {
        if (own != null && map.replace(key, own, value)) { // identity: markers do not override equals
            resolved(own);
            return null;
        }
        for (;;) {
            Object cur = map.putIfAbsent(key, value);
            if (cur == null) {
                return null;
            }
            if (!(cur instanceof PendingKey)) {
                return cur;
            }
            if (map.replace(key, cur, value)) {
                resolved((PendingKey) cur);
                return null;
            }
        }
    }

    public Object remove(Object key) {
        refuseFromOwnCompute("remove", requireKey("remove", key));
        Swap s = new Swap(null, null);
        map.computeIfPresent(key, s);
        return s.old;
    }

    public boolean remove(Object key, Object value) {
        requireKey("remove", key);
        Objects.requireNonNull(value, "SharedMap.remove: value is null (a SharedMap has no null values)");
        refuseFromOwnCompute("remove", key);
        return swapIfEqual(key, value, null);
    }

    public Object replace(Object key, Object value) {
        checkKey("replace", key);
        checkValue("replace", value);
        refuseFromOwnCompute("replace", key);
        Swap s = new Swap(null, value);
        map.computeIfPresent(key, s);
        return s.old;
    }

    public boolean replace(Object key, Object expected, Object value) {
        Objects.requireNonNull(expected, "SharedMap.replace: expected value is null (a SharedMap has no null values)");
        checkKey("replace", key);
        checkValue("replace", value);
        refuseFromOwnCompute("replace", key);
        return swapIfEqual(key, expected, value);
    }

    /**
     * Replaces {@code key}'s value by {@code replacement} (null: removes it) if it
     * {@code equals} {@code expected}. The user's {@code equals} runs outside every lock: on the
     * value read, then one identity compare-and-set of that very value (under the bin's lock, no
     * user code), retried if the value changed in between. Linearized at the read that found a
     * value not equal (or none, or a pending key): false; or at the compare-and-set: true.
     */
    private boolean swapIfEqual(Object key, Object expected, Object replacement) {
        for (;;) {
            Object present = map.get(key);
            if (present == null || present instanceof PendingKey) {
                return false;
            }
            if (present != expected && !equalsAsFrame(key, expected, present, replacement == null
                    ? "the equals that SharedMap.remove(key, value) calls" : "the equals that SharedMap.replace(key, expected, value) calls")) {
                return false; // user code above: no lock held
            }
            Swap s = new Swap(present, replacement);
            map.computeIfPresent(key, s);
            if (s.old != null) {
                return true;
            }
        }
    }

    /**
     * The function of one conditional write, run by {@code computeIfPresent} under the bin's
     * lock: leaves a marker alone (a pending key is absent), else compares the present value with
     * {@code expected} (by identity: no user code runs under the lock; any value when
     * {@code expected} is null) and, if it matches, records it in {@code old} and returns
     * {@code replacement} (null: remove).
     */
    private static final class Swap implements BiFunction<Object, Object, Object> {
        private final Object expected;
        private final Object replacement;
        Object old;

        Swap(Object expected, Object replacement) {
            this.expected = expected;
            this.replacement = replacement;
        }

        @Override
        public Object apply(Object k, Object present) {
            if (present instanceof PendingKey) {
                return present;
            }
            boolean match = expected == null || expected == present;
            if (!match) {
                return present;
            }
            old = present;
            return replacement;
        }
    }

    // ------------------------------------------------------------------ computing

    @SuppressWarnings({"unchecked", "rawtypes"})
    public Object computeIfAbsent(Object key, Function mapping) {
        if (mapping == null) {
            throw new NullPointerException("SharedMap.computeIfAbsent: mapping is null");
        }
        Object cur = map.get(key); // NullPointerException for a null key
        if (cur != null && !(cur instanceof PendingKey)) {
            return cur; // present: no check, no allocation, no lock (the hot path)
        }
        checkKey("computeIfAbsent", key);
        ThreadState ts = ThreadState.current();
        for (;;) {
            // Absent, or a stale marker (resolved, left in the map by a key whose code threw or
            // lied: see PendingKey) which is absent too: publish a marker of our own.
            if (cur == null || cur instanceof PendingKey && ((PendingKey) cur).isDone()) {
                refuseFromOwnCompute("computeIfAbsent", key); // it would install: a write
                PendingKey mine = new PendingKey(key, ts); // a new one each time: a marker is never reused
                pending.increment();
                // In a blocker role from before the marker can be seen until the mapping is over:
                // a thread waiting for the key walks to this one, so this thread's own monitor
                // waits must register fully and walk (see WaitForGraph, "Light registrations").
                WaitForGraph.enterBlockerRole(ts);
                try {
                    boolean published;
                    try {
                        if (cur == null) {
                            cur = map.putIfAbsent(key, mine); // the key's code runs: it may throw, even after the write
                            published = cur == null;
                        } else {
                            published = map.replace(key, cur, mine); // identity on the value
                            if (published) {
                                resolved((PendingKey) cur);
                            } else {
                                cur = map.get(key);
                            }
                        }
                    } catch (Throwable t) {
                        release(key, mine, t); // published or not: take it out if there, count it off, resolve
                        throw t;
                    }
                    if (published) {
                        return runMapping(key, mine, mapping);
                    }
                } finally {
                    WaitForGraph.exitBlockerRole(ts);
                }
                resolved(mine); // never published: counted off (nobody else knows it)
                continue;
            }
            if (cur instanceof PendingKey) {
                awaitPending((PendingKey) cur, ts);
                cur = map.get(key);
                continue;
            }
            return cur;
        }
    }

    /**
     * Runs the mapping for {@code key}, whose marker {@code mine} the caller published, and
     * releases the marker however the mapping, the check or the install ends.
     */
    private Object runMapping(Object key, PendingKey mine, Function<Object, Object> mapping) {
        Object result;
        try {
            Object value = mapping.apply(key);
            if (value == null) {
                result = null;
            } else {
                if (!shareableValue(value)) {
                    throw unshareable("computeIfAbsent", "value", value);
                }
                Object winner = putIfAbsentChecked(key, value, mine); // resolves mine when it replaces it
                result = winner == null ? value : winner;
            }
        } catch (Throwable t) {
            release(key, mine, t);
            throw t;
        }
        release(key, mine, null);
        return result;
    }

    /**
     * The end of every mapping, and of a failed publication: takes {@code mine} out of the map if
     * it is still there (the key is absent again), counts it off, and resolves it in any case, so
     * that no waiter waits for a mapping that ended. Only its owner calls this.
     *
     * <p>If the key's own code makes the removal throw, or miss the marker (a {@code hashCode}
     * that changed), the marker is looked for by identity among the values (no user code; only on
     * this path): not there, it was never published or a write displaced it (counted off here or
     * by that write, once); still there, it stays as a stale marker (see {@link PendingKey}).
     *
     * @param primary the throwable the operation is ending with (a failure of the key's code here
     *     is attached to it), or null (then such a failure is thrown, after the marker was resolved)
     */
    private void release(Object key, PendingKey mine, Throwable primary) {
        Throwable keyFailure = null;
        try {
            if (!mine.isOut()) { // the install (or a displacer) took it out already: the usual case
                boolean removed = false;
                try {
                    removed = map.remove(key, mine); // identity on the value; the key's hashCode/equals run
                } catch (Throwable t) {
                    keyFailure = t;
                }
                if (removed || !map.containsValue(mine)) { // containsValue: identity, no user code
                    if (mine.takeOut()) {
                        pending.decrement();
                    }
                }
            }
        } finally {
            mine.resolve(); // idempotent; pairs with the waiters' addWaiter
        }
        if (keyFailure != null) {
            if (primary != null) {
                if (primary != keyFailure) {
                    primary.addSuppressed(keyFailure);
                }
            } else {
                throw CheckedMap.<RuntimeException>sneaky(keyFailure);
            }
        }
    }

    /** Rethrows any throwable (a key's code may throw a checked one through a sneaky throw). */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * Waits until {@code p} is resolved; a wait-for edge to the thread computing it. A
     * cancellation point (CONTRACT §6): a child of a cancelled branch gets
     * {@code CancelledException} before waiting, and leaves the wait when its branch is cancelled
     * (the cancellation's interrupt wakes it; the status stays set), having changed nothing.
     */
    private static void awaitPending(PendingKey p, ThreadState ts) {
        if (CancelScope.cancelledNow()) { // before anything else, also when it would not block
            throw CancelScope.cancelledAt("SharedMap.computeIfAbsent (waiting for " + p.keyName() + ")");
        }
        if (p.owner == ts) {
            throw recursive(p, ts);
        }
        PendingKey.Node node = p.addWaiter();
        if (node == null) {
            return; // resolved meanwhile
        }
        CancelScope scope = CancelScope.current(); // null outside a branch child: the plain wait
        try {
            // Not interruptible, as a monitor entry (the status is kept); abortable: a deadlock
            // victim leaves here, before it changed anything; and so does a cancelled child.
            WaitForGraph.await(p, true, scope == null ? p::isDone : () -> p.isDone() || scope.isCancelled(), null);
        } catch (Throwable e) { // a deadlock victim, or anything else the wait threw
            node.leave();
            throw e;
        }
        if (scope != null && !p.isDone() && scope.isCancelled()) {
            node.leave(); // the resolver need not unpark us
            throw CancelScope.cancelledAt(scope, "SharedMap.computeIfAbsent (waiting for " + p.keyName() + ")");
        }
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static DeadlockException recursive(PendingKey p, ThreadState ts) {
        Counters.DEADLOCKS_BROKEN.increment();
        String thread = ts.thread.getName().isEmpty() ? "#" + ts.thread.getId() : ts.thread.getName();
        String key = p.keyName();
        return new DeadlockException("Deadlock: thread " + thread + " runs the computeIfAbsent mapping of " + key
                + " and that mapping asks for " + key + " itself, which can never be computed first. The inner "
                + "computeIfAbsent is refused; the key stays absent unless the outer mapping still returns a value. "
                + "Compute the inner value without asking the map for the same key",
                java.util.List.of(new DeadlockException.Link(ts.thread.getName(), ts.thread.getId(), key, key)));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public Object compute(Object key, BiFunction remapping) {
        checkKey("compute", key);
        Objects.requireNonNull(remapping, "SharedMap.compute: remapping function is null");
        refuseFromOwnCompute("compute", key);
        for (;;) {
            Object cur = map.get(key);
            Object old = cur instanceof PendingKey ? null : cur;
            Object next = applyAsFrame(key, old, remapping); // optimistic: no lock; may run again
            if (next != null && !shareableValue(next)) {
                throw unshareable("compute", "value", next);
            }
            if (old == null) {
                if (next == null) {
                    return null; // absent (or pending) stays so: linearized at the read
                }
                if (cur == null ? map.putIfAbsent(key, next) == null : map.replace(key, cur, next)) {
                    if (cur != null) {
                        resolved((PendingKey) cur);
                    }
                    return next;
                }
                continue;
            }
            Swap s = new Swap(old, next);
            map.computeIfPresent(key, s);
            if (s.old != null) {
                return next;
            }
        }
    }

    /** Runs a {@code compute} function as a frame of this thread (see the notes). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Object applyAsFrame(Object key, Object old, BiFunction remapping) {
        ComputeFrame outer = enterFrame(key, "the remapping function of a SharedMap.compute");
        try {
            return remapping.apply(key, old);
        } finally {
            leaveFrame(outer);
        }
    }

    /** Runs the user's {@code expected.equals(present)} as a frame of this thread (see the notes). */
    private boolean equalsAsFrame(Object key, Object expected, Object present, String what) {
        ComputeFrame outer = enterFrame(key, what);
        try {
            return expected.equals(present);
        } finally {
            leaveFrame(outer);
        }
    }

    /** @return the thread's frames before this one, for {@link #leaveFrame} */
    private ComputeFrame enterFrame(Object key, String what) {
        ComputeFrame outer = FRAMES.get();
        FRAMES.set(new ComputeFrame(this, key, what, outer));
        computing.incrementAndGet();
        return outer;
    }

    private void leaveFrame(ComputeFrame outer) {
        computing.decrementAndGet();
        if (outer == null) {
            FRAMES.remove();
        } else {
            FRAMES.set(outer);
        }
    }
}
