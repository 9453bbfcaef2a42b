package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CONTRACT §9, "no leak through the value": a value that holds counted references back to its
 * key must not keep it alive. Values are shareable, so a {@code Ref} back to the key can sit in
 * any immutable value: a record, and equally an {@code Optional}, a {@code List.of},
 * {@code Set.of}, {@code Map.of} or a map entry (and those nested in each other). Until this
 * test only records were traced, and every other shape kept its key alive for ever.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WeakKeyMapContainerValuesTest {
    @Shareable
    static final class Node extends RefCounted {
    }

    record Wrap(Object inner) {
    }

    /** Value shapes holding {@code ref} inside an immutable container. */
    private static final List<Function<Ref<Node>, Object>> SHAPES = List.of(
            List::of,
            r -> Set.of(r),
            r -> Optional.of(r),
            r -> Map.of("to", r),
            r -> Map.of(r, "from"),
            r -> Map.of("a", "x", "b", r, "c", "y"),
            r -> Map.entry("to", r),
            r -> List.copyOf(java.util.Arrays.asList("x", r, "y")),
            r -> new Wrap(List.of(Optional.of(r))),
            r -> List.of(new Wrap(Map.of("to", r))));

    @Test
    void aRefBackToTheKeyInsideAnImmutableContainerDoesNotKeepTheKeyAlive() {
        for (int i = 0; i < SHAPES.size(); i++) {
            WeakKeyMap<Node, Object> map = new WeakKeyMap<>();
            Node key = new Node();
            map.put(key, SHAPES.get(i).apply(new Ref<>(key))); // the value holds a counted reference to its key
            key.decref();
            assertThat(key.isAlive()).as("shape %d: the entry's reference alone keeps it until a collection", i).isTrue();
            SafeThread.collect();
            assertThat(key.isAlive()).as("shape %d: a key referred to only by its own entry's value is garbage", i)
                    .isFalse();
            assertThat(map.size()).as("shape %d", i).isZero();
        }
    }

    @Test
    void whatAContainerValueHoldsLivesAsLongAsTheKeyAndIsReleasedAtItsDeath() {
        for (int i = 0; i < SHAPES.size(); i++) {
            WeakKeyMap<Node, Object> map = new WeakKeyMap<>();
            Node key = new Node();
            Node held = new Node();
            map.put(key, SHAPES.get(i).apply(new Ref<>(held)));
            held.decref(); // only the value's Ref holds it now
            SafeThread.collect();
            assertThat(held.isAlive()).as("shape %d: traced from a live key", i).isTrue();
            key.decref(); // the key dies, its entry goes, and the Ref in the value is cleared
            assertThat(key.isAlive()).isFalse();
            SafeThread.poll();
            assertThat(held.isAlive()).as("shape %d: released at the key's death", i).isFalse();
        }
    }
}
