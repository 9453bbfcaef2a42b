package org.safethread;

import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.map.CheckedMap;

/**
 * A map that threads share: python-safethread's {@code shareddict}. Every key and value going in
 * must be {@linkplain Shareability shareable}; every operation is atomic and linearizable; reads
 * never block; and no user code runs under a lock of the map.
 *
 * <p><b>Checked at the door.</b> {@code put}, {@code putIfAbsent}, {@code replace}, and the
 * results of {@code computeIfAbsent} and {@code compute} refuse a key or value that is not
 * shareable with {@link UnshareableException} ("SharedMap.put: value (java.util.ArrayList) is not
 * shareable: …"), and {@code null} keys and values with {@link NullPointerException}; a refused
 * operation leaves the map unchanged.
 *
 * <p><b>{@code computeIfAbsent} without a lock.</b> The mapping runs in the calling thread,
 * holding no lock, at most once per absent key: while it runs the key is <em>pending</em>, and
 * other threads asking for it with {@code computeIfAbsent} wait for its value (reads see it
 * absent; they never wait). Such a wait is an edge of the wait-for graph, like a monitor entry:
 * a mapping that asks for its own key, or threads whose mappings need each other's keys, form a
 * deadlock, which is broken by throwing {@link DeadlockException} to one of them (its key stays
 * absent; the others proceed) — where {@link java.util.concurrent.ConcurrentHashMap} throws
 * "Recursive update" or hangs for good. A mapping that throws or returns {@code null} leaves the
 * key absent; threads that waited for it then compute it themselves. A write that reaches a
 * pending key ({@code put}, {@code compute}, …) treats it as absent, and the waiters get the
 * value it wrote.
 *
 * <p><b>{@code compute} is optimistic.</b> The function runs outside any lock on the value it
 * read, and its result is installed only if the value is unchanged (compared by identity);
 * otherwise it runs again. It must therefore be free of side effects.
 *
 * <p><b>Memory consistency.</b> As {@link java.util.concurrent.ConcurrentHashMap}: writing a
 * value happens-before every read that returns it; a value a mapping returns happens-before its
 * return to every thread that waited for it. {@link #size}, {@link #isEmpty} and
 * {@link #snapshot} are weakly consistent (exact when no write runs at the same time).
 *
 * <p>Keys and values are compared with {@code equals} and hashed with {@code hashCode}, which
 * for shareable objects are side-effect-free by construction (records, JDK values) or identity
 * (monitors). A value's {@code equals} ({@code remove(key, value)}, {@code replace(key,
 * expected, value)}) runs outside every lock of the map; a key's {@code hashCode} and
 * {@code equals} run where {@link java.util.concurrent.ConcurrentHashMap} runs them (for a
 * write, under the lock of the key's bin), so they must be quick and must not block.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@Shareable
public final class SharedMap<K, V> {
    private final CheckedMap map = new CheckedMap();

    /** Creates an empty map. */
    public SharedMap() {
    }

    /**
     * @param key the key
     * @return its value, or {@code null} if absent (or pending); never blocks
     * @throws NullPointerException if {@code key} is null
     */
    @SuppressWarnings("unchecked")
    public @Nullable V get(Object key) {
        Objects.requireNonNull(key, "SharedMap.get: key is null");
        return (V) map.get(key);
    }

    /**
     * @param key the key
     * @return whether the key has a value (a pending key has none yet)
     * @throws NullPointerException if {@code key} is null
     */
    public boolean containsKey(Object key) {
        Objects.requireNonNull(key, "SharedMap.containsKey: key is null");
        return map.containsKey(key);
    }

    /**
     * Maps {@code key} to {@code value}.
     *
     * @param key the key; must be shareable
     * @param value the value; must be shareable
     * @return the previous value, or {@code null}
     * @throws NullPointerException if either is null
     * @throws UnshareableException if either is not shareable (the map is unchanged)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V put(K key, V value) {
        Objects.requireNonNull(key, "SharedMap.put: key is null");
        Objects.requireNonNull(value, "SharedMap.put: value is null");
        return (V) map.put(key, value);
    }

    /**
     * Maps {@code key} to {@code value} if it has no value (also when it is pending: its waiters
     * then get {@code value}).
     *
     * @param key the key; must be shareable
     * @param value the value; must be shareable
     * @return the present value (nothing changed), or {@code null} ({@code value} was installed)
     * @throws NullPointerException if either is null
     * @throws UnshareableException if either is not shareable (the map is unchanged)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V putIfAbsent(K key, V value) {
        Objects.requireNonNull(key, "SharedMap.putIfAbsent: key is null");
        Objects.requireNonNull(value, "SharedMap.putIfAbsent: value is null");
        return (V) map.putIfAbsent(key, value);
    }

    /**
     * Removes {@code key}'s value.
     *
     * @param key the key
     * @return the removed value, or {@code null} if it had none
     * @throws NullPointerException if {@code key} is null
     */
    @SuppressWarnings("unchecked")
    public @Nullable V remove(Object key) {
        Objects.requireNonNull(key, "SharedMap.remove: key is null");
        return (V) map.remove(key);
    }

    /**
     * Removes {@code key} if its value {@code equals} {@code value}.
     *
     * @param key the key
     * @param value the value it must have
     * @return whether it was removed
     * @throws NullPointerException if either is null
     */
    public boolean remove(Object key, Object value) {
        Objects.requireNonNull(key, "SharedMap.remove: key is null");
        Objects.requireNonNull(value, "SharedMap.remove: value is null");
        return map.remove(key, value);
    }

    /**
     * Replaces {@code key}'s value, if it has one.
     *
     * @param key the key; must be shareable
     * @param value the new value; must be shareable
     * @return the replaced value, or {@code null} (nothing changed)
     * @throws NullPointerException if either is null
     * @throws UnshareableException if either is not shareable (the map is unchanged)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V replace(K key, V value) {
        Objects.requireNonNull(key, "SharedMap.replace: key is null");
        Objects.requireNonNull(value, "SharedMap.replace: value is null");
        return (V) map.replace(key, value);
    }

    /**
     * Replaces {@code key}'s value with {@code value} if it {@code equals} {@code expected}.
     *
     * @param key the key; must be shareable
     * @param expected the value it must have
     * @param value the new value; must be shareable
     * @return whether it was replaced
     * @throws NullPointerException if any argument is null
     * @throws UnshareableException if {@code key} or {@code value} is not shareable (the map is unchanged)
     */
    public boolean replace(K key, V expected, V value) {
        Objects.requireNonNull(key, "SharedMap.replace: key is null");
        Objects.requireNonNull(expected, "SharedMap.replace: expected is null");
        Objects.requireNonNull(value, "SharedMap.replace: value is null");
        return map.replace(key, expected, value);
    }

    /**
     * Returns {@code key}'s value, computing it with {@code mapping} in the calling thread if it
     * has none. The mapping runs without any lock held, at most once per absent key; threads
     * asking for the key meanwhile wait for it and return its value. The mapping may read and
     * write other keys of this map.
     *
     * @param key the key
     * @param mapping computes the value; its result must be shareable; {@code null} leaves the key absent
     * @return the value (present, computed by this call, or computed by another thread meanwhile), or
     *     {@code null} if the mapping returned null
     * @throws NullPointerException if {@code key} or {@code mapping} is null
     * @throws UnshareableException if {@code key} or the mapping's result is not shareable (the key stays absent)
     * @throws DeadlockException if this wait for a pending key closes a cycle of the wait-for graph
     *     (the mapping asks for its own key, or mappings in several threads wait for each other's
     *     keys): thrown to one thread of the cycle; the key it waited for is unchanged. Thrown out of
     *     a mapping, it leaves that mapping's key absent, so the others proceed
     * @throws RuntimeException whatever the mapping throws (the key stays absent)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V computeIfAbsent(K key, Function<? super K, ? extends @Nullable V> mapping) {
        Objects.requireNonNull(key, "SharedMap.computeIfAbsent: key is null");
        Objects.requireNonNull(mapping, "SharedMap.computeIfAbsent: mapping is null");
        return (V) map.computeIfAbsent(key, mapping);
    }

    /**
     * Computes {@code key}'s new value from its present one ({@code null} if absent) and installs
     * it if the value has not changed meanwhile; otherwise recomputes. The function runs without
     * any lock, possibly several times, and must be free of side effects.
     *
     * @param key the key; must be shareable
     * @param remapping gets the key and the present value (or null); returns the new value, or
     *     {@code null} to remove the key
     * @return the new value, or {@code null} if the key is now absent
     * @throws NullPointerException if {@code key} or {@code remapping} is null
     * @throws UnshareableException if {@code key} or a result is not shareable (the map is unchanged)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V compute(K key, BiFunction<? super K, ? super @Nullable V, ? extends @Nullable V> remapping) {
        Objects.requireNonNull(key, "SharedMap.compute: key is null");
        Objects.requireNonNull(remapping, "SharedMap.compute: remapping is null");
        return (V) map.compute(key, remapping);
    }

    /** @return the number of keys with a value (weakly consistent: exact when no write runs) */
    public int size() {
        return map.size();
    }

    /** @return whether no key has a value (weakly consistent: exact when no write runs) */
    public boolean isEmpty() {
        return map.isEmpty();
    }

    /**
     * @return an immutable copy of the entries with a value (weakly consistent: every entry it
     *     holds was present at some time during the call; exact when no write runs); itself shareable
     */
    @SuppressWarnings("unchecked")
    public Map<K, V> snapshot() {
        return (Map<K, V>) map.snapshot();
    }

    /** @return a short description (the size), without calling keys' or values' methods */
    @Override
    public String toString() {
        return "SharedMap(size " + size() + ")";
    }
}
