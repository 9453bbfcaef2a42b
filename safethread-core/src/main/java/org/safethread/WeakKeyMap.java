package org.safethread;

import java.util.Objects;
import org.safethread.internal.weak.WeakTable;
import org.jspecify.annotations.Nullable;

/**
 * A map whose entries last as long as their keys, and no longer: a thread-safe, weak-keyed,
 * identity map that does not leak through its values.
 *
 * <ul>
 *   <li>Keys are compared by identity ({@code ==}); their {@code hashCode} and {@code equals}
 *       are never called. Any object may be a key. Values must be
 *       {@linkplain Shareability shareable}.</li>
 *   <li>The entry of a {@link RefCounted} key is removed at the key's death, in the same step
 *       that clears the key's {@link Ref} fields; from the moment the key is dead no operation
 *       returns its entry. The entry of any other key is removed by the runtime's housekeeper
 *       thread soon after the JVM collects the key (within tens of milliseconds of the JVM's
 *       collection), whether or not the map is used.</li>
 *   <li><b>No leak through the value.</b> For a RefCounted key, the collector traces the
 *       entry's value as if it were a {@code Ref} field of the key (an <em>ephemeron</em>): a
 *       value that holds counted references back to its key does not keep the key alive, and
 *       the key and its entry go at the next collection. What a value holds: a RefCounted value
 *       is held by the map with a counted reference of its own; a {@link Ref} value, and the
 *       {@code Ref}s inside a record value, hold what they refer to, and the map owns them like
 *       fields of the key (at the key's death they are cleared). For any other key, {@link #put}
 *       refuses a value that reaches its key.</li>
 * </ul>
 *
 * <p>The map's counted references to its values are released only when an entry goes (its key
 * dies or is collected, {@code remove}, replacement): like a {@link Ref} dropped without
 * {@code clear()}, a map that is simply dropped while keys live keeps those values' references
 * (for a {@code RefCounted} key until the key dies, since its entries live on the key; for other
 * keys for ever). Remove the entries before dropping a map whose keys outlive it.
 *
 * <p>A {@code WeakKeyMap} is shareable. {@code get}, {@code put} and {@code remove} are atomic
 * and linearizable; {@link #size} is weakly consistent (exact when no write runs at the same
 * time); {@link #get} takes no lock. Memory consistency: actions in a thread before {@code put(k, v)} happen-before
 * actions after a {@code get(k)} in another thread that returns {@code v}.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
@Shareable
public final class WeakKeyMap<K, V> {
    private final WeakTable table = new WeakTable();

    /** Creates an empty map. */
    public WeakKeyMap() {
    }

    /**
     * The value mapped to {@code key}. For a RefCounted value it is borrowed (the map's reference
     * keeps it alive while the entry exists).
     *
     * @param key the key, compared by identity
     * @return the value, or null if there is none (or the key is dead)
     * @throws NullPointerException if {@code key} is null
     */
    @SuppressWarnings("unchecked")
    public @Nullable V get(Object key) {
        Objects.requireNonNull(key, "WeakKeyMap.get: key is null");
        return (V) table.get(key);
    }

    /**
     * Maps {@code key} to {@code value}, replacing any previous value. A RefCounted value gets a
     * counted reference held by the map.
     *
     * @param key the key, compared by identity
     * @param value the value; must be shareable
     * @return the previous value, or null; a RefCounted previous value is returned borrowed (the
     *     map released its reference)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws UnshareableException if {@code value} is not shareable (the map is unchanged)
     * @throws IllegalArgumentException if {@code key} is not a RefCounted and {@code value}
     *     reaches it (the message names the path; the map is unchanged)
     * @throws IllegalStateException if {@code key} or a RefCounted {@code value} is dead (the
     *     map is unchanged)
     */
    @SuppressWarnings("unchecked")
    public @Nullable V put(K key, V value) {
        Objects.requireNonNull(key, "WeakKeyMap.put: key is null");
        Objects.requireNonNull(value, "WeakKeyMap.put: value is null");
        return (V) table.put(key, value);
    }

    /**
     * Removes the entry of {@code key}.
     *
     * @param key the key, compared by identity
     * @return the value it had (a RefCounted value borrowed: the map released its reference), or
     *     null if there was none (or the key is dead)
     * @throws NullPointerException if {@code key} is null
     */
    @SuppressWarnings("unchecked")
    public @Nullable V remove(Object key) {
        Objects.requireNonNull(key, "WeakKeyMap.remove: key is null");
        return (V) table.remove(key);
    }

    /**
     * The number of entries. An entry whose key just died or was just collected may be counted
     * until the runtime removes it (death processing of the key; the housekeeper's next round).
     * Weakly consistent, as {@code ConcurrentHashMap.size()}: while another thread's {@code put} of
     * a new key runs, its entry may be visible to {@code get} (and replaced by a later put) before
     * it is counted here; exact when no write runs at the same time.
     *
     * @return the number of entries
     */
    public int size() {
        return table.size();
    }

    @Override
    public String toString() {
        return "WeakKeyMap[size=" + size() + "]";
    }
}
